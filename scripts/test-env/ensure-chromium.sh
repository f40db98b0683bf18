#!/usr/bin/env bash
# Makes sure Chromium is installed for the web client's browser suite (test/web): Debian's chromium
# package, installed with apt-get when missing (Playwright's own browser download cannot work here;
# the suite drives this one through playwright-core), with an emoji and a Chinese font so that the
# screenshots show what a person sees. Prints the browser's path. Idempotent.
set -euo pipefail
packages=(chromium fonts-noto-color-emoji fonts-wqy-microhei)
if command -v chromium >/dev/null 2>&1 && dpkg -s "${packages[@]:1}" >/dev/null 2>&1; then
  command -v chromium; exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "[chromium] chromium is missing and there is no apt-get to install it; install ${packages[*]}" >&2; exit 1; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "[chromium] chromium is missing; installing it needs root (or sudo)" >&2; exit 1; }
  sudo="sudo"
fi
echo "[chromium] installing Debian's ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 || { echo "[chromium] apt-get update failed" >&2; exit 1; }
$sudo apt-get install -y -qq "${packages[@]}" >&2 || { echo "[chromium] apt-get install ${packages[*]} failed" >&2; exit 1; }
command -v chromium >/dev/null 2>&1 || { echo "[chromium] chromium installed but not on the PATH" >&2; exit 1; }
command -v chromium
