#!/usr/bin/env bash
# Builds native/fasttext/build/fasttext.node: an N-API addon (fasttext.cc) over the official fastText C++
# code, compiled from the sources in the PyPI sdist of fasttext-numpy2 (the Python binding bench/fasttext
# compares against: same code, same -O3 -funroll-loops flags). Falls back to Debian's libfasttext-dev
# (fastText 0.9.2, -O2, about half the speed) when PyPI is out of reach. Optional: without the addon,
# src/fasttext/model.ts uses the WebAssembly build of the same code (fasttext.wasm.js, one thread).
# The built addon is cached in ~/.cache/dsmath keyed by a hash of its inputs (N-API: any Node >= 22).
#   bash native/fasttext/build.sh            (make native)
#   DSMATH_MARCH=x86-64-v3 bash native/fasttext/build.sh   (portable images; default: native)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT="$HERE/build/fasttext.node"
CACHE="${DSMATH_CACHE:-$HOME/.cache/dsmath}"
SDIST=fasttext-numpy2==0.10.4
SRC="$CACHE/fasttext-numpy2-0.10.4/src"
CXX=${CXX:-c++}
MARCH=${DSMATH_MARCH:-native}
NODE_INC="$(dirname "$(dirname "$(command -v node)")")/include/node"
[ -f "$NODE_INC/node_api.h" ] || NODE_INC=/usr/include/node
if [ ! -f "$NODE_INC/node_api.h" ]; then echo "native/fasttext: no node_api.h found; skipped (WebAssembly fallback)" >&2; exit 1; fi
if ! command -v "$CXX" >/dev/null && command -v apt-get >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  $sudo apt-get install -y -q g++ >/dev/null 2>&1 || true
  command -v "$CXX" >/dev/null || ! command -v g++ >/dev/null || CXX=g++
fi
if ! command -v "$CXX" >/dev/null; then echo "native/fasttext: no C++ compiler ($CXX); skipped (WebAssembly fallback)" >&2; exit 1; fi

fetch_sdist() {
  [ -f "$SRC/fasttext.cc" ] && return 0
  local pip=("$ROOT/.venv/bin/python" -m pip); [ -x "$ROOT/.venv/bin/python" ] || pip=(python3 -m pip)
  local tmp; tmp=$(mktemp -d)
  "${pip[@]}" download -q --disable-pip-version-check --no-binary :all: --no-deps -d "$tmp" "$SDIST" >/dev/null 2>&1 || { rm -rf "$tmp"; return 1; }
  mkdir -p "$CACHE" && tar xzf "$tmp"/fasttext_numpy2-*.tar.gz -C "$CACHE" 2>/dev/null || tar xzf "$tmp"/fasttext-numpy2-*.tar.gz -C "$CACHE"
  rm -rf "$tmp"
  [ -f "$SRC/fasttext.cc" ]
}

mkdir -p "$HERE/build"
if fetch_sdist; then
  key=$( (cat "$HERE/fasttext.cc" "$HERE/build.sh"; echo "$MARCH $CXX"; "$CXX" --version | head -1) | sha256sum | cut -c1-16)
  cached="$CACHE/native/fasttext-$key.node"
  if [ ! -f "$cached" ]; then
    echo "native/fasttext: compiling fastText ($SDIST sources, -O3 -march=$MARCH; about 30 s)" >&2
    mkdir -p "$CACHE/native"
    sed 's|#include <fasttext/fasttext.h>|#include "fasttext.h"|' "$HERE/fasttext.cc" > "$HERE/build/addon.cc"
    # shellcheck disable=SC2046
    "$CXX" -std=c++17 -O3 -funroll-loops -march="$MARCH" -fPIC -shared -pthread -fvisibility=hidden -w \
      -I"$NODE_INC" -I"$SRC" "$HERE/build/addon.cc" $(ls "$SRC"/*.cc | grep -v '/main\.cc$') -o "$cached.tmp"
    mv "$cached.tmp" "$cached"
  fi
  cp "$cached" "$OUT.tmp" && mv "$OUT.tmp" "$OUT"
  echo "native/fasttext: ready $OUT (from $SDIST)" >&2
  exit 0
fi

# No PyPI: Debian's libfasttext-dev (fastText 0.9.2).
has_fasttext() { echo '#include <fasttext/fasttext.h>' | "$CXX" -std=c++17 -E -x c++ - >/dev/null 2>&1; }
if ! has_fasttext && command -v apt-get >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  echo "native/fasttext: $SDIST unreachable; installing libfasttext-dev (Debian)" >&2
  $sudo apt-get install -y -q libfasttext-dev >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q libfasttext-dev >/dev/null 2>&1; } || true
fi
if ! has_fasttext; then
  echo "native/fasttext: neither $SDIST nor libfasttext-dev available; skipped (WebAssembly fallback)" >&2; exit 1
fi
"$CXX" -std=c++17 -O2 -fPIC -shared -pthread -fvisibility=hidden -Wall -Wextra -I"$NODE_INC" "$HERE/fasttext.cc" -o "$OUT.tmp" -lfasttext
mv "$OUT.tmp" "$OUT"
echo "native/fasttext: built $OUT (Debian libfasttext)" >&2
