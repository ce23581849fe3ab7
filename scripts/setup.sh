#!/usr/bin/env bash
# One-shot set-up on a fresh Debian machine: system packages, npm packages, build.
# Safe to re-run: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the Fashion-MNIST dataset (IDX files), Chromium (headless check of HTML reports) and
# redis-server (the BullMQ sweep tests start their own on a loopback port; skipped with a message when absent).
apt_pkgs=(dataset-fashion-mnist chromium redis-server)
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup: installing Debian packages: ${missing[*]}"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
      # one at a time, so one unavailable package does not block the others
      for p in "${missing[@]}"; do
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null ||
          echo "setup: warning: could not install Debian package $p; the features and tests that need it are skipped" >&2
      done
    fi
  else
    echo "setup: warning: cannot install ${missing[*]} (no apt-get); Fashion-MNIST and report screenshots will be unavailable" >&2
  fi
fi

# Optional: Mesa's EGL / OpenGL ES and its software renderer, so that `--backend webgpu` (Dawn's OpenGL ES
# backend) finds an adapter on machines without a GPU; a failure here only leaves webgpu unavailable.
webgpu_pkgs=(libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)
webgpu_missing=()
for p in "${webgpu_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || webgpu_missing+=("$p")
done
if [ ${#webgpu_missing[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing optional Debian packages for the webgpu backend: ${webgpu_missing[*]}"
  { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${webgpu_missing[@]}" >/dev/null; } ||
    echo "setup: warning: could not install ${webgpu_missing[*]}; --backend webgpu will fall back to wasm without a GPU" >&2
fi

# Optional: the native kernel provider (libtorch kernels under TF.js, `--backend native`). Debian's libtorch
# with OpenBLAS' OpenMP build (one OpenMP pool for libtorch and BLAS; without it apt may pick the slow
# reference BLAS) and a C++ toolchain; compiled from source below. Any failure here only means prunekit
# uses its wasm kernels: it is reported, never fatal. PRUNEKIT_SKIP_NATIVE=1 skips it.
native_pkgs=(libtorch-dev libopenblas0-openmp g++ make python3)
if [ "${PRUNEKIT_SKIP_NATIVE:-0}" != "1" ]; then
  native_missing=()
  for p in "${native_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || native_missing+=("$p")
  done
  if [ ${#native_missing[@]} -gt 0 ]; then
    if command -v apt-get >/dev/null 2>&1; then
      SUDO=""
      [ "$(id -u)" -ne 0 ] && SUDO="sudo"
      echo "setup: installing Debian packages for the optional native provider: ${native_missing[*]}"
      { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${native_missing[@]}" >/dev/null; } ||
        echo "setup: warning: could not install ${native_missing[*]}; the native provider will not be built (prunekit uses wasm)" >&2
    else
      echo "setup: note: no apt-get; the native provider needs libtorch-dev (Debian) — prunekit uses wasm" >&2
    fi
  fi
fi

# npm packages exactly as locked, then compile the library and CLI to dist/.
# onnxruntime-node (dev: ONNX export checks, bench:deploy) ships its CPU binaries in the npm package; its
# install script would try to download GPU extras, which fails offline: skip that step.
export ONNXRUNTIME_NODE_INSTALL=skip
# playwright-core (dev: the browser deploy test drives Debian's Chromium) must never download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent

# The native addon, from source (a few minutes: libtorch's headers are heavy). Optional: see above.
if [ "${PRUNEKIT_SKIP_NATIVE:-0}" != "1" ]; then
  if [ -f native/build/Release/prunekit_native.node ] && [ -z "$(find native/src native/binding.gyp -newer native/build/Release/prunekit_native.node 2>/dev/null)" ]; then
    echo "setup: native provider already built (native/build/Release/prunekit_native.node)"
  else
    npm run --silent build:native || echo "setup: the native provider was not built (reason above); prunekit will use the wasm kernels" >&2
  fi
fi
echo "setup: done"
