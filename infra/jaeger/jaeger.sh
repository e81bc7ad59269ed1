#!/usr/bin/env bash
# Jaeger v2 (v1.75.0 of github.com/jaegertracing/jaeger, cmd/jaeger) as the OTLP traces backend,
# without Docker: built from the Go module proxy, run with in-memory storage, every listener on
# 127.0.0.1 (./config.yaml.template).
#
#   infra/jaeger/jaeger.sh fetch    build jaeger (a few minutes on 2 cores, a ~120 MB binary), once
#   infra/jaeger/jaeger.sh start    fetch if needed, serve, print two lines:
#                                     OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<otlp http port>
#                                     JAEGER_QUERY_URL=http://127.0.0.1:<query port>
#   infra/jaeger/jaeger.sh stop     stop (SIGTERM, then SIGKILL after 30 s)
#   infra/jaeger/jaeger.sh status   exit 0 and print the two lines when running and answering
#
# Why not `go install …@v1.75.0`: the module's go.mod has replace directives, which `go install
# pkg@version` refuses. A throwaway module that requires it as a tool (`go get -tool`) and
# `go build` of the package in it works (../../shared/infra-notes/jaeger/README.md).
#
# Environment: JAEGER_OTLP_HTTP_PORT (default 14318), JAEGER_OTLP_GRPC_PORT (14317),
# JAEGER_QUERY_PORT (UI and /api/*, 16696), JAEGER_QUERY_GRPC_PORT (16695) — away from a user's
# own Jaeger on 4317/4318/16686; JAEGER_MAX_TRACES (traces kept in memory, 100000);
# ERA_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/era-ingest: the binary, per user, reused by
# every clone); ERA_STATE_DIR (default <repo>/.cache/state: config, log and pid under
# jaeger-<query port>/). Traces live in memory only: a restart forgets them.
# start is idempotent: when the server already runs it prints its addresses and does nothing.
# stdout carries only the two lines; all logs go to stderr.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/service.sh
. "$HERE/../lib/service.sh"
JAEGER_VERSION=1.75.0
HTTP_PORT=${JAEGER_OTLP_HTTP_PORT:-14318}
GRPC_PORT=${JAEGER_OTLP_GRPC_PORT:-14317}
QUERY_PORT=${JAEGER_QUERY_PORT:-16696}
QUERY_GRPC_PORT=${JAEGER_QUERY_GRPC_PORT:-16695}
MAX_TRACES=${JAEGER_MAX_TRACES:-100000}
CACHE=$ERA_CACHE
# Also where lock() puts its lock file.
ERA_STATE_DIR=${ERA_STATE_DIR:-$ROOT/.cache/state}
STATE=$ERA_STATE_DIR/jaeger-$QUERY_PORT
JAEGER_DIR=$CACHE/jaeger-$JAEGER_VERSION
BIN=$JAEGER_DIR/bin/jaeger
# The throwaway module, GOCACHE and GOMODCACHE of the build: inside the cache rather than Go's
# defaults (self-contained; deleting the cache dir means a cold build). Removed after a successful
# build, kept after a failed or interrupted one so that a retry resumes.
GO_BUILD_DIR=$JAEGER_DIR.build
PIDFILE=$STATE/jaeger.pid
OUT=$STATE/jaeger.log
CONFIG=$STATE/config.yaml
OTLP_URL=http://127.0.0.1:$HTTP_PORT
QUERY_URL=http://127.0.0.1:$QUERY_PORT

log() { echo "[jaeger] $*" >&2; }
die() { log "$*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The query API answers and the OTLP HTTP receiver listens.
answers() { curl -sf -o /dev/null --max-time 2 "$QUERY_URL/api/services" && port_open "$HTTP_PORT"; }

addresses() {
  echo "OTEL_EXPORTER_OTLP_ENDPOINT=$OTLP_URL"
  echo "JAEGER_QUERY_URL=$QUERY_URL"
}

for p in "$HTTP_PORT" "$GRPC_PORT" "$QUERY_PORT" "$QUERY_GRPC_PORT" "$MAX_TRACES"; do
  case "$p" in ''|*[!0-9]*) die "'$p' is not a number: check JAEGER_OTLP_HTTP_PORT, JAEGER_OTLP_GRPC_PORT, JAEGER_QUERY_PORT, JAEGER_QUERY_GRPC_PORT and JAEGER_MAX_TRACES" ;; esac
done

build_jaeger() {
  command -v go >/dev/null \
    || die "go not found: install Go >= 1.24 (needed for 'go get -tool'; an older Go cannot build jaeger v$JAEGER_VERSION)"
  local gov minor
  gov=$(go env GOVERSION 2>/dev/null) || gov=unknown
  minor=$(sed -n 's/^go1\.\([0-9]*\).*/\1/p' <<< "$gov")
  if [ -z "$minor" ] || [ "$minor" -lt 24 ]; then
    die "Go $gov is too old: install Go >= 1.24 ('go get -tool' appeared in 1.24)"
  fi
  log "building jaeger v$JAEGER_VERSION into $JAEGER_DIR (a few minutes on 2 cores)"
  rm -rf "$JAEGER_DIR"
  mkdir -p "$JAEGER_DIR/bin" "$GO_BUILD_DIR/mod"
  local env=(GOCACHE="$GO_BUILD_DIR/gocache" GOMODCACHE="$GO_BUILD_DIR/gomod" GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw" CGO_ENABLED=0)
  # -modcacherw: Go makes its module cache read-only; this keeps `rm -rf` of the cache working.
  (
    cd "$GO_BUILD_DIR/mod"
    [ -f go.mod ] || env "${env[@]}" go mod init era-ingest.local/jaeger-build >&2
    env "${env[@]}" go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@v$JAEGER_VERSION" >&2
    env "${env[@]}" go build -trimpath -o "$BIN" github.com/jaegertracing/jaeger/cmd/jaeger >&2
  ) || die "building jaeger v$JAEGER_VERSION failed (output above): check that the Go module proxy ($(go env GOPROXY)) is reachable and that $GO_BUILD_DIR has space; the partial build there is reused by the next fetch"
  [ -x "$BIN" ] || die "go build succeeded but left no $BIN"
  rm -rf "$GO_BUILD_DIR"
  echo "jaeger v$JAEGER_VERSION ($(go env GOVERSION))" > "$JAEGER_DIR/.complete"
}

fetch() {
  lock_cache jaeger-fetch # one build per user however many clones fetch at once
  [ -f "$JAEGER_DIR/.complete" ] || build_jaeger
}

# After the server was spawned: report, stop it (a half-started server must not look "running"), exit.
fail() {
  log "$*"
  log "last lines of $OUT:"; tail -20 "$OUT" >&2 || true
  stop_pidfile
  exit 1
}

start() {
  if running; then
    log "already running (pid $(cat "$PIDFILE")): OTLP $OTLP_URL, query $QUERY_URL"
    addresses
    return 0
  fi
  local p
  for p in "$HTTP_PORT" "$GRPC_PORT" "$QUERY_PORT" "$QUERY_GRPC_PORT"; do
    port_open "$p" && die "port $p is taken by another process; set JAEGER_OTLP_HTTP_PORT, JAEGER_OTLP_GRPC_PORT, JAEGER_QUERY_PORT or JAEGER_QUERY_GRPC_PORT to free ports"
  done
  fetch
  command -v setsid >/dev/null || die "setsid not found: install util-linux"
  mkdir -p "$STATE"
  sed -e "s/@HTTP_PORT@/$HTTP_PORT/" -e "s/@GRPC_PORT@/$GRPC_PORT/" -e "s/@QUERY_PORT@/$QUERY_PORT/" \
    -e "s/@QUERY_GRPC_PORT@/$QUERY_GRPC_PORT/" -e "s/@MAX_TRACES@/$MAX_TRACES/" \
    "$HERE/config.yaml.template" > "$CONFIG"
  : > "$OUT"
  # setsid + nohup: the server leaves the caller's session and survives its shell; 8>&- 9>&-: it
  # must not inherit the locks.
  setsid nohup "$BIN" --config "$CONFIG" >> "$OUT" 2>&1 < /dev/null 8>&- 9>&- &
  echo $! > "$PIDFILE"
  local ready=""
  for _ in $(seq 1 120); do
    if answers; then ready=1; break; fi
    if ! running; then log "jaeger exited during start:"; tail -40 "$OUT" >&2; rm -f "$PIDFILE"; exit 1; fi
    sleep 0.5
  done
  [ -n "$ready" ] || fail "jaeger (pid $(cat "$PIDFILE")) did not answer $QUERY_URL/api/services within 60 s"
  log "up (pid $(cat "$PIDFILE")): OTLP HTTP $OTLP_URL, OTLP gRPC 127.0.0.1:$GRPC_PORT, query and UI $QUERY_URL; log $OUT"
  addresses
}

stop() { stop_pidfile; }

case "${1:-}" in
  start) lock jaeger; start ;;
  stop) lock jaeger; stop ;;
  status) running && answers && addresses ;;
  fetch) fetch ;;
  *) echo "usage: $0 fetch|start|stop|status" >&2; exit 2 ;;
esac
