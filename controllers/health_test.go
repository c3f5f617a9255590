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

package controllers

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/argocdhealth"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// healthDir holds Amber's Argo CD health script and its test cases, laid out as Argo CD's
// resource_customizations/<group>/<kind>/ with "_" for every kind of the group.
const healthDir = "../config/argocd/resource_customizations/gdpr.amber.dev/_"

// updateHealthTestdata, set by AMBER_UPDATE_HEALTH_TESTDATA=1, writes the objects these specs
// read into the health script's testdata (and their cases into health_test.yaml); without it
// the specs compare what they read with what is there, so the testdata stays what Amber writes.
var updateHealthTestdata = os.Getenv("AMBER_UPDATE_HEALTH_TESTDATA") == "1"

// argoHealthOf is the Argo CD health that matches a kstatus status under the kstatus contract.
var argoHealthOf = map[kstatus.Status]string{
	kstatus.CurrentStatus:    "Healthy",
	kstatus.InProgressStatus: "Progressing",
	kstatus.FailedStatus:     "Degraded",
}

// readUnstructured reads obj from the API server as the tools do: as unstructured content.
func readUnstructured(ctx context.Context, obj client.Object) *unstructured.Unstructured {
	GinkgoHelper()
	gvk, err := apiutil.GVKForObject(obj, scheme)
	Expect(err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), u)).To(Succeed())
	return u
}

// eventuallyComputes waits until kstatus computes want for obj as read from the API server
// and until check holds on it, then checks Amber's Argo CD script agrees and captures it as
// testdata file.
func eventuallyComputes(ctx context.Context, obj client.Object, want kstatus.Status, file string, check func(Gomega, *unstructured.Unstructured)) {
	GinkgoHelper()
	var u *unstructured.Unstructured
	Eventually(func(g Gomega) {
		u = readUnstructured(ctx, obj)
		if check != nil {
			check(g, u)
		}
		res, err := kstatus.Compute(u)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(Equal(want), res.Message)
	}, timeout, interval).Should(Succeed())
	computesAndCapture(u, want, file)
}

// computesAndCapture checks kstatus and the Argo CD script on u, then captures or compares it.
func computesAndCapture(u *unstructured.Unstructured, want kstatus.Status, file string) {
	GinkgoHelper()
	res, err := kstatus.Compute(u)
	Expect(err).NotTo(HaveOccurred())
	Expect(res.Status).To(Equal(want), res.Message)

	script, err := os.ReadFile(filepath.Join(healthDir, "health.lua"))
	Expect(err).NotTo(HaveOccurred())
	health, err := argocdhealth.Run(string(script), u.Object, false)
	Expect(err).NotTo(HaveOccurred())
	Expect(health.Status).To(Equal(argoHealthOf[want]), health.Message)
	if slices.ContainsFunc(conditionsOf(u), func(c metav1.Condition) bool {
		return c.Type == gdprv1alpha1.ReconcilingCondition || c.Type == gdprv1alpha1.StalledCondition
	}) && res.Message != "" && u.GetGeneration() == observedGenerationOf(u) {
		// kstatus tells Reconciling's or Stalled's message; Argo CD shows the same one.
		Expect(health.Message).To(Equal(res.Message))
	}
	if file == "" {
		return
	}

	u = u.DeepCopy()
	unstructured.RemoveNestedField(u.Object, "metadata", "managedFields")
	path := filepath.Join(healthDir, "testdata", file)
	if updateHealthTestdata {
		data, err := yaml.Marshal(u.Object)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(path, data, 0o644)).To(Succeed())
		Expect(argocdhealth.UpsertCase(filepath.Join(healthDir, "health_test.yaml"), argocdhealth.Case{
			InputPath: "testdata/" + file, HealthStatus: health,
		})).To(Succeed())
		return
	}
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred(), "capture it with AMBER_UPDATE_HEALTH_TESTDATA=1")
	storedJSON, err := yaml.YAMLToJSON(data)
	Expect(err).NotTo(HaveOccurred())
	stored := &unstructured.Unstructured{}
	Expect(stored.UnmarshalJSON(storedJSON)).To(Succeed(), "integers as the API server sends them")
	Expect(healthShape(stored)).To(Equal(healthShape(u)), "%s no longer matches what Amber writes: capture it again with AMBER_UPDATE_HEALTH_TESTDATA=1", path)
	cases, err := argocdhealth.ReadCases(filepath.Join(healthDir, "health_test.yaml"))
	Expect(err).NotTo(HaveOccurred())
	Expect(cases).To(ContainElement(HaveField("InputPath", "testdata/"+file)))
	for _, c := range cases {
		if c.InputPath == "testdata/"+file {
			Expect(c.HealthStatus.Status).To(Equal(health.Status))
		}
	}
}

func conditionsOf(u *unstructured.Unstructured) []metav1.Condition {
	raw, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	var out []metav1.Condition
	for _, r := range raw {
		m, _ := r.(map[string]any)
		c := metav1.Condition{}
		c.Type, _ = m["type"].(string)
		s, _ := m["status"].(string)
		c.Status = metav1.ConditionStatus(s)
		c.Reason, _ = m["reason"].(string)
		out = append(out, c)
	}
	return out
}

// healthShape is what decides an object's health, without what differs from run to run
// (names, times, UIDs, messages that carry them). AdmissionGuarded is left out: whether it
// is there yet depends on when the suite's admission configuration was installed, which
// the specs before this one decide, and it never changes what kstatus or the script say.
func healthShape(u *unstructured.Unstructured) map[string]any {
	observed := statusInt(u, "observedGeneration")
	var conditions []string
	for _, c := range conditionsOf(u) {
		if c.Type == gdprv1alpha1.AdmissionGuardedCondition {
			continue
		}
		conditions = append(conditions, c.Type+"="+string(c.Status)+"/"+c.Reason)
	}
	slices.Sort(conditions)
	return map[string]any{"kind": u.GetKind(), "generation": u.GetGeneration(), "observedGeneration": observed,
		"deleting": u.GetDeletionTimestamp() != nil, "conditions": conditions}
}

var _ = Describe("Health as Flux (kstatus) and Argo CD (health.lua) read it", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("computes a GDPRWorkload InProgress until observed and while rolling out, Current when Ready, InProgress again on a spec change, Failed when its pods are refused", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "payments", 2, image("health/app:1")))

		By("as the API server stores it, before Amber observed it")
		u, err := toUnstructured(w)
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Create(ctx, u, client.DryRunAll)).To(Succeed())
		Expect(statusInt(u, "observedGeneration")).To(BeEquivalentTo(-1), "the CRD's default")
		computesAndCapture(u, kstatus.InProgressStatus, "gdprworkload_not_observed.yaml")

		By("rolling out: pods made, none Ready")
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyComputes(ctx, w, kstatus.InProgressStatus, "gdprworkload_rolling_out.yaml", func(g Gomega, u *unstructured.Unstructured) {
			g.Expect(u.GetGeneration()).To(BeEquivalentTo(1))
			g.Expect(statusInt(u, "observedGeneration")).To(BeEquivalentTo(1))
			g.Expect(statusInt(u, "replicas")).To(BeEquivalentTo(2))
		})

		By("Ready")
		eventuallyReady(ctx, w, 2)
		eventuallyComputes(ctx, w, kstatus.CurrentStatus, "gdprworkload_ready.yaml", nil)

		By("a spec change not yet observed (generation 2, observedGeneration 1)")
		u = readUnstructured(ctx, w)
		containers, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
		containers[0].(map[string]any)["image"] = image("health/app:2")
		Expect(unstructured.SetNestedSlice(u.Object, containers, "spec", "template", "spec", "containers")).To(Succeed())
		Expect(k8sClient.Update(ctx, u, client.DryRunAll)).To(Succeed())
		Expect(u.GetGeneration()).To(BeEquivalentTo(2))
		computesAndCapture(u, kstatus.InProgressStatus, "gdprworkload_generation_not_observed.yaml")

		By("the change observed and rolled out")
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Template.Spec.Containers[0].Image = image("health/app:2") })
		eventuallyReady(ctx, w, 2)
		eventuallyComputes(ctx, w, kstatus.CurrentStatus, "", nil)

		By("its AuditLedger, verified")
		l := &gdprv1alpha1.AuditLedger{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: w.Name}}
		eventuallyComputes(ctx, l, kstatus.CurrentStatus, "auditledger_verified.yaml", func(g Gomega, u *unstructured.Unstructured) {
			g.Expect(meta.IsStatusConditionTrue(conditionsOf(u), gdprv1alpha1.VerifiedCondition)).To(BeTrue())
		})

		By("pods the API server refuses")
		bad := workload(ns, "invalid", 1, image("health/app:1"))
		bad.Spec.Template.Spec.Containers[0].Name = "Not_A_DNS_Label"
		Expect(managerClient.Create(ctx, bad)).To(Succeed())
		eventuallyComputes(ctx, bad, kstatus.FailedStatus, "gdprworkload_pod_rejected.yaml", nil)
	})

	It("computes an AuditLedger whose chain is broken Failed", func(ctx SpecContext) {
		appendEntries(ctx, ns, "forged", 3)
		l := &gdprv1alpha1.AuditLedger{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "forged"}}
		eventuallyComputes(ctx, l, kstatus.CurrentStatus, "", nil)
		victim := &gdprv1alpha1.AuditEvent{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: ledger.EntryName("forged", 2)}, victim)).To(Succeed())
		Expect(k8sClient.Delete(ctx, victim)).To(Succeed())
		eventuallyComputes(ctx, l, kstatus.FailedStatus, "auditledger_tampered.yaml", nil)
	})

	It("computes a BreakGlass Current while open, InProgress while touched pods are replaced, Current after, Failed on a missing workload", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "touched", 2, image("health/app:1")))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		touchedPod := activePods(ctx, w)[0]

		By("a BreakGlass written as people and GitOps tools write it (duration: 10m, not 10m0s)")
		written := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": gdprv1alpha1.GroupVersion.String(), "kind": "BreakGlass",
			"metadata": map[string]any{"name": "written", "namespace": ns},
			"spec":     map[string]any{"workload": w.Name, "operations": []any{"exec"}, "duration": "10m", "reason": "INC-4711: as written in Git"},
		}}
		Expect(k8sClient.Create(ctx, written)).To(Succeed())
		eventuallyComputes(ctx, written, kstatus.CurrentStatus, "", nil)

		open := newBreakGlass(ns, "open", w.Name, time.Hour)
		Expect(k8sClient.Create(ctx, open)).To(Succeed())
		eventuallyComputes(ctx, open, kstatus.CurrentStatus, "breakglass_open.yaml", nil)

		short := newBreakGlass(ns, "short", w.Name, 3*time.Second)
		Expect(k8sClient.Create(ctx, short)).To(Succeed())
		eventuallyComputes(ctx, short, kstatus.CurrentStatus, "", nil)
		touch(ctx, short, touchedPod)
		untilClosed(short)
		eventuallyComputes(ctx, short, kstatus.InProgressStatus, "breakglass_replacing_touched_pods.yaml", nil)

		By("the fresh pod Ready, the touched pod goes and the BreakGlass is Current")
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			res, err := kstatus.Compute(readUnstructured(ctx, short))
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(res.Status).To(Equal(kstatus.CurrentStatus), res.Message)
		}, timeout, interval).Should(Succeed())
		eventuallyComputes(ctx, short, kstatus.CurrentStatus, "breakglass_touched_pods_replaced.yaml", nil)

		// Admission refuses a BreakGlass naming no workload; one stored past that check (made
		// before the webhook was installed) is made here by the manager's user, which it exempts.
		missing := newBreakGlass(ns, "missing", "no-such-workload", time.Hour)
		Expect(managerClient.Create(ctx, missing)).To(Succeed())
		eventuallyComputes(ctx, missing, kstatus.FailedStatus, "breakglass_workload_not_found.yaml", nil)
	})

	It("computes a Quarantine InProgress while Replacing, Current when Isolated and when Released, Failed when its pod does not exist", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "suspect", 2, image("health/app:1")))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		suspect := activePods(ctx, w)[0]

		q := newQuarantine(ns, "inc-4711", suspect.Name, 3*time.Second)
		Expect(k8sClient.Create(ctx, q)).To(Succeed())
		eventuallyComputes(ctx, q, kstatus.InProgressStatus, "quarantine_replacing.yaml", func(g Gomega, u *unstructured.Unstructured) {
			g.Expect(statusString(u, "phase")).To(Equal(string(gdprv1alpha1.QuarantineReplacing)))
		})
		var fresh corev1.Pod
		Eventually(func(g Gomega) {
			replacements := replacementsOf(ctx, w, suspect.Name)
			g.Expect(replacements).To(HaveLen(1))
			fresh = replacements[0]
		}, timeout, interval).Should(Succeed())
		markReady(ctx, fresh)
		eventuallyComputes(ctx, q, kstatus.CurrentStatus, "quarantine_isolated.yaml", func(g Gomega, u *unstructured.Unstructured) {
			g.Expect(statusString(u, "phase")).To(Equal(string(gdprv1alpha1.QuarantineIsolated)))
		})
		Eventually(func(g Gomega) {
			finalizePods(ctx, w)
			g.Expect(statusString(readUnstructured(ctx, q), "phase")).To(Equal(string(gdprv1alpha1.QuarantineReleased)))
		}, timeout, interval).Should(Succeed())
		eventuallyComputes(ctx, q, kstatus.CurrentStatus, "quarantine_released.yaml", nil)

		nothing := newQuarantine(ns, "nothing", "no-such-pod", time.Hour)
		Expect(k8sClient.Create(ctx, nothing)).To(Succeed())
		eventuallyComputes(ctx, nothing, kstatus.FailedStatus, "quarantine_pod_not_found.yaml", nil)
	})
})

func observedGenerationOf(u *unstructured.Unstructured) int64 {
	return statusInt(u, "observedGeneration")
}

func statusInt(u *unstructured.Unstructured, field string) int64 {
	v, _, _ := unstructured.NestedInt64(u.Object, "status", field)
	return v
}

func statusString(u *unstructured.Unstructured, field string) string {
	v, _, _ := unstructured.NestedString(u.Object, "status", field)
	return v
}

// toUnstructured turns a typed object the API server answered into the unstructured content
// the tools read.
func toUnstructured(obj client.Object) (*unstructured.Unstructured, error) {
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return nil, err
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(gvk)
	return u, nil
}
