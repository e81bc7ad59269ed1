#!/usr/bin/env bash
# Brings up (or down) the real services the integration tests and the Kafka mode need,
# without Docker, all on 127.0.0.1: Apache Kafka (KRaft), PostgreSQL + pgvector, Ollama
# serving the embedding model all-MiniLM-L6-v2, and Jaeger v2 receiving OTLP traces.
#
#   infra/services.sh up [--no-ollama]   start them (idempotent) and print the environment to use
#   infra/services.sh down               stop them
#
#   eval "$(infra/services.sh up)"   exports KAFKA_BROKERS, DATABASE_URL, OLLAMA_HOST,
#                                    OTEL_EXPORTER_OTLP_ENDPOINT (tracing on) and JAEGER_QUERY_URL
#
# --no-ollama (or ERA_OLLAMA=off) skips Ollama: its first start builds it from source (about
# 9 minutes on 2 cores, once per user), and the hash embedder needs no model server.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
  up)
    ollama=${ERA_OLLAMA:-on}
    case "${2:-}" in
      --no-ollama) ollama=off ;;
      '') ;;
      *) echo "usage: $0 up [--no-ollama]" >&2; exit 2 ;;
    esac
    brokers=$("$HERE/kafka/kafka.sh" start)
    url=$("$HERE/postgres/postgres.sh" start)
    echo "export KAFKA_BROKERS=$brokers"
    echo "export DATABASE_URL=$url"
    if [ "$ollama" != off ]; then
      echo "export OLLAMA_HOST=$("$HERE/ollama/ollama.sh" start)"
    fi
    jaeger=$("$HERE/jaeger/jaeger.sh" start)
    sed 's/^/export /' <<< "$jaeger"
    ;;
  down)
    rc=0
    "$HERE/kafka/kafka.sh" stop || rc=1
    "$HERE/postgres/postgres.sh" stop || rc=1
    "$HERE/ollama/ollama.sh" stop || rc=1
    "$HERE/jaeger/jaeger.sh" stop || rc=1
    exit $rc
    ;;
  *) echo "usage: $0 up [--no-ollama]|down" >&2; exit 2 ;;
esac
