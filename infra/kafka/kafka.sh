#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft) on 127.0.0.1, from Maven Central jars, without Docker.
#
#   infra/kafka/kafka.sh start    fetch jars (cached), format storage, start, wait until ready
#   infra/kafka/kafka.sh stop     stop cleanly (SIGTERM, then SIGKILL after 30 s)
#   infra/kafka/kafka.sh status   exit 0 when running
#   infra/kafka/kafka.sh fetch    only resolve the broker jars
#
# Environment: KAFKA_PORT (default 19092), KAFKA_CONTROLLER_PORT (default KAFKA_PORT+1),
# ERA_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/era-ingest: jars), ERA_STATE_DIR (default <repo>/.cache/state: data, logs, pid).
# KAFKA_SCRAM_USERS ("alice:alice-secret,bob:bob-secret", optional): adds a SASL_PLAINTEXT listener on
# KAFKA_SASL_PORT (default KAFKA_PORT+2) with SCRAM-SHA-256 and SCRAM-SHA-512; the users get both
# credentials when the storage is formatted (first start only). The PLAINTEXT listener stays.
# KAFKA_TLS=1 (optional): adds an SSL listener on KAFKA_SSL_PORT (default KAFKA_PORT+3) whose
# certificate (SAN 127.0.0.1, localhost) is signed by a local CA made with keytool at first start;
# clients trust it with KAFKA_SSL=true KAFKA_SSL_CA=$ERA_STATE_DIR/kafka-<port>/tls/ca.pem.
# start is idempotent: when the broker already runs it prints its address and does nothing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/service.sh
. "$HERE/../lib/service.sh"
ROOT=$(cd "$HERE/../.." && pwd)
PORT=${KAFKA_PORT:-19092}
CPORT=${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}
SCRAM_USERS=${KAFKA_SCRAM_USERS:-}
SASL_PORT=${KAFKA_SASL_PORT:-$((PORT + 2))}
TLS=${KAFKA_TLS:-}
SSL_PORT=${KAFKA_SSL_PORT:-$((PORT + 3))}
CACHE=$ERA_CACHE
STATE=${ERA_STATE_DIR:-$ROOT/.cache/state}/kafka-$PORT
KAFKA_VERSION=$(sed -n 's#.*<kafka.version>\(.*\)</kafka.version>.*#\1#p' "$HERE/pom.xml")
LIB=$CACHE/kafka-lib-$KAFKA_VERSION
PIDFILE=$STATE/kafka.pid
OUT=$STATE/kafka.out
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
KEYTOOL=${JAVA_HOME:+$JAVA_HOME/bin/}keytool
TLS_DIR=$STATE/tls
# Protects only the broker's own throw-away keystore (local tests); never a production secret.
TLS_PASS=era-local-keystore
LOG4J="-Dlog4j2.configurationFile=file:$HERE/log4j2.properties"

log() { echo "[kafka] $*" >&2; }


port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fetch() {
  if [ -f "$LIB/.complete" ]; then return 0; fi
  lock_cache kafka-fetch
  if [ -f "$LIB/.complete" ]; then return 0; fi # another clone fetched it meanwhile
  command -v mvn >/dev/null || { log "Maven (mvn) is required to fetch the Kafka broker jars"; exit 1; }
  log "resolving Kafka $KAFKA_VERSION broker jars from Maven Central into $LIB"
  rm -rf "$LIB"
  mvn -q -B -f "$HERE/pom.xml" package -Dkafka.lib.dir="$LIB" \
    -Dproject.build.directory="$CACHE/kafka-mvn-target" >&2
  rm -rf "$HERE/target"
  touch "$LIB/.complete"
}

# Adds the SASL_PLAINTEXT (SCRAM) listener to a rendered server.properties.
sasl_properties() {
  local file=$1
  sed -i \
    -e "s#^listeners=.*#&,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT#" \
    -e "s#^advertised.listeners=.*#&,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT#" \
    -e "s#^listener.security.protocol.map=.*#&,SASL_PLAINTEXT:SASL_PLAINTEXT#" "$file"
  cat >> "$file" <<EOF2
# SCRAM listener (KAFKA_SCRAM_USERS); users are created at storage format time.
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
EOF2
}

# A local CA and a broker certificate signed by it (first start only), with keytool alone.
tls_material() {
  [ -f "$TLS_DIR/broker.p12" ] && [ -f "$TLS_DIR/ca.pem" ] && return 0
  rm -rf "$TLS_DIR"; mkdir -p "$TLS_DIR"
  local kt=("$KEYTOOL" -storetype PKCS12 -storepass "$TLS_PASS")
  "${kt[@]}" -genkeypair -alias ca -keyalg RSA -keysize 2048 -dname CN=era-ingest-local-ca -ext bc:c -validity 3650 -keystore "$TLS_DIR/ca.p12" >&2 2>/dev/null
  "${kt[@]}" -exportcert -rfc -alias ca -keystore "$TLS_DIR/ca.p12" > "$TLS_DIR/ca.pem"
  "${kt[@]}" -genkeypair -alias broker -keyalg RSA -keysize 2048 -dname CN=127.0.0.1 -validity 3650 -keystore "$TLS_DIR/broker.p12" >&2 2>/dev/null
  "${kt[@]}" -certreq -alias broker -keystore "$TLS_DIR/broker.p12" \
    | "${kt[@]}" -gencert -alias ca -keystore "$TLS_DIR/ca.p12" -ext SAN=ip:127.0.0.1,dns:localhost -rfc -validity 3650 > "$TLS_DIR/broker.pem"
  "${kt[@]}" -importcert -noprompt -alias ca -file "$TLS_DIR/ca.pem" -keystore "$TLS_DIR/broker.p12" >&2
  "${kt[@]}" -importcert -noprompt -alias broker -file "$TLS_DIR/broker.pem" -keystore "$TLS_DIR/broker.p12" >&2
}

# Adds the SSL listener (KAFKA_TLS) to a rendered server.properties.
tls_properties() {
  local file=$1
  sed -i \
    -e "s#^listeners=.*#&,SSL://127.0.0.1:$SSL_PORT#" \
    -e "s#^advertised.listeners=.*#&,SSL://127.0.0.1:$SSL_PORT#" \
    -e "s#^listener.security.protocol.map=.*#&,SSL:SSL#" "$file"
  cat >> "$file" <<EOF2
# SSL listener (KAFKA_TLS): certificate signed by the local CA in $TLS_DIR.
listener.name.ssl.ssl.keystore.type=PKCS12
listener.name.ssl.ssl.keystore.location=$TLS_DIR/broker.p12
listener.name.ssl.ssl.keystore.password=$TLS_PASS
listener.name.ssl.ssl.key.password=$TLS_PASS
EOF2
}

start() {
  if running; then
    log "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"
    echo "127.0.0.1:$PORT"
    return 0
  fi
  if port_open "$PORT"; then
    log "port $PORT is taken by another process; set KAFKA_PORT to a free port"; exit 1
  fi
  fetch
  mkdir -p "$STATE/data"
  sed -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CPORT#g" -e "s#@DATA_DIR@#$STATE/data#g" \
    "$HERE/server.properties.template" > "$STATE/server.properties"
  local scram=()
  if [ -n "$SCRAM_USERS" ]; then
    if port_open "$SASL_PORT"; then
      log "SASL port $SASL_PORT is taken by another process; set KAFKA_SASL_PORT to a free port"; exit 1
    fi
    sasl_properties "$STATE/server.properties"
    local entry name pass
    IFS=',' read -r -a entries <<< "$SCRAM_USERS"
    for entry in "${entries[@]}"; do
      name=${entry%%:*}; pass=${entry#*:}
      [ -n "$name" ] && [ "$name" != "$entry" ] || { log "KAFKA_SCRAM_USERS: expected name:password, comma-separated"; exit 1; }
      scram+=(--add-scram "SCRAM-SHA-256=[name=$name,password=$pass]" --add-scram "SCRAM-SHA-512=[name=$name,password=$pass]")
    done
  fi
  if [ -n "$TLS" ]; then
    if port_open "$SSL_PORT"; then
      log "SSL port $SSL_PORT is taken by another process; set KAFKA_SSL_PORT to a free port"; exit 1
    fi
    command -v "$KEYTOOL" >/dev/null || { log "keytool (from the JDK) is required for KAFKA_TLS"; exit 1; }
    tls_material
    tls_properties "$STATE/server.properties"
  fi
  if [ ! -f "$STATE/data/meta.properties" ]; then
    local cid
    cid=$("$JAVA" $LOG4J -cp "$LIB/*" kafka.tools.StorageTool random-uuid)
    "$JAVA" $LOG4J -cp "$LIB/*" kafka.tools.StorageTool format -t "$cid" \
      -c "$STATE/server.properties" --ignore-formatted ${scram[@]+"${scram[@]}"} >&2
  fi
  : > "$OUT"
  nohup "$JAVA" -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true $LOG4J \
    -Dkafka.logs.dir="$STATE" -cp "$LIB/*" kafka.Kafka "$STATE/server.properties" \
    >> "$OUT" 2>&1 < /dev/null 8>&- 9>&- &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 180); do
    if grep -q "Kafka Server started" "$OUT" && port_open "$PORT" && { [ -z "$SCRAM_USERS" ] || port_open "$SASL_PORT"; } \
      && { [ -z "$TLS" ] || port_open "$SSL_PORT"; }; then
      log "up (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"
      echo "127.0.0.1:$PORT"
      return 0
    fi
    if ! running; then log "broker exited during start:"; tail -40 "$OUT" >&2; exit 1; fi
    sleep 0.5
  done
  log "not ready after 90 s:"; tail -40 "$OUT" >&2; exit 1
}

stop() { stop_pidfile; }

case "${1:-}" in
  start) lock kafka; start ;;
  stop) lock kafka; stop ;;
  status) running && port_open "$PORT" && echo "127.0.0.1:$PORT" ;;
  fetch) fetch ;;
  *) echo "usage: $0 start|stop|status|fetch" >&2; exit 2 ;;
esac
