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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// newBreakGlass builds a BreakGlass opening the workload's pods for duration.
func newBreakGlass(ns, name, workload string, duration time.Duration) *gdprv1alpha1.BreakGlass {
	return &gdprv1alpha1.BreakGlass{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: gdprv1alpha1.BreakGlassSpec{
			Workload: workload, Operations: []gdprv1alpha1.BreakGlassOperation{gdprv1alpha1.BreakGlassExec},
			Reason: "INC-4711: examine the cache", Duration: metav1.Duration{Duration: duration},
		},
	}
}

// touch records pods as touched under bg, through the status subresource, as the BreakGlass
// controller does when admission lets an operation through.
func touch(ctx context.Context, bg *gdprv1alpha1.BreakGlass, pods ...corev1.Pod) {
	GinkgoHelper()
	Eventually(func() error {
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(bg), bg); err != nil {
			return err
		}
		for _, p := range pods {
			bg.Status.TouchedPods = append(bg.Status.TouchedPods, gdprv1alpha1.BreakGlassTouchedPod{Name: p.Name, UID: string(p.UID), FirstUsed: metav1.Now()})
		}
		return k8sClient.Status().Update(ctx, bg)
	}, timeout, interval).Should(Succeed())
}

func newQuarantine(ns, name, pod string, keep time.Duration) *gdprv1alpha1.Quarantine {
	return &gdprv1alpha1.Quarantine{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       gdprv1alpha1.QuarantineSpec{Pod: pod, Reason: "INC-4711: unexpected egress", Keep: metav1.Duration{Duration: keep}},
	}
}

func quarantineOf(ctx context.Context, q *gdprv1alpha1.Quarantine) func(Gomega) *gdprv1alpha1.Quarantine {
	return func(g Gomega) *gdprv1alpha1.Quarantine {
		got := &gdprv1alpha1.Quarantine{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(q), got)).To(Succeed())
		return got
	}
}

// replacementsOf lists the workload's active pods that name old as the pod they replace.
func replacementsOf(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, old string) []corev1.Pod {
	var found []corev1.Pod
	for _, p := range activePods(ctx, w) {
		if p.Annotations[ReplacesAnnotation] == old {
			found = append(found, p)
		}
	}
	return found
}

// markReady plays the kubelet for one pod only.
func markReady(ctx context.Context, pod corev1.Pod) {
	GinkgoHelper()
	Eventually(func() error {
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(&pod), &pod); err != nil {
			return err
		}
		pod.Status.Phase = corev1.PodRunning
		pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
		return k8sClient.Status().Update(ctx, &pod)
	}, timeout, interval).Should(Succeed())
}

// podEntries returns the ledger's entries about the pod with uid, as "Type/Reason".
func podEntries(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, uid string) []string {
	var found []gdprv1alpha1.AuditEvent
	for _, e := range entriesOf(ctx, w.Namespace, w.Name) {
		if e.Spec.Subject.PodUID == uid {
			found = append(found, e)
		}
	}
	return timeline(found)
}

var _ = Describe("Retirement of pods touched under a BreakGlass", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("replaces a pod touched under a window once it closes, a fresh pod first, and leaves a pod touched under an open window alone", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "touched", 2, image("retire/app:1")))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		pods := activePods(ctx, w)
		touched, other := pods[0], pods[1]

		open := newBreakGlass(ns, "open", w.Name, time.Hour)
		short := newBreakGlass(ns, "short", w.Name, 4*time.Second)
		Expect(k8sClient.Create(ctx, open)).To(Succeed())
		Expect(k8sClient.Create(ctx, short)).To(Succeed())
		touch(ctx, short, touched)
		touch(ctx, open, other)

		By("nothing is replaced while the windows are open")
		Consistently(func() []string { return podUIDs(ctx, w) }, 2*time.Second, interval).Should(ConsistOf(string(touched.UID), string(other.UID)))

		By("once the short window closed, a fresh pod is made while the touched pod still serves")
		var fresh corev1.Pod
		Eventually(func(g Gomega) {
			replacements := replacementsOf(ctx, w, touched.Name)
			g.Expect(replacements).To(HaveLen(1))
			fresh = replacements[0]
		}, timeout, interval).Should(Succeed())
		Expect(podUIDs(ctx, w)).To(ContainElement(string(touched.UID)), "surge-first: the touched pod goes once its replacement is Ready")

		By("the fresh pod Ready, the touched pod is deleted and the replacement recorded")
		markReady(ctx, fresh)
		Eventually(func(g Gomega) {
			finalizePods(ctx, w)
			g.Expect(podUIDs(ctx, w)).To(ConsistOf(string(other.UID), string(fresh.UID)))
			g.Expect(podEntries(ctx, w, string(touched.UID))).To(ContainElements("PodDeleted/Drifted", "PodReplaced/BreakGlassEnded"))
		}, timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 2)
		Consistently(func() []string { return podUIDs(ctx, w) }, time.Second, interval).Should(ContainElement(string(other.UID)),
			"the pod touched under the open window stays")

		entries := entriesOf(ctx, ns, w.Name)
		Expect(countKey(entries, string(touched.UID)+"/PodReplaced")).To(Equal(1))
		Expect(countKey(entries, string(touched.UID)+"/PodDeleted")).To(Equal(1))
		for _, e := range entries {
			if e.Spec.Subject.PodUID == string(touched.UID) && e.Spec.Type == gdprv1alpha1.AuditPodReplaced {
				Expect(e.Spec.Message).To(ContainSubstring("by fresh pod " + fresh.Name))
				Expect(e.Labels).To(HaveKeyWithValue(gdprv1alpha1.AuditBreakGlassLabel, "short"))
			}
		}
		Expect(podEntries(ctx, w, string(other.UID))).NotTo(ContainElement(ContainSubstring("PodReplaced")))
		Expect(verifyChain(ctx, ns, w.Name).Problem).To(BeNil())
	})
})

var _ = Describe("Retirement of pods touched under a deleted BreakGlass", func() {
	It("replaces the touched pod as soon as the BreakGlass is deleted, though its window was still open", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		w := admissionOff(workload(ns, "ended", 1, image("retire/app:1")))
		touched := onePod(ctx, w)
		bg := newBreakGlass(ns, "ended", w.Name, time.Hour)
		// Held as the BreakGlass controller's finalizer holds it, until its pods are replaced.
		bg.Finalizers = []string{gdprv1alpha1.BreakGlassFinalizer}
		Expect(k8sClient.Create(ctx, bg)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) {
			Eventually(func() error {
				got := &gdprv1alpha1.BreakGlass{}
				if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(bg), got); err != nil {
					return client.IgnoreNotFound(err)
				}
				got.Finalizers = nil
				return k8sClient.Update(ctx, got)
			}, timeout, interval).Should(Succeed())
		})
		touch(ctx, bg, touched)
		Consistently(func() []corev1.Pod { return replacementsOf(ctx, w, touched.Name) }, time.Second, interval).Should(BeEmpty())

		Expect(k8sClient.Delete(ctx, bg)).To(Succeed())
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podUIDs(ctx, w)).NotTo(ContainElement(string(touched.UID)))
			g.Expect(podEntries(ctx, w, string(touched.UID))).To(ContainElement("PodReplaced/BreakGlassEnded"))
		}, timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 1)
	})
})

var _ = Describe("Quarantine", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("makes a fresh pod Ready first, then takes the pod out of service, isolates it, keeps it, and deletes it after keep; every step one entry", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "suspect", 2, image("retire/app:1")))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		pods := activePods(ctx, w)
		suspect, other := pods[0], pods[1]

		q := newQuarantine(ns, "inc-4711", suspect.Name, 3*time.Second)
		Expect(k8sClient.Create(ctx, q, client.FieldOwner("kubectl-amber"))).To(Succeed())

		By("the Quarantine finds the pod and its workload; a fresh pod is made, the suspect still serving")
		Eventually(func(g Gomega) {
			got := quarantineOf(ctx, q)(g)
			g.Expect(got.Finalizers).To(ContainElement(gdprv1alpha1.QuarantineFinalizer))
			g.Expect(got.Status.Workload).To(Equal(w.Name))
			g.Expect(got.Status.PodUID).To(Equal(string(suspect.UID)))
			g.Expect(got.Status.Phase).To(Equal(gdprv1alpha1.QuarantineReplacing))
			g.Expect(meta.IsStatusConditionTrue(got.Status.Conditions, gdprv1alpha1.ReconcilingCondition)).To(BeTrue())
		}, timeout, interval).Should(Succeed())
		var fresh corev1.Pod
		Eventually(func(g Gomega) {
			replacements := replacementsOf(ctx, w, suspect.Name)
			g.Expect(replacements).To(HaveLen(1))
			fresh = replacements[0]
		}, timeout, interval).Should(Succeed())
		Consistently(func(g Gomega) {
			got := &corev1.Pod{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(&suspect), got)).To(Succeed())
			g.Expect(got.Labels).To(HaveKeyWithValue("app", w.Name), "it serves until its replacement is Ready")
		}, 2*time.Second, interval).Should(Succeed())

		By("the fresh pod Ready, the suspect loses its template labels but keeps running, governed")
		markReady(ctx, fresh)
		Eventually(func(g Gomega) {
			got := &corev1.Pod{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(&suspect), got)).To(Succeed())
			g.Expect(got.Labels).NotTo(HaveKey("app"))
			g.Expect(got.Labels).To(HaveKeyWithValue(gdprv1alpha1.QuarantinedLabel, q.Name))
			g.Expect(got.Labels).To(HaveKeyWithValue(gdprv1alpha1.WorkloadLabel, w.Name))
			g.Expect(got.Labels).To(HaveKeyWithValue(gdprv1alpha1.RevisionLabel, suspect.Labels[gdprv1alpha1.RevisionLabel]))
			g.Expect(metav1.GetControllerOf(got)).NotTo(BeNil())
			g.Expect(got.DeletionTimestamp).To(BeNil())
		}, timeout, interval).Should(Succeed())

		By("isolated behind a NetworkPolicy that denies all its traffic")
		var isolated *gdprv1alpha1.Quarantine
		Eventually(func(g Gomega) {
			isolated = quarantineOf(ctx, q)(g)
			g.Expect(isolated.Status.Phase).To(Equal(gdprv1alpha1.QuarantineIsolated))
		}, timeout, interval).Should(Succeed())
		Expect(isolated.Status.Replacement).To(Equal(fresh.Name))
		Expect(isolated.Status.NetworkPolicy).To(Equal(q.Name))
		Expect(isolated.Status.DeleteAfter.Time).To(Equal(isolated.Status.IsolatedAt.Add(3 * time.Second)))
		ready := meta.FindStatusCondition(isolated.Status.Conditions, gdprv1alpha1.ReadyCondition)
		Expect(ready).NotTo(BeNil())
		Expect(ready.Status).To(Equal(metav1.ConditionTrue))
		Expect(ready.Reason).To(Equal(gdprv1alpha1.ReasonIsolated))
		np := &networkingv1.NetworkPolicy{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: q.Name}, np)).To(Succeed())
		Expect(np.Spec.PodSelector.MatchLabels).To(Equal(map[string]string{gdprv1alpha1.QuarantinedLabel: q.Name}))
		Expect(np.Spec.PolicyTypes).To(ConsistOf(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress))
		Expect(np.Spec.Ingress).To(BeEmpty())
		Expect(np.Spec.Egress).To(BeEmpty())
		Expect(metav1.GetControllerOf(np).UID).To(Equal(isolated.UID))

		By("the suspect is not counted, not replaced again, and not taken for drift")
		// The status is written by the reconcile after the one that released the pod.
		Eventually(func(g Gomega) {
			status := statusOf(ctx, w)
			g.Expect(status.Replicas).To(BeEquivalentTo(2))
			g.Expect(meta.FindStatusCondition(status.Conditions, gdprv1alpha1.InSyncCondition).Status).To(Equal(metav1.ConditionTrue))
		}, timeout, interval).Should(Succeed())
		Expect(replacementsOf(ctx, w, suspect.Name)).To(HaveLen(1))
		Expect(podEntries(ctx, w, string(suspect.UID))).NotTo(ContainElement(HavePrefix("DriftDetected")))

		By("deleted after keep; the Quarantine stays as the record")
		Eventually(func(g Gomega) {
			finalizePods(ctx, w)
			g.Expect(podUIDs(ctx, w)).To(ConsistOf(string(other.UID), string(fresh.UID)))
			got := quarantineOf(ctx, q)(g)
			g.Expect(got.Status.Phase).To(Equal(gdprv1alpha1.QuarantineReleased))
			g.Expect(meta.FindStatusCondition(got.Status.Conditions, gdprv1alpha1.ReadyCondition).Reason).To(Equal(gdprv1alpha1.ReasonReleased))
		}, timeout, interval).Should(Succeed())
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: q.Name}, &networkingv1.NetworkPolicy{}))).To(BeTrue())
		eventuallyReady(ctx, w, 2)

		var steps []string
		for _, e := range podEntries(ctx, w, string(suspect.UID)) {
			if e != "PodCreated/ScalingUp" && e != "PodScheduled/Bound" {
				steps = append(steps, e)
			}
		}
		Expect(steps).To(Equal([]string{"PodQuarantined/Requested", "PodReplaced/Quarantined", "PodQuarantined/Isolated", "PodDeleted/QuarantineEnded"}),
			"every step one entry, in order")
		entries := entriesOf(ctx, ns, w.Name)
		for _, e := range entries {
			if e.Spec.Type == gdprv1alpha1.AuditPodQuarantined && e.Spec.Reason == string(gdprv1alpha1.AuditReasonRequested) {
				Expect(e.Spec.Actor).To(Equal(actors.Record("kubectl-amber")), "the field manager that created the Quarantine, pseudonymised")
			}
			if e.Spec.Subject.PodUID == string(suspect.UID) && e.Spec.Type != gdprv1alpha1.AuditPodCreated && e.Spec.Type != gdprv1alpha1.AuditPodScheduled {
				Expect(e.Labels).To(HaveKeyWithValue(gdprv1alpha1.AuditQuarantineLabel, q.Name), "%s/%s", e.Spec.Type, e.Spec.Reason)
			}
		}
		Expect(verifyChain(ctx, ns, w.Name).Problem).To(BeNil())
		Expect(eventReasons(ctx, ns)).To(ContainElements(gdprv1alpha1.EventPodQuarantined, gdprv1alpha1.EventQuarantineEnded))
		Expect(statusOf(ctx, w).Drift).To(BeNil(), "a quarantine is no drift, nor its replacement a drift repair")
	})

	It("deletes the pod early when the Quarantine is deleted, then lets the Quarantine go", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "early", 1, image("retire/app:1")))
		suspect := onePod(ctx, w)
		q := newQuarantine(ns, "early", suspect.Name, time.Hour)
		Expect(k8sClient.Create(ctx, q)).To(Succeed())
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			g.Expect(quarantineOf(ctx, q)(g).Status.Phase).To(Equal(gdprv1alpha1.QuarantineIsolated))
		}, timeout, interval).Should(Succeed())

		Expect(k8sClient.Delete(ctx, q)).To(Succeed())
		Eventually(func(g Gomega) {
			finalizePods(ctx, w)
			g.Expect(podUIDs(ctx, w)).NotTo(ContainElement(string(suspect.UID)))
			g.Expect(apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(q), &gdprv1alpha1.Quarantine{}))).To(BeTrue())
			g.Expect(apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: q.Name}, &networkingv1.NetworkPolicy{}))).To(BeTrue())
		}, timeout, interval).Should(Succeed())
		Expect(podEntries(ctx, w, string(suspect.UID))).To(ContainElement("PodDeleted/QuarantineEnded"))
		Expect(countKey(entriesOf(ctx, ns, w.Name), string(suspect.UID)+"/PodDeleted")).To(Equal(1))
		eventuallyReady(ctx, w, 1)
	})

	It("replaces and deletes the pod, not put back, when the Quarantine is deleted before the pod left service", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "cancelled", 1, image("retire/app:1")))
		suspect := onePod(ctx, w)
		q := newQuarantine(ns, "cancelled", suspect.Name, time.Hour)
		Expect(k8sClient.Create(ctx, q)).To(Succeed())
		var fresh corev1.Pod
		Eventually(func(g Gomega) {
			replacements := replacementsOf(ctx, w, suspect.Name)
			g.Expect(replacements).To(HaveLen(1))
			fresh = replacements[0]
		}, timeout, interval).Should(Succeed())

		By("deleted while the fresh pod is not Ready: the suspect still serves, and the Quarantine waits for it")
		Expect(k8sClient.Delete(ctx, q)).To(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(podUIDs(ctx, w)).To(ContainElement(string(suspect.UID)))
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(q), &gdprv1alpha1.Quarantine{})).To(Succeed())
		}, time.Second, interval).Should(Succeed())

		By("the fresh pod Ready, the suspect is deleted, never released, and the Quarantine goes")
		markReady(ctx, fresh)
		Eventually(func(g Gomega) {
			finalizePods(ctx, w)
			g.Expect(podUIDs(ctx, w)).To(ConsistOf(string(fresh.UID)))
			g.Expect(apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(q), &gdprv1alpha1.Quarantine{}))).To(BeTrue())
		}, timeout, interval).Should(Succeed())
		Expect(podEntries(ctx, w, string(suspect.UID))).To(ContainElements("PodQuarantined/Requested", "PodDeleted/QuarantineEnded", "PodReplaced/Quarantined"))
		Expect(podEntries(ctx, w, string(suspect.UID))).NotTo(ContainElement("PodQuarantined/Isolated"))
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: q.Name}, &networkingv1.NetworkPolicy{}))).To(BeTrue())
	})

	It("writes the PodReplaced entry a crash lost between releasing the pod and recording it, once, marked recovered", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "lost", 1, image("retire/app:1")))
		suspect := onePod(ctx, w)
		q := newQuarantine(ns, "lost", suspect.Name, time.Hour)
		Expect(k8sClient.Create(ctx, q)).To(Succeed())
		var fresh corev1.Pod
		Eventually(func(g Gomega) {
			replacements := replacementsOf(ctx, w, suspect.Name)
			g.Expect(replacements).To(HaveLen(1))
			fresh = replacements[0]
		}, timeout, interval).Should(Succeed())

		By("the pod released as the manager releases it, with no entry, as a manager that crashed right after leaves it")
		Eventually(func() error {
			pod := &corev1.Pod{}
			if err := managerClient.Get(ctx, client.ObjectKeyFromObject(&suspect), pod); err != nil {
				return err
			}
			delete(pod.Labels, "app")
			pod.Labels[gdprv1alpha1.QuarantinedLabel] = q.Name
			return managerClient.Update(ctx, pod, client.FieldOwner(fieldOwner))
		}, timeout, interval).Should(Succeed())

		Eventually(func(g Gomega) {
			g.Expect(quarantineOf(ctx, q)(g).Status.Phase).To(Equal(gdprv1alpha1.QuarantineIsolated))
		}, timeout, interval).Should(Succeed())
		var replaced []gdprv1alpha1.AuditEvent
		for _, e := range entriesOf(ctx, ns, w.Name) {
			if e.Spec.Type == gdprv1alpha1.AuditPodReplaced && e.Spec.Subject.PodUID == string(suspect.UID) {
				replaced = append(replaced, e)
			}
		}
		Expect(replaced).To(HaveLen(1))
		Expect(replaced[0].Spec.Recovered).To(BeTrue())
		Expect(replaced[0].Spec.Reason).To(Equal(string(gdprv1alpha1.AuditReasonQuarantined)))
		Expect(replaced[0].Spec.Message).To(ContainSubstring("fresh pod " + fresh.Name))
		Expect(podEntries(ctx, w, string(suspect.UID))).To(ContainElements("PodReplaced/Quarantined", "PodQuarantined/Isolated"))
		Expect(podEntries(ctx, w, string(suspect.UID))).NotTo(ContainElement(HavePrefix("DriftDetected")))
	})

	It("stalls, naming spec.pod, when the pod does not exist", func(ctx SpecContext) {
		q := newQuarantine(ns, "nothing", "no-such-pod", time.Hour)
		Expect(k8sClient.Create(ctx, q)).To(Succeed())
		Eventually(func(g Gomega) {
			stalled := meta.FindStatusCondition(quarantineOf(ctx, q)(g).Status.Conditions, gdprv1alpha1.StalledCondition)
			g.Expect(stalled).NotTo(BeNil())
			g.Expect(stalled.Reason).To(Equal(gdprv1alpha1.ReasonPodNotFound))
			g.Expect(stalled.Message).To(ContainSubstring("spec.pod: pod no-such-pod does not exist"))
		}, timeout, interval).Should(Succeed())
		By("deleting a stalled Quarantine needs nothing else")
		Expect(k8sClient.Delete(ctx, q)).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKeyFromObject(q), &gdprv1alpha1.Quarantine{}))
		}, timeout, interval).Should(BeTrue())
	})

	It("takes a pod that labels itself quarantined with no Quarantine naming it for drift, and replaces it", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "forged", 1, image("retire/app:1")))
		pod := onePod(ctx, w)
		editPod(ctx, &pod, func(p *corev1.Pod) {
			delete(p.Labels, "app")
			p.Labels[gdprv1alpha1.QuarantinedLabel] = "nobody"
		})
		expectReplaced(ctx, w, pod, "MetadataChanged", 1)
		detected := driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))[0]
		Expect(detected.Spec.Message).To(ContainSubstring("metadata.labels." + gdprv1alpha1.QuarantinedLabel))
	})

	It("refuses a keep longer than 7 days, naming spec.keep", func(ctx SpecContext) {
		err := k8sClient.Create(ctx, newQuarantine(ns, "too-long", "any", 200*time.Hour))
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).To(ContainSubstring("spec.keep must be more than 0s and at most 168h"))
	})
})
