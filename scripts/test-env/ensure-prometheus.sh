#!/usr/bin/env bash
# Makes sure `prometheus` and `promtool` are on the PATH for the observability tests (the shipped
# alert rules checked by promtool; a real Prometheus scraping the platform with the chart's scrape
# configuration): Debian's prometheus package (2.42 on bookworm), installed with apt-get when
# missing. Prints prometheus's path. The platform itself never needs it.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  command -v prometheus; exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "[prometheus] prometheus is missing and there is no apt-get to install it; install prometheus (with promtool)" >&2; exit 1; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "[prometheus] prometheus is missing; installing it needs root (or sudo)" >&2; exit 1; }
  sudo="sudo"
fi
echo "[prometheus] installing Debian's prometheus package" >&2
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing (a fresh image) or stale: update them first.
$sudo apt-get update -qq >&2 || { echo "[prometheus] apt-get update failed" >&2; exit 1; }
# The tests start their own Prometheus on loopback; the package's service is not wanted (and there
# is no init system to run it in a container): policy-rc.d refuses to start it during the install.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod +x "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends prometheus >&2 || { echo "[prometheus] apt-get install prometheus failed" >&2; exit 1; }
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 \
  || { echo "[prometheus] prometheus installed but prometheus/promtool not on the PATH" >&2; exit 1; }
command -v prometheus
