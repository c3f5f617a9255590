#!/usr/bin/env bash
# `make demo`: builds what is missing, starts the simulated cluster, installs the CRDs, runs the
# manager from source in the background, applies config/samples and waits until it is Ready.
#
#   hack/demo.sh up            the whole demo
#   hack/demo.sh stop-manager  stop the demo's manager (the cluster keeps running)
#   hack/demo.sh down          stop the manager and delete the cluster
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
log() { printf '\033[1m[demo]\033[0m %s\n' "$*" >&2; }

kubeconfig=$("$here/cluster.sh" kubeconfig)
state=$(dirname "$kubeconfig")
pidfile="$state/amber-manager.pid"
logfile="$state/amber-manager.log"

stop_manager() {
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping the demo's manager (pid $pid)"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$pidfile"
}

up() {
  local bin
  if ! bin=$("$here/controlplane/build.sh" 2>/dev/null); then :; fi
  [ -x "${bin:-}/kube-apiserver" ] || { log "first run: building the control plane from source (about 15 minutes)"; bin=$("$here/controlplane/build.sh"); }
  "$here/cluster.sh" up
  export KUBECONFIG="$kubeconfig"
  local kubectl="$bin/kubectl"

  log "installing the CRDs"
  "$kubectl" apply --server-side --force-conflicts -k "$root/config/crd" >&2
  "$kubectl" wait --for=condition=Established crd/gdprworkloads.gdpr.amber.dev --timeout 1m >/dev/null

  # The manager's namespace holds the audit ledger's signing and pseudonym keys.
  "$kubectl" create namespace amber-system --dry-run=client -o yaml | "$kubectl" apply --server-side -f - >/dev/null
  log "building and starting the manager (log: $logfile)"
  (cd "$root" && go build -o bin/manager ./cmd)
  stop_manager
  nohup "$root/bin/manager" --leader-elect --leader-election-namespace default \
    --metrics-bind-address 127.0.0.1:8080 --health-probe-bind-address 127.0.0.1:8081 \
    >"$logfile" 2>&1 &
  echo $! >"$pidfile"

  log "applying config/samples"
  "$kubectl" apply --server-side --force-conflicts -n default -k "$root/config/samples" >&2
  log "waiting for the sample workload to be Ready"
  if ! "$kubectl" wait --for=condition=Ready gdprw/payments -n default --timeout 2m >&2; then
    log "the sample did not get Ready; the manager's log ends with:"
    tail -n 30 "$logfile" >&2
    exit 1
  fi
  "$kubectl" get gdprw -n default
  echo
  "$kubectl" get pods -n default -l gdpr.amber.dev/workload=payments -o wide
  cat <<TXT

Amber is running. Try:
  export KUBECONFIG=$kubeconfig
  alias kubectl=$kubectl
  kubectl get gdprw -o wide                                   # workloads and their Ready condition
  kubectl get pods -l gdpr.amber.dev/workload=payments -L gdpr.amber.dev/revision
  kubectl delete pod -l gdpr.amber.dev/workload=payments --wait=false   # Amber replaces them
  kubectl scale gdprw/payments --replicas=5
  kubectl events --for gdprw/payments                         # what Amber did, and why
  kubectl get ae -l gdpr.amber.dev/workload=payments --sort-by=.spec.sequence   # the audit ledger
  kubectl get auditledger payments                            # its head and Verified condition
  go build -o bin/kubectl-amber ./cmd/kubectl-amber && PATH=\$PWD/bin:\$PATH kubectl amber verify payments
  kubectl explain gdprw.spec
  tail -f $logfile                                            # the manager's log

Stop everything with: make demo-down
TXT
}

case "${1:-}" in
  up) up ;;
  stop-manager) stop_manager ;;
  down) stop_manager; "$here/cluster.sh" down ;;
  *) echo "usage: $0 up|stop-manager|down" >&2; exit 2 ;;
esac
