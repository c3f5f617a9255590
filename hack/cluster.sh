#!/usr/bin/env bash
# Runs the simulated cluster Amber's demo and end-to-end tests use: the real control plane
# (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) built from source, with
# kwok playing the kubelet of fake nodes in EU and non-EU regions.
#
#   hack/cluster.sh up          start the cluster, or reuse it when it already runs
#   hack/cluster.sh down        delete it
#   hack/cluster.sh kubeconfig  print the path of its kubeconfig (and nothing else)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

name=${AMBER_CLUSTER_NAME:-amber}
workdir=${KWOK_WORKDIR:-$HOME/.kwok}
kubeconfig="$workdir/clusters/$name/kubeconfig.yaml"

if [ "${1:-}" = kubeconfig ]; then echo "$kubeconfig"; exit 0; fi

bin=$("$here/controlplane/build.sh")
export KWOK_KUBECTL_BINARY="$bin/kubectl"
export KWOK_WORKDIR="$workdir"
kwokctl() { "$bin/kwokctl" --name "$name" "$@"; }
kubectl() { "$bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }
log() { printf '[cluster] %s\n' "$*" >&2; }

running() {
  [ -f "$kubeconfig" ] && kubectl get --raw /readyz >/dev/null 2>&1
}

up() {
  if running; then
    log "cluster '$name' is already running"
  else
    if [ -d "$workdir/clusters/$name" ]; then
      log "cluster '$name' exists but does not answer; starting it again"
      kwokctl start cluster --timeout 2m >&2 || true
      # A cluster left by a machine that stopped may not come back (seen: its restarted API
      # server presenting a certificate its kubeconfig does not trust): start afresh rather
      # than wait on it again.
      if ! running; then
        log "cluster '$name' still does not answer; deleting it and creating it afresh"
        kwokctl delete cluster >&2 || true
      fi
    fi
    if ! running; then
      log "creating cluster '$name' (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok)"
      kwokctl create cluster --runtime binary \
        --kube-apiserver-binary "$bin/kube-apiserver" \
        --kube-controller-manager-binary "$bin/kube-controller-manager" \
        --kube-scheduler-binary "$bin/kube-scheduler" \
        --etcd-binary "$bin/etcd" \
        --kwok-controller-binary "$bin/kwok" \
        --kubeconfig "" \
        --wait 2m >&2
    fi
  fi
  # Fake nodes: kwok manages those annotated kwok.x-k8s.io/node=fake, reports them Ready and
  # runs the pods bound to them. Their region and zone labels are what data-residency rules read.
  kubectl apply --server-side --force-conflicts -f "$here/cluster/nodes.yaml" >&2
  kubectl wait --for=condition=Ready node --all --timeout 2m >&2
  log "ready; export KUBECONFIG=$kubeconfig"
}

case "${1:-}" in
  up) up ;;
  down)
    if [ -d "$workdir/clusters/$name" ]; then kwokctl delete cluster >&2; else log "no cluster '$name'"; fi ;;
  *) echo "usage: $0 up|down|kubeconfig" >&2; exit 2 ;;
esac
