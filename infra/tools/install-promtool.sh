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
exec "$(dirname "$0")/apt-install.sh" promtool prometheus
