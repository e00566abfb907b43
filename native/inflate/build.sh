#!/usr/bin/env bash
# Builds native/inflate/build/inflate.node: an N-API addon over libdeflate. Optional: when this cannot
# build, src/warc/inflate.ts uses node:zlib instead.
#   bash native/inflate/build.sh            (make native; CI runs the same through make test)
#
# libdeflate: version 1.26, compiled here from the copy bundled in the PyPI sdist of `deflate` 0.9.0 (the
# libdeflate Python binding; fetched once through the PyPI simple API, sha256 pinned, cached in
# ~/.cache/dsmath), with libdeflate's own release flags (-O2 -DNDEBUG). Measured on the bench WARC
# (bench/warc.ts, one core): 1.25-1.33x the inflate speed of Debian's libdeflate 1.14; -O3 was slower
# and -march=native no faster (libdeflate picks its BMI2, PCLMUL, VPCLMUL and AVX-512 code at run time,
# so one build serves every x86-64 machine). When PyPI is out of reach it links Debian's libdeflate-dev
# instead (1.14 on bookworm; installed with apt when missing and allowed). DSMATH_LIBDEFLATE=system forces
# that. `node -p "require('./native/inflate/build/inflate.node').libdeflateVersion"` says which one.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$HERE/build/inflate.node"
CACHE="${DSMATH_CACHE:-$HOME/.cache/dsmath}"
LD_VERSION=1.26
SDIST_NAME=deflate-0.9.0.tar.gz
SDIST_SHA256=962e0a6f1ea3a94b900a8ea0ce138fa92bfcbafda5b86367104a259ffcd3462b
LD_SRC="$CACHE/libdeflate-$LD_VERSION"
CFLAGS_LD="-O2 -DNDEBUG -fPIC -fvisibility=hidden"
CC=${CC:-cc}
NODE_INC="$(dirname "$(dirname "$(command -v node)")")/include/node"
[ -f "$NODE_INC/node_api.h" ] || NODE_INC=/usr/include/node
if [ ! -f "$NODE_INC/node_api.h" ]; then echo "native/inflate: no node_api.h found; skipped (node:zlib fallback)" >&2; exit 1; fi
has_cc() { command -v "$CC" >/dev/null; }
has_libdeflate() { has_cc && echo '#include <libdeflate.h>' | "$CC" -E -x c - >/dev/null 2>&1; }
apt_install() {
  command -v apt-get >/dev/null || return 0
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  echo "native/inflate: installing $* (Debian)" >&2
  $sudo apt-get install -y -q "$@" >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q "$@" >/dev/null 2>&1; } || true
}
if ! has_cc; then
  apt_install gcc libc6-dev
  has_cc || [ "$CC" != cc ] || ! command -v gcc >/dev/null || CC=gcc
fi
if ! has_cc; then echo "native/inflate: no C compiler ($CC); skipped (node:zlib fallback)" >&2; exit 1; fi

# libdeflate's sources from the sdist (only its libdeflate/ directory is kept). pip download cannot fetch
# this sdist without building its metadata (CMake >= 3.26), so the simple API is read directly.
fetch_libdeflate() {
  [ -f "$LD_SRC/lib/deflate_decompress.c" ] && return 0
  command -v python3 >/dev/null || return 1
  local tmp; tmp=$(mktemp -d)
  if python3 - "$SDIST_NAME" "$SDIST_SHA256" "$tmp/sdist.tar.gz" <<'PY' >/dev/null 2>&1
import hashlib, os, re, sys, urllib.parse, urllib.request
name, sha, dest = sys.argv[1:4]
index = os.environ.get('PIP_INDEX_URL', 'https://pypi.org/simple').rstrip('/') + '/deflate/'
page = urllib.request.urlopen(index, timeout=60).read().decode()
href = next(h for h in re.findall(r'href="([^"]+)"', page) if h.split('#')[0].endswith('/' + name))
data = urllib.request.urlopen(urllib.parse.urljoin(index, href.split('#')[0]), timeout=120).read()
if hashlib.sha256(data).hexdigest() != sha: sys.exit('sha256 mismatch')
open(dest, 'wb').write(data)
PY
  then
    tar xzf "$tmp/sdist.tar.gz" -C "$tmp" && mkdir -p "$CACHE" && rm -rf "$LD_SRC" && mv "$tmp"/deflate-*/libdeflate "$LD_SRC"
  fi
  rm -rf "$tmp"
  [ -f "$LD_SRC/lib/deflate_decompress.c" ]
}

mkdir -p "$HERE/build"
USE=system
if [ "${DSMATH_LIBDEFLATE:-}" != system ] && fetch_libdeflate; then USE=bundled; fi
STAMP="$HERE/build/inflate.libdeflate"
if [ -f "$OUT" ] && [ "$OUT" -nt "$HERE/inflate.c" ] && [ "$OUT" -nt "$HERE/build.sh" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$USE" ]; then exit 0; fi

if [ "$USE" = bundled ]; then
  # Only the decompression side (inflate, CRC-32, CPU feature detection), as a static archive whose symbols
  # stay inside the addon.
  OBJ=$(mktemp -d)
  for c in lib/deflate_decompress.c lib/crc32.c lib/utils.c lib/x86/cpu_features.c lib/arm/cpu_features.c; do
    "$CC" $CFLAGS_LD -I"$LD_SRC" -c "$LD_SRC/$c" -o "$OBJ/$(echo "$c" | tr / _).o"
  done
  ar rcs "$OBJ/libdeflate.a" "$OBJ"/*.o
  "$CC" -O2 -fPIC -shared -Wall -Wextra -fvisibility=hidden -I"$NODE_INC" -I"$LD_SRC" "$HERE/inflate.c" "$OBJ/libdeflate.a" \
    -Wl,--exclude-libs,ALL -o "$OUT.tmp"
  rm -rf "$OBJ"
else
  has_libdeflate || apt_install libdeflate-dev
  if ! has_libdeflate; then
    echo "native/inflate: libdeflate sources not fetched and libdeflate.h not found (apt-get install libdeflate-dev); skipped (node:zlib fallback)" >&2; exit 1
  fi
  "$CC" -O2 -fPIC -shared -Wall -Wextra -fvisibility=hidden -I"$NODE_INC" "$HERE/inflate.c" -o "$OUT.tmp" -ldeflate
fi
mv "$OUT.tmp" "$OUT"
echo "$USE" > "$STAMP"
echo "native/inflate: built $OUT (libdeflate $([ "$USE" = bundled ] && echo "$LD_VERSION, from the deflate sdist" || echo "from the system"))"
