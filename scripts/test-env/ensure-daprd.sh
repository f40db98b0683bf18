#!/usr/bin/env bash
# Prints the path of a daprd binary (Dapr runtime, standalone sidecar) of the pinned version.
#
# Order of preference: $DAPRD (an explicit binary), `daprd` on the PATH or in the Dapr CLI's
# place (~/.dapr/bin) when it reports the pinned version, then a binary this script built before
# (cached outside the clone, keyed by version). Otherwise it builds the official daprd from the Go
# module proxy: a throwaway wrapper module that requires github.com/dapr/dapr at the pinned
# version and repeats that module's replace directives (Go ignores a dependency's replaces),
# built with `-tags allcomponents` — the NATS JetStream pub/sub exists only in that set. Nothing
# from upstream is copied into the project. The first build on a machine takes a while (about
# 10 minutes on 2 cores, plus module downloads); every later run reuses the cached binary.
#
# The pinned version is 1.18.1: 1.18.2 and 1.18.3 require module versions (durabletask-go 0.12.2+,
# a pulsar-client-go fork) that the module proxy this project builds from does not serve.
#
# Usage: scripts/test-env/ensure-daprd.sh            (build progress goes to stderr)
set -euo pipefail
DAPR_VERSION="${ANYCHAT_DAPR_VERSION:-1.18.1}"
CACHE_DIR="${ANYCHAT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/anychat}"
target="$CACHE_DIR/daprd-$DAPR_VERSION/daprd"
log() { echo "[daprd] $*" >&2; }

reports_pinned_version() { "$1" --version 2>/dev/null | grep -qx "$DAPR_VERSION"; }

if [ -n "${DAPRD:-}" ]; then
  [ -x "$DAPRD" ] || { log "DAPRD=$DAPRD is not an executable"; exit 1; }
  echo "$DAPRD"; exit 0
fi
for candidate in "$(command -v daprd || true)" "$HOME/.dapr/bin/daprd"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && reports_pinned_version "$candidate"; then
    echo "$candidate"; exit 0
  fi
done
if [ -x "$target" ]; then echo "$target"; exit 0; fi

# One build at a time per machine: suites started together (or a second checkout) wait for the
# first build and then use its binary, rather than compiling the same thing twice into one file.
mkdir -p "$(dirname "$target")"
exec 9>"$target.lock"
flock 9
if [ -x "$target" ]; then echo "$target"; exit 0; fi

export PATH="$PATH:/usr/local/go/bin"
# The checksum database has no entry for components-contrib v1.18.0 behind this proxy; its module is
# still fetched from the proxy and hashed into the wrapper's go.sum, only not cross-checked there.
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/dapr/components-contrib"
command -v go >/dev/null || { log "Go is needed to build daprd $DAPR_VERSION and was not found (install Go >= 1.26)"; exit 1; }
log "building daprd $DAPR_VERSION from the Go module proxy (first time on this machine; cached in $target)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init anychat.local/daprd-build >/dev/null 2>&1
go mod edit -require="github.com/dapr/dapr@v$DAPR_VERSION"
upstream_mod="$(go mod download -json "github.com/dapr/dapr@v$DAPR_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
[ -f "$upstream_mod" ] || { log "could not download github.com/dapr/dapr@v$DAPR_VERSION from the Go module proxy"; exit 1; }
# Repeat the upstream replace directives, read with `go mod edit -json` (no hand-maintained copy).
go mod edit -json "$upstream_mod" | node -e '
  const mod = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const r of mod.Replace ?? []) {
    const from = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
    const to = r.New.Version ? `${r.New.Path}@${r.New.Version}` : r.New.Path;
    console.log(`-replace=${from}=${to}`);
  }' | xargs -r go mod edit
go mod edit -go="$(go mod edit -json "$upstream_mod" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).Go)')"
go mod edit -tool=github.com/dapr/dapr/cmd/daprd
log "resolving modules"
GOFLAGS=-tags=allcomponents go mod tidy >&2
log "compiling (-tags allcomponents)"
mkdir -p "$(dirname "$target")"
go build -tags allcomponents -trimpath -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION" \
  -o "$target.partial" github.com/dapr/dapr/cmd/daprd >&2
mv "$target.partial" "$target"
log "built $target"
echo "$target"
