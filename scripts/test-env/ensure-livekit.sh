#!/usr/bin/env bash
# Prints the path of a livekit-server binary (the LiveKit SFU) for the rtc service's tests: $LIVEKIT_SERVER,
# `livekit-server` on the PATH when it reports the pinned version, or livekit-server built once from the
# Go module proxy into the cache outside the clone (github.com/livekit/livekit-server's cmd/server; its
# version is a constant of the module, so the binary reports the pin). The suites run it in dev mode on
# loopback with a key and secret of their own (test/support/livekit.ts).
#
# The first build on a machine takes a while on 2 cores (see BENCHMARKS.md, rtc service); later runs
# reuse the cached binary.
#
# Usage: scripts/test-env/ensure-livekit.sh            (build progress goes to stderr)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
LIVEKIT_VERSION="${ANYCHAT_LIVEKIT_VERSION:-v1.13.5}"
if [ -n "${LIVEKIT_SERVER:-}" ]; then
  [ -x "$LIVEKIT_SERVER" ] || { echo "[livekit-server] LIVEKIT_SERVER=$LIVEKIT_SERVER is not an executable" >&2; exit 1; }
  echo "$LIVEKIT_SERVER"; exit 0
fi
if command -v livekit-server >/dev/null 2>&1 && livekit-server --version 2>/dev/null | grep -q "${LIVEKIT_VERSION#v}"; then
  command -v livekit-server; exit 0
fi
"$here/go-build-tool.sh" livekit-server github.com/livekit/livekit-server "$LIVEKIT_VERSION" \
  github.com/livekit/livekit-server/cmd/server "$LIVEKIT_VERSION" -ldflags "-s -w"
