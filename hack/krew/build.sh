#!/usr/bin/env bash
# Builds krew and its validate-krew-manifest (sigs.k8s.io/krew, KREW_VERSION in
# hack/versions.env) from source through the Go module proxy, in krew's own module: krew
# requires k8s.io/client-go v11.0.0+incompatible, which Amber's module cannot take. They go
# into a per-user cache directory keyed by the version, which is printed on stdout; nothing
# is built when they are already there. The plugin's tests install the archives of
# `make plugin-archives` with this krew and validate plugins/amber.yaml with krew's own rules.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../versions.env
source "$here/../versions.env"

cache_root=${AMBER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amber}
bin="$cache_root/krew-${KREW_VERSION}/bin"
present() { [ -x "$bin/krew" ] && [ -x "$bin/validate-krew-manifest" ]; }
if present; then echo "$bin"; exit 0; fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.krew-build.lock"
flock 9
if present; then echo "$bin"; exit 0; fi
staging=$(mktemp -d "$cache_root/.krew-build.XXXXXX")
trap 'rm -rf "$staging"' EXIT
printf '[krew] building krew %s from the Go module proxy\n' "$KREW_VERSION" >&2
# Outside any module (GOFLAGS cleared), so that krew's own go.mod decides its dependencies.
(cd "$staging" && GOFLAGS= GOBIN="$staging/bin" go install \
  "sigs.k8s.io/krew/cmd/krew@${KREW_VERSION}" "sigs.k8s.io/krew/cmd/validate-krew-manifest@${KREW_VERSION}")
mkdir -p "$(dirname "$bin")"
rm -rf "$bin"
mv "$staging/bin" "$bin"
echo "$bin"
