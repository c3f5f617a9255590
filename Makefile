# Amber's build, test and demo entry points. `make help` lists them.

include hack/versions.env

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

IMG ?= ghcr.io/amber-gdpr/amber:latest
# Port of the webhook server of a manager run outside the cluster (`make run`, `make demo`).
WEBHOOK_PORT ?= 9443
CONTROLLER_GEN := go tool controller-gen
STATICCHECK := go tool staticcheck
GINKGO := go tool ginkgo

# The control plane (kube-apiserver, etcd, kwok, …) is built from source into this directory,
# outside the clone; hack/controlplane/build.sh prints it and builds only what is missing.
CONTROLPLANE_BIN = $(shell hack/controlplane/build.sh)
# promtool, built from source (hack/tools/promtool.sh) into a cache directory outside the clone.
PROMTOOL = $(shell hack/tools/promtool.sh)

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: ## Generate the CRDs and the manager's RBAC role from kubebuilder markers.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd:generateEmbeddedObjectMeta=true paths="./..." output:crd:artifacts:config=config/crd/bases
	go run ./hack/crdbounds config/crd/bases/gdpr.amber.dev_gdprworkloads.yaml

.PHONY: generate
generate: ## Generate DeepCopy methods for the API types.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."

.PHONY: verify-generated
verify-generated: generate manifests ## Fail when generated files differ from a fresh generation.
	@if [ -n "$$(git status --porcelain -- api config)" ]; then \
		echo "Generated files are out of date; run 'make generate manifests' and commit:"; \
		git status --porcelain -- api config; git diff --stat -- api config; exit 1; fi

.PHONY: fmt
fmt: ## Run go fmt.
	go fmt ./...

.PHONY: lint
lint: ## Run go vet and staticcheck.
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	go vet ./...
	go vet -tags e2e ./test/...
	go vet -tags failpoints ./internal/failpoint/
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags e2e ./test/...
	$(STATICCHECK) -tags failpoints ./internal/failpoint/

.PHONY: test
test: manifests generate ## Unit tests and envtest integration suites on a real kube-apiserver and etcd.
	KUBEBUILDER_ASSETS="$(CONTROLPLANE_BIN)" AMBER_PROMTOOL="$(PROMTOOL)" go test ./... -count=1 -coverprofile cover.out

.PHONY: test-alerts
test-alerts: ## promtool check rules and promtool test rules on Amber's alerts (config/prometheus), and the chart's copy of them.
	AMBER_PROMTOOL="$(PROMTOOL)" go test ./test/alerts/ -count=1 -v

.PHONY: chart-alerts
chart-alerts: ## Generate dist/chart/templates/prometheus/rules.yaml from config/prometheus/rules.yaml.
	go test ./test/alerts/ -count=1 -run TestChart -update

.PHONY: test-e2e
test-e2e: manifests generate cluster ## End-to-end suite on `make cluster` with the manager running (built with -tags failpoints), driving the real kubectl.
	@hack/demo.sh stop-manager
	export KUBECONFIG="$$(hack/cluster.sh kubeconfig)"; \
	AMBER_KUBECTL="$(CONTROLPLANE_BIN)/kubectl" go test ./test/e2e/ -tags e2e -count=1 -timeout 30m -v -ginkgo.v

.PHONY: bench-pinning
bench-pinning: manifests ## Measure image pinning with the manager's defaults: registry requests and pin latency for 1,000 workloads on 10 images, cold, warm, healthy and one registry down, 3 rounds (BENCH_PINNING_ARGS for more).
	KUBEBUILDER_ASSETS="$(CONTROLPLANE_BIN)" go run ./test/bench/pinning $(BENCH_PINNING_ARGS)

.PHONY: bench-ledger
bench-ledger: manifests ## Measure the audit ledger: bytes per entry from real workload lives, append throughput in 3 rounds, verification time (BENCH_LEDGER_ARGS for more).
	KUBEBUILDER_ASSETS="$(CONTROLPLANE_BIN)" go run ./test/bench/ledger $(BENCH_LEDGER_ARGS)

.PHONY: bench-admission
bench-admission: manifests ## Measure the latency admission adds to pod writes (label patches), p50/p99, ungoverned and governed pods (Audit allowed, Enforce refused), with and without the webhook configuration, 3 interleaved rounds of 500 (BENCH_ADMISSION_ARGS for more).
	KUBEBUILDER_ASSETS="$(CONTROLPLANE_BIN)" go run ./test/bench/admission $(BENCH_ADMISSION_ARGS)

.PHONY: bench-drift
bench-drift: manifests cluster ## Measure drift repair against the ReplicaSet controller and the bare-pod floor on `make cluster`: 3 rounds of 200 workloads × 5 pods, all seven drift kinds (BENCH_DRIFT_ARGS for more).
	@hack/demo.sh stop-manager
	export KUBECONFIG="$$(hack/cluster.sh kubeconfig)"; \
	AMBER_KUBECTL="$(CONTROLPLANE_BIN)/kubectl" go run ./test/bench/drift $(BENCH_DRIFT_ARGS)

.PHONY: bench-rollback
bench-rollback: manifests cluster ## Measure `kubectl amber rollback` of a GDPRWorkload of 100 pods against `kubectl rollout undo` of a Deployment of 100 pods on `make cluster`, same surge (25%, maxUnavailable 0), 3 interleaved rounds (BENCH_ROLLBACK_ARGS for more).
	@hack/demo.sh stop-manager
	export KUBECONFIG="$$(hack/cluster.sh kubeconfig)"; \
	AMBER_KUBECTL="$(CONTROLPLANE_BIN)/kubectl" go run ./test/bench/rollback -csv test/bench/results/rollback-100.csv $(BENCH_ROLLBACK_ARGS)

##@ Build

.PHONY: build
build: manifests generate ## Build the manager binary into bin/manager.
	go build -o bin/manager ./cmd

.PHONY: plugin-archives
plugin-archives: ## Cross-build the kubectl-amber archives krew installs into dist/ and write plugins/amber.yaml's uri and sha256 for VERSION (make plugin-archives VERSION=v0.2.0; DIST, MANIFEST, PLATFORMS change where and what).
	hack/plugin-archives.sh

.PHONY: run
run: manifests generate ## Run the manager from source against the current KUBECONFIG, in the foreground; the API server reaches its webhooks on https://localhost:$(WEBHOOK_PORT).
	go run ./cmd --webhook-port=$(WEBHOOK_PORT) --webhook-url=https://localhost:$(WEBHOOK_PORT)

.PHONY: docker-build
docker-build: ## Build the manager image with Docker (needs an engine, which the development machines lack; `make image` is the reference).
	docker build -t $(IMG) \
		--build-arg VERSION="$$(git describe --tags --always --dirty)" --build-arg REVISION="$$(git rev-parse HEAD)" .

# The registry `make image` pushes to; a distribution registry is started there when none listens.
REGISTRY ?= 127.0.0.1:5001
# `make image` pushes IMG when it is given, else $(REGISTRY)/amber/manager:latest (the default IMG,
# on ghcr.io, is for deploying a release, not for pushing from here).
IMAGE_IMG = $(if $(filter command line environment,$(origin IMG)),$(IMG),$(REGISTRY)/amber/manager:latest)

.PHONY: image
image: ## Build the manager image with ko, no Docker engine: linux/amd64 and linux/arm64, SBOM, pushed to REGISTRY as IMG.
	REGISTRY="$(REGISTRY)" IMG="$(IMAGE_IMG)" hack/image.sh build

.PHONY: test-image
test-image: ## Build the image into a registry of its own and check it: user 65532, no shell, /manager, labels, SBOM, both platforms.
	hack/image.sh test

##@ Control plane

.PHONY: controlplane
controlplane: ## Build kube-apiserver, etcd, kubectl, kwok, … from source (20 to 30 minutes cold).
	@hack/controlplane/build.sh >/dev/null

.PHONY: controlplane-mod
controlplane-mod: ## Regenerate hack/controlplane/go.mod after changing hack/versions.env.
	hack/controlplane/sync-mod.sh

.PHONY: envtest-assets
envtest-assets: ## Print the directory holding the control-plane binaries (KUBEBUILDER_ASSETS).
	@hack/controlplane/build.sh

.PHONY: kubectl
kubectl: ## Print the path of the kubectl built from source.
	@echo "$$(hack/controlplane/build.sh)/kubectl"

.PHONY: cluster
cluster: ## Start (or reuse) a simulated cluster: real control plane, kwok nodes in EU and US regions.
	@hack/cluster.sh up

.PHONY: cluster-down
cluster-down: ## Delete the simulated cluster.
	@hack/cluster.sh down

.PHONY: kubeconfig
kubeconfig: ## Print the path of the cluster's kubeconfig: export KUBECONFIG=$$(make -s kubeconfig)
	@hack/cluster.sh kubeconfig

##@ Deployment

.PHONY: install
install: manifests ## Apply the CRDs to the cluster of the current KUBECONFIG, and create the manager's namespace.
	"$(CONTROLPLANE_BIN)/kubectl" apply --server-side --force-conflicts -k config/crd
	"$(CONTROLPLANE_BIN)/kubectl" create namespace amber-system --dry-run=client -o yaml | "$(CONTROLPLANE_BIN)/kubectl" apply --server-side -f -

.PHONY: uninstall
uninstall: manifests ## Delete the CRDs (and every GDPRWorkload) from the current KUBECONFIG.
	"$(CONTROLPLANE_BIN)/kubectl" delete --ignore-not-found -k config/crd

.PHONY: deploy
deploy: manifests ## Deploy the manager with config/default (needs the image IMG in a registry the cluster reaches).
	"$(CONTROLPLANE_BIN)/kubectl" kustomize config/default | sed 's|ghcr.io/amber-gdpr/amber:latest|$(IMG)|' | \
		"$(CONTROLPLANE_BIN)/kubectl" apply --server-side -f -

.PHONY: build-installer
build-installer: manifests ## Write dist/install.yaml, the release manifest (namespace, CRDs, RBAC, manager Deployment, Services) from config/default, for the image IMG.
	go run ./hack/dist installer -img $(IMG)

.PHONY: helm-chart
helm-chart: manifests ## Regenerate the Helm chart's dist/chart/templates/crd and rbac from config/ (the rest of dist/chart is written by hand).
	go run ./hack/dist chart

##@ Demo

.PHONY: demo
demo: ## Build what is missing, start a cluster, a registry (127.0.0.1:5001) and the manager, apply the samples, wait until Ready.
	@hack/demo.sh up

.PHONY: demo-down
demo-down: ## Stop the demo's manager and registry, and delete its cluster.
	@hack/demo.sh down
