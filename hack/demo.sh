#!/usr/bin/env bash
# `make demo`: builds what is missing, starts the simulated cluster, installs the CRDs, starts a
# registry on 127.0.0.1:5001 and pushes the sample's image to it, runs the manager from source
# in the background, applies config/samples and waits until it is Ready, its image pinned.
#
#   hack/demo.sh up             the whole demo
#   hack/demo.sh stop-manager   stop the demo's manager (the cluster and the registry keep running)
#   hack/demo.sh stop-registry  stop the demo's registry
#   hack/demo.sh down           stop the manager and the registry, and delete the cluster
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
log() { printf '\033[1m[demo]\033[0m %s\n' "$*" >&2; }

kubeconfig=$("$here/cluster.sh" kubeconfig)
state=$(dirname "$kubeconfig")
pidfile="$state/amber-manager.pid"
logfile="$state/amber-manager.log"
# The registry the sample's image lives in; config/samples names it. The manager must be told
# that it answers over plain HTTP (--insecure-registries), even on loopback.
registry_host=127.0.0.1:5001
registry_dir="$state/registry"
registry_pidfile="$state/amber-registry.pid"
registry_logfile="$state/amber-registry.log"
sample_image="$registry_host/amber/payments:1.4"
# The API server reaches the manager's admission webhooks on https://localhost:$webhook_port.
webhook_port=${WEBHOOK_PORT:-9443}
# The manager acts as its own user (impersonated by the demo's admin, in group system:masters):
# admission lets the manager's writes through by user name, and you, the admin, must not share it.
manager_kubeconfig="$state/amber-manager.kubeconfig"

# wait_for_webhook waits until the manager has installed its webhook configuration and its
# webhook server answers over TLS with the certificate the configuration trusts: from then on
# the API server can ask it, and applying a GDPRWorkload is checked rather than refused.
webhook_status=
wait_for_webhook() {
  log "waiting for the manager's admission webhooks: the configuration installed, the server answering over TLS"
  local ca
  ca=$(mktemp)
  for _ in $(seq 120); do
    if "$kubectl" get validatingwebhookconfiguration amber-admission -o jsonpath='{.webhooks[0].clientConfig.caBundle}' 2>/dev/null | base64 -d >"$ca" 2>/dev/null && [ -s "$ca" ]; then
      # An empty review is no request: the server answers it without deciding anything. What
      # matters is that TLS verifies against the CA bundle the API server uses.
      if webhook_status=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$ca" -X POST -H 'Content-Type: application/json' -d '{}' \
        "https://localhost:$webhook_port/validate-pods" 2>/dev/null); then
        rm -f "$ca"
        return 0
      fi
    fi
    sleep 0.5
  done
  rm -f "$ca"
  log "the admission webhooks did not come up; the manager's log ends with:"
  tail -n 30 "$logfile" >&2
  exit 1
}

# close_door shows that the door is closed: every workload carries AdmissionGuarded=True, and
# the objects Amber installed.
close_door() {
  if ! "$kubectl" wait --for=condition=AdmissionGuarded gdprw/payments -n default --timeout 1m >&2; then
    log "the admission configuration is not guarded; the manager's log ends with:"
    tail -n 30 "$logfile" >&2
    exit 1
  fi
  echo "\$ kubectl get validatingwebhookconfiguration,validatingadmissionpolicy,validatingadmissionpolicybinding -l app.kubernetes.io/managed-by=amber"
  "$kubectl" get validatingwebhookconfiguration,validatingadmissionpolicy,validatingadmissionpolicybinding -l app.kubernetes.io/managed-by=amber
  echo "The door is closed: the webhook server answers https://localhost:$webhook_port/validate-pods over TLS, verified with the configuration's CA bundle (HTTP $webhook_status), and gdprw/payments is AdmissionGuarded."
  echo
}

# stop_process stops the process whose pid is in pidfile, if it still runs.
stop_process() {
  local what=$1 pidfile=$2 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping the demo's $what (pid $pid)"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$pidfile"
}
stop_manager() { stop_process manager "$pidfile"; }
stop_registry() { stop_process registry "$registry_pidfile"; }

listening() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

# start_registry runs the distribution registry built with the control plane, storing images
# under the cluster's directory (deleted with it), and waits until it answers.
start_registry() {
  local bin=$1
  stop_registry
  if listening "$registry_host"; then
    log "$registry_host is taken by another process; the demo's registry needs it (config/samples names it)"
    exit 1
  fi
  mkdir -p "$registry_dir/storage"
  cat >"$registry_dir/config.yml" <<YAML
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $registry_dir/storage
  delete:
    enabled: true
http:
  addr: $registry_host
  secret: amber-demo
YAML
  log "starting a registry on $registry_host (log: $registry_logfile)"
  # No OpenTelemetry collector listens here: without these the registry keeps trying one.
  OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none \
    nohup "$bin/registry" serve "$registry_dir/config.yml" >"$registry_logfile" 2>&1 &
  echo $! >"$registry_pidfile"
  for _ in $(seq 100); do
    listening "$registry_host" && return 0
    kill -0 "$(cat "$registry_pidfile")" 2>/dev/null || break
    sleep 0.1
  done
  log "the registry did not start; its log ends with:"
  tail -n 20 "$registry_logfile" >&2
  exit 1
}

up() {
  local bin
  log "starting the demo: the control plane (built from source on the first run), a cluster, a registry and the manager"
  # On a first run this is the whole control-plane build: it says what it builds, and how
  # long it has taken every 30 seconds, on standard error.
  bin=$("$here/controlplane/build.sh")
  "$here/cluster.sh" up
  export KUBECONFIG="$kubeconfig"
  local kubectl="$bin/kubectl"

  log "installing the CRDs"
  "$kubectl" apply --server-side --force-conflicts -k "$root/config/crd" >&2
  # kubectl wait fails at once, rather than waiting, on a CRD so new that its status holds
  # no conditions yet ("accessor error: <nil>"): ask again until it is Established.
  local crd
  for crd in gdprworkloads auditevents auditledgers; do
    for _ in $(seq 60); do
      "$kubectl" wait --for=condition=Established "crd/$crd.gdpr.amber.dev" --timeout 5s >/dev/null 2>&1 && continue 2
      sleep 1
    done
    log "the CRD $crd.gdpr.amber.dev did not become Established"; exit 1
  done

  # The manager's namespace holds the audit ledger's signing and pseudonym keys.
  "$kubectl" create namespace amber-system --dry-run=client -o yaml | "$kubectl" apply --server-side -f - >/dev/null

  start_registry "$bin"
  (cd "$root" && go build -o bin/pushimage ./hack/pushimage)
  local digest
  digest=$("$root/bin/pushimage" "$sample_image")
  log "pushed $sample_image ($digest), built with go-containerregistry"

  log "building and starting the manager (log: $logfile)"
  (cd "$root" && go build -o bin/manager ./cmd)
  stop_manager
  "$kubectl" config view --raw --minify --flatten -o json | python3 -c '
import json, sys
config = json.load(sys.stdin)
for user in config["users"]:
    user["user"]["as"] = "amber-manager"
    user["user"]["as-groups"] = ["system:masters"]
json.dump(config, sys.stdout)' >"$manager_kubeconfig"
  KUBECONFIG="$manager_kubeconfig" nohup "$root/bin/manager" --leader-elect --leader-election-namespace default \
    --metrics-bind-address 127.0.0.1:8080 --health-probe-bind-address 127.0.0.1:8081 \
    --insecure-registries "$registry_host" \
    --webhook-port "$webhook_port" --webhook-url "https://localhost:$webhook_port" \
    >"$logfile" 2>&1 &
  echo $! >"$pidfile"

  # Applying a GDPRWorkload goes through the manager's webhook, which fails closed: wait for it.
  wait_for_webhook
  log "applying config/samples"
  "$kubectl" apply --server-side --force-conflicts -n default -k "$root/config/samples" >&2
  log "waiting for the sample workload to be Ready"
  if ! "$kubectl" wait --for=condition=Ready gdprw/payments -n default --timeout 2m >&2; then
    log "the sample did not get Ready; the manager's log ends with:"
    tail -n 30 "$logfile" >&2
    exit 1
  fi
  echo "\$ kubectl get gdprw"
  "$kubectl" get gdprw -n default
  echo
  echo "\$ kubectl get pods -l gdpr.amber.dev/workload=payments -o wide"
  "$kubectl" get pods -n default -l gdpr.amber.dev/workload=payments -o wide
  echo
  echo "The pods run the image by its digest (pushed as $sample_image, $digest):"
  "$kubectl" get pods -n default -l gdpr.amber.dev/workload=payments \
    -o jsonpath='{range .items[*]}{.metadata.name}{"\t"}{.spec.containers[*].image}{"\n"}{end}'
  echo
  # The record reads the ledger's Verified condition, which the ledger's own reconciler sets
  # moments after the entries land.
  (cd "$root" && go build -o bin/kubectl-amber ./cmd/kubectl-amber)
  "$kubectl" wait --for=condition=Verified auditledger/payments -n default --timeout 1m >/dev/null
  echo "\$ kubectl amber records -n default     # the record of processing (GDPR Art. 30), with what Amber proves"
  PATH="$root/bin:$PATH" "$root/bin/kubectl-amber" records -n default --kubeconfig "$kubeconfig"
  close_door
  local pod
  pod=$("$kubectl" get pods -n default -l gdpr.amber.dev/workload=payments -o jsonpath='{.items[0].metadata.name}')
  echo "\$ kubectl label pod $pod app=tampered --overwrite     # an in-place change: refused, and recorded"
  "$kubectl" label pod -n default "$pod" app=tampered --overwrite 2>&1 || true
  echo
  cat <<TXT

Amber is running. Try:
  export KUBECONFIG=$kubeconfig
  alias kubectl=$kubectl
  kubectl get gdprw -o wide                                   # workloads, their Ready condition and pinned image
  kubectl get gdprw payments -o jsonpath='{.status.pinnedImages}'   # what each container's image is pinned to
  go run ./hack/pushimage $registry_host/amber/payments:1.5   # another image, then:
  kubectl patch gdprw payments --type=json -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"$registry_host/amber/payments:1.5"}]'
  kubectl get pods -l gdpr.amber.dev/workload=payments -L gdpr.amber.dev/revision
  kubectl delete pod -l gdpr.amber.dev/workload=payments --wait=false   # Amber replaces them
  kubectl scale gdprw/payments --replicas=5
  kubectl label pod -l gdpr.amber.dev/workload=payments app=tampered --overwrite   # refused by the door (or, past it, drift: Amber replaces them)
  kubectl delete validatingwebhookconfiguration amber-admission   # put back within seconds, recorded:
  kubectl get ae -l gdpr.amber.dev/type=AdmissionConfigTampered
  kubectl debug \$(kubectl get pod -l gdpr.amber.dev/workload=payments -o name | head -1) --image=busybox --profile=general
  kubectl get ae -l gdpr.amber.dev/type=AccessDenied          # who tried to change a pod in place (pseudonymised)
  kubectl get ae -l gdpr.amber.dev/type=DriftDetected         # what drifted, and the field manager that did it
  kubectl events --for gdprw/payments                         # what Amber did, and why
  kubectl get ae -l gdpr.amber.dev/workload=payments --sort-by=.spec.sequence   # the audit ledger
  kubectl get auditledger payments                            # its head and Verified condition
  export PATH=\$PWD/bin:\$PATH                                 # kubectl finds the kubectl-amber plugin there
  kubectl amber verify payments                               # the ledger's chain and signed checkpoints
  kubectl amber records                                       # the Art. 30 record of every workload, with its evidence
  kubectl amber records -o fides                              # the same as a fideslang system manifest (also -o csv, -o json)
  kubectl amber records --strict; echo \$?                     # 1 when the evidence contradicts a declaration
  kubectl explain gdprw.spec
  kubectl explain gdprw.spec.processing                       # the record of processing (GDPR Art. 30), field by field
  tail -f $logfile                                            # the manager's log
  tail -f $registry_logfile                                   # the registry's log

Stop everything with: make demo-down
TXT
}

case "${1:-}" in
  up) up ;;
  stop-manager) stop_manager ;;
  stop-registry) stop_registry ;;
  down) stop_manager; stop_registry; "$here/cluster.sh" down ;;
  *) echo "usage: $0 up|stop-manager|stop-registry|down" >&2; exit 2 ;;
esac
