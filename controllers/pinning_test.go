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
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	. "github.com/onsi/gomega/gstruct"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/test/registry"
)

// These specs pin images against real OCI registries running in this process
// (go-containerregistry's), with images the specs push.

func statusOf(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) gdprv1alpha1.GDPRWorkloadStatus {
	GinkgoHelper()
	got := &gdprv1alpha1.GDPRWorkload{}
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
	return got.Status
}

// podImages lists the image of every container of the workload's pods that are not being deleted.
func podImages(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) []string {
	var images []string
	for _, p := range activePods(ctx, w) {
		for _, c := range p.Spec.Containers {
			images = append(images, c.Image)
		}
	}
	return images
}

func revisionsOf(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) []appsv1.ControllerRevision {
	GinkgoHelper()
	list := &appsv1.ControllerRevisionList{}
	Expect(k8sClient.List(ctx, list, client.InNamespace(w.Namespace), client.MatchingLabels{gdprv1alpha1.WorkloadLabel: w.Name})).To(Succeed())
	return list.Items
}

// pinFailure waits until ImagesPinned is False with reason, and returns the condition.
func pinFailure(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, reason string) *metav1.Condition {
	GinkgoHelper()
	var found *metav1.Condition
	Eventually(func(g Gomega) {
		found = condition(ctx, w, gdprv1alpha1.ImagesPinnedCondition)()
		g.Expect(found).NotTo(BeNil())
		g.Expect(found.Status).To(Equal(metav1.ConditionFalse))
		g.Expect(found.Reason).To(Equal(reason), found.Message)
	}, timeout, interval).Should(Succeed())
	return found
}

func pullSecret(namespace, name, host, username, password string) *corev1.Secret {
	auth := base64.StdEncoding.EncodeToString([]byte(username + ":" + password))
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Type:       corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: fmt.Appendf(nil,
			`{"auths":{%q:{"username":%q,"password":%q,"auth":%q}}}`, host, username, password, auth)},
	}
}

func mustPush(r *registry.Registry, repoAndTag string) string {
	GinkgoHelper()
	digest, err := r.Push(repoAndTag)
	Expect(err).NotTo(HaveOccurred())
	return digest.String()
}

var _ = Describe("Image pinning", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("pins a tag to its digest before any pod exists, keeping the tag to read and the spec untouched", func(ctx SpecContext) {
		ref := images.Ref("pin-tag/app:1.4")
		digest := mustPush(images, "pin-tag/app:1.4")
		initRef := images.Ref("pin-tag/migrate:7")
		initDigest := mustPush(images, "pin-tag/migrate:7")
		w := workload(ns, "tagged", 2, ref)
		w.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: initRef}}
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)

		Expect(podImages(ctx, w)).To(HaveEach(ref+"@"+digest), "pods run the digest")
		for _, p := range activePods(ctx, w) {
			Expect(p.Spec.InitContainers[0].Image).To(Equal(initRef+"@"+initDigest), "init containers too")
		}
		status := statusOf(ctx, w)
		Expect(status.PinnedImages).To(HaveLen(2))
		Expect(status.PinnedImages[0]).To(MatchFields(IgnoreExtras, Fields{
			"Container": Equal("app"), "Image": Equal(ref), "Pinned": Equal(ref + "@" + digest), "Digest": Equal(digest),
		}))
		Expect(status.PinnedImages[0].ResolvedAt.IsZero()).To(BeFalse())
		Expect(condition(ctx, w, gdprv1alpha1.ImagesPinnedCondition)()).To(HaveField("Reason", gdprv1alpha1.ReasonPinned))
		Expect(status.CurrentRevision).To(Equal(status.UpdateRevision))

		got := &gdprv1alpha1.GDPRWorkload{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
		Expect(got.Spec.Template.Spec.Containers[0].Image).To(Equal(ref), "the spec a GitOps tool applied is never rewritten")

		revisions := revisionsOf(ctx, w)
		Expect(revisions).To(HaveLen(1))
		Expect(revisions[0].Name).To(Equal("tagged-" + status.UpdateRevision))
		Expect(revisions[0].Revision).To(BeEquivalentTo(1))
		Expect(metav1.IsControlledBy(&revisions[0], got)).To(BeTrue())
		Expect(string(revisions[0].Data.Raw)).To(ContainSubstring(digest))

		entries := entriesOf(ctx, ns, "tagged")
		Expect(timeline(entries)).To(ContainElement("RevisionPinned/Pinned"))
		for _, e := range entries {
			if e.Spec.Type == gdprv1alpha1.AuditRevisionPinned {
				Expect(e.Spec.Message).To(ContainSubstring(ref + "@" + digest))
				Expect(e.Spec.Subject.Revision).To(Equal(status.UpdateRevision))
			}
		}
	})

	It("checks that an image written by digest exists", func(ctx SpecContext) {
		digest := mustPush(images, "pin-digest/app:1")
		byDigest := images.Ref("pin-digest/app@" + digest)
		w := workload(ns, "by-digest", 1, byDigest)
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 1)
		Expect(podImages(ctx, w)).To(Equal([]string{byDigest}))

		missing := workload(ns, "missing-digest", 1, images.Ref("pin-digest/app@sha256:"+strings.Repeat("0", 64)))
		Expect(k8sClient.Create(ctx, missing)).To(Succeed())
		Expect(pinFailure(ctx, missing, gdprv1alpha1.ReasonImageNotFound).Message).To(ContainSubstring("pin-digest/app@sha256:000"))
		Expect(activePods(ctx, missing)).To(BeEmpty())
	})

	It("pins a multi-architecture image to its index and records its platforms", func(ctx SpecContext) {
		index, err := images.PushIndex("pin-multi/app:1", "linux/amd64", "linux/arm64/v8")
		Expect(err).NotTo(HaveOccurred())
		w := workload(ns, "multi", 1, images.Ref("pin-multi/app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 1)
		pinned := statusOf(ctx, w).PinnedImages[0]
		Expect(pinned.Digest).To(Equal(index.String()), "the index, so that every node's platform keeps working")
		Expect(pinned.Platforms).To(ConsistOf("linux/amd64", "linux/arm64/v8"))
		Expect(podImages(ctx, w)).To(Equal([]string{images.Ref("pin-multi/app:1@" + index.String())}))
	})

	It("keeps running the pinned bytes when the tag moves, and keeps the history as it was", func(ctx SpecContext) {
		ref := images.Ref("pin-moved/app:1")
		first := mustPush(images, "pin-moved/app:1")
		w := workload(ns, "moved", 2, ref)
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)

		moved := mustPush(images, "pin-moved/app:1")
		Expect(moved).NotTo(Equal(first))
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Replicas = ptr.To[int32](3) })
		victim := activePods(ctx, w)[0]
		Expect(k8sClient.Delete(ctx, &victim)).To(Succeed())
		eventuallyReady(ctx, w, 3)
		time.Sleep(2 * time.Second) // past the resolution cache's TTL
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Replicas = ptr.To[int32](4) })
		eventuallyReady(ctx, w, 4)

		Expect(podImages(ctx, w)).To(HaveEach(ref+"@"+first), "new and replacement pods run the pinned digest")
		Expect(revisionsOf(ctx, w)).To(HaveLen(1))
		Expect(statusOf(ctx, w).PinnedImages[0].Digest).To(Equal(first))
	})

	It("makes no pod from a missing tag, and rolls out without anyone acting once it is pushed", func(ctx SpecContext) {
		ref := images.Ref("pin-missing/app:1")
		w := workload(ns, "missing", 1, ref)
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		Expect(pinFailure(ctx, w, gdprv1alpha1.ReasonImageNotFound).Message).To(ContainSubstring(ref))
		ready := condition(ctx, w, gdprv1alpha1.ReadyCondition)()
		Expect(ready).To(HaveField("Status", metav1.ConditionFalse))
		Consistently(func() []corev1.Pod { return activePods(ctx, w) }, time.Second, interval).Should(BeEmpty())

		digest := mustPush(images, "pin-missing/app:1")
		eventuallyReady(ctx, w, 1)
		Expect(podImages(ctx, w)).To(Equal([]string{ref + "@" + digest}))
		Expect(timeline(entriesOf(ctx, ns, "missing"))).To(ContainElement("PinningFailed/ImageNotFound"))
		Expect(countType(entriesOf(ctx, ns, "missing"), gdprv1alpha1.AuditPinningFailed)).To(Equal(1), "one entry, not one per retry")
	})

	It("keeps a pinned revision's pods, and replaces them, after its tag is deleted", func(ctx SpecContext) {
		ref := images.Ref("pin-deleted/app:1")
		digest := mustPush(images, "pin-deleted/app:1")
		w := workload(ns, "deleted-tag", 2, ref)
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		Expect(images.Delete("pin-deleted/app:1")).To(Succeed())

		victim := activePods(ctx, w)[0]
		Expect(k8sClient.Delete(ctx, &victim)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		Expect(podImages(ctx, w)).To(HaveEach(ref+"@"+digest), "the replacement comes from the recorded revision")

		By("a new template whose tag is gone keeps the running pods untouched")
		uids := podUIDs(ctx, w)
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Spec.Containers[0].Image = images.Ref("pin-deleted/app:2")
		})
		pinFailure(ctx, w, gdprv1alpha1.ReasonImageNotFound)
		Consistently(func() []string { return podUIDs(ctx, w) }, 2*time.Second, interval).Should(Equal(uids))
	})

	It("rolls back to the exact digests that ran before, not to where the tag points now", func(ctx SpecContext) {
		refA, refB := images.Ref("pin-rollback/app:1"), images.Ref("pin-rollback/app:2")
		digestA := mustPush(images, "pin-rollback/app:1")
		digestB := mustPush(images, "pin-rollback/app:2")
		w := workload(ns, "rollback", 2, refA)
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		revisionA := statusOf(ctx, w).CurrentRevision

		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Template.Spec.Containers[0].Image = refB })
		eventuallyReady(ctx, w, 2)
		Expect(podImages(ctx, w)).To(HaveEach(refB + "@" + digestB))

		Expect(mustPush(images, "pin-rollback/app:1")).NotTo(Equal(digestA), "the tag moved meanwhile")
		time.Sleep(2 * time.Second) // past the resolution cache's TTL
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Template.Spec.Containers[0].Image = refA })
		eventuallyReady(ctx, w, 2)
		Expect(statusOf(ctx, w).CurrentRevision).To(Equal(revisionA), "the template's own revision, restored")
		Expect(podImages(ctx, w)).To(HaveEach(refA+"@"+digestA), "the digests recorded when it was pinned")

		numbers := map[string]int64{}
		for _, cr := range revisionsOf(ctx, w) {
			numbers[cr.Labels[gdprv1alpha1.RevisionLabel]] = cr.Revision
		}
		Expect(numbers).To(HaveLen(2))
		Expect(numbers[revisionA]).To(BeEquivalentTo(3), "a restored revision is the newest in the history")
		Expect(timeline(entriesOf(ctx, ns, "rollback"))).To(ContainElements("RevisionRestored/Rollback", "RolloutStarted/NewRevision", "RolloutCompleted/AllPodsUpdated"))
	})

	It("holds the pods while the registry is down, and rolls out once it is back", func(ctx SpecContext) {
		digest1 := mustPush(flakyRegistry, "pin-outage/app:1")
		digest2 := mustPush(flakyRegistry, "pin-outage/app:2")
		w := workload(ns, "outage", 2, flakyRegistry.Ref("pin-outage/app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		uids := podUIDs(ctx, w)

		Expect(flakyRegistry.Stop()).To(Succeed())
		restarted := false
		DeferCleanup(func() {
			if !restarted {
				_ = flakyRegistry.Restart()
			}
		})
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Spec.Containers[0].Image = flakyRegistry.Ref("pin-outage/app:2")
		})
		Expect(pinFailure(ctx, w, gdprv1alpha1.ReasonRegistryUnavailable).Message).To(ContainSubstring("pin-outage/app:2"))
		pinningFailing := exportedMetric("amber_workload_condition", conditionLabels(ns, w.Name, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionFalse, gdprv1alpha1.ReasonRegistryUnavailable))
		Eventually(pinningFailing, timeout, interval).Should(HaveValue(BeEquivalentTo(1)), "the AmberPinningFailing alert reads it")
		Expect(condition(ctx, w, gdprv1alpha1.ReadyCondition)()).To(HaveField("Status", metav1.ConditionFalse))

		By("a pod lost meanwhile is replaced from the revision that runs")
		victim := activePods(ctx, w)[0]
		Expect(k8sClient.Delete(ctx, &victim)).To(Succeed())
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podImages(ctx, w)).To(HaveLen(2))
		}, timeout, interval).Should(Succeed())
		Expect(podImages(ctx, w)).To(HaveEach(flakyRegistry.Ref("pin-outage/app:1@" + digest1)))
		Expect(podUIDs(ctx, w)).To(ContainElement(uids[1-indexOf(uids, string(victim.UID))]), "the other pod is untouched")

		Expect(flakyRegistry.Restart()).To(Succeed())
		restarted = true
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podImages(ctx, w)).To(And(HaveLen(2), HaveEach(flakyRegistry.Ref("pin-outage/app:2@"+digest2))))
		}, 2*timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 2)
		Expect(condition(ctx, w, gdprv1alpha1.ImagesPinnedCondition)()).To(HaveField("Status", metav1.ConditionTrue))
		Eventually(pinningFailing, timeout, interval).Should(BeNil(), "the alert resolves")
		Eventually(exportedMetric("amber_workload_condition", conditionLabels(ns, w.Name, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonPinned)), timeout, interval).Should(HaveValue(BeEquivalentTo(1)))
	})

	It("authenticates with the template's imagePullSecrets, and says so when the registry refuses", func(ctx SpecContext) {
		ref := authRegistry.Ref("pin-auth/app:1")
		digest := mustPush(authRegistry, "pin-auth/app:1")
		w := workload(ns, "private", 1, ref)
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		Expect(pinFailure(ctx, w, gdprv1alpha1.ReasonUnauthorized).Message).To(ContainSubstring(ref))

		By("wrong credentials")
		secret := pullSecret(ns, "registry-creds", authRegistry.Host, basicAuthUser, "wrong")
		Expect(k8sClient.Create(ctx, secret)).To(Succeed())
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "registry-creds"}}
		})
		Eventually(func(g Gomega) {
			g.Expect(statusOf(ctx, w).ObservedGeneration).To(BeEquivalentTo(2))
		}, timeout, interval).Should(Succeed())
		pinFailure(ctx, w, gdprv1alpha1.ReasonUnauthorized)
		Expect(activePods(ctx, w)).To(BeEmpty())

		By("the right credentials: the retry pins the image")
		Expect(k8sClient.Update(ctx, pullSecret(ns, "registry-creds", authRegistry.Host, basicAuthUser, basicAuthPassword))).To(Succeed())
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			g.Expect(podImages(ctx, w)).To(Equal([]string{ref + "@" + digest}))
		}, 3*timeout, interval).Should(Succeed())

		By("the service account's imagePullSecrets count too, as for the kubelet")
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "puller"},
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "registry-creds"}}}
		Expect(k8sClient.Create(ctx, sa)).To(Succeed())
		viaAccount := workload(ns, "via-account", 1, ref)
		viaAccount.Spec.Template.Spec.ServiceAccountName = "puller"
		Expect(k8sClient.Create(ctx, viaAccount)).To(Succeed())
		eventuallyReady(ctx, viaAccount, 1)
	})

	It("refuses images from outside the allowed registries, and says which", func(ctx SpecContext) {
		ref := image("pin-allowed/app:1")
		w := workload(ns, "fenced", 1, ref)
		w.Spec.ImagePolicy.AllowedRegistries = []string{"registry.example/team"}
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		Expect(pinFailure(ctx, w, gdprv1alpha1.ReasonRegistryNotAllowed).Message).To(ContainSubstring(ref))
		Expect(condition(ctx, w, gdprv1alpha1.StalledCondition)()).To(HaveField("Reason", gdprv1alpha1.ReasonRegistryNotAllowed))
		Expect(activePods(ctx, w)).To(BeEmpty())

		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.ImagePolicy.AllowedRegistries = []string{images.Host + "/pin-allowed"}
		})
		eventuallyReady(ctx, w, 1)
	})

	It("wakes a workload when a pull secret of its service account is fixed, without waiting for the backoff", func(ctx SpecContext) {
		ref := authRegistry.Ref("pin-wake/app:1")
		digest := mustPush(authRegistry, "pin-wake/app:1")
		Expect(k8sClient.Create(ctx, pullSecret(ns, "wake-creds", authRegistry.Host, basicAuthUser, "wrong"))).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wake-puller"},
			ImagePullSecrets: []corev1.LocalObjectReference{{Name: "wake-creds"}}})).To(Succeed())
		w := workload(ns, "wake", 1, ref)
		w.Spec.Template.Spec.ServiceAccountName = "wake-puller"
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		pinFailure(ctx, w, gdprv1alpha1.ReasonUnauthorized)

		By("failing long enough for the backoff to reach 16s")
		time.Sleep(16 * time.Second)
		pinFailure(ctx, w, gdprv1alpha1.ReasonUnauthorized)
		Expect(k8sClient.Update(ctx, pullSecret(ns, "wake-creds", authRegistry.Host, basicAuthUser, basicAuthPassword))).To(Succeed())
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			g.Expect(podImages(ctx, w)).To(Equal([]string{ref + "@" + digest}))
		}, 8*time.Second, interval).Should(Succeed(), "the secret's change woke the workload; the backoff alone would take longer")
	})

	It("does not reconcile a stalled workload again until its spec changes", func(ctx SpecContext) {
		w := workload(ns, "stalled-quiet", 1, image("pin-quiet/app:1"))
		w.Spec.ImagePolicy.AllowedRegistries = []string{"registry.example/team"}
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		pinFailure(ctx, w, gdprv1alpha1.ReasonRegistryNotAllowed)
		Eventually(condition(ctx, w, gdprv1alpha1.StalledCondition), timeout, interval).Should(HaveField("Reason", gdprv1alpha1.ReasonRegistryNotAllowed))
		key := client.ObjectKeyFromObject(w)
		time.Sleep(time.Second) // the status write's own echo settles
		before := reconciles.of(key)
		time.Sleep(10 * time.Second)
		after := reconciles.of(key)
		GinkgoWriter.Printf("stalled workload: %d reconciles in 10s (before: %d)\n", after-before, before)
		Expect(after-before).To(BeNumerically("<=", 1), "a stalled workload is left alone until something it depends on changes")

		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.ImagePolicy.AllowedRegistries = []string{images.Host + "/pin-quiet"}
		})
		eventuallyReady(ctx, w, 1)
	})

	It("stops making pods from a registry taken off the allowed list, keeping those that run", func(ctx SpecContext) {
		w := workload(ns, "narrowed", 2, image("pin-narrowed/app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)

		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.ImagePolicy.AllowedRegistries = []string{"registry.example"}
		})
		pinFailure(ctx, w, gdprv1alpha1.ReasonRegistryNotAllowed)
		Expect(condition(ctx, w, gdprv1alpha1.StalledCondition)()).To(HaveField("Reason", gdprv1alpha1.ReasonRegistryNotAllowed))
		Expect(activePods(ctx, w)).To(HaveLen(2), "running pods are not taken away")
		victim := activePods(ctx, w)[0]
		Expect(k8sClient.Delete(ctx, &victim)).To(Succeed())
		Consistently(func() []corev1.Pod { finalizePods(ctx, w); return activePods(ctx, w) }, 2*time.Second, interval).Should(HaveLen(1),
			"no pod is made from a registry that is no longer allowed")
	})

	It("pins anew, under a name of its own, when the revision pods run was deleted", func(ctx SpecContext) {
		ref := images.Ref("pin-lost/app:1")
		first := mustPush(images, "pin-lost/app:1")
		w := workload(ns, "lost", 2, ref)
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		before := statusOf(ctx, w).CurrentRevision

		moved := mustPush(images, "pin-lost/app:1")
		time.Sleep(2 * time.Second) // past the resolution cache's TTL
		Expect(k8sClient.Delete(ctx, &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lost-" + before}})).To(Succeed())

		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podImages(ctx, w)).To(And(HaveLen(2), HaveEach(ref+"@"+moved)),
				"pods of one revision never run two sets of bytes: the old ones are replaced")
		}, 2*timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 2)
		after := statusOf(ctx, w)
		Expect(after.CurrentRevision).NotTo(Equal(before))
		Expect(after.PinnedImages[0].Digest).To(Equal(moved))
		Expect(first).NotTo(Equal(moved))
	})

	It("stalls on an image reference the API server admits but that cannot be parsed", func(ctx SpecContext) {
		// The CRD's rule refuses most malformed references (UPPER/Case is refused when
		// applied); it does not count characters, and go-containerregistry refuses a
		// repository longer than 255.
		w := workload(ns, "malformed", 1, images.Host+"/"+strings.Repeat("a", 256)+":1")
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		pinFailure(ctx, w, gdprv1alpha1.ReasonInvalidReference)
		Expect(condition(ctx, w, gdprv1alpha1.StalledCondition)()).To(HaveField("Reason", gdprv1alpha1.ReasonInvalidReference))
	})

	It("picks up a moved tag at the refresh interval, as a new revision rolled out like any other", func(ctx SpecContext) {
		ref := images.Ref("pin-refresh/app:stable")
		first := mustPush(images, "pin-refresh/app:stable")
		w := workload(ns, "refreshed", 2, ref)
		w.Spec.ImagePolicy.RefreshInterval = &metav1.Duration{Duration: 10 * time.Second}
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		before := statusOf(ctx, w).CurrentRevision
		Expect(podImages(ctx, w)).To(HaveEach(ref + "@" + first))

		moved := mustPush(images, "pin-refresh/app:stable")
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podImages(ctx, w)).To(And(HaveLen(2), HaveEach(ref+"@"+moved)))
		}, 2*timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 2)
		after := statusOf(ctx, w)
		Expect(after.CurrentRevision).NotTo(Equal(before))
		Expect(revisionsOf(ctx, w)).To(HaveLen(2), "the moved tag is a revision of its own in the history")
		Expect(timeline(entriesOf(ctx, ns, "refreshed"))).To(ContainElements("RevisionPinned/TagMoved", "RolloutCompleted/AllPodsUpdated"))
	})

	It("keeps no more revisions that no pod runs than revisionHistoryLimit", func(ctx SpecContext) {
		w := workload(ns, "history", 1, image("pin-history/app:1"))
		w.Spec.RevisionHistoryLimit = ptr.To[int32](1)
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 1)
		for _, tag := range []string{"2", "3", "4"} {
			changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) {
				w.Spec.Template.Spec.Containers[0].Image = image("pin-history/app:" + tag)
			})
			eventuallyReady(ctx, w, 1)
		}
		current := statusOf(ctx, w).CurrentRevision
		Eventually(func(g Gomega) {
			names := []string{}
			for _, cr := range revisionsOf(ctx, w) {
				names = append(names, cr.Name)
			}
			g.Expect(names).To(HaveLen(2), "the running revision and one more")
			g.Expect(names).To(ContainElement("history-" + current))
		}, timeout, interval).Should(Succeed())
	})
})

func podUIDs(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) []string {
	var uids []string
	for _, p := range activePods(ctx, w) {
		uids = append(uids, string(p.UID))
	}
	return uids
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func countType(entries []gdprv1alpha1.AuditEvent, t gdprv1alpha1.AuditEventType) int {
	n := 0
	for _, e := range entries {
		if e.Spec.Type == t {
			n++
		}
	}
	return n
}
