#!/usr/bin/env bash
# Prints the path of a helm binary for the chart tests (`helm lint`, `helm template`): $HELM, `helm`
# on the PATH, or helm built once from the Go module proxy into the cache outside the clone.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
HELM_VERSION="${ANYCHAT_HELM_VERSION:-v3.19.0}"
if [ -n "${HELM:-}" ]; then echo "$HELM"; exit 0; fi
if command -v helm >/dev/null 2>&1; then command -v helm; exit 0; fi
"$here/go-build-tool.sh" helm helm.sh/helm/v3 "$HELM_VERSION" helm.sh/helm/v3/cmd/helm "$HELM_VERSION" \
  -ldflags "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
