#!/usr/bin/env bash
# Creates the venv $1 from the lock $2, one package per pip call, without pip's cache.
#
# Why one at a time: torch from PyPI brings the CUDA runtime wheels (3.0 GB to download; the venv is 4.7 GB).
# A single `pip install -r` first downloads every wheel, then unpacks them all, and keeps a copy in pip's
# cache: about 11.7 GB at the peak, more than some CI machines have free. Here the peak is what is already
# installed plus one wheel (cuDNN, 0.5 GB).
#
# The lock pins every package, dependencies included (`make pylock` regenerates it from requirements.txt and
# services/worker/requirements.txt). Each pin of those two files must match the lock; a mismatch stops here.
set -euo pipefail
venv=$1 lock=$2
shift 2
requirements=("$@")

pin_of() { grep -iE "^$1==" "$lock" | head -n1 | cut -d= -f3; }
for req in "${requirements[@]}"; do
  while IFS= read -r line; do
    line=${line%%#*}; line=${line//[[:space:]]/}
    [ -z "$line" ] && continue
    name=${line%%==*} want=${line#*==}
    have=$(pin_of "$name")
    if [ "$have" != "$want" ]; then
      echo "install-python: $req pins $name==$want but $lock has '${have:-nothing}'; run make pylock" >&2
      exit 1
    fi
  done < "$req"
done

mkdir -p "$(dirname "$venv")"
free_mb=$(df -Pm "$(dirname "$venv")" | awk 'NR==2 {print $4}')
echo "install-python: $(grep -cE '^[A-Za-z]' "$lock") packages from $lock into $venv; ${free_mb} MB free on its disk" >&2
if [ "$free_mb" -lt 6000 ]; then
  echo "install-python: warning: the install needs about 5.2 GB (a 4.7 GB venv plus one wheel) and ${free_mb} MB is free" >&2
fi

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# pip unpacks into TMPDIR; keep that on the venv's disk, since /tmp is a small tmpfs on some machines.
export TMPDIR="$venv/.pip-tmp"
mkdir -p "$TMPDIR"
trap 'rm -rf "$TMPDIR"' EXIT
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
installed=$("$venv/bin/pip" freeze --all 2>/dev/null | tr '[:upper:]_' '[:lower:]-')
grep -E '^[A-Za-z]' "$lock" | while IFS= read -r pin; do
  grep -qxF "$(tr '[:upper:]_' '[:lower:]-' <<<"$pin")" <<<"$installed" && continue
  "$venv/bin/pip" install -q --no-deps "$pin" || { echo "install-python: pip could not install $pin" >&2; exit 1; }
done
echo "install-python: done; $(du -sm "$venv" | cut -f1) MB in $venv, $(df -Pm "$(dirname "$venv")" | awk 'NR==2 {print $4}') MB free" >&2
