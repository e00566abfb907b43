#!/usr/bin/env bash
# Stops the dev services started by up.sh (SIGTERM by pid, then SIGKILL after 15 s). Data stays in .infra/.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
stop() {
  local name=$1 pidfile="$INFRA_DIR/$1/pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.3; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    log "$name stopped"
  fi
  rm -f "$pidfile"
}
want=${*:-s3 kafka temporal}
for w in $want; do stop "$w"; done
