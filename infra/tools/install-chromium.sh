#!/usr/bin/env bash
# Installs Chromium from Debian's packages for the console's browser tests (test/browser/,
# driven by playwright-core pointed at this binary: no browser is downloaded by npm).
# Idempotent: does nothing when `chromium` is already on the PATH. Needs root (or sudo).
#
#   infra/tools/install-chromium.sh
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  echo "chromium already installed: $(chromium --version 2>/dev/null | head -1)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-chromium: chromium is missing and this is not root (and there is no sudo)." >&2
  echo "  Run as root:  apt-get update && apt-get install -y --no-install-recommends chromium" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null

if ! command -v chromium >/dev/null 2>&1; then
  echo "install-chromium: the chromium package installed, but chromium is not on the PATH" >&2
  exit 1
fi
echo "chromium installed: $(chromium --version 2>/dev/null | head -1)"
