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
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/history"
	"github.com/amber-gdpr/amber/internal/revision"
	"github.com/amber-gdpr/amber/internal/rollback"
)

// These specs roll workloads back as `kubectl amber rollback` does (internal/rollback decides
// what to write; the CLI's patch, with its optimistic lock and field manager, is repeated
// here), against the suite's registry, where the specs move tags.

// decodedRevisions reads the workload's revisions as the CLI does.
func decodedRevisions(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) []revision.Revision {
	GinkgoHelper()
	var revisions []revision.Revision
	for _, cr := range revisionsOf(ctx, w) {
		rev, err := revision.Decode(&cr)
		Expect(err).NotTo(HaveOccurred())
		revisions = append(revisions, rev)
	}
	return revisions
}

// rollBack does what `kubectl amber rollback NAME [--to-revision N]` does, and returns the
// revision it rolled back to.
func rollBack(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, toRevision int64) revision.Revision {
	GinkgoHelper()
	var target revision.Revision
	Eventually(func(g Gomega) {
		current := &gdprv1alpha1.GDPRWorkload{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), current)).To(Succeed())
		var err error
		target, err = rollback.Target(decodedRevisions(ctx, current), current.Status.UpdateRevision, toRevision)
		g.Expect(err).NotTo(HaveOccurred())
		restored := rollback.Apply(current, target)
		g.Expect(k8sClient.Patch(ctx, restored, client.MergeFromWithOptions(current, client.MergeFromWithOptimisticLock{}),
			client.FieldOwner(rollback.FieldManager))).To(Succeed())
	}, timeout, interval).Should(Succeed())
	return target
}

// historyOf builds the history `kubectl amber history` prints.
func historyOf(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) []history.Row {
	GinkgoHelper()
	current := &gdprv1alpha1.GDPRWorkload{}
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), current)).To(Succeed())
	var entries []gdprv1alpha1.AuditEventSpec
	for _, e := range entriesOf(ctx, w.Namespace, w.Name) {
		entries = append(entries, e.Spec)
	}
	return history.Build(history.Input{Namespace: w.Namespace, Workload: w.Name, WorkloadUID: string(current.UID),
		UpdateRevision: current.Status.UpdateRevision, Revisions: decodedRevisions(ctx, current), Entries: entries}).Revisions
}

// restoredEntries are the workload's RevisionRestored entries.
func restoredEntries(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) []gdprv1alpha1.AuditEvent {
	var found []gdprv1alpha1.AuditEvent
	for _, e := range entriesOf(ctx, w.Namespace, w.Name) {
		if e.Spec.Type == gdprv1alpha1.AuditRevisionRestored {
			found = append(found, e)
		}
	}
	return found
}

// mentions reports whether any revision or ledger entry of the workload names digest.
func mentions(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, digest string) bool {
	for _, cr := range revisionsOf(ctx, w) {
		if strings.Contains(string(cr.Data.Raw), digest) {
			return true
		}
	}
	for _, e := range entriesOf(ctx, w.Namespace, w.Name) {
		if strings.Contains(e.Spec.Message, digest) {
			return true
		}
	}
	return false
}

var _ = Describe("Rollback", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("restores the earlier revision's recorded digests though its tag moved, resolving nothing again", func(ctx SpecContext) {
		refV1, refV2 := images.Ref("rb-moved/app:v1"), images.Ref("rb-moved/app:v2")
		digestA := mustPush(images, "rb-moved/app:v1")
		digestB := mustPush(images, "rb-moved/app:v2")
		w := workload(ns, "undo", 3, refV1)
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 3)
		revisionA := statusOf(ctx, w).CurrentRevision

		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Template.Spec.Containers[0].Image = refV2 })
		eventuallyReady(ctx, w, 3)
		Expect(podImages(ctx, w)).To(HaveEach(refV2 + "@" + digestB))

		digestC := mustPush(images, "rb-moved/app:v1")
		Expect(digestC).NotTo(Equal(digestA), "the tag moved meanwhile")
		time.Sleep(2 * time.Second) // past the resolution cache's TTL

		target := rollBack(ctx, w, 0)
		Expect(target.ID).To(Equal(revisionA), "the previous revision by number")
		eventuallyReady(ctx, w, 3)
		Expect(statusOf(ctx, w).CurrentRevision).To(Equal(revisionA))
		Expect(podImages(ctx, w)).To(And(HaveLen(3), HaveEach(refV1+"@"+digestA)), "the digests recorded when it was pinned")
		Expect(revisionsOf(ctx, w)).To(HaveLen(2), "no revision was made from a fresh resolution")
		Expect(mentions(ctx, w, digestC)).To(BeFalse(), "the moved tag's digest is nowhere")

		restored := restoredEntries(ctx, w)
		Expect(restored).To(HaveLen(1))
		Expect(restored[0].Spec.Reason).To(Equal(string(gdprv1alpha1.AuditReasonRollback)))
		Expect(restored[0].Spec.Subject.Revision).To(Equal(revisionA))
		Expect(restored[0].Spec.Actor).To(Equal(actors.Record(rollback.FieldManager)), "who rolled back, pseudonymised")
		Expect(restored[0].Spec.Message).To(ContainSubstring(digestA))

		By("the history shows the restored revision as current, and when the other ran")
		rows := historyOf(ctx, w)
		Expect(rows).To(HaveLen(2))
		Expect(rows[0]).To(And(HaveField("ID", Not(Equal(revisionA))), HaveField("Number", BeEquivalentTo(2)), HaveField("Cause", "SpecChanged"),
			HaveField("RunningPods", 0), HaveField("FirstPod", Not(BeNil())), HaveField("LastPod", Not(BeNil()))))
		Expect(rows[1]).To(And(HaveField("ID", revisionA), HaveField("Number", BeEquivalentTo(3)), HaveField("Current", true),
			HaveField("Cause", "Rollback"), HaveField("ChangedBy", actors.Record(rollback.FieldManager)), HaveField("RunningPods", 3)))
		Expect(rows[1].Images).To(ConsistOf(history.Image{Container: "app", Image: refV1, Digest: digestA}))
	})

	It("returns to an earlier revision of the same template, pinned before a refresh found its tag moved, and stays there", func(ctx SpecContext) {
		ref := images.Ref("rb-same/app:v1")
		digestA := mustPush(images, "rb-same/app:v1")
		w := workload(ns, "same", 2, ref)
		w.Spec.ImagePolicy.RefreshInterval = &metav1.Duration{Duration: 10 * time.Second}
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		first := statusOf(ctx, w).CurrentRevision

		digestC := mustPush(images, "rb-same/app:v1")
		By("a refresh pins the moved tag as a revision of its own and rolls it out")
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podImages(ctx, w)).To(And(HaveLen(2), HaveEach(ref+"@"+digestC)))
		}, 2*timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 2)
		Expect(timeline(entriesOf(ctx, ns, "same"))).To(ContainElement("RevisionPinned/TagMoved"))

		target := rollBack(ctx, w, 0)
		Expect(target.ID).To(Equal(first))
		Expect(target.TemplateHash).To(Equal(first), "the same template: writing it back alone would change nothing")
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podImages(ctx, w)).To(And(HaveLen(2), HaveEach(ref+"@"+digestA)))
		}, timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 2)
		Expect(statusOf(ctx, w).CurrentRevision).To(Equal(first))
		Expect(restoredEntries(ctx, w)).To(ContainElement(HaveField("Spec.Subject.Revision", first)))

		By("refreshes, due every 10s, do not move it off the revision asked for")
		Consistently(func() []string { return podImages(ctx, w) }, 12*time.Second, 500*time.Millisecond).Should(HaveEach(ref + "@" + digestA))

		By("a later change of the template makes the annotation moot, and Amber removes it")
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Template.Labels["tier"] = "web" })
		Eventually(func(g Gomega) {
			got := &gdprv1alpha1.GDPRWorkload{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
			g.Expect(got.Annotations).NotTo(HaveKey(gdprv1alpha1.RollbackToAnnotation))
		}, timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 2)
	})

	It("tells from the managed fields that a GitOps tool applies the spec, and rolls back beside it", func(ctx SpecContext) {
		digestA := mustPush(images, "rb-gitops/app:1")
		mustPush(images, "rb-gitops/app:2")
		w := workload(ns, "gitops", 1, images.Ref("rb-gitops/app:1"))
		apply := func(image string) {
			GinkgoHelper()
			w.Spec.Template.Spec.Containers[0].Image = image
			object, err := runtime.DefaultUnstructuredConverter.ToUnstructured(w)
			Expect(err).NotTo(HaveOccurred())
			u := &unstructured.Unstructured{Object: object}
			u.SetAPIVersion(gdprv1alpha1.GroupVersion.String())
			u.SetKind("GDPRWorkload")
			unstructured.RemoveNestedField(u.Object, "status")
			unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
			Expect(k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("argocd-controller"), client.ForceOwnership)).To(Succeed())
		}
		apply(images.Ref("rb-gitops/app:1"))
		eventuallyReady(ctx, w, 1)
		apply(images.Ref("rb-gitops/app:2"))
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podImages(ctx, w)).To(HaveEach(ContainSubstring("rb-gitops/app:2@")))
		}, timeout, interval).Should(Succeed())

		got := &gdprv1alpha1.GDPRWorkload{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
		Expect(rollback.GitOpsManagers(got.ManagedFields)).To(Equal([]string{"argocd-controller"}))
		Expect(rollback.GitOpsWarning(ns, "gitops", rollback.GitOpsManagers(got.ManagedFields))).To(ContainSubstring("revert the commit"))

		rollBack(ctx, w, 1)
		eventuallyReady(ctx, w, 1)
		Expect(podImages(ctx, w)).To(Equal([]string{images.Ref("rb-gitops/app:1") + "@" + digestA}))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
		Expect(rollback.GitOpsManagers(got.ManagedFields)).To(Equal([]string{"argocd-controller"}), "the tool still manages the rest of the spec, and will sync it back")

		By("a workload written by a person with kubectl is no GitOps tool's")
		plain := workload(ns, "plain", 1, images.Ref("rb-gitops/app:1"))
		plain.Spec.Replicas = ptr.To[int32](0)
		Expect(k8sClient.Create(ctx, plain, client.FieldOwner("kubectl-client-side-apply"))).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(plain), plain)).To(Succeed())
		Expect(rollback.GitOpsManagers(plain.ManagedFields)).To(BeEmpty())
	})
})
