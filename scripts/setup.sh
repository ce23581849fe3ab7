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

# npm packages exactly as locked, then compile the library and CLI to dist/.
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
echo "setup: done"
