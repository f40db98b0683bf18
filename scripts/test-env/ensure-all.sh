#!/usr/bin/env bash
# Makes sure every tool and service the test suites run is here, building what is missing once per
# machine into the cache outside the clone (`npm test`'s pretest runs it). Each ensure script prints
# its tool's path and returns at once when the tool is cached.
#
# On a fresh machine the Go builds dominate CI's first run: one after another they took ~71 min on
# two cores (daprd 33, kube-apiserver and etcd 17, MinIO 10, LiveKit 9, Helm 2; Jaeger v2 for the
# tracing suite took ~24 min beside other builds); side by side their module downloads, compiles and
# links overlap, ~45 min. Each build takes its own lock, so a suite
# that asks for a tool meanwhile waits for that build rather than starting a second one.
#
# Usage: ensure-all.sh [apt|go]   (apt: Debian's packages and the machine's services; go: the Go
# builds; neither: everything). scripts/test/run-suites.ts runs the two parts separately.
set -uo pipefail
part="${1:-all}"

here="$(cd "$(dirname "$0")" && pwd)"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
failed=0
report() {
  echo "[test-env] scripts/test-env/ensure-$1.sh failed; its last lines:" >&2
  tail -n 30 "$logs/$1.log" >&2
  failed=1
}

# Debian's packages, one at a time (apt holds one lock).
if [ "$part" != go ]; then
  for tool in chromium ffmpeg prometheus; do
    "$here/ensure-$tool.sh" >/dev/null 2>"$logs/$tool.log" || report "$tool"
  done
  "$here/ensure-services.sh" || failed=1
fi
[ "$part" = apt ] && exit "$failed"

# The Go builds side by side, the longest first.
declare -A builds=()
for tool in daprd kube minio livekit helm jaeger; do
  "$here/ensure-$tool.sh" >/dev/null 2>"$logs/$tool.log" &
  builds[$tool]=$!
done
for tool in "${!builds[@]}"; do
  wait "${builds[$tool]}" || report "$tool"
done
exit "$failed"
