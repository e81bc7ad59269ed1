#!/usr/bin/env bash
# PostgreSQL 16 + pgvector on 127.0.0.1 over TCP, without Docker, from the PyPI wheel `pgserver`
# (it bundles the PostgreSQL binaries and the pgvector extension).
#
#   infra/postgres/postgres.sh start    install the wheel if missing, initdb once, start, wait
#   infra/postgres/postgres.sh stop     fast shutdown
#   infra/postgres/postgres.sh status   exit 0 when accepting connections
#
# Environment: PGPORT (default 15432), ERA_PG_DIR (default /tmp/era-ingest-pg-$PGPORT: binaries
# and data). PostgreSQL refuses to run as root: when started by root the bundled tree is copied
# to ERA_PG_DIR and the server runs as the unprivileged user `era-pg` (created if missing).
# start is idempotent; it prints the DATABASE_URL on stdout. Authentication is `trust` on
# loopback only: this is a test server.
set -euo pipefail
# shellcheck source=../lib/service.sh
. "$(cd "$(dirname "$0")" && pwd)/../lib/service.sh"
PORT=${PGPORT:-15432}
BASE=${ERA_PG_DIR:-/tmp/era-ingest-pg-$PORT}
PGSERVER_VERSION=0.1.4
DATA=$BASE/data
URL="postgres://postgres@127.0.0.1:$PORT/postgres"

log() { echo "[postgres] $*" >&2; }

wheel_dir() {
  python3 -c 'import pgserver, pathlib; print(pathlib.Path(pgserver.__file__).parent / "pginstall")' 2>/dev/null
}

install_tree() {
  local src
  src=$(wheel_dir) || src=""
  if [ -z "$src" ] || [ ! -x "$src/bin/postgres" ]; then
    log "installing pgserver==$PGSERVER_VERSION from PyPI"
    python3 -m pip install -q --disable-pip-version-check "pgserver==$PGSERVER_VERSION" >&2
    src=$(wheel_dir)
  fi
  if [ "$(id -u)" = 0 ]; then
    id era-pg >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin era-pg
    # Keep the wheel's layout: the binaries' RPATH is $ORIGIN/../../../pgserver.libs.
    if [ ! -x "$BASE/site/pgserver/pginstall/bin/postgres" ]; then
      mkdir -p "$BASE/site/pgserver"; rm -rf "$BASE/site/pgserver/pginstall" "$BASE/site/pgserver.libs"
      cp -a "$src" "$BASE/site/pgserver/pginstall"
      [ -d "$src/../../pgserver.libs" ] && cp -a "$src/../../pgserver.libs" "$BASE/site/pgserver.libs"
    fi
    chown -R era-pg: "$BASE"; chmod 755 "$BASE"
    PGHOME=$BASE/site/pgserver/pginstall; RUN=(runuser -u era-pg --)
  else
    PGHOME=$src; RUN=()
  fi
}

pg() { "${RUN[@]}" env LD_LIBRARY_PATH="$PGHOME/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$PGHOME/bin/$@"; }

ready() { pg pg_isready -q -h 127.0.0.1 -p "$PORT" -U postgres; }

start() {
  install_tree
  if ready; then
    log "already accepting connections on 127.0.0.1:$PORT"; echo "$URL"; return 0
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"; chmod 700 "$DATA"
    [ ${#RUN[@]} -gt 0 ] && chown era-pg: "$DATA"
    pg initdb -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  # Unix socket in the data dir (writable by the server user), TCP on loopback only.
  pg pg_ctl -D "$DATA" -l "$BASE/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $PORT -k $DATA -c max_connections=200 -c shared_buffers=256MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2 9>&- || { tail -30 "$BASE/server.log" >&2; exit 1; }
  for _ in $(seq 1 60); do ready && break; sleep 0.5; done
  ready || { log "not ready:"; tail -30 "$BASE/server.log" >&2; exit 1; }
  pg psql -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c 'CREATE EXTENSION IF NOT EXISTS vector' >&2
  log "up on 127.0.0.1:$PORT"
  echo "$URL"
}

stop() {
  install_tree
  if [ -f "$DATA/postmaster.pid" ]; then
    pg pg_ctl -D "$DATA" -m fast -w -t 60 stop >&2 || true
    log "stopped"
  else
    log "not running"
  fi
}

case "${1:-}" in
  start) lock postgres; start ;;
  stop) lock postgres; stop ;;
  status) install_tree; ready && echo "$URL" ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
