#!/usr/bin/env bash
# Makes sure `ffmpeg` and `ffprobe` are on the PATH for the file service's video tests (cover frames,
# durations): Debian's ffmpeg package, installed with apt-get when missing. Prints ffmpeg's path.
# The service itself runs without them (video covers off); only the tests need them.
set -euo pipefail
if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then
  command -v ffmpeg; exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "[ffmpeg] ffmpeg is missing and there is no apt-get to install it; install ffmpeg" >&2; exit 1; }
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "[ffmpeg] ffmpeg is missing; installing it needs root (or sudo)" >&2; exit 1; }
  sudo="sudo"
fi
echo "[ffmpeg] installing Debian's ffmpeg package" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2 || { echo "[ffmpeg] apt-get update failed" >&2; exit 1; }
$sudo apt-get install -y -qq --no-install-recommends ffmpeg >&2 || { echo "[ffmpeg] apt-get install ffmpeg failed" >&2; exit 1; }
command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 \
  || { echo "[ffmpeg] ffmpeg installed but ffmpeg/ffprobe not on the PATH" >&2; exit 1; }
command -v ffmpeg
