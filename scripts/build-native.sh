#!/usr/bin/env bash
# Builds prunekit's optional native kernel provider (native/ → native/build/Release/prunekit_native.node)
# from source against the system libtorch (Debian: libtorch-dev). Never downloads anything: node-gyp
# gets Node's own headers through --nodedir (Node's install prefix).
# Exit status 0 = built; otherwise it prints why not, and prunekit uses the wasm kernels.
# Run through npm (`npm run build:native`) so that npm's bundled node-gyp is on PATH.
set -uo pipefail
cd "$(dirname "$0")/.."

why() { echo "native: not built — $*" >&2; exit 1; }

[ "$(uname -s)" = "Linux" ] || why "only Linux is supported (found $(uname -s))"
for tool in g++ make python3; do command -v "$tool" >/dev/null 2>&1 || why "'$tool' is missing (apt-get install g++ make python3)"; done
inc=""
for d in /usr/include /usr/local/include "${LIBTORCH_INCLUDE:-/nonexistent}"; do
  [ -f "$d/ATen/ops/convolution_backward.h" ] && inc="$d" && break
done
[ -n "$inc" ] || why "libtorch headers not found (apt-get install libtorch-dev)"
node_prefix="$(node -p "require('path').resolve(process.execPath, '..', '..')")"
[ -f "$node_prefix/include/node/node_api.h" ] || why "Node's headers are not under $node_prefix/include/node (install Node with its headers)"
gyp="$(command -v node-gyp || true)"
if [ -z "$gyp" ]; then
  npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
  [ -f "$npm_dir/node_modules/node-gyp/bin/node-gyp.js" ] && gyp="node $npm_dir/node_modules/node-gyp/bin/node-gyp.js"
fi
[ -n "$gyp" ] || why "node-gyp not found (it ships with npm; run 'npm run build:native')"
node -e "require.resolve('node-addon-api')" 2>/dev/null || why "npm package node-addon-api missing (run npm ci first)"

echo "native: building against libtorch headers in $inc (node-gyp, --nodedir=$node_prefix)…"
start=$(date +%s)
# nice: the torch headers make this CPU-heavy; keep the machine usable
if ! (cd native && nice -n 10 $gyp rebuild --nodedir="$node_prefix" --jobs "${PRUNEKIT_NATIVE_JOBS:-2}" --loglevel=warn) >native-build.log 2>&1; then
  tail -n 20 native-build.log >&2
  why "the compile failed (full log: native-build.log)"
fi
node -e "require('./native/build/Release/prunekit_native.node').info()" >/dev/null 2>>native-build.log ||
  why "the addon was built but does not load (see native-build.log)"
echo "native: built native/build/Release/prunekit_native.node in $(( $(date +%s) - start )) s"
