#!/usr/bin/env bash
# Builds a Go program of an upstream module from the Go module proxy into the cache outside the
# clone, and prints the binary's path. Nothing from upstream is copied into the project: a throwaway
# wrapper module requires the upstream module and repeats its replace directives (Go ignores a
# dependency's replaces); replaces that point at directories inside the upstream repository (its
# staging modules) are pointed at those modules' published versions instead.
#
# Usage: go-build-tool.sh <name> <module> <version> <package> <published-version-of-local-replaces> [build flags...]
set -euo pipefail
name=$1 module=$2 version=$3 package=$4 local_version=$5
shift 5
CACHE_DIR="${ANYCHAT_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/anychat}"
target="$CACHE_DIR/$name-${version#v}/$name"
log() { echo "[$name] $*" >&2; }
if [ -x "$target" ]; then echo "$target"; exit 0; fi

# One build at a time per machine: suites started together (or a second checkout) wait for the
# first build and then use its binary, rather than compiling the same thing twice into one file.
mkdir -p "$(dirname "$target")"
exec 9>"$target.lock"
flock 9
if [ -x "$target" ]; then echo "$target"; exit 0; fi

export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { log "Go is needed to build $name $version and was not found (install Go >= 1.26)"; exit 1; }
log "building $name $version from the Go module proxy (first time on this machine; cached in $target)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init "anychat.local/$name-build" >/dev/null 2>&1
go mod edit -require="$module@$version"
upstream_mod="$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
[ -f "$upstream_mod" ] || { log "could not download $module@$version from the Go module proxy"; exit 1; }
go mod edit -json "$upstream_mod" | LOCAL_VERSION="$local_version" node -e '
  const mod = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const r of mod.Replace ?? []) {
    const from = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
    const local = !r.New.Version && (r.New.Path.startsWith("./") || r.New.Path.startsWith("../"));
    // A local replace of a path that cannot carry the published version (no /vN suffix) is not a dependency.
    const major = Number(process.env.LOCAL_VERSION.slice(1).split(".")[0]);
    if (local && major >= 2 && !r.Old.Path.endsWith(`/v${major}`)) continue;
    const to = local ? `${r.Old.Path}@${process.env.LOCAL_VERSION}` : r.New.Version ? `${r.New.Path}@${r.New.Version}` : r.New.Path;
    console.log(`-replace=${from}=${to}`);
  }' | xargs -r go mod edit
go mod edit -go="$(go mod edit -json "$upstream_mod" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).Go)')"
go mod edit -tool="$package"
log "resolving modules"
go mod tidy >&2
[ "$(go list -f '{{.Name}}' "$package")" = main ] || { log "$package is not a program (package main)"; exit 1; }
log "compiling"
mkdir -p "$(dirname "$target")"
go build -trimpath "$@" -o "$target.partial" "$package" >&2
mv "$target.partial" "$target"
log "built $target"
echo "$target"
