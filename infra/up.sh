#!/usr/bin/env bash
# Starts the dev services on loopback and waits until each is ready: Temporal dev server (7233),
# Kafka 4.1.1 in KRaft mode (9092), versitygw S3 (7070). Idempotent: a running service is left alone.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
mkdir -p "$INFRA_DIR"

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
# A port taken by something this checkout did not start (another checkout's services, say) would make the
# new server fail to bind and the readiness check pass against the stranger: refuse with a clear message.
require_free() { # what port...
  local what=$1; shift
  for port in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "infra: cannot start $what: 127.0.0.1:$port is already in use by another process (stop it, or set the ${what^^}_PORT variables)" >&2
      return 1
    fi
  done
}
wait_for() { # what timeout_s command...
  local what=$1 limit=$2; shift 2
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS - t0 > limit )); then echo "infra: $what not ready after ${limit}s (log in $INFRA_DIR)" >&2; return 1; fi
    sleep 0.3
  done
  log "$what ready in $((SECONDS - t0)) s"
}

start_temporal() {
  local d="$INFRA_DIR/temporal"; mkdir -p "$d"
  if running "$d/pid"; then log "temporal already running"; return; fi
  require_free temporal "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT"
  "$INFRA_BIN/temporal" server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$TEMPORAL_UI_PORT" \
    --db-filename "$d/dev.db" --log-level warn > "$d/server.log" 2>&1 &
  echo $! > "$d/pid"
  wait_for temporal 60 "$INFRA_BIN/temporal" operator cluster health --address "127.0.0.1:$TEMPORAL_PORT"
}

start_kafka() {
  local d="$INFRA_DIR/kafka"; mkdir -p "$d/data"
  if running "$d/pid"; then log "kafka already running"; return; fi
  require_free kafka "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"
  cat > "$d/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$d/data
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  local cp="$KAFKA_LIBS/*"
  if [ ! -f "$d/data/meta.properties" ]; then
    java -cp "$cp" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn kafka.tools.StorageTool format -g \
      -t "$KAFKA_CLUSTER_ID" -c "$d/server.properties" > "$d/format.log" 2>&1
  fi
  : > "$d/server.log"
  java -Xms512m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info \
    -cp "$cp" kafka.Kafka "$d/server.properties" > "$d/server.log" 2>&1 &
  echo $! > "$d/pid"
  wait_for kafka 90 grep -q 'Kafka Server started' "$d/server.log"
}

start_s3() {
  local d="$INFRA_DIR/s3"; mkdir -p "$d/data"
  if running "$d/pid"; then log "s3 already running"; return; fi
  require_free s3 "$S3_PORT"
  ROOT_ACCESS_KEY_ID=$S3_ACCESS_KEY ROOT_SECRET_ACCESS_KEY=$S3_SECRET_KEY \
    "$INFRA_BIN/versitygw" --port "127.0.0.1:$S3_PORT" --health /health --quiet posix "$d/data" > "$d/server.log" 2>&1 &
  echo $! > "$d/pid"
  wait_for s3 30 curl -sf "http://127.0.0.1:$S3_PORT/health"
}

want=${*:-temporal kafka s3}
for w in $want; do
  case $w in
    temporal) start_temporal ;;
    kafka) start_kafka ;;
    s3) start_s3 ;;
    *) echo "infra/up.sh: unknown service '$w' (temporal, kafka, s3)" >&2; exit 2 ;;
  esac
done
# The environment a client needs; tests and `dsmath` read these (see README).
cat > "$INFRA_DIR/env" <<ENV
DSMATH_TEMPORAL_ADDRESS=127.0.0.1:$TEMPORAL_PORT
DSMATH_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
DSMATH_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
AWS_REGION=us-east-1
ENV
