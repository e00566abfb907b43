#!/usr/bin/env bash
# Builds native/inflate/build/inflate.node: an N-API addon over the system libdeflate (Debian package
# libdeflate-dev). Optional: when this cannot build, src/warc/inflate.ts uses node:zlib instead.
#   bash native/inflate/build.sh            (make native)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/build/inflate.node"
CC=${CC:-cc}
command -v "$CC" >/dev/null || { echo "native/inflate: no C compiler ($CC); skipped (node:zlib fallback)" >&2; exit 1; }
NODE_INC="$(dirname "$(dirname "$(command -v node)")")/include/node"
[ -f "$NODE_INC/node_api.h" ] || NODE_INC=/usr/include/node
if [ ! -f "$NODE_INC/node_api.h" ]; then echo "native/inflate: no node_api.h found; skipped (node:zlib fallback)" >&2; exit 1; fi
has_libdeflate() { echo '#include <libdeflate.h>' | "$CC" -E -x c - >/dev/null 2>&1; }
if ! has_libdeflate && command -v apt-get >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  echo "native/inflate: installing libdeflate-dev (Debian)" >&2
  $sudo apt-get install -y -q libdeflate-dev >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q libdeflate-dev >/dev/null 2>&1; } || true
fi
if ! has_libdeflate; then
  echo "native/inflate: libdeflate.h not found (apt-get install libdeflate-dev); skipped (node:zlib fallback)" >&2; exit 1
fi
mkdir -p "$HERE/build"
if [ -f "$OUT" ] && [ "$OUT" -nt "$HERE/inflate.c" ] && [ "$OUT" -nt "$HERE/build.sh" ]; then exit 0; fi
"$CC" -O2 -fPIC -shared -Wall -Wextra -fvisibility=hidden -I"$NODE_INC" "$HERE/inflate.c" -o "$OUT.tmp" -ldeflate
mv "$OUT.tmp" "$OUT"
echo "native/inflate: built $OUT"
