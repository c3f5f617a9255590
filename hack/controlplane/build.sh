#!/usr/bin/env bash
# Builds what Amber's tests run on from source through the Go module proxy: the control plane
# (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, kwok, kwokctl) and
# the distribution registry the manager pins images against. They go into a per-user cache
# directory keyed by the versions in hack/versions.env, which is printed on stdout. Does
# nothing but print it when the binaries are already there.
#
# Prebuilt binaries (setup-envtest, kind, kwokctl's downloads, registry images) cannot be
# fetched on the machines Amber is developed and tested on, so everything is compiled here.
# A cold build takes about 18 minutes on 2 cores. After a version bump only the part that
# changed is built: the other binaries are copied from the cache directory of the old
# versions when it is still there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../versions.env
source "$here/../versions.env"

cache_root=${AMBER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amber}
key="k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_distribution-${DISTRIBUTION_VERSION}"
bin="$cache_root/$key/bin"

# The binaries in three parts, each built from its own versions. The Kubernetes binaries
# and etcd share one module (hack/controlplane/go.mod), so both versions shape all five.
kube_binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd)
kwok_binaries=(kwok kwokctl)
registry_binaries=(registry)
# A cache directory (of any versions) whose name matches these patterns holds that part as
# it would be built now.
kube_pattern="k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_*"
kwok_pattern="*_kwok-${KWOK_VERSION}"
kwok_pattern2="*_kwok-${KWOK_VERSION}_*"
registry_pattern="*_distribution-${DISTRIBUTION_VERSION}"

present() {
  local b
  for b in "$@"; do [ -x "$bin/$b" ] || return 1; done
}
complete() { present "${kube_binaries[@]}" "${kwok_binaries[@]}" "${registry_binaries[@]}"; }

if complete; then echo "$bin"; exit 0; fi

log() { printf '[controlplane] %s\n' "$*" >&2; }

mkdir -p "$cache_root"
# Two test targets started together must not build the same thing twice.
exec 9>"$cache_root/.build.lock"
if ! flock -n 9; then
  log "another build of the control plane is running (its lock: $cache_root/.build.lock); waiting for it"
  flock 9
fi
if complete; then echo "$bin"; exit 0; fi

staging=$(mktemp -d "$cache_root/.build.XXXXXX")
heartbeat_pid=
trap '[ -z "$heartbeat_pid" ] || kill "$heartbeat_pid" 2>/dev/null; rm -rf "$staging"' EXIT
start=$SECONDS

# heartbeat says, every AMBER_HEARTBEAT_SECONDS (30), that the build named goes on and how long
# it has taken: a cold build runs for tens of minutes, and silence looks like a hang. It
# stops at the next heartbeat call, or when the script ends.
heartbeat() {
  [ -z "$heartbeat_pid" ] || kill "$heartbeat_pid" 2>/dev/null
  local what=$1 every=${AMBER_HEARTBEAT_SECONDS:-30}
  # Off standard output, which callers capture for the directory: a sleep left behind by
  # the kill must not hold their command substitution open.
  (
    while sleep "$every"; do
      log "still building $what: $((SECONDS - start))s elapsed"
    done
  ) >&2 &
  heartbeat_pid=$!
}

# reuse copies the named binaries from another cache directory matching one of the patterns
# (before the first --) into staging; it fails when no directory holds them all.
reuse() {
  local patterns=() dirs=() dir b
  while [ "$1" != -- ]; do patterns+=("$1"); shift; done
  shift
  shopt -s nullglob
  for dir in "${patterns[@]}"; do
    # shellcheck disable=SC2206 # the pattern is meant to expand
    dirs+=("$cache_root"/$dir)
  done
  shopt -u nullglob
  for dir in "${dirs[@]}"; do
    [ -d "$dir/bin" ] && [ "$dir/bin" != "$bin" ] || continue
    for b in "$@"; do [ -x "$dir/bin/$b" ] || continue 2; done
    log "reusing $* from $dir/bin"
    for b in "$@"; do cp -pl "$dir/bin/$b" "$staging/$b" 2>/dev/null || cp -p "$dir/bin/$b" "$staging/$b"; done
    return 0
  done
  return 1
}

build_kube() {
  grep -q "k8s.io/kubernetes ${KUBERNETES_VERSION}" "$here/go.mod" && grep -q "go.etcd.io/etcd/server/v3 ${ETCD_VERSION}" "$here/go.mod" || {
    echo "hack/controlplane/go.mod does not match hack/versions.env; run 'make controlplane-mod'" >&2
    exit 1
  }
  local minor version_flags="" pkg
  minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    version_flags+=" -X $pkg.gitVersion=${KUBERNETES_VERSION} -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor}"
    version_flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  log "building Kubernetes ${KUBERNETES_VERSION} and etcd ${ETCD_VERSION} from source into $bin"
  log "a cold build takes 20 to 30 minutes on 2 cores (50 if the machine is busy); later runs reuse the cache"
  # heartbeat is called here, never inside a subshell: there it would set heartbeat_pid for the
  # subshell alone, and the parent could not stop the heartbeat, which would go on forever.
  heartbeat "Kubernetes ${KUBERNETES_VERSION}"
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w${version_flags}" -o "$staging/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl)
  log "Kubernetes built after $((SECONDS - start))s; building etcd"
  heartbeat "etcd ${ETCD_VERSION}"
  (cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$staging/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
  log "building kwok and kwokctl ${KWOK_VERSION} (about 3 minutes)"
  heartbeat "kwok ${KWOK_VERSION}"
  # kwok stays out of the module above: its requirements would lower kubernetes by version selection.
  CGO_ENABLED=0 GOBIN="$staging" GOFLAGS=-trimpath go install \
    "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}" "sigs.k8s.io/kwok/cmd/kwokctl@${KWOK_VERSION}"
}

build_registry() {
  log "building the distribution registry ${DISTRIBUTION_VERSION} (about 4 minutes)"
  heartbeat "the distribution registry ${DISTRIBUTION_VERSION}"
  # Its own module too, for the same reason.
  CGO_ENABLED=0 GOBIN="$staging" GOFLAGS=-trimpath go install \
    "github.com/distribution/distribution/v3/cmd/registry@${DISTRIBUTION_VERSION}"
}

built=()
if ! present "${kube_binaries[@]}"; then
  reuse "$kube_pattern" -- "${kube_binaries[@]}" || build_kube
  built+=("${kube_binaries[@]}")
fi
if ! present "${kwok_binaries[@]}"; then
  reuse "$kwok_pattern" "$kwok_pattern2" -- "${kwok_binaries[@]}" || build_kwok
  built+=("${kwok_binaries[@]}")
fi
if ! present "${registry_binaries[@]}"; then
  reuse "$registry_pattern" -- "${registry_binaries[@]}" || build_registry
  built+=("${registry_binaries[@]}")
fi

[ -z "$heartbeat_pid" ] || kill "$heartbeat_pid" 2>/dev/null
heartbeat_pid=
mkdir -p "$bin"
for b in "${built[@]}"; do mv "$staging/$b" "$bin/$b"; done
log "ready after $((SECONDS - start))s"
echo "$bin"
