#!/usr/bin/env bash
# Prints the path of a Jaeger v2 binary (`jaeger`: the OpenTelemetry-Collector-based all-in-one with
# OTLP receivers, in-memory storage and the query API) for the tracing tests: $JAEGER, `jaeger` on
# the PATH, or jaeger built once from the Go module proxy into the cache outside the clone.
#
# The Go module github.com/jaegertracing/jaeger publishes each Jaeger v2 release under a v1.x tag
# (a v2 tag would need a /v2 module path); its cmd/jaeger is the v2 program.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
JAEGER_VERSION="${ANYCHAT_JAEGER_VERSION:-v1.76.0}"
if [ -n "${JAEGER:-}" ]; then echo "$JAEGER"; exit 0; fi
if command -v jaeger >/dev/null 2>&1; then command -v jaeger; exit 0; fi
"$here/go-build-tool.sh" jaeger github.com/jaegertracing/jaeger "$JAEGER_VERSION" \
  github.com/jaegertracing/jaeger/cmd/jaeger "$JAEGER_VERSION"
