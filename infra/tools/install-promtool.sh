#!/usr/bin/env bash
# Installs `promtool` (Prometheus' rule and exposition checker) for the tests that run it:
# test/unit/prometheus-rules.test.ts (`promtool check rules`, `check config`) and
# test/integration/metrics-scrape.test.ts (`promtool check metrics`).
#
# Debian's `prometheus` package is the one that ships promtool (bookworm: 2.42). Idempotent: does
# nothing when promtool is already on the PATH. Needs root (or sudo) for apt-get.
#
#   infra/tools/install-promtool.sh
#
# The package's postinst may try to start prometheus.service; without systemd (containers, CI
# machines) it does not, and nothing listens afterwards. On a host with systemd, stop it with
# `systemctl disable --now prometheus` if you do not want a local Prometheus running.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  echo "promtool already installed: $(promtool --version 2>&1 | head -1)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-promtool: promtool is missing and this is not root (and there is no sudo)." >&2
  echo "  Run as root:  apt-get update && apt-get install -y --no-install-recommends prometheus" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends prometheus >/dev/null

if ! command -v promtool >/dev/null 2>&1; then
  echo "install-promtool: the prometheus package installed, but promtool is not on the PATH" >&2
  exit 1
fi
echo "promtool installed: $(promtool --version 2>&1 | head -1)"
