#!/usr/bin/env bash
# Installs Chromium from Debian's packages for the console's browser tests (test/browser/,
# driven by playwright-core pointed at this binary: no browser is downloaded by npm).
# Idempotent: does nothing when `chromium` is already on the PATH. Needs root (or sudo).
#
#   infra/tools/install-chromium.sh
set -euo pipefail
exec "$(dirname "$0")/apt-install.sh" chromium chromium fonts-dejavu-core
