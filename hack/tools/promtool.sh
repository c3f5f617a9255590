#!/usr/bin/env bash
# Builds promtool (github.com/prometheus/prometheus/cmd/promtool) at PROMETHEUS_VERSION from
# hack/versions.env from source through the Go module proxy, into a per-user cache directory
# outside the clone keyed by that version, and prints the binary's path on stdout. Does nothing
# but print it when the binary is already there.
#
# `make test-alerts` runs `promtool check rules` and `promtool test rules` on Amber's alerts
# (config/prometheus). No prebuilt Prometheus release can be downloaded on the machines Amber
# is developed and tested on, so it is compiled here, with `go install` in its own module
# (Prometheus' requirements stay out of Amber's go.mod). A cold build (downloads included) took
# 44 minutes of wall time on 2 cores shared with a load of 35-40, for 6.5 minutes of CPU: expect
# about 5 minutes on a quiet machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../versions.env
source "$here/../versions.env"

cache_root=${AMBER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amber}
dir="$cache_root/promtool-${PROMETHEUS_VERSION}"
bin="$dir/bin/promtool"

if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

log() { printf '[promtool] %s\n' "$*" >&2; }

mkdir -p "$cache_root"
# Two test targets started together must not build it twice.
exec 9>"$cache_root/.promtool.lock"
if ! flock -n 9; then
  log "another build of promtool is running (its lock: $cache_root/.promtool.lock); waiting for it"
  flock 9
fi
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi

staging=$(mktemp -d "$cache_root/.promtool.XXXXXX")
trap 'rm -rf "$staging"' EXIT
start=$SECONDS
log "building promtool ${PROMETHEUS_VERSION} from source into $dir/bin (about 5 minutes cold on a quiet machine)"
# promtool --version reports the module version (Prometheus tags release 3.x.y as Go module
# version v0.3xx.y).
pkg=github.com/prometheus/common/version
# remove_all_sd is Prometheus' own build tag leaving out the service-discovery plugins (the
# AWS, Azure, GCP, … SDKs, most of a cold build); promtool's rule checks and tests need none.
CGO_ENABLED=0 GOBIN="$staging" GOFLAGS=-trimpath go install -tags remove_all_sd \
  -ldflags "-s -w -X $pkg.Version=${PROMETHEUS_VERSION} -X $pkg.Branch=HEAD -X $pkg.BuildUser=amber" \
  "github.com/prometheus/prometheus/cmd/promtool@${PROMETHEUS_VERSION}"
mkdir -p "$dir/bin"
mv "$staging/promtool" "$bin"
log "ready after $((SECONDS - start))s"
echo "$bin"
