#!/usr/bin/env bash
# Installs Debian packages for a command the tests run, once: does nothing when the command is
# already on the PATH. Needs root (or sudo) for apt-get. Used by install-promtool.sh and
# install-chromium.sh.
#
#   infra/tools/apt-install.sh <command> <package>...
set -euo pipefail
command_name=$1
shift

# The version line: on stdout for most tools, on stderr for some (promtool).
version() {
  local v
  v=$("$command_name" --version 2>/dev/null | head -1)
  [ -n "$v" ] || v=$("$command_name" --version 2>&1 | head -1)
  echo "$v"
}

if command -v "$command_name" >/dev/null 2>&1; then
  echo "$command_name already installed: $(version)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "apt-install: $command_name is missing and this is not root (and there is no sudo)." >&2
  echo "  Run as root:  apt-get update && apt-get install -y --no-install-recommends $*" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null

if ! command -v "$command_name" >/dev/null 2>&1; then
  echo "apt-install: the packages $* installed, but $command_name is not on the PATH" >&2
  exit 1
fi
echo "$command_name installed: $(version)"
