#!/usr/bin/env bash
# make k8s-dry-run: a server-side dry run of every rendered overlay against a real, throwaway API server.
#
# Builds once, from the Go module proxy, into the cache (DSMATH_CACHE, default ~/.cache/dsmath):
#   k8s-dry-run/kube-apiserver-<k8s version>-<hash>   k8s.io/kubernetes/cmd/kube-apiserver
#   k8s-dry-run/etcd-<etcd version>-<hash>            go.etcd.io/etcd/server/v3 (the version Kubernetes pins)
#   k8s-dry-run/k8s-dry-run-<hash>                    the client (k8s/check/dryrun/main.go)
#   k8s-dry-run/keda-crds-<KEDA version>/             config/crd/bases of the github.com/kedacore/keda/v2 module
# (versions from k8s/check/dryrun/go.mod; <hash> covers go.mod and go.sum, and the client's sources), then
# starts etcd and kube-apiserver on free loopback ports, installs the KEDA CRDs and dry-runs each object.
# The first build is long (see README, Deployment); later runs reuse the binaries.
#
# Usage: k8s/check/dry-run.sh [--built | --build-only | --print-paths] [k8s-dry-run flags...] [KUSTOMIZATION_DIR...]
# Without arguments it checks every k8s/overlays/*. --built: exit 0 when everything is built already, 1 if not. GOMAXPROCS=1 builds with one compile at a time.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mod="$here/dryrun"
repo="$(cd "$here/../.." && pwd)"
cache="${DSMATH_CACHE:-$HOME/.cache/dsmath}/k8s-dry-run"
# KEDA 2.17-2.19 are not on the Go module proxy; 2.20.2 is the oldest release >= 2.17 (README) that is.
KEDA_VERSION=v2.20.2

k8s_version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ { print $2 }' "$mod/go.mod" | head -1)"
[[ -n "$k8s_version" ]] || { echo "k8s-dry-run: no k8s.io/kubernetes version in $mod/go.mod" >&2; exit 2; }
modhash="$(cat "$mod/go.mod" "$mod/go.sum" | sha256sum | cut -c1-12)"
srchash="$(cd "$mod" && cat go.mod go.sum $(ls *.go | sort) | sha256sum | cut -c1-12)"

need_go() {
  command -v go >/dev/null || { echo "k8s-dry-run: needs Go (1.26) on PATH to build $1" >&2; exit 2; }
}
# go_build OUT PKG [LDFLAGS]: builds PKG of the dryrun module into OUT (atomically), timing it.
go_build() {
  local out=$1 pkg=$2 ldflags=${3:-}
  need_go "$out"
  mkdir -p "$cache"
  local start=$SECONDS
  echo "k8s-dry-run: building $out (first run: downloads modules from the Go module proxy and compiles)" >&2
  (cd "$mod" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly \
    go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp.$$" "$pkg")
  mv "$out.tmp.$$" "$out"
  echo "k8s-dry-run: built $(basename "$out") in $((SECONDS - start)) s" >&2
}

etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" && $2 ~ /^v/ { print $2 }' "$mod/go.mod" | head -1)"
apiserver="$cache/kube-apiserver-$k8s_version-$modhash"
etcd="$cache/etcd-$etcd_version-$modhash"
client="$cache/k8s-dry-run-$srchash"
crds="$cache/keda-crds-$KEDA_VERSION"
if [[ "${1:-}" == --built ]]; then # exit 0 when nothing needs building
  [[ -x "$apiserver" && -x "$etcd" && -x "$client" && -d "$crds" ]]
  exit
fi

if [[ ! -x "$apiserver" ]]; then
  minor="${k8s_version#v1.}"; minor="${minor%%.*}"
  go_build "$apiserver" k8s.io/kubernetes/cmd/kube-apiserver \
    "-X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
fi
[[ -x "$etcd" ]] || go_build "$etcd" go.etcd.io/etcd/server/v3
[[ -x "$client" ]] || go_build "$client" .
if [[ ! -d "$crds" ]]; then
  need_go "$crds"
  # go mod download (outside any module) fetches the module zip alone, none of its dependencies.
  kdir="$(cd / && GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" \
    | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -d "$kdir/config/crd/bases" ]] || { echo "k8s-dry-run: no config/crd/bases in github.com/kedacore/keda/v2@$KEDA_VERSION ($kdir)" >&2; exit 2; }
  mkdir -p "$cache"
  rm -rf "$crds.tmp.$$" && mkdir "$crds.tmp.$$"
  cp "$kdir"/config/crd/bases/*.yaml "$crds.tmp.$$/" && chmod u+w "$crds.tmp.$$"/*.yaml
  mv "$crds.tmp.$$" "$crds"
fi

case "${1:-}" in
  --build-only) exit 0 ;;
  --print-paths) printf 'client=%s\napiserver=%s\netcd=%s\ncrds=%s\n' "$client" "$apiserver" "$etcd" "$crds"; exit 0 ;;
esac
cd "$repo"
exec "$client" --etcd "$etcd" --apiserver "$apiserver" --crd "$crds" --root k8s "$@"
