#!/usr/bin/env bash
# Prints the path of a MinIO server binary for the file service's tests (a real S3 server): $MINIO,
# `minio` on the PATH, or MinIO built once from the Go module proxy into the cache outside the clone.
#
# MinIO publishes no semver tags (its releases are named RELEASE.<date>), so the module proxy serves
# it only under pseudo-versions; the pin below is the proxy's newest commit of the module. The first
# build on a machine takes a while on 2 cores (see BENCHMARKS.md, file service); later runs reuse it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
MINIO_VERSION="${ANYCHAT_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
if [ -n "${MINIO:-}" ]; then
  [ -x "$MINIO" ] || { echo "[minio] MINIO=$MINIO is not an executable" >&2; exit 1; }
  echo "$MINIO"; exit 0
fi
if command -v minio >/dev/null 2>&1; then command -v minio; exit 0; fi
"$here/go-build-tool.sh" minio github.com/minio/minio "$MINIO_VERSION" github.com/minio/minio "$MINIO_VERSION" \
  -ldflags "-s -w"
