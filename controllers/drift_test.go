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
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// driftEntries returns the ledger's entries of type t about the pod with uid.
func driftEntries(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, t gdprv1alpha1.AuditEventType, uid string) []gdprv1alpha1.AuditEvent {
	var found []gdprv1alpha1.AuditEvent
	for _, e := range entriesOf(ctx, w.Namespace, w.Name) {
		if e.Spec.Type == t && e.Spec.Subject.PodUID == uid {
			found = append(found, e)
		}
	}
	return found
}

// onePod waits for the workload to be Ready with one pod and returns that pod.
func onePod(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) corev1.Pod {
	GinkgoHelper()
	Expect(k8sClient.Create(ctx, w)).To(Succeed())
	eventuallyReady(ctx, w, 1)
	return activePods(ctx, w)[0]
}

// editPod changes a running pod as a person with kubectl would, under field manager "kubectl-edit".
func editPod(ctx context.Context, pod *corev1.Pod, edit func(*corev1.Pod)) {
	GinkgoHelper()
	Eventually(func() error {
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(pod), pod); err != nil {
			return err
		}
		edit(pod)
		return k8sClient.Update(ctx, pod, client.FieldOwner("kubectl-edit"))
	}, timeout, interval).Should(Succeed())
}

// expectReplaced waits until the drifted pod is gone and replaced, playing the kubelet, and
// checks the ledger: one DriftDetected entry with reason, one PodReplaced naming the fresh pod.
func expectReplaced(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, drifted corev1.Pod, reason string, replicas int) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		actAsKubelet(ctx, w)
		finalizePods(ctx, w)
		g.Expect(podUIDs(ctx, w)).NotTo(ContainElement(string(drifted.UID)))
		g.Expect(driftEntries(ctx, w, gdprv1alpha1.AuditPodReplaced, string(drifted.UID))).To(HaveLen(1))
	}, timeout, interval).Should(Succeed())
	eventuallyReady(ctx, w, replicas)

	detected := driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(drifted.UID))
	Expect(detected).To(HaveLen(1), "drift is recorded once per pod")
	Expect(detected[0].Spec.Reason).To(Equal(reason))
	if reason != "DigestMismatch" { // what the runtime reports is status, outside the baseline
		Expect(detected[0].Spec.Fingerprints.Before).NotTo(Equal(detected[0].Spec.Fingerprints.After))
	}
	replaced := driftEntries(ctx, w, gdprv1alpha1.AuditPodReplaced, string(drifted.UID))[0]
	fresh := activePods(ctx, w)
	Expect(fresh).NotTo(BeEmpty())
	Expect(replaced.Spec.Message).To(ContainSubstring("by fresh pod " + fresh[len(fresh)-1].Name))
	Expect(driftEntries(ctx, w, gdprv1alpha1.AuditPodDeleted, string(drifted.UID))).To(HaveLen(1))

	status := statusOf(ctx, w)
	Expect(status.Drift).NotTo(BeNil())
	Expect(status.Drift.Detected).To(ContainElement(gdprv1alpha1.DriftCount{Reason: reason, Count: 1}))
	Expect(status.Drift.Replaced).To(BeEquivalentTo(1))
	Expect(status.Drift.Last.Pod).To(Equal(drifted.Name))
	Expect(status.Drift.Last.RepairedAt).NotTo(BeNil())
	Eventually(condition(ctx, w, gdprv1alpha1.InSyncCondition), timeout, interval).Should(HaveField("Status", metav1.ConditionTrue))
	Expect(verifyChain(ctx, w.Namespace, w.Name).Problem).To(BeNil())
}

// Every workload here has admission mode Off: these specs change pods in place on purpose,
// which admission refuses in Enforce. Drift detection is the second line for exactly the
// routes admission does not see (mode Off, a webhook outage, etcd written directly, a kubelet
// reached through nodes/proxy), and these specs stand for them.
var _ = Describe("Drift", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("replaces a pod whose image was edited in place, a fresh pod first, and names who changed it", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "image", 1, image("drift/app:1")))
		pod := onePod(ctx, w)
		editPod(ctx, &pod, func(p *corev1.Pod) { p.Spec.Containers[0].Image = image("drift/other:1") })

		Eventually(condition(ctx, w, gdprv1alpha1.InSyncCondition), timeout, interval).Should(And(
			HaveField("Status", metav1.ConditionFalse), HaveField("Reason", "ImageChanged")))
		// Surge-first: until the fresh pod is Ready, the drifted one keeps serving.
		Eventually(func() int { return len(activePods(ctx, w)) }, timeout, interval).Should(Equal(2))
		Expect(podUIDs(ctx, w)).To(ContainElement(string(pod.UID)))
		var fresh corev1.Pod
		for _, p := range activePods(ctx, w) {
			if p.UID != pod.UID {
				fresh = p
			}
		}
		Expect(fresh.Annotations).To(HaveKeyWithValue(ReplacesAnnotation, pod.Name))
		Expect(fresh.Spec.Containers[0].Image).To(Equal(image("drift/app:1")+"@"+digestOf("drift/app:1")), "a fresh pod of the same pinned revision")

		expectReplaced(ctx, w, pod, "ImageChanged", 1)
		detected := driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))[0]
		Expect(detected.Spec.Actor).To(Equal(actors.Record("kubectl-edit")), "the field manager that made the change, pseudonymised")
		Expect(detected.Spec.Message).To(ContainSubstring("spec.containers[0].image"))
		Expect(eventReasons(ctx, ns)).To(ContainElements(gdprv1alpha1.EventDriftDetected, gdprv1alpha1.EventPodReplaced))
	})

	It("records the repair of a drifted pod deleted before its PodReplaced entry was written, once, naming its replacement", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "unrecorded-repair", 1, image("drift/app:1")))
		pod := onePod(ctx, w)
		editPod(ctx, &pod, func(p *corev1.Pod) { p.Spec.Containers[0].Image = image("drift/other:1") })

		By("the fresh pod made first, not Ready, so the drifted pod is kept")
		var fresh corev1.Pod
		Eventually(func(g Gomega) {
			g.Expect(driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))).To(HaveLen(1))
			pods := activePods(ctx, w)
			g.Expect(pods).To(HaveLen(2))
			for _, p := range pods {
				if p.UID != pod.UID {
					fresh = p
				}
			}
			g.Expect(fresh.Annotations).To(HaveKeyWithValue(ReplacesAnnotation, pod.Name))
		}, timeout, interval).Should(Succeed())

		By("the drifted pod deleted with no entry, as a manager that crashed right after deleting it leaves it")
		Expect(k8sClient.Delete(ctx, &pod, client.GracePeriodSeconds(0), client.Preconditions{UID: &pod.UID})).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(driftEntries(ctx, w, gdprv1alpha1.AuditPodDeleted, string(pod.UID))).To(HaveLen(1))
			g.Expect(driftEntries(ctx, w, gdprv1alpha1.AuditPodReplaced, string(pod.UID))).To(HaveLen(1))
		}, timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 1)

		deleted := driftEntries(ctx, w, gdprv1alpha1.AuditPodDeleted, string(pod.UID))
		Expect(deleted).To(HaveLen(1))
		Expect(deleted[0].Spec.Recovered).To(BeTrue())
		Expect(deleted[0].Spec.Reason).To(BeElementOf(string(gdprv1alpha1.AuditReasonFoundGone), string(gdprv1alpha1.AuditReasonDeletionObserved)))
		replaced := driftEntries(ctx, w, gdprv1alpha1.AuditPodReplaced, string(pod.UID))
		Expect(replaced).To(HaveLen(1), "re-reconciles after the repair is recorded do not record it again")
		Expect(replaced[0].Spec.Recovered).To(BeTrue())
		Expect(replaced[0].Spec.Reason).To(Equal(string(gdprv1alpha1.AuditReasonDrifted)))
		Expect(replaced[0].Spec.Actor).To(Equal(ownActor))
		Expect(replaced[0].Spec.Subject).To(Equal(gdprv1alpha1.AuditSubject{Pod: pod.Name, PodUID: string(pod.UID), Revision: pod.Labels[gdprv1alpha1.RevisionLabel]}))
		Expect(replaced[0].Spec.Message).To(ContainSubstring("fresh pod " + fresh.Name + " replaced it"))
		Expect(replaced[0].Spec.Sequence).To(BeNumerically(">", deleted[0].Spec.Sequence), "the deletion is recorded before the repair")

		Eventually(func(g Gomega) {
			status := statusOf(ctx, w)
			g.Expect(status.Drift).NotTo(BeNil())
			g.Expect(status.Drift.Replaced).To(BeEquivalentTo(1))
			g.Expect(status.Drift.Last.Pod).To(Equal(pod.Name))
			g.Expect(status.Drift.Last.RepairedAt).NotTo(BeNil(), "the drift shows repaired")
		}, timeout, interval).Should(Succeed())
		Expect(verifyChain(ctx, w.Namespace, w.Name).Problem).To(BeNil())
	})

	It("names the next pod made the replacement of a drifted pod found gone with none made for it", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "unreplaced-repair", 1, image("drift/app:1")))
		w.Spec.DriftPolicy.Action = gdprv1alpha1.DriftReport // kept, so no replacement is made before it goes
		pod := onePod(ctx, w)
		editPod(ctx, &pod, func(p *corev1.Pod) { p.Spec.Containers[0].Image = image("drift/other:1") })
		Eventually(func() []gdprv1alpha1.AuditEvent {
			return driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))
		}, timeout, interval).Should(HaveLen(1))
		Expect(activePods(ctx, w)).To(HaveLen(1))

		Expect(k8sClient.Delete(ctx, &pod, client.GracePeriodSeconds(0), client.Preconditions{UID: &pod.UID})).To(Succeed())
		Eventually(func() []gdprv1alpha1.AuditEvent {
			return driftEntries(ctx, w, gdprv1alpha1.AuditPodReplaced, string(pod.UID))
		}, timeout, interval).Should(HaveLen(1))
		eventuallyReady(ctx, w, 1)

		fresh := activePods(ctx, w)
		Expect(fresh).To(HaveLen(1))
		Expect(fresh[0].Annotations).To(HaveKeyWithValue(ReplacesAnnotation, pod.Name))
		replaced := driftEntries(ctx, w, gdprv1alpha1.AuditPodReplaced, string(pod.UID))
		Expect(replaced).To(HaveLen(1))
		Expect(replaced[0].Spec.Recovered).To(BeTrue())
		Expect(replaced[0].Spec.Message).To(ContainSubstring("fresh pod " + fresh[0].Name + " replaced it"))
		created := driftEntries(ctx, w, gdprv1alpha1.AuditPodCreated, string(fresh[0].UID))
		Expect(created).To(HaveLen(1))
		Expect(replaced[0].Spec.Sequence).To(BeNumerically(">", created[0].Spec.Sequence), "the replacement is recorded once it exists")
		Expect(verifyChain(ctx, w.Namespace, w.Name).Problem).To(BeNil())
	})

	It("replaces a pod that got an ephemeral debug container", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "debugged", 1, image("drift/app:1")))
		pod := onePod(ctx, w)
		pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{
			EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "busybox:1", ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePolicy: corev1.TerminationMessageReadFile},
		})
		Expect(k8sClient.SubResource("ephemeralcontainers").Update(ctx, &pod, client.FieldOwner("kubectl-debug"))).To(Succeed())
		expectReplaced(ctx, w, pod, "EphemeralContainerAdded", 1)
	})

	It("replaces a pod whose tolerations were extended", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "tolerant", 1, image("drift/app:1")))
		pod := onePod(ctx, w)
		editPod(ctx, &pod, func(p *corev1.Pod) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "example.com/anything", Operator: corev1.TolerationOpExists})
		})
		expectReplaced(ctx, w, pod, "SpecMutated", 1)
		Expect(driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))[0].Spec.Message).To(ContainSubstring("spec.tolerations"))
	})

	It("replaces a pod whose resources were resized", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "resized", 1, image("drift/app:1")))
		w.Spec.Template.Spec.Containers[0].Resources = corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
			Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m")},
		}
		pod := onePod(ctx, w)
		// The API server takes a resize only for a pod whose kubelet reported its resources.
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(&pod), &pod)).To(Succeed())
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "app", Image: pod.Spec.Containers[0].Image, Ready: true,
			Resources: pod.Spec.Containers[0].Resources.DeepCopy(),
			State:     corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
		}}
		Expect(k8sClient.Status().Update(ctx, &pod)).To(Succeed())
		pod.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("150m")
		Expect(k8sClient.SubResource("resize").Update(ctx, &pod, client.FieldOwner("kubectl-resize"))).To(Succeed())
		expectReplaced(ctx, w, pod, "ResourcesResized", 1)
	})

	It("replaces a pod whose labels were edited, but not for keys the policy ignores", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "labelled", 1, image("drift/app:1")))
		w.Spec.DriftPolicy.IgnoreMetadata = []string{"monitoring.example/*"}
		pod := onePod(ctx, w)
		editPod(ctx, &pod, func(p *corev1.Pod) { p.Labels["monitoring.example/scraped"] = "yes" })
		Consistently(func() []string { return podUIDs(ctx, w) }, 2*time.Second, interval).Should(Equal([]string{string(pod.UID)}))
		Expect(condition(ctx, w, gdprv1alpha1.InSyncCondition)()).To(HaveField("Status", metav1.ConditionTrue))

		editPod(ctx, &pod, func(p *corev1.Pod) { delete(p.Labels, "app") })
		expectReplaced(ctx, w, pod, "MetadataChanged", 1)
		Expect(driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))[0].Spec.Message).To(ContainSubstring("metadata.labels.app"))
	})

	It("finds a pod changed before its creation was recorded, as after a crash or a failover between the two", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "unrecorded", 1, image("drift/app:1")))
		onePod(ctx, w)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), w)).To(Succeed())

		By("a pod Amber created just before it stopped, changed while no manager ran")
		// Without its workload label the label-selected cache does not show the pod, so the
		// manager first sees it with both writes made, as a new leader would.
		stray := podOf(w, w.Status.UpdateRevision)
		delete(stray.Labels, gdprv1alpha1.WorkloadLabel)
		Expect(managerClient.Create(ctx, stray, client.FieldOwner(fieldOwner))).To(Succeed())
		stray.Labels["tamper"] = "yes"
		Expect(k8sClient.Update(ctx, stray, client.FieldOwner("kubectl-label"))).To(Succeed())
		stray.Labels[gdprv1alpha1.WorkloadLabel] = w.Name
		Expect(managerClient.Update(ctx, stray, client.FieldOwner(fieldOwner))).To(Succeed())

		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podGone(ctx, stray)).To(BeTrue(), "the changed pod is not left running")
		}, timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 1)
		detected := driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(stray.UID))
		Expect(detected).To(HaveLen(1), "the change made while no manager ran is drift, not the pod's baseline")
		Expect(detected[0].Spec.Reason).To(Equal("MetadataChanged"))
		Expect(detected[0].Spec.Message).To(ContainSubstring("metadata.labels.tamper"))
		Expect(detected[0].Spec.Actor).NotTo(BeEmpty(), "who changed it")
		created := driftEntries(ctx, w, gdprv1alpha1.AuditPodCreated, string(stray.UID))
		Expect(created).To(HaveLen(1))
		Expect(created[0].Spec.Recovered).To(BeTrue())
		Expect(created[0].Spec.Reason).To(Equal(string(gdprv1alpha1.AuditReasonFoundRunning)))
		Expect(verifyChain(ctx, ns, w.Name).Problem).To(BeNil())
	})

	It("replaces a pod whose workload label was cut, though the cache no longer shows it", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "escaped", 2, image("drift/app:1")))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		pod := activePods(ctx, w)[0]
		editPod(ctx, &pod, func(p *corev1.Pod) { delete(p.Labels, gdprv1alpha1.WorkloadLabel) })

		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podGone(ctx, &pod)).To(BeTrue(), "the escaped pod is not left running ungoverned")
			g.Expect(driftEntries(ctx, w, gdprv1alpha1.AuditPodReplaced, string(pod.UID))).To(HaveLen(1))
		}, timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 2)
		detected := driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))
		Expect(detected).To(HaveLen(1))
		Expect(detected[0].Spec.Reason).To(Equal("Escaped"))
		Expect(verifyChain(ctx, ns, w.Name).Problem).To(BeNil())
	})

	It("replaces a pod whose controller reference was removed", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "orphaned", 1, image("drift/app:1")))
		pod := onePod(ctx, w)
		editPod(ctx, &pod, func(p *corev1.Pod) { p.OwnerReferences = nil })
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podGone(ctx, &pod)).To(BeTrue())
			g.Expect(driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))).To(ConsistOf(HaveField("Spec.Reason", "Escaped")))
		}, timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 1)
	})

	It("replaces a pod whose runtime reports a digest other than the pinned one", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "digest", 1, image("drift/app:1")))
		pod := onePod(ctx, w)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(&pod), &pod)).To(Succeed())
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "app", Image: pod.Spec.Containers[0].Image, Ready: true,
			ImageID: images.Host + "/drift/app@sha256:0000000000000000000000000000000000000000000000000000000000000000",
			State:   corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
		}}
		Expect(k8sClient.Status().Update(ctx, &pod)).To(Succeed())
		expectReplaced(ctx, w, pod, "DigestMismatch", 1)
	})

	It("takes a reported digest that matches the pin as no drift", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "digest-ok", 1, image("drift/app:1")))
		pod := onePod(ctx, w)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(&pod), &pod)).To(Succeed())
		pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
			Name: "app", Image: pod.Spec.Containers[0].Image, Ready: true,
			ImageID: images.Host + "/drift/app@" + digestOf("drift/app:1"),
			State:   corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
		}}
		Expect(k8sClient.Status().Update(ctx, &pod)).To(Succeed())
		Consistently(func() []string { return podUIDs(ctx, w) }, 2*time.Second, interval).Should(Equal([]string{string(pod.UID)}))
		Expect(driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))).To(BeEmpty())
	})

	It("only records and shows drift under the Report action", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "reported", 1, image("drift/app:1")))
		w.Spec.DriftPolicy.Action = gdprv1alpha1.DriftReport
		pod := onePod(ctx, w)
		editPod(ctx, &pod, func(p *corev1.Pod) { p.Spec.ActiveDeadlineSeconds = ptr.To[int64](3600) })
		Eventually(condition(ctx, w, gdprv1alpha1.InSyncCondition), timeout, interval).Should(And(
			HaveField("Status", metav1.ConditionFalse), HaveField("Reason", "SpecMutated"), HaveField("Message", ContainSubstring("Report"))))
		Consistently(func() []string { actAsKubelet(ctx, w); return podUIDs(ctx, w) }, 3*time.Second, interval).Should(Equal([]string{string(pod.UID)}),
			"nothing is replaced")
		Expect(driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))).To(HaveLen(1))
		Expect(driftEntries(ctx, w, gdprv1alpha1.AuditPodReplaced, string(pod.UID))).To(BeEmpty())
		Expect(statusOf(ctx, w).Drift.DriftedPods).To(BeEquivalentTo(1))
	})

	It("deletes a drifted pod before its replacement exists under ReplaceImmediately", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "immediate", 1, image("drift/app:1")))
		w.Spec.DriftPolicy.Action = gdprv1alpha1.DriftReplaceImmediately
		pod := onePod(ctx, w)
		editPod(ctx, &pod, func(p *corev1.Pod) { p.Spec.Containers[0].Image = image("drift/other:1") })
		// No kubelet plays along now: the fresh pod never gets Ready, yet the drifted one goes.
		Eventually(func() bool { finalizePods(ctx, w); return podGone(ctx, &pod) }, timeout, interval).Should(BeTrue())
		expectReplaced(ctx, w, pod, "ImageChanged", 1)
	})

	It("replaces at most a burst of drifted pods at once, then the rest at a bounded rate", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "storm", driftReplacementBurst+2, image("drift/app:1")))
		w.Spec.DriftPolicy.Action = gdprv1alpha1.DriftReplaceImmediately
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, driftReplacementBurst+2)
		drifted := activePods(ctx, w)
		for i := range drifted {
			editPod(ctx, &drifted[i], func(p *corev1.Pod) { p.Labels["storm"] = "yes" })
		}
		Eventually(condition(ctx, w, gdprv1alpha1.InSyncCondition), timeout, 20*time.Millisecond).Should(
			HaveField("Message", ContainSubstring(fmt.Sprintf("at most %d at once", driftReplacementBurst))))
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(countType(entriesOf(ctx, ns, w.Name), gdprv1alpha1.AuditPodReplaced)).To(Equal(len(drifted)))
		}, timeout, interval).Should(Succeed(), "every drifted pod is replaced in the end")
		eventuallyReady(ctx, w, driftReplacementBurst+2)
	})

	It("stops replacing when every fresh pod drifts the same way, and says so", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "looping", 1, image("drift/app:1")))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		// A rogue controller that labels every pod of the workload after it is created.
		loopCtx, stop := context.WithCancel(ctx)
		defer stop()
		go func() {
			defer GinkgoRecover()
			for loopCtx.Err() == nil {
				list := &corev1.PodList{}
				_ = k8sClient.List(loopCtx, list, client.InNamespace(ns), client.MatchingLabels{gdprv1alpha1.WorkloadLabel: w.Name})
				for _, p := range list.Items {
					switch {
					case p.DeletionTimestamp != nil:
						_ = k8sClient.Delete(loopCtx, &p, client.GracePeriodSeconds(0))
					case p.Labels["rogue"] == "":
						p.Labels["rogue"] = "yes"
						_ = k8sClient.Update(loopCtx, &p, client.FieldOwner("rogue-controller"))
					case !podReady(&p):
						p.Status.Phase = corev1.PodRunning
						p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
						_ = k8sClient.Status().Update(loopCtx, &p)
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
		Eventually(condition(ctx, w, gdprv1alpha1.StalledCondition), 2*timeout, interval).Should(And(
			Not(BeNil()), HaveField("Reason", gdprv1alpha1.ReasonDriftLoop), HaveField("Message", ContainSubstring("metadata.labels.rogue"))))
		driftLoop := exportedMetric("amber_workload_condition", conditionLabels(ns, w.Name, gdprv1alpha1.StalledCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonDriftLoop))
		Eventually(driftLoop, timeout, interval).Should(HaveValue(BeEquivalentTo(1)), "the AmberDriftLoop alert reads it")
		replaced := statusOf(ctx, w).Drift.Replaced
		Consistently(func() int64 { return statusOf(ctx, w).Drift.Replaced }, 2*time.Second, interval).Should(Equal(replaced), "Amber stops")
		Expect(replaced).To(BeNumerically("<=", 5))
		stop()

		By("starting again once the spec changes")
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.DriftPolicy.IgnoreMetadata = []string{"rogue"} })
		eventuallyReady(ctx, w, 1)
		Eventually(driftLoop, timeout, interval).Should(BeNil(), "the alert resolves")
		Expect(condition(ctx, w, gdprv1alpha1.StalledCondition)()).To(BeNil())
	})
})

// podGone reports whether the pod (by UID) no longer exists.
func podGone(ctx context.Context, pod *corev1.Pod) bool {
	got := &corev1.Pod{}
	err := k8sClient.Get(ctx, client.ObjectKeyFromObject(pod), got)
	return client.IgnoreNotFound(err) == nil && (err != nil || got.UID != pod.UID)
}

var _ = Describe("Residency", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	// node makes a node in region, as a cloud provider labels it; envtest has no kubelet.
	node := func(ctx SpecContext, region string) *corev1.Node {
		GinkgoHelper()
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{GenerateName: "node-" + region + "-", Labels: map[string]string{corev1.LabelTopologyRegion: region}}}
		Expect(k8sClient.Create(ctx, n)).To(Succeed())
		DeferCleanup(func(ctx SpecContext) { Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, n))).To(Succeed()) })
		return n
	}
	// bind places a pod on a node, as the scheduler does; envtest has none.
	bind := func(ctx SpecContext, pod *corev1.Pod, n *corev1.Node) {
		GinkgoHelper()
		Expect(k8sClient.SubResource("binding").Create(ctx, pod, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: pod.Name},
			Target:     corev1.ObjectReference{Kind: "Node", Name: n.Name},
		})).To(Succeed())
	}

	It("stops a pod whose node was relabelled out of the allowed regions at once, even with no allowed node left to replace it", func(ctx SpecContext) {
		eu := node(ctx, "eu-west-1")
		w := workload(ns, "resident", 1, image("drift/app:1"))
		w.Spec.Residency.AllowedRegions = []string{"eu-west-1"}
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		Eventually(func() []corev1.Pod { return activePods(ctx, w) }, timeout, interval).Should(HaveLen(1))
		pod := activePods(ctx, w)[0]
		bind(ctx, &pod, eu)
		eventuallyReady(ctx, w, 1)

		By("the only node of the allowed region moves to the US")
		Eventually(func() error {
			if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(eu), eu); err != nil {
				return err
			}
			eu.Labels[corev1.LabelTopologyRegion] = "us-east-1"
			return k8sClient.Update(ctx, eu)
		}, timeout, interval).Should(Succeed())

		// Unlike the descheduler's RemovePodsViolatingNodeAffinity, which leaves such a pod
		// running when no other node fits, processing stops: the pod goes first.
		Eventually(func(g Gomega) {
			finalizePods(ctx, w)
			g.Expect(podUIDs(ctx, w)).NotTo(ContainElement(string(pod.UID)))
		}, timeout, interval).Should(Succeed())
		detected := driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))
		Expect(detected).To(HaveLen(1))
		Expect(detected[0].Spec.Reason).To(Equal(string(gdprv1alpha1.DriftOutOfRegion)))
		Expect(detected[0].Spec.Message).To(ContainSubstring("spec.nodeName"))

		By("its replacement is made, and waits for a node in the allowed region")
		Eventually(func() []corev1.Pod { return activePods(ctx, w) }, timeout, interval).Should(HaveLen(1))
		fresh := activePods(ctx, w)[0]
		Expect(fresh.Spec.NodeName).To(BeEmpty())
		Expect(fresh.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions).To(
			ContainElement(corev1.NodeSelectorRequirement{Key: corev1.LabelTopologyRegion, Operator: corev1.NodeSelectorOpIn, Values: []string{"eu-west-1"}}))
	})

	It("says which regions pods wait for while no node there can take them, and records where each pod was bound", func(ctx SpecContext) {
		w := workload(ns, "waiting", 1, image("drift/app:1"))
		w.Spec.Residency.AllowedRegions = []string{"eu-west-1", "eu-central-1"}
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		Eventually(func() []corev1.Pod { return activePods(ctx, w) }, timeout, interval).Should(HaveLen(1))
		pod := activePods(ctx, w)[0]

		By("the scheduler finds no node in the allowed regions, as it says on the pod")
		schedulerSays := "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."
		Eventually(func() error {
			if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(&pod), &pod); err != nil {
				return err
			}
			pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
				Reason: corev1.PodReasonUnschedulable, Message: schedulerSays, LastTransitionTime: metav1.Now()}}
			return k8sClient.Status().Update(ctx, &pod)
		}, timeout, interval).Should(Succeed())
		Eventually(func(g Gomega) {
			got := &gdprv1alpha1.GDPRWorkload{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
			ready := meta.FindStatusCondition(got.Status.Conditions, gdprv1alpha1.ReadyCondition)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(ready.Reason).To(Equal(gdprv1alpha1.ReasonNoEligibleNodes))
			g.Expect(ready.Message).To(ContainSubstring("no schedulable node in the allowed regions eu-central-1, eu-west-1: 1 pod stays Pending"))
			g.Expect(ready.Message).To(ContainSubstring(schedulerSays))
			reconciling := meta.FindStatusCondition(got.Status.Conditions, gdprv1alpha1.ReconcilingCondition)
			g.Expect(reconciling).NotTo(BeNil())
			g.Expect(reconciling.Reason).To(Equal(gdprv1alpha1.ReasonNoEligibleNodes))
			g.Expect(meta.FindStatusCondition(got.Status.Conditions, gdprv1alpha1.StalledCondition)).To(BeNil(),
				"nodes may come back: the workload is waiting, not stalled")
			g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		}, timeout, interval).Should(Succeed())
		Expect(driftEntries(ctx, w, gdprv1alpha1.AuditPodScheduled, string(pod.UID))).To(BeEmpty())

		By("a node of an allowed region comes, the pod is bound to it, and the ledger says where")
		central := node(ctx, "eu-central-1")
		Eventually(func() error {
			if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(central), central); err != nil {
				return err
			}
			central.Labels[corev1.LabelTopologyZone] = "eu-central-1a"
			return k8sClient.Update(ctx, central)
		}, timeout, interval).Should(Succeed())
		bind(ctx, &pod, central)
		eventuallyReady(ctx, w, 1)
		var scheduled []gdprv1alpha1.AuditEvent
		Eventually(func() []gdprv1alpha1.AuditEvent {
			scheduled = driftEntries(ctx, w, gdprv1alpha1.AuditPodScheduled, string(pod.UID))
			return scheduled
		}, timeout, interval).Should(HaveLen(1))
		Expect(scheduled[0].Spec.Reason).To(Equal(string(gdprv1alpha1.AuditReasonBound)))
		Expect(scheduled[0].Spec.Placement).To(Equal(&gdprv1alpha1.AuditPlacement{Node: central.Name, Region: "eu-central-1", Zone: "eu-central-1a"}))
		Expect(scheduled[0].Spec.Message).To(Equal("Bound to node " + central.Name + " in region eu-central-1, zone eu-central-1a"))
		created := driftEntries(ctx, w, gdprv1alpha1.AuditPodCreated, string(pod.UID))
		Expect(created).To(HaveLen(1))
		Expect(scheduled[0].Spec.Sequence).To(BeNumerically(">", created[0].Spec.Sequence), "a pod is bound after it is made")
		Consistently(func() []gdprv1alpha1.AuditEvent {
			return driftEntries(ctx, w, gdprv1alpha1.AuditPodScheduled, string(pod.UID))
		}, 2*time.Second, interval).Should(HaveLen(1), "recorded once, however often the pod is looked at")
	})

	It("leaves a pod in an allowed region alone, and reports one out of region under the Report policy without removing it", func(ctx SpecContext) {
		us := node(ctx, "us-east-1")
		w := workload(ns, "reported", 1, image("drift/app:1"))
		w.Spec.Residency.AllowedRegions = []string{"us-east-1"}
		w.Spec.DriftPolicy.Action = gdprv1alpha1.DriftReport
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		Eventually(func() []corev1.Pod { return activePods(ctx, w) }, timeout, interval).Should(HaveLen(1))
		pod := activePods(ctx, w)[0]
		bind(ctx, &pod, us)
		eventuallyReady(ctx, w, 1)
		Consistently(func() []gdprv1alpha1.AuditEvent {
			return driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))
		}, 2*time.Second, interval).Should(BeEmpty(), "a pod in its region is not drift")

		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Residency.AllowedRegions = []string{"eu-west-1"} })
		Eventually(func() []gdprv1alpha1.AuditEvent {
			return driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))
		}, timeout, interval).Should(HaveLen(1))
		Consistently(func() []string { return podUIDs(ctx, w) }, 2*time.Second, interval).Should(ContainElement(string(pod.UID)),
			"Report records and keeps")
	})
})
