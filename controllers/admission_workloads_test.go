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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/admission"
)

// These specs apply workloads with the suite's client, a user other than the manager's, so
// that the GDPRWorkload webhook is called; managerClient, the manager's user, is exempt.
var _ = Describe("Validation at apply time", func() {
	ctx := context.Background()

	// The API server picks Amber's configuration up from an informer, a moment after the
	// suite installed it: wait until a workload only the webhook refuses is refused.
	BeforeEach(func() {
		probe := workload(operatorNamespace, "webhook-probe", 1, "registry.example/app:1")
		probe.Spec.Template.Spec.Containers[0].Name = "Not_A_DNS_Label"
		Eventually(func() error {
			return k8sClient.Create(ctx, probe, client.DryRunAll)
		}, timeout, interval).Should(MatchError(ContainSubstring(admission.WorkloadRefusedPrefix)))
	})

	// withCPU gives the workload's container a CPU request and limit.
	withCPU := func(w *gdprv1alpha1.GDPRWorkload, cpu string) *gdprv1alpha1.GDPRWorkload {
		q := resource.MustParse(cpu)
		w.Spec.Template.Spec.Containers[0].Resources = corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: q},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: q},
		}
		return w
	}

	// expectNothingWritten checks that a refused apply left no trace in the namespace: no
	// workload, no pod, no ledger, no ledger entry, no Event.
	expectNothingWritten := func(namespace, name string) {
		GinkgoHelper()
		err := k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &gdprv1alpha1.GDPRWorkload{})
		Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the refused workload must not exist: %v", err)
		Consistently(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8sClient.List(ctx, pods, client.InNamespace(namespace))).To(Succeed())
			g.Expect(pods.Items).To(BeEmpty())
			entries := &gdprv1alpha1.AuditEventList{}
			g.Expect(k8sClient.List(ctx, entries, client.InNamespace(namespace))).To(Succeed())
			g.Expect(entries.Items).To(BeEmpty())
			ledgers := &gdprv1alpha1.AuditLedgerList{}
			g.Expect(k8sClient.List(ctx, ledgers, client.InNamespace(namespace))).To(Succeed())
			g.Expect(ledgers.Items).To(BeEmpty())
			events := &eventsv1.EventList{}
			g.Expect(k8sClient.List(ctx, events, client.InNamespace(namespace))).To(Succeed())
			g.Expect(events.Items).To(BeEmpty())
		}, "2s", interval).Should(Succeed())
	}

	// refusedWith applies w and expects the API server's refusal of its pods, as
	// the webhook returns it. The namespace's policy objects reach the API server's admission
	// plugins through informers: a dry run is retried until they see them.
	refusedWith := func(w *gdprv1alpha1.GDPRWorkload, apiServerSays string) {
		GinkgoHelper()
		Eventually(func() error {
			return k8sClient.Create(ctx, w.DeepCopy(), client.DryRunAll)
		}, timeout, interval).Should(MatchError(ContainSubstring(apiServerSays)))
		err := k8sClient.Create(ctx, w.DeepCopy())
		Expect(err).To(MatchError(ContainSubstring(admission.WorkloadRefusedPrefix)))
		Expect(err).To(MatchError(ContainSubstring(apiServerSays)))
		Expect(err).To(MatchError(ContainSubstring(`admission webhook "` + admission.WorkloadsWebhook + `" denied the request`)))
	}

	It("refuses a container name that only the pod's validation refuses, with the API server's message", func() {
		ns := newNamespace(ctx)
		w := workload(ns, "bad-name", 1, "registry.example/app:1")
		w.Spec.Template.Spec.Containers[0].Name = "Not_A_DNS_Label"

		By("the workload's schema takes it: the manager's own user, exempt from the webhook, may dry-run it")
		Expect(managerClient.Create(ctx, w.DeepCopy(), client.DryRunAll)).To(Succeed())

		By("anyone else is refused, with what the API server says of the pod")
		refusedWith(w, `spec.containers[0].name: Invalid value: "Not_A_DNS_Label"`)
		expectNothingWritten(ns, w.Name)
	})

	It("refuses pods that exceed the namespace's ResourceQuota", func() {
		ns := newNamespace(ctx)
		quota := &corev1.ResourceQuota{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "compute"},
			Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourceRequestsCPU: resource.MustParse("1")}},
		}
		Expect(k8sClient.Create(ctx, quota)).To(Succeed())
		// envtest runs no quota controller: play it, or the API server refuses every pod
		// with "status unknown for quota".
		quota.Status = corev1.ResourceQuotaStatus{
			Hard: quota.Spec.Hard,
			Used: corev1.ResourceList{corev1.ResourceRequestsCPU: resource.MustParse("0")},
		}
		Expect(k8sClient.Status().Update(ctx, quota)).To(Succeed())

		refusedWith(withCPU(workload(ns, "greedy", 1, "registry.example/app:1"), "2"),
			"exceeded quota: compute, requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=1")
		expectNothingWritten(ns, "greedy")

		By("a workload whose pod fits is taken")
		Expect(k8sClient.Create(ctx, withCPU(workload(ns, "modest", 1, image("app:1")), "500m"))).To(Succeed())
	})

	It("refuses a template that breaks the namespace's PodSecurity level yet passes Amber's own rules, and takes the pods Amber hardens", func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			GenerateName: "amber-test-",
			Labels:       map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
		}}
		Expect(k8sClient.Create(ctx, ns)).To(Succeed())

		w := workload(ns.Name, "chown", 1, "registry.example/app:1")
		w.Spec.Hardening.Profile = gdprv1alpha1.HardeningBaseline
		w.Spec.Template.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{
			Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"CHOWN"}},
		}
		By("Amber's Baseline profile allows adding CHOWN: the manager's own user may dry-run it")
		Expect(managerClient.Create(ctx, w.DeepCopy(), client.DryRunAll)).To(Succeed())

		refusedWith(w, `violates PodSecurity "restricted:latest"`)
		expectNothingWritten(ns.Name, w.Name)

		By("the same template under the default Immutable profile: the settings Amber fills in are what restricted asks")
		Expect(k8sClient.Create(ctx, workload(ns.Name, "hardened", 1, image("app:1")))).To(Succeed())
	})

	It("refuses a container above the namespace's LimitRange maximum, and checks an update only when the pod changes", func() {
		ns := newNamespace(ctx)
		w := withCPU(workload(ns, "limited", 1, image("app:1")), "1")
		Expect(k8sClient.Create(ctx, w)).To(Succeed())

		Expect(k8sClient.Create(ctx, &corev1.LimitRange{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "small"},
			Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
				Type: corev1.LimitTypeContainer,
				Max:  corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")},
			}}},
		})).To(Succeed())
		const limitRangeSays = "maximum cpu usage per Container is 500m, but limit is 1"
		refusedWith(withCPU(workload(ns, "new", 1, "registry.example/app:1"), "1"), limitRangeSays)

		By("scaling the existing workload makes the same pods: not checked again, taken")
		Expect(applyAs(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Replicas = ptr.To[int32](2) })).To(Succeed())

		By("a new template is checked, and refused")
		err := applyAs(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Spec.Containers[0].Image = image("app:2")
		})
		Expect(err).To(MatchError(ContainSubstring(admission.WorkloadRefusedPrefix)))
		Expect(err).To(MatchError(ContainSubstring(limitRangeSays)))
	})

	It("checks a server-side dry run (kubectl apply --dry-run=server) like an apply, and stores nothing of either", func() {
		ns := newNamespace(ctx)
		bad := workload(ns, "dry-bad", 1, "registry.example/app:1")
		bad.Spec.Template.Spec.Containers[0].Name = "Not_A_DNS_Label"
		err := k8sClient.Create(ctx, bad, client.DryRunAll)
		Expect(err).To(MatchError(ContainSubstring(admission.WorkloadRefusedPrefix)))
		Expect(err).To(MatchError(ContainSubstring(`spec.containers[0].name: Invalid value: "Not_A_DNS_Label"`)))

		good := workload(ns, "dry-good", 1, "registry.example/app:1")
		Expect(k8sClient.Create(ctx, good, client.DryRunAll)).To(Succeed())
		expectNothingWritten(ns, bad.Name)
		expectNothingWritten(ns, good.Name)
	})
})

// applyAs edits a workload with the suite's client (a user the webhook checks), retrying
// when the controller's own write got in between, and returns the API server's answer.
func applyAs(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, edit func(*gdprv1alpha1.GDPRWorkload)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current := &gdprv1alpha1.GDPRWorkload{}
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(w), current); err != nil {
			return err
		}
		edit(current)
		return k8sClient.Update(ctx, current)
	})
}
