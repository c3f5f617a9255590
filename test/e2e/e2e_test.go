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
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// brokenWorkload passes the CRD's validation and its image is pinned, but the API server
// refuses its pods: a container name must be a DNS label.
func brokenWorkload() string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: broken
spec:
  template:
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: Web_Server
        image: %s
`, pullSecret, image(brokenImage))
}

// privateWorkload runs an image of the suite's registry, which wants credentials, without
// naming a pull secret.
func privateWorkload() string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: private
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: app
        image: %s
`, image(privateImage))
}

// applySamples applies config/samples the way a user of another registry would: through an
// overlay that points the sample's image at the suite's registry and names its pull secret.
// The sample itself names the demo's registry.
func applySamples(ctx context.Context) {
	GinkgoHelper()
	overlay := GinkgoT().TempDir()
	samples := must(filepath.Rel(overlay, filepath.Join(repoRoot, "config", "samples")))
	kustomization := fmt.Sprintf(`apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- %s
images:
- name: 127.0.0.1:5001/amber/payments
  newName: %s/amber/payments
patches:
- target:
    kind: GDPRWorkload
  patch: |-
    - op: add
      path: /spec/template/spec/imagePullSecrets
      value:
      - name: %s
`, samples, registry.Host, pullSecret)
	Expect(os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(kustomization), 0o600)).To(Succeed())
	rendered := kubectl(ctx, "kustomize", overlay)
	Expect(rendered).To(ContainSubstring("image: "+image(sampleImage)), "the sample runs %s from the demo's registry", sampleImage)
	kubectl(ctx, "apply", "--server-side", "-n", namespace, "-k", overlay)
}

// podImages returns the image of every container of the workload's pods, one pod a line.
func podImages(ctx context.Context, workload string) []string {
	out := kubectl(ctx, "get", "pods", "-n", namespace, "-l", "gdpr.amber.dev/workload="+workload, "-o",
		`jsonpath={range .items[*]}{.spec.containers[*].image}{"\n"}{end}`)
	return strings.Fields(out)
}

const (
	workloadSelector = "gdpr.amber.dev/workload=payments"
	waitTimeout      = 2 * time.Minute
)

func podNames(ctx context.Context) []string {
	out := kubectl(ctx, "get", "pods", "-n", namespace, "-l", workloadSelector, "-o", "name")
	return strings.Fields(out)
}

func waitReady(ctx context.Context) {
	GinkgoHelper()
	kubectl(ctx, "wait", "-n", namespace, "--for=condition=Ready", "gdprw/payments", "--timeout="+waitTimeout.String())
}

// eventuallyRunning waits until the sample has exactly n pods, all Running on kwok nodes.
func eventuallyRunning(ctx context.Context, n int) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		out, err := k8s.Run(ctx, "get", "pods", "-n", namespace, "-l", workloadSelector, "-o",
			`jsonpath={range .items[*]}{.metadata.name}{" "}{.status.phase}{" "}{.spec.nodeName}{" "}{.metadata.deletionTimestamp}{"\n"}{end}`)
		g.Expect(err).NotTo(HaveOccurred())
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if strings.TrimSpace(out) == "" {
			lines = nil
		}
		g.Expect(lines).To(HaveLen(n), "pods:\n%s", out)
		for _, l := range lines {
			g.Expect(strings.Fields(l)).To(HaveLen(3), "a pod not Running on a node, or being deleted: %q", l)
			g.Expect(strings.Fields(l)[1]).To(Equal("Running"))
			g.Expect(strings.Fields(l)[2]).To(HavePrefix("kwok-"))
		}
	}, waitTimeout, 500*time.Millisecond).Should(Succeed())
}

var _ = Describe("Amber on a cluster", Ordered, func() {
	It("is accepted by the API server as config/default deploys it", func(ctx SpecContext) {
		// The namespace is created for real: a server-side dry run creates nothing, so the
		// namespaced objects of the same dry run would otherwise find no namespace.
		_, _ = k8s.Run(ctx, "create", "namespace", "amber-system")
		out := kubectl(ctx, "apply", "--server-side", "--force-conflicts", "--dry-run=server", "-k", filepath.Join(repoRoot, "config", "default"))
		Expect(out).To(ContainSubstring("deployment.apps/amber-controller-manager serverside-applied (server dry run)"))
		Expect(out).To(ContainSubstring("clusterrole.rbac.authorization.k8s.io/amber-manager-role serverside-applied (server dry run)"))
	})

	It("runs the sample until it is Ready, its pods Running on kwok nodes", func(ctx SpecContext) {
		applySamples(ctx)
		waitReady(ctx)
		eventuallyRunning(ctx, 3)

		digest := digests[sampleImage]
		out := kubectl(ctx, "get", "gdprw", "-n", namespace)
		Expect(out).To(MatchRegexp(`(?m)^NAME\s+DESIRED\s+PODS-READY\s+REVISION\s+READY\s+IN-SYNC\s+DIGEST\s+HARDENING\s+AGE`))
		Expect(out).To(MatchRegexp(`(?m)^payments\s+3\s+3\s+[0-9a-f]{10}\s+True\s+True\s+%s\s+Immutable\s+`, digest))
		revision := kubectl(ctx, "get", "gdprw/payments", "-n", namespace, "-o", "jsonpath={.status.currentRevision}")
		labels := kubectl(ctx, "get", "pods", "-n", namespace, "-l", workloadSelector, "-o", `jsonpath={range .items[*]}{.metadata.labels.gdpr\.amber\.dev/revision}{" "}{end}`)
		Expect(strings.Fields(labels)).To(HaveEach(revision))

		By("running the image by the digest the registry served, the tag kept for people to read")
		Expect(kubectl(ctx, "get", "gdprw/payments", "-n", namespace, "-o", `jsonpath={.status.conditions[?(@.type=="ImagesPinned")].status}`)).To(Equal("True"))
		Expect(podImages(ctx, "payments")).To(HaveEach(image(sampleImage) + "@" + digest))
	})

	It("does not pin an image the registry refuses without credentials, and pins it once the template names a pull secret", func(ctx SpecContext) {
		_, err := k8s.RunWithInput(ctx, privateWorkload(), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=ImagesPinned=false", "gdprw/private", "--timeout="+waitTimeout.String())
		Expect(kubectl(ctx, "get", "gdprw/private", "-n", namespace, "-o", `jsonpath={.status.conditions[?(@.type=="ImagesPinned")].reason}`)).
			To(Equal("Unauthorized"))
		Expect(kubectl(ctx, "get", "gdprw/private", "-n", namespace, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)).
			To(Equal("False"))
		Expect(podImages(ctx, "private")).To(BeEmpty(), "no pod is made from an image that is not pinned")

		kubectl(ctx, "patch", "gdprw/private", "-n", namespace, "--type=json", "-p",
			fmt.Sprintf(`[{"op":"add","path":"/spec/template/spec/imagePullSecrets","value":[{"name":%q}]}]`, pullSecret))
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=Ready", "gdprw/private", "--timeout="+waitTimeout.String())
		Expect(kubectl(ctx, "get", "gdprw/private", "-n", namespace, "-o", `jsonpath={.status.conditions[?(@.type=="ImagesPinned")].status}`)).To(Equal("True"))
		Eventually(func() []string { return podImages(ctx, "private") }, waitTimeout, 500*time.Millisecond).
			Should(And(HaveLen(2), HaveEach(image(privateImage)+"@"+digests[privateImage])))
		kubectl(ctx, "delete", "-n", namespace, "gdprw/private", "--wait=true", "--timeout="+waitTimeout.String())
	})

	It("replaces a pod deleted with kubectl", func(ctx SpecContext) {
		before := podNames(ctx)
		victim := before[0]
		kubectl(ctx, "delete", "-n", namespace, victim, "--wait=false")
		Eventually(func() []string { return podNames(ctx) }, waitTimeout, 200*time.Millisecond).ShouldNot(ContainElement(victim))
		eventuallyRunning(ctx, 3)
		waitReady(ctx)
		events := kubectl(ctx, "events", "-n", namespace, "--for", "gdprw/payments")
		Expect(events).To(ContainSubstring("PodCreated"))
	})

	It("scales with kubectl scale: 3 → 5 → 1", func(ctx SpecContext) {
		for _, replicas := range []string{"5", "1"} {
			kubectl(ctx, "scale", "-n", namespace, "gdprw/payments", "--replicas="+replicas)
			Eventually(func() string {
				return kubectl(ctx, "get", "gdprw/payments", "-n", namespace, "-o", "jsonpath={.status.observedGeneration}/{.metadata.generation}")
			}, waitTimeout, 200*time.Millisecond).Should(Satisfy(func(s string) bool {
				parts := strings.Split(s, "/")
				return len(parts) == 2 && parts[0] == parts[1]
			}))
			waitReady(ctx)
			n := map[string]int{"5": 5, "1": 1}[replicas]
			eventuallyRunning(ctx, n)
			Expect(kubectl(ctx, "get", "gdprw/payments", "-n", namespace, "-o", "jsonpath={.status.readyReplicas}")).To(Equal(replicas))
		}
	})

	It("refuses at apply, with the API server's reason, a template whose pods it would refuse, a server-side dry run too", func(ctx SpecContext) {
		// The GDPRWorkload webhook dry-runs one of the template's pods (Validation at apply
		// time): the error shows at kubectl apply, or a GitOps sync, instead of a Stalled
		// workload afterwards. The stall itself, for a workload stored past the check, is
		// covered by the envtest suite.
		for _, dryRun := range []string{"--dry-run=server", "--dry-run=none"} {
			_, err := k8s.RunWithInput(ctx, brokenWorkload(), "apply", "--server-side", dryRun, "-n", namespace, "-f", "-")
			Expect(err).To(MatchError(And(
				ContainSubstring(`admission webhook "gdprworkloads.admission.gdpr.amber.dev" denied the request`),
				ContainSubstring("the API server would refuse the pods this template makes"),
				ContainSubstring(`spec.containers[0].name: Invalid value: "Web_Server"`),
			)), dryRun)
		}
		_, err := k8s.Run(ctx, "get", "-n", namespace, "gdprw/broken")
		Expect(err).To(MatchError(ContainSubstring("NotFound")), "a refused workload is not stored")
	})

	It("deletes the pods of a deleted workload, records the deletion last and keeps the history", func(ctx SpecContext) {
		kubectl(ctx, "delete", "-n", namespace, "gdprw/payments", "--wait=true", "--timeout="+waitTimeout.String())
		Expect(podNames(ctx)).To(BeEmpty())

		timeline := kubectl(ctx, "get", "ae", "-n", namespace, "-l", workloadSelector, "--sort-by=.spec.sequence")
		lines := strings.Split(strings.TrimSpace(timeline), "\n")
		Expect(lines[0]).To(MatchRegexp(`^NAME\s+SEQ\s+TYPE\s+REASON\s+SUBJECT\s+AGE`))
		Expect(lines[1]).To(MatchRegexp(`^payments-0000000001\s+1\s+WorkloadCreated\s+Created\s+payments\s`),
			"a workload entry's subject is its workload")
		last := lines[len(lines)-1]
		if strings.Contains(last, "Checkpoint") {
			last = lines[len(lines)-2]
		}
		Expect(last).To(MatchRegexp(`\sWorkloadDeleted\s+Deleted\s`))
		Expect(kubectl(ctx, "get", "ae", "-n", namespace, "-l", "gdpr.amber.dev/type=PodCreated,"+workloadSelector, "-o", "name")).NotTo(BeEmpty())
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=Ready", "auditledger/payments", "--timeout="+waitTimeout.String())
		ledgerTable := kubectl(ctx, "get", "auditledger", "payments", "-n", namespace)
		Expect(ledgerTable).To(MatchRegexp(`(?m)^NAME\s+ENTRIES\s+HEAD\s+READY\s+VERIFIED\s+LAST VERIFIED\s+AGE`))
		Expect(ledgerTable).To(MatchRegexp(`(?m)^payments\s+\d+\s+\d+\s+True\s+True\s+\S+\s+\S+`))

		By("verifying the ledger online, through kubectl's plugin mechanism")
		out := kubectl(ctx, "amber", "verify", "-n", namespace, "payments", "--max-unsigned=20")
		Expect(out).To(MatchRegexp(`^%s/payments: OK: entries 1 to \d+`, namespace))

		By("verifying a saved copy offline with the published public key")
		dir := GinkgoT().TempDir()
		events := filepath.Join(dir, "events.json")
		pub := publicKeyFile(ctx)
		Expect(os.WriteFile(events, []byte(kubectl(ctx, "get", "ae", "-n", namespace, "-l", workloadSelector, "-o", "json")), 0o600)).To(Succeed())
		out = kubectl(ctx, "amber", "verify", "-f", events, "--public-key", pub)
		Expect(out).To(ContainSubstring("/payments: OK"))

		By("an edited copy fails, naming the entry")
		edited := strings.Replace(string(must(os.ReadFile(events))), `"reason": "Created"`, `"reason": "Imported"`, 1)
		Expect(os.WriteFile(events, []byte(edited), 0o600)).To(Succeed())
		out, err := k8s.Run(ctx, "amber", "verify", "-f", events, "--public-key", pub)
		Expect(err).To(MatchError(ContainSubstring("exit status 1")))
		Expect(out).To(ContainSubstring("/payments: FAILED at entry 1: its content does not match its hash"))
	})
})

func must[T any](v T, err error) T {
	GinkgoHelper()
	Expect(err).NotTo(HaveOccurred())
	return v
}

// publicKeyFile saves the ledger's published public key as a user would, and returns its path.
func publicKeyFile(ctx context.Context) string {
	GinkgoHelper()
	pub := filepath.Join(GinkgoT().TempDir(), "amber.pub")
	Expect(os.WriteFile(pub, []byte(kubectl(ctx, "get", "configmap", "amber-ledger-public-key", "-n", "amber-system", "-o", `jsonpath={.data.amber\.pub}`)), 0o600)).To(Succeed())
	return pub
}
