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
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/test/cluster"
)

// GitOps tools apply what is committed with server-side apply under their own field manager,
// and apply it again on every sync: Argo CD as argocd-controller, Flux as kustomize-controller.
// A sync that finds something to change is a diff the user did not make (Argo CD shows the
// application OutOfSync; both write the object again, and a changed generation starts a
// rollout nobody asked for). These specs play such a tool against the live cluster.

// gitopsWorkload is the manifest a repository would hold: two pods of image.
func gitopsWorkload(name, image string) string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: %s
  labels:
    app.kubernetes.io/part-of: gitops-e2e
spec:
  replicas: 2
  # The drift below is made with kubectl as a person would, which admission refuses; drift
  # detection is what repairs it when admission is off or bypassed.
  admission:
    mode: "Off"
  template:
    metadata:
      labels:
        app: %s
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
`, name, name, pullSecret, image)
}

// syncApply applies manifest as the GitOps tool named by manager does on a sync.
func syncApply(ctx context.Context, manager, manifest string) {
	GinkgoHelper()
	_, err := k8s.RunWithInput(ctx, manifest, "apply", "--server-side", "--field-manager="+manager, "-n", namespace, "-f", "-")
	Expect(err).NotTo(HaveOccurred())
}

// serverDiff runs `kubectl diff --server-side` as manager would see it: the API server
// applies manifest in a dry run and kubectl compares the result with the live object. kubectl
// diff exits 0 when they are the same, 1 when they differ, more on an error.
func serverDiff(ctx context.Context, manager, manifest string) (out string, exitCode int) {
	GinkgoHelper()
	cmd := exec.CommandContext(ctx, k8s.Kubectl, "diff", "--server-side", "--field-manager="+manager, "-n", namespace, "-f", "-")
	cmd.Env = append(cmd.Environ(), "KUBECONFIG="+k8s.Kubeconfig)
	cmd.Stdin = strings.NewReader(manifest)
	b, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return string(b), exit.ExitCode()
	}
	Expect(err).NotTo(HaveOccurred(), string(b))
	return string(b), 0
}

// liveMeta reads the metadata of resource (kind/name) as the API server holds it.
func liveMeta(ctx context.Context, g Gomega, resource string) metav1.ObjectMeta {
	out, err := k8s.Run(ctx, "get", resource, "-n", namespace, "-o", "json", "--show-managed-fields")
	g.Expect(err).NotTo(HaveOccurred())
	var obj struct {
		Metadata metav1.ObjectMeta `json:"metadata"`
	}
	g.Expect(json.Unmarshal([]byte(out), &obj)).To(Succeed())
	return obj.Metadata
}

// expectNoDiff is a GitOps tool's sync of manifest against resource, which Amber reconciled
// since the last one: kubectl diff finds nothing, and applying it again changes neither the
// generation nor the resourceVersion (the API server writes nothing for an apply that changes
// nothing). resource must be settled first: a status write by Amber in between would change
// the resourceVersion without being a diff.
func expectNoDiff(ctx context.Context, manager, resource, manifest string) {
	GinkgoHelper()
	before := liveMeta(ctx, Default, resource)
	out, code := serverDiff(ctx, manager, manifest)
	Expect(code).To(Equal(0), "kubectl diff --server-side --field-manager=%s finds a change on %s:\n%s", manager, resource, out)
	Expect(out).To(BeEmpty())
	syncApply(ctx, manager, manifest)
	after := liveMeta(ctx, Default, resource)
	Expect(after.Generation).To(Equal(before.Generation), "generation of %s", resource)
	Expect(after.ResourceVersion).To(Equal(before.ResourceVersion), "resourceVersion of %s: the apply wrote something", resource)
	GinkgoWriter.Printf("%s synced again by %s: no diff, generation %d, resourceVersion %s unchanged\n",
		resource, manager, after.Generation, after.ResourceVersion)
}

// ownedPaths lists the fields a managedFields entry owns, to two levels under metadata
// ("metadata.finalizers", "metadata.labels") and one elsewhere ("spec", "status").
func ownedPaths(g Gomega, entry metav1.ManagedFieldsEntry) []string {
	var fields map[string]json.RawMessage
	g.Expect(json.Unmarshal(entry.FieldsV1.GetRawBytes(), &fields)).To(Succeed())
	var paths []string
	for top, raw := range fields {
		if top == "." {
			continue
		}
		name := strings.TrimPrefix(top, "f:")
		if name != "metadata" {
			paths = append(paths, name)
			continue
		}
		var children map[string]json.RawMessage
		g.Expect(json.Unmarshal(raw, &children)).To(Succeed())
		for child := range children {
			if child != "." {
				paths = append(paths, "metadata."+strings.TrimPrefix(child, "f:"))
			}
		}
	}
	sort.Strings(paths)
	return paths
}

// owners lists the managers whose entries on resource own the field at path ("f:spec",
// "f:users").
func owners(ctx context.Context, resource string, path ...string) []string {
	GinkgoHelper()
	var managers []string
	for _, entry := range liveMeta(ctx, Default, resource).ManagedFields {
		var fields map[string]any
		Expect(json.Unmarshal(entry.FieldsV1.GetRawBytes(), &fields)).To(Succeed())
		var node any = fields
		for _, step := range path {
			m, ok := node.(map[string]any)
			if !ok {
				node = nil
				break
			}
			node = m[step]
		}
		if node != nil {
			managers = append(managers, fmt.Sprintf("%s (%s)", entry.Manager, entry.Operation))
		}
	}
	return managers
}

// expectOthersOwnOnly checks that on resource every field manager but applier owns only
// status and the finalizers (or nothing beyond what allowed lists), and prints who owns what.
func expectOthersOwnOnly(ctx context.Context, applier, resource string, allowed ...string) {
	GinkgoHelper()
	meta := liveMeta(ctx, Default, resource)
	applied := false
	for _, entry := range meta.ManagedFields {
		paths := ownedPaths(Default, entry)
		GinkgoWriter.Printf("%s: %s (%s%s) owns %v\n", resource, entry.Manager, entry.Operation,
			map[bool]string{true: ", subresource " + entry.Subresource}[entry.Subresource != ""], paths)
		if entry.Manager == applier {
			applied = true
			Expect(entry.Operation).To(Equal(metav1.ManagedFieldsOperationApply))
			Expect(paths).To(ContainElement("spec"), "%s owns the spec it applied", applier)
			continue
		}
		for _, p := range paths {
			Expect(slices.Contains(allowed, p)).To(BeTrue(),
				"%s (%s) owns %s on %s, which %s applied: only %v may be written by others", entry.Manager, entry.Operation, p, resource, applier, allowed)
		}
	}
	Expect(applied).To(BeTrue(), "%s is among the managers of %s", applier, resource)
}

var _ = Describe("GitOps: a tool that server-side-applies the same manifest again finds nothing to change", Ordered, func() {
	var v1, v2, digest1, digest2 string
	BeforeAll(func(ctx SpecContext) {
		push := func(repoAndTag, text string) string {
			img, err := cluster.SmallImage("linux/amd64", text)
			Expect(err).NotTo(HaveOccurred())
			digest, err := cluster.Push(ctx, image(repoAndTag), img, registryAuth)
			Expect(err).NotTo(HaveOccurred())
			return digest.String()
		}
		v1, v2 = image("amber/gitops:v1"), image("amber/gitops:v2")
		digest1 = push("amber/gitops:v1", "Amber e2e gitops v1")
		digest2 = push("amber/gitops:v2", "Amber e2e gitops v2")
	})

	for _, tool := range []struct{ manager, workload string }{
		{"argocd-controller", "gitops-argocd"},
		{"kustomize-controller", "gitops-flux"},
	} {
		It(fmt.Sprintf("%s: through pinning, drift repair and a rollout, Amber writes only status and its finalizer", tool.manager), func(ctx SpecContext) {
			manager, name := tool.manager, tool.workload
			resource := "gdprworkload/" + name
			manifestV1, manifestV2 := gitopsWorkload(name, v1), gitopsWorkload(name, v2)

			By("the tool applies the workload; Amber adds its finalizer, pins the image and runs the pods")
			syncApply(ctx, manager, manifestV1)
			waitSettled(ctx, name, 2)
			eventuallyAllRun(ctx, name, 2, v1+"@"+digest1)
			Expect(kubectl(ctx, "get", resource, "-n", namespace, "-o", "jsonpath={.status.pinnedImages[0].digest}")).To(Equal(digest1))
			Expect(liveMeta(ctx, Default, resource).Finalizers).To(ContainElement(gdprv1alpha1.LedgerFinalizer),
				"the finalizer is in metadata, and yet no diff: the tool does not own it")
			expectNoDiff(ctx, manager, resource, manifestV1)

			By("a person edits a pod's labels; Amber replaces it")
			pods := workloadPods(ctx, Default, name)
			victim := pods[0]
			kubectl(ctx, "label", "-n", namespace, "pod/"+victim.Name, "app=tampered", "--overwrite")
			Eventually(func(g Gomega) {
				var uids []string
				for _, p := range workloadPods(ctx, g, name) {
					uids = append(uids, string(p.UID))
				}
				g.Expect(uids).To(HaveLen(2))
				g.Expect(uids).NotTo(ContainElement(string(victim.UID)))
			}, waitTimeout, interval).Should(Succeed())
			waitSettled(ctx, name, 2)
			Expect(kubectl(ctx, "get", resource, "-n", namespace, "-o", "jsonpath={.status.drift.replaced}")).To(Equal("1"))
			expectNoDiff(ctx, manager, resource, manifestV1)

			By("a commit changes the image tag: the tool's apply bumps the generation once, Amber rolls out")
			generation := liveMeta(ctx, Default, resource).Generation
			syncApply(ctx, manager, manifestV2)
			Expect(liveMeta(ctx, Default, resource).Generation).To(Equal(generation + 1))
			eventuallyAllRun(ctx, name, 2, v2+"@"+digest2)
			waitSettled(ctx, name, 2)
			Expect(kubectl(ctx, "get", resource, "-n", namespace, "-o", "jsonpath={.status.pinnedImages[0].digest}")).To(Equal(digest2))
			Expect(liveMeta(ctx, Default, resource).Generation).To(Equal(generation+1), "Amber's rollout wrote nothing into the spec")

			By("the next sync of that commit changes nothing")
			expectNoDiff(ctx, manager, resource, manifestV2)

			By("the managed fields: the tool owns what it applied, Amber only status and its finalizer")
			expectOthersOwnOnly(ctx, manager, resource, "status", "metadata.finalizers")
		})
	}

	It("a Quarantine applied by argocd-controller: no diff once Amber has quarantined the pod", func(ctx SpecContext) {
		const manager, workload = "argocd-controller", "gitops-argocd"
		pod := workloadPods(ctx, Default, workload)[0].Name
		manifest := fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: Quarantine
metadata:
  name: gitops-quarantine
spec:
  pod: %s
  reason: "INC-GITOPS-1: examine the pod"
`, pod)
		syncApply(ctx, manager, manifest)
		Eventually(func(g Gomega) {
			out, err := k8s.Run(ctx, "get", "quarantine", "gitops-quarantine", "-n", namespace, "-o",
				`jsonpath={.status.observedGeneration}/{.metadata.generation} {.status.phase} {.status.conditions[?(@.type=="Ready")].status}`)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(out).To(Equal("1/1 Isolated True"))
		}, waitTimeout, interval).Should(Succeed())
		Expect(liveMeta(ctx, Default, "quarantine/gitops-quarantine").Finalizers).To(ContainElement(gdprv1alpha1.QuarantineFinalizer))
		expectNoDiff(ctx, manager, "quarantine/gitops-quarantine", manifest)
		expectOthersOwnOnly(ctx, manager, "quarantine/gitops-quarantine", "status", "metadata.finalizers")
		kubectl(ctx, "delete", "quarantine", "gitops-quarantine", "-n", namespace, "--wait=true", "--timeout="+waitTimeout.String())
	})

	It("a BreakGlass applied by argocd-controller with users named: no diff", func(ctx SpecContext) {
		const manager = "argocd-controller"
		manifest := `
apiVersion: gdpr.amber.dev/v1alpha1
kind: BreakGlass
metadata:
  name: gitops-breakglass
spec:
  workload: gitops-argocd
  operations: [exec]
  reason: "INC-GITOPS-2: inspect the stuck queue"
  duration: 20s
  users: [alice]
`
		syncApply(ctx, manager, manifest)
		Eventually(func(g Gomega) {
			meta := liveMeta(ctx, g, "breakglass/gitops-breakglass")
			g.Expect(meta.Finalizers).To(ContainElement(gdprv1alpha1.BreakGlassFinalizer))
			out, err := k8s.Run(ctx, "get", "breakglass", "gitops-breakglass", "-n", namespace, "-o", "jsonpath={.status.observedGeneration} {.status.phase}")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(out).To(Equal("1 Active"))
		}, waitTimeout, interval).Should(Succeed())
		expectNoDiff(ctx, manager, "breakglass/gitops-breakglass", manifest)
		expectOthersOwnOnly(ctx, manager, "breakglass/gitops-breakglass", "status", "metadata.finalizers")
		kubectl(ctx, "delete", "breakglass", "gitops-breakglass", "-n", namespace, "--wait=true", "--timeout="+waitTimeout.String())
	})

	It("a BreakGlass applied by argocd-controller without users: defaulted to the applier, and yet no diff", func(ctx SpecContext) {
		const manager = "argocd-controller"
		manifest := `
apiVersion: gdpr.amber.dev/v1alpha1
kind: BreakGlass
metadata:
  name: gitops-breakglass-defaulted
spec:
  workload: gitops-argocd
  operations: [exec]
  reason: "INC-GITOPS-3: inspect the stuck queue"
  duration: 20s
`
		syncApply(ctx, manager, manifest)
		Eventually(func(g Gomega) {
			out, err := k8s.Run(ctx, "get", "breakglass", "gitops-breakglass-defaulted", "-n", namespace, "-o", "jsonpath={.status.observedGeneration} {.status.phase}")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(out).To(Equal("1 Active"))
		}, waitTimeout, interval).Should(Succeed())
		users := kubectl(ctx, "get", "breakglass", "gitops-breakglass-defaulted", "-n", namespace, "-o", "jsonpath={.spec.users}")
		GinkgoWriter.Printf("spec.users defaulted to %s\n", users)
		Expect(users).NotTo(BeEmpty(), "the mutating webhook named the creator")
		// The API server tracks the fields of the applied configuration before admission runs:
		// what the webhook added is owned by no manager, so the next apply, which does not
		// name users either, leaves them alone (and the immutable spec is not touched).
		Expect(owners(ctx, "breakglass/gitops-breakglass-defaulted", "f:spec", "f:users")).To(BeEmpty(), "nobody owns the defaulted spec.users")
		Expect(owners(ctx, "breakglass/gitops-breakglass-defaulted", "f:spec", "f:workload")).To(Equal([]string{manager + " (Apply)"}))
		expectNoDiff(ctx, manager, "breakglass/gitops-breakglass-defaulted", manifest)
		expectOthersOwnOnly(ctx, manager, "breakglass/gitops-breakglass-defaulted", "status", "metadata.finalizers")
		kubectl(ctx, "delete", "breakglass", "gitops-breakglass-defaulted", "-n", namespace, "--wait=true", "--timeout="+waitTimeout.String())
	})
})

// pruneDeployment is the baseline for pruning: a Deployment of replicas pods of image, as the
// GDPRWorkload it is compared with.
func pruneDeployment(name, image string, replicas int) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  replicas: %d
  selector:
    matchLabels:
      app: %s
  template:
    metadata:
      labels:
        app: %s
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
`, name, replicas, name, name, pullSecret, image)
}

// timedDelete deletes resource as a GitOps tool prunes it and returns how long it took until
// the object was gone: kubectl delete --wait returns once the API server no longer has it.
func timedDelete(ctx context.Context, resource string, args ...string) time.Duration {
	GinkgoHelper()
	start := time.Now()
	kubectl(ctx, append([]string{"delete", resource, "-n", namespace, "--wait=true", "--timeout=" + waitTimeout.String()}, args...)...)
	return time.Since(start)
}

// percentile is the nearest-rank p-th percentile of d.
func percentile(d []time.Duration, p float64) time.Duration {
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[max(rank, 0)]
}

var _ = Describe("GitOps pruning: the finalizer holds a deleted GDPRWorkload only while its pods go and its last entry is written", Ordered, func() {
	It("measures deletion to gone, round by round, beside a Deployment of the same pods and a ConfigMap", func(ctx SpecContext) {
		const rounds, replicas, manager = 5, 3, "kustomize-controller"
		var amber, foreground, background, configMap []time.Duration
		for round := 1; round <= rounds; round++ {
			workload, deployment, cm := fmt.Sprintf("prune-%d", round), fmt.Sprintf("prune-deploy-%d", round), fmt.Sprintf("prune-cm-%d", round)
			manifest := strings.Replace(gitopsWorkload(workload, image(burstImage)), "replicas: 2", fmt.Sprintf("replicas: %d", replicas), 1)
			syncApply(ctx, manager, manifest)
			waitSettled(ctx, workload, replicas)
			amber = append(amber, timedDelete(ctx, "gdprworkload/"+workload))
			Expect(workloadPods(ctx, Default, workload)).To(BeEmpty())
			// A checkpoint may follow it: it signs the chain, workload entries ended.
			entries := slices.DeleteFunc(ledgerEntries(ctx, Default, workload), func(e gdprv1alpha1.AuditEvent) bool {
				return e.Spec.Type == gdprv1alpha1.AuditCheckpoint
			})
			Expect(entries).NotTo(BeEmpty())
			Expect(entries[len(entries)-1].Spec.Type).To(Equal(gdprv1alpha1.AuditWorkloadDeleted), "the last entry is written before the workload goes")

			for _, cascade := range []string{"foreground", "background"} {
				syncApply(ctx, manager, pruneDeployment(deployment, image(burstImage), replicas))
				kubectl(ctx, "rollout", "status", "-n", namespace, "deployment/"+deployment, "--timeout="+waitTimeout.String())
				took := timedDelete(ctx, "deployment/"+deployment, "--cascade="+cascade)
				if cascade == "foreground" {
					foreground = append(foreground, took)
				} else {
					background = append(background, took)
				}
				Eventually(func() string {
					return kubectl(ctx, "get", "pods", "-n", namespace, "-l", "app="+deployment, "-o", "name")
				}, waitTimeout, interval).Should(BeEmpty())
			}

			syncApply(ctx, manager, fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  round: %q\n", cm, fmt.Sprint(round)))
			configMap = append(configMap, timedDelete(ctx, "configmap/"+cm))

			GinkgoWriter.Printf("prune round %d: GDPRWorkload (%d pods) %v, Deployment (%d pods) foreground %v, background %v, ConfigMap %v\n",
				round, replicas, amber[round-1].Round(time.Millisecond), replicas, foreground[round-1].Round(time.Millisecond),
				background[round-1].Round(time.Millisecond), configMap[round-1].Round(time.Millisecond))
		}
		for _, row := range []struct {
			what  string
			times []time.Duration
		}{
			{"GDPRWorkload, finalizer", amber},
			{"Deployment, --cascade=foreground", foreground},
			{"Deployment, --cascade=background", background},
			{"ConfigMap", configMap},
		} {
			GinkgoWriter.Printf("prune %-34s p50 %v max %v\n", row.what, percentile(row.times, 50).Round(time.Millisecond), percentile(row.times, 100).Round(time.Millisecond))
		}
		// The finalizer waits for the pods' deletion events, not a timer: a workload held until
		// the 5s recheck (pendingRecheck) instead would miss this bound. Within it, the hold is
		// what a foreground deletion of the same pods costs, plus the last ledger entry.
		Expect(percentile(amber, 50)).To(BeNumerically("<=", 2*percentile(foreground, 50)+time.Second),
			"a pruned GDPRWorkload goes about as fast as a Deployment deleted in the foreground")
	})
})
