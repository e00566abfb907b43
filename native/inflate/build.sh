#!/usr/bin/env bash
# Builds native/inflate/build/inflate.node: an N-API addon over the system libdeflate (Debian package
# libdeflate-dev). Optional: when this cannot build, src/warc/inflate.ts uses node:zlib instead.
#   bash native/inflate/build.sh            (make native)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/build/inflate.node"
CC=${CC:-cc}
NODE_INC="$(dirname "$(dirname "$(command -v node)")")/include/node"
[ -f "$NODE_INC/node_api.h" ] || NODE_INC=/usr/include/node
if [ ! -f "$NODE_INC/node_api.h" ]; then echo "native/inflate: no node_api.h found; skipped (node:zlib fallback)" >&2; exit 1; fi
has_cc() { command -v "$CC" >/dev/null; }
has_libdeflate() { has_cc && echo '#include <libdeflate.h>' | "$CC" -E -x c - >/dev/null 2>&1; }
# Debian packages it needs (as root, or with passwordless sudo): a C compiler and libdeflate-dev.
missing=""
has_cc || missing=" gcc libc6-dev"
has_libdeflate || missing="$missing libdeflate-dev"
if [ -n "$missing" ] && command -v apt-get >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  echo "native/inflate: installing$missing (Debian)" >&2
  # shellcheck disable=SC2086
  $sudo apt-get install -y -q $missing >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q $missing >/dev/null 2>&1; } || true
  has_cc || [ "$CC" != cc ] || ! command -v gcc >/dev/null || CC=gcc
fi
if ! has_cc; then echo "native/inflate: no C compiler ($CC); skipped (node:zlib fallback)" >&2; exit 1; fi
if ! has_libdeflate; then
  echo "native/inflate: libdeflate.h not found (apt-get install libdeflate-dev); skipped (node:zlib fallback)" >&2; exit 1
fi
mkdir -p "$HERE/build"
if [ -f "$OUT" ] && [ "$OUT" -nt "$HERE/inflate.c" ] && [ "$OUT" -nt "$HERE/build.sh" ]; then exit 0; fi
"$CC" -O2 -fPIC -shared -Wall -Wextra -fvisibility=hidden -I"$NODE_INC" "$HERE/inflate.c" -o "$OUT.tmp" -ldeflate
mv "$OUT.tmp" "$OUT"
echo "native/inflate: built $OUT"
