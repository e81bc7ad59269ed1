#!/usr/bin/env bash
# Brings up (or down) the real services the integration tests and the Kafka mode need,
# without Docker: Apache Kafka (KRaft) and PostgreSQL + pgvector, both on 127.0.0.1.
#
#   infra/services.sh up     start both (idempotent) and print the environment to use
#   infra/services.sh down   stop both
#
#   eval "$(infra/services.sh up)"   exports KAFKA_BROKERS and DATABASE_URL in your shell
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
  up)
    brokers=$("$HERE/kafka/kafka.sh" start)
    url=$("$HERE/postgres/postgres.sh" start)
    echo "export KAFKA_BROKERS=$brokers"
    echo "export DATABASE_URL=$url"
    ;;
  down)
    rc=0
    "$HERE/kafka/kafka.sh" stop || rc=1
    "$HERE/postgres/postgres.sh" stop || rc=1
    exit $rc
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
