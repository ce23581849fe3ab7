#!/usr/bin/env bash
# One-shot set-up on a fresh Debian machine: system packages, npm packages, build.
# Safe to re-run: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: the Fashion-MNIST dataset (IDX files) and Chromium (headless check of HTML reports).
apt_pkgs=(dataset-fashion-mnist chromium)
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
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: warning: cannot install ${missing[*]} (no apt-get); Fashion-MNIST and report screenshots will be unavailable" >&2
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
echo "setup: done"
