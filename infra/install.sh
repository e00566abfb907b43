#!/usr/bin/env bash
# Builds the dev services once into $DSMATH_CACHE (default ~/.cache/dsmath): the Temporal CLI
# (dev server) and versitygw (S3) from the Go module proxy, Kafka 4.1.1 jars from Maven Central.
# Idempotent: a second run finds the binaries and returns at once.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
mkdir -p "$INFRA_BIN"

go_build() { # name module version
  local name=$1 module=$2 version=$3 stamp="$INFRA_BIN/.$1-$3"
  if [ -x "$INFRA_BIN/$name" ] && [ -f "$stamp" ]; then log "$name $version: cached"; return; fi
  command -v go >/dev/null || { echo "infra: go is required to build $name" >&2; exit 1; }
  log "$name $version: building (minutes on a cold cache)"
  local t0=$SECONDS tmp; tmp=$(mktemp -d)
  # A throwaway module/build cache keeps gigabytes of Go caches off the disk afterwards.
  CGO_ENABLED=0 GOBIN="$INFRA_BIN" GOMODCACHE="$tmp/mod" GOCACHE="$tmp/cache" GOFLAGS=-modcacherw \
    go install "$module@$version"
  rm -rf "$tmp"; touch "$stamp"
  log "$name $version: built in $((SECONDS - t0)) s"
}

kafka_jars() {
  if [ -f "$KAFKA_LIBS/.complete" ]; then log "kafka 4.1.1: cached"; return; fi
  command -v mvn >/dev/null || { echo "infra: mvn is required to fetch Kafka" >&2; exit 1; }
  log "kafka 4.1.1: fetching jars from Maven Central"
  local t0=$SECONDS dir; dir=$(dirname "$KAFKA_LIBS"); mkdir -p "$dir"
  cp "$HERE/kafka/pom.xml" "$dir/pom.xml"
  (cd "$dir" && mvn -q -B dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime)
  touch "$KAFKA_LIBS/.complete"
  log "kafka 4.1.1: fetched in $((SECONDS - t0)) s"
}

chromium_browser() { # for the review page's browser test (Playwright drives Debian's Chromium)
  if command -v chromium >/dev/null; then log "chromium: $(chromium --version 2>/dev/null | head -1)"; return; fi
  command -v apt-get >/dev/null || { echo "infra: chromium is required (Debian package chromium)" >&2; exit 1; }
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  log "chromium: installing the Debian package"
  local t0=$SECONDS
  $sudo apt-get install -y -q chromium >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q chromium >/dev/null; }
  log "chromium: installed in $((SECONDS - t0)) s"
}

want=${*:-temporal kafka s3 chromium}
for w in $want; do
  case $w in
    temporal) go_build temporal github.com/temporalio/cli/cmd/temporal "$TEMPORAL_VERSION" ;;
    s3) go_build versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION" ;;
    kafka) kafka_jars ;;
    chromium) chromium_browser ;;
    *) echo "infra/install.sh: unknown service '$w' (temporal, kafka, s3, chromium)" >&2; exit 2 ;;
  esac
done
