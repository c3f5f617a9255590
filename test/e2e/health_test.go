//go:build e2e

/*
Copyright 2026 The Amber Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package e2e

import (
	"fmt"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func healthWorkload(tag string) string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: health
spec:
  replicas: 2
  template:
    metadata:
      labels:
        app: health
      annotations:
        example.com/tag: %q
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
        resources:
          requests: {cpu: 10m, memory: 16Mi}
          limits: {cpu: 10m, memory: 16Mi}
`, tag, pullSecret, image(burstImage))
}

// Every Amber kind with a status follows kstatus, so the waits users script work on each:
// kubectl wait --for=condition=Ready and --for=jsonpath='{.status.observedGeneration}'=N.
var _ = Describe("Health: kubectl wait for Ready and for the observed generation works on every kind", Ordered, func() {
	AfterAll(func(ctx SpecContext) {
		if !CurrentSpecReport().Failed() {
			_, _ = k8s.Run(ctx, "delete", "quarantine", "health-q", "-n", namespace, "--ignore-not-found", "--wait=false")
			_, _ = k8s.Run(ctx, "delete", "breakglass", "health-bg", "-n", namespace, "--ignore-not-found", "--wait=false")
			_, _ = k8s.Run(ctx, "delete", "gdprw", "health", "-n", namespace, "--ignore-not-found", "--wait=false")
		}
	})

	waitFor := func(ctx SpecContext, object string, generation int) {
		GinkgoHelper()
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=Ready", object, "--timeout="+waitTimeout.String())
		kubectl(ctx, "wait", "-n", namespace, fmt.Sprintf("--for=jsonpath={.status.observedGeneration}=%d", generation), object, "--timeout="+waitTimeout.String())
		Expect(kubectl(ctx, "get", object, "-n", namespace, "-o", "jsonpath={.metadata.generation}")).To(Equal(fmt.Sprint(generation)))
	}

	It("waits for a GDPRWorkload, and again after a spec change (generation 2)", func(ctx SpecContext) {
		_, err := k8s.RunWithInput(ctx, healthWorkload("1"), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		waitFor(ctx, "gdprworkload/health", 1)

		_, err = k8s.RunWithInput(ctx, healthWorkload("2"), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		waitFor(ctx, "gdprworkload/health", 2)
		Expect(kubectl(ctx, "get", "gdprworkload/health", "-n", namespace, "-o",
			`jsonpath={.status.conditions[?(@.type=="Reconciling")].status}{.status.conditions[?(@.type=="Stalled")].status}`)).To(BeEmpty(),
			"kstatus: Reconciling and Stalled are removed once Ready")
	})

	It("waits for the workload's AuditLedger, at the generation Amber last gave its spec", func(ctx SpecContext) {
		// Amber writes the ledger's spec from the workload's (retention), so its generation is
		// not the user's to know in advance: the wait names the one the API server reports.
		generation, err := strconv.Atoi(kubectl(ctx, "get", "auditledger/health", "-n", namespace, "-o", "jsonpath={.metadata.generation}"))
		Expect(err).NotTo(HaveOccurred())
		waitFor(ctx, "auditledger/health", generation)
	})

	It("waits for a BreakGlass", func(ctx SpecContext) {
		_, err := k8s.RunWithInput(ctx, `
apiVersion: gdpr.amber.dev/v1alpha1
kind: BreakGlass
metadata:
  name: health-bg
spec:
  workload: health
  operations: [exec]
  users: [alice]
  duration: 10m
  reason: "INC-HEALTH-1: check kubectl wait"
`, "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		waitFor(ctx, "breakglass/health-bg", 1)
	})

	It("waits for a Quarantine", func(ctx SpecContext) {
		pods := workloadPods(ctx, Default, "health")
		Expect(pods).NotTo(BeEmpty())
		_, err := k8s.RunWithInput(ctx, fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: Quarantine
metadata:
  name: health-q
spec:
  pod: %s
  keep: 1h
  reason: "INC-HEALTH-2: check kubectl wait"
`, pods[0].Name), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		waitFor(ctx, "quarantine/health-q", 1)
		Expect(kubectl(ctx, "get", "quarantine/health-q", "-n", namespace, "-o", "jsonpath={.status.phase}")).To(Equal("Isolated"))
	})
})
