# Shared settings for the dev-service scripts. Source it; do not run it.
# Built binaries live in a cache outside the repo so a second clone reuses them;
# runtime state (data, logs, pids) lives in .infra/ inside the checkout.
DSMATH_CACHE=${DSMATH_CACHE:-$HOME/.cache/dsmath}
INFRA_BIN="$DSMATH_CACHE/bin"
KAFKA_LIBS="$DSMATH_CACHE/kafka-4.1.1/libs"
INFRA_DIR=${INFRA_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.infra}
TEMPORAL_VERSION=v1.5.1
VERSITYGW_VERSION=v1.8.0
TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${TEMPORAL_UI_PORT:-8233}
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
S3_PORT=${S3_PORT:-7070}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-devkey}
S3_SECRET_KEY=${S3_SECRET_KEY:-devsecret123}
KAFKA_CLUSTER_ID=devKafkaCluster000000Q
log() { printf '[infra] %s\n' "$*" >&2; }
