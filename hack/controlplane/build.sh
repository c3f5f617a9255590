#!/usr/bin/env bash
# Builds the control plane Amber's tests run on (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, etcd, kwok, kwokctl) from source through the Go module proxy,
# into a per-user cache directory keyed by the versions in hack/versions.env, and prints
# that directory on stdout. Does nothing but print it when the binaries are already there.
#
# Prebuilt binaries (setup-envtest, kind, kwokctl's downloads) cannot be fetched on the
# machines Amber is developed and tested on, so everything is compiled here. A cold build
# takes about 18 minutes on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../versions.env
source "$here/../versions.env"

cache_root=${AMBER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amber}
bin="$cache_root/k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl)

complete() {
  local b
  for b in "${binaries[@]}"; do [ -x "$bin/$b" ] || return 1; done
}

if complete; then echo "$bin"; exit 0; fi

mkdir -p "$cache_root"
# Two test targets started together must not build the same thing twice.
exec 9>"$cache_root/.build.lock"
flock 9
if complete; then echo "$bin"; exit 0; fi

log() { printf '[controlplane] %s\n' "$*" >&2; }

grep -q "k8s.io/kubernetes ${KUBERNETES_VERSION}" "$here/go.mod" && grep -q "go.etcd.io/etcd/server/v3 ${ETCD_VERSION}" "$here/go.mod" || {
  echo "hack/controlplane/go.mod does not match hack/versions.env; run 'make controlplane-mod'" >&2
  exit 1
}

staging=$(mktemp -d "$cache_root/.build.XXXXXX")
trap 'rm -rf "$staging"' EXIT
start=$SECONDS

minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
version_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_flags+=" -X $pkg.gitVersion=${KUBERNETES_VERSION} -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor}"
  version_flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

log "building Kubernetes ${KUBERNETES_VERSION} and etcd ${ETCD_VERSION} from source into $bin"
log "a cold build takes about 15 minutes on 2 cores; later runs reuse the cache"
(
  cd "$here"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w${version_flags}" -o "$staging/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl
  log "Kubernetes built after $((SECONDS - start))s; building etcd"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$staging/etcd" go.etcd.io/etcd/server/v3
)
log "building kwok and kwokctl ${KWOK_VERSION} (about 3 minutes)"
# kwok stays out of the module above: its requirements would lower kubernetes by version selection.
CGO_ENABLED=0 GOBIN="$staging" GOFLAGS=-trimpath go install \
  "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}" "sigs.k8s.io/kwok/cmd/kwokctl@${KWOK_VERSION}"

mkdir -p "$bin"
for b in "${binaries[@]}"; do mv "$staging/$b" "$bin/$b"; done
log "control plane ready after $((SECONDS - start))s"
echo "$bin"
