#!/usr/bin/env bash
# Builds the manager image without a Docker engine: ko (github.com/google/ko) compiles the
# manager for linux/amd64 and linux/arm64 on a base made here (hack/image base), and pushes an
# OCI image index with an SPDX SBOM per image and for the index; hack/image finish then lays it
# out as the Dockerfile does (/manager, Entrypoint ["/manager"]). Everything goes to a loopback
# registry, started here when none listens.
#
#   hack/image.sh build           build and push IMG (default $REGISTRY/amber/manager:latest)
#   hack/image.sh test            build into a registry of its own, then run test/image on it
#   hack/image.sh ko              print the path of ko, built from source when missing
#   hack/image.sh stop-registry   stop the registry `build` started
#
# REGISTRY (127.0.0.1:5001, the demo's) and IMG come from the environment (the Makefile).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
# shellcheck source=versions.env
source "$here/versions.env"
log() { printf '[image] %s\n' "$*" >&2; }

cache_root=${AMBER_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/amber}
registry=${REGISTRY:-127.0.0.1:5001}
state="$cache_root/image-registry"

# ko_path prints the path of ko, building it from source through the Go module proxy into a
# cache directory keyed by its version, outside the clone, as hack/controlplane/build.sh does.
# In its own module (go install pkg@version): its requirements stay out of Amber's go.mod.
ko_path() {
  local dir="$cache_root/ko-${KO_VERSION}" staging start=$SECONDS
  if [ -x "$dir/bin/ko" ]; then echo "$dir/bin/ko"; return; fi
  mkdir -p "$cache_root"
  exec 8>"$cache_root/.ko-build.lock"
  flock 8
  if [ -x "$dir/bin/ko" ]; then echo "$dir/bin/ko"; return; fi
  log "building ko ${KO_VERSION} from source into $dir (a few minutes on 2 cores, once)"
  staging=$(mktemp -d "$cache_root/.ko-build.XXXXXX")
  # shellcheck disable=SC2064 # staging is meant to be expanded now
  trap "rm -rf '$staging'" EXIT
  CGO_ENABLED=0 GOBIN="$staging" GOFLAGS=-trimpath go install "github.com/google/ko@${KO_VERSION}"
  mkdir -p "$dir/bin"
  mv "$staging/ko" "$dir/bin/ko"
  log "ko ${KO_VERSION} built in $((SECONDS - start))s"
  echo "$dir/bin/ko"
}

listening() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

# start_registry runs the distribution registry built with the control plane on host:port,
# storing images under dir, and waits until it answers.
start_registry() {
  local host=$1 dir=$2 bin
  bin=$("$root/hack/controlplane/build.sh")
  mkdir -p "$dir/storage"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: $host
  secret: amber-image
YAML
  log "starting a registry on $host (log: $dir/registry.log)"
  # No OpenTelemetry collector listens here: without these the registry keeps trying one.
  OTEL_TRACES_EXPORTER=none OTEL_METRICS_EXPORTER=none OTEL_LOGS_EXPORTER=none \
    nohup "$bin/registry" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  echo $! >"$dir/registry.pid"
  for _ in $(seq 100); do
    listening "$host" && return 0
    kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null || break
    sleep 0.1
  done
  log "the registry did not start; its log ends with:"
  tail -n 20 "$dir/registry.log" >&2
  exit 1
}

stop_registry() {
  local dir=$1 pid
  [ -f "$dir/registry.pid" ] || return 0
  pid=$(cat "$dir/registry.pid")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping the registry (pid $pid)"
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$dir/registry.pid"
}

# build builds and pushes the image named $img to the registry $registry and prints its digest
# reference.
build() {
  local img=$1 ko version revision epoch base built ref start
  ko=$(ko_path)
  cd "$root"
  revision=$(git rev-parse HEAD)
  version=${VERSION:-$(git describe --tags --always --dirty)}
  # The commit's time stamps the config and the layers: the same commit builds the same image.
  epoch=$(git log -1 --format=%ct)
  start=$SECONDS

  log "building the base image (users 0 and 65532, /tmp, the CA bundle; no shell)"
  base=$(go run ./hack/image base "$registry/amber/base:static")
  log "base: $base"

  log "building the manager $version ($revision) with ko ${KO_VERSION}"
  # The labels are the Dockerfile's (ko takes them as flags only, not from .ko.yaml; a comma
  # would split a value).
  built=$(AMBER_VERSION="$version" SOURCE_DATE_EPOCH="$epoch" KO_DATA_DATE_EPOCH="$epoch" \
    KO_DOCKER_REPO="$registry/amber/ko-build" KO_DEFAULTBASEIMAGE="$base" \
    KOCACHE="$cache_root/ko-cache" \
    "$ko" build ./cmd --bare --sbom=spdx --tags="$version" --image-user=65532:65532 \
      --image-label=org.opencontainers.image.source=https://github.com/amber-gdpr/amber \
      --image-label=org.opencontainers.image.revision="$revision" \
      --image-label=org.opencontainers.image.version="$version" \
      --image-label=org.opencontainers.image.licenses=Apache-2.0 \
      --image-label=org.opencontainers.image.title=amber \
      --image-label="org.opencontainers.image.description=Amber keeps GDPR workloads pinned and audited on Kubernetes")
  log "ko pushed $built"

  ref=$(go run ./hack/image finish "$built" "$img")
  log "pushed $ref in $((SECONDS - start))s (base, ko build, layout)"
  echo "$ref"
}

case "${1:-build}" in
  ko) ko_path ;;
  build)
    if ! listening "$registry"; then
      case "$registry" in
        127.0.0.1:*|localhost:*) start_registry "$registry" "$state" ;;
        *) log "nothing listens on $registry; start a registry there or set REGISTRY"; exit 1 ;;
      esac
      log "the registry keeps running; stop it with: hack/image.sh stop-registry"
    fi
    build "${IMG:-$registry/amber/manager:latest}"
    ;;
  test)
    # A registry of its own on a free port, stopped at the end: a developer's registry on 5001
    # is left alone, and the test reads only what this build pushed.
    port=5101
    while listening "127.0.0.1:$port"; do port=$((port + 1)); done
    registry=127.0.0.1:$port
    dir=$(mktemp -d)
    trap 'stop_registry "$dir"; rm -rf "$dir"' EXIT
    start_registry "$registry" "$dir"
    ref=$(build "$registry/amber/manager:test")
    cd "$root"
    AMBER_IMAGE="$ref" go test ./test/image/ -tags image -count=1 -v
    ;;
  stop-registry) stop_registry "$state" ;;
  *) echo "usage: $0 build|test|ko|stop-registry" >&2; exit 2 ;;
esac
