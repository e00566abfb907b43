#!/usr/bin/env bash
# Builds k8s-check once per source version into the cache (outside the repo) and prints its path.
# The binary is named by a hash of go.mod, go.sum and the Go sources, so a second run reuses it and a
# changed checker is rebuilt. DSMATH_CACHE as in infra/install.sh (default ~/.cache/dsmath).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${DSMATH_CACHE:-$HOME/.cache/dsmath}"
hash="$(cd "$here" && cat go.mod go.sum $(ls *.go | sort) | sha256sum | cut -c1-16)"
bin="$cache/k8s-check-$hash"
if [[ ! -x "$bin" ]]; then
  command -v go >/dev/null || { echo "k8s-check: needs Go (1.26) on PATH to build $bin" >&2; exit 2; }
  mkdir -p "$cache"
  start=$SECONDS
  echo "k8s-check: building $bin (first run: downloads modules from the Go module proxy and compiles, a few minutes)" >&2
  (cd "$here" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -trimpath -o "$bin.tmp.$$" .)
  mv "$bin.tmp.$$" "$bin"
  echo "k8s-check: built in $((SECONDS - start)) s" >&2
fi
echo "$bin"
