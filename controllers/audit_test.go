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
	"crypto/ed25519"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// entriesOf lists a ledger's entries from the API server, in sequence order.
func entriesOf(ctx context.Context, namespace, name string) []gdprv1alpha1.AuditEvent {
	list := &gdprv1alpha1.AuditEventList{}
	Expect(k8sClient.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{gdprv1alpha1.AuditLedgerLabel: name})).To(Succeed())
	items := list.Items
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			if items[j].Spec.Sequence < items[i].Spec.Sequence {
				items[i], items[j] = items[j], items[i]
			}
		}
	}
	return items
}

func publicKeys() ledger.Keys {
	return ledger.NewKeys(keys.Signing.Public().(ed25519.PublicKey))
}

// verifyChain checks a ledger's whole chain with the same code the kubectl plugin runs.
func verifyChain(ctx context.Context, namespace, name string) ledger.Report {
	return ledger.Verify(namespace, name, entriesOf(ctx, namespace, name), publicKeys(), ledger.Options{MaxUnsigned: checkpointEvery})
}

// timeline summarises entries as "Type/Reason" strings, checkpoints left out.
func timeline(entries []gdprv1alpha1.AuditEvent) []string {
	var out []string
	for _, e := range entries {
		if e.Spec.Type != gdprv1alpha1.AuditCheckpoint {
			out = append(out, string(e.Spec.Type)+"/"+e.Spec.Reason)
		}
	}
	return out
}

func countKey(entries []gdprv1alpha1.AuditEvent, key string) int {
	n := 0
	for _, e := range entries {
		if e.Spec.IdempotencyKey == key {
			n++
		}
	}
	return n
}

var _ = Describe("AuditEvent", func() {
	It("refuses any change to an entry once created", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		_, err := writer.Append(ctx, ns, "immutable", gdprv1alpha1.AuditEventSpec{
			Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", Message: "Created pod x", IdempotencyKey: "x/PodCreated",
		})
		Expect(err).NotTo(HaveOccurred())
		entry := &gdprv1alpha1.AuditEvent{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: ledger.EntryName("immutable", 1)}, entry)).To(Succeed())
		entry.Spec.Message = "nothing happened"
		err = k8sClient.Update(ctx, entry)
		Expect(err).To(MatchError(ContainSubstring("spec is immutable: audit entries are append-only and can never be changed")))
	})
})

var _ = Describe("Audit ledger of a workload", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("records the workload's whole life, ending with its deletion, in a chain that verifies", func(ctx SpecContext) {
		w := workload(ns, "payments", 2, image("payments:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)

		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), w)).To(Succeed())
		Expect(w.Finalizers).To(ContainElement(gdprv1alpha1.LedgerFinalizer))
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Replicas = ptr.To[int32](1) })
		eventuallyReady(ctx, w, 1)

		Expect(k8sClient.Delete(ctx, w)).To(Succeed())
		Eventually(func(g Gomega) {
			finalizePods(ctx, w)
			err := k8sClient.Get(ctx, client.ObjectKeyFromObject(w), &gdprv1alpha1.GDPRWorkload{})
			g.Expect(err).To(MatchError(ContainSubstring("not found")))
		}, timeout, interval).Should(Succeed())

		entries := entriesOf(ctx, ns, "payments")
		Expect(timeline(entries)).To(Equal([]string{
			"WorkloadCreated/Created",
			"RevisionPinned/Pinned",
			"PodCreated/ScalingUp", "PodCreated/ScalingUp",
			"WorkloadSpecChanged/SpecChanged",
			"PodDeleted/ScalingDown",
			"PodDeleted/WorkloadDeleted",
			"WorkloadDeleted/Deleted",
		}))
		for i, e := range entries {
			Expect(e.Spec.Sequence).To(BeEquivalentTo(i+1), "gapless")
			Expect(e.OwnerReferences).To(BeEmpty(), "entries outlive their workload")
			Expect(e.Labels).To(HaveKeyWithValue(gdprv1alpha1.WorkloadLabel, "payments"))
			Expect(e.Labels).To(HaveKeyWithValue(gdprv1alpha1.AuditTypeLabel, string(e.Spec.Type)))
		}
		created := entries[0]
		Expect(created.Spec.Actor).To(Equal(actors.Record("controllers.test")), "the creating field manager, pseudonymised")
		Expect(created.Spec.Actor).To(MatchRegexp(`^hmac-sha256:[0-9a-f]{64}$`))
		changed := entries[4]
		Expect(changed.Spec.Fingerprints.Before).To(Equal(created.Spec.Fingerprints.After))
		Expect(changed.Spec.Fingerprints.After).NotTo(Equal(changed.Spec.Fingerprints.Before))
		Expect(changed.Spec.Subject.Generation).To(BeEquivalentTo(2))

		report := verifyChain(ctx, ns, "payments")
		Expect(report.Problem).To(BeNil())

		By("the ledger outlives the workload and says the chain verifies")
		Eventually(func(g Gomega) {
			l := &gdprv1alpha1.AuditLedger{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "payments"}, l)).To(Succeed())
			g.Expect(l.OwnerReferences).To(BeEmpty())
			g.Expect(l.Status.Head.Sequence).To(BeEquivalentTo(len(entries)))
			g.Expect(l.Status.Head.Hash).To(Equal(entries[len(entries)-1].Spec.Hash))
			g.Expect(l.Status.Entries).To(BeEquivalentTo(len(entries)))
			g.Expect(meta.IsStatusConditionTrue(l.Status.Conditions, gdprv1alpha1.VerifiedCondition)).To(BeTrue())
			g.Expect(l.Status.LastVerified).NotTo(BeNil())
		}, timeout, interval).Should(Succeed())
	})

	It("records a pod it finds without a creation entry, and pods deleted by someone else, as recovered", func(ctx SpecContext) {
		w := workload(ns, "recover", 1, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 1)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), w)).To(Succeed())

		By("a pod created just before a crash, its entry never written")
		revision := w.Status.UpdateRevision
		stray := podOf(w, revision)
		Expect(managerClient.Create(ctx, stray, client.FieldOwner(fieldOwner))).To(Succeed())
		Eventually(func() int { return countKey(entriesOf(ctx, ns, "recover"), string(stray.UID)+"/PodCreated") }, timeout, interval).Should(Equal(1))
		Expect(driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(stray.UID))).To(BeEmpty(), "a pod nobody changed did not drift")

		By("a pod deleted with kubectl")
		eventuallyReady(ctx, w, 1)
		victim := activePods(ctx, w)[0]
		Expect(k8sClient.Delete(ctx, &victim)).To(Succeed())
		eventuallyReady(ctx, w, 1)

		Eventually(func(g Gomega) {
			entries := entriesOf(ctx, ns, "recover")
			g.Expect(countKey(entries, string(victim.UID)+"/PodDeleted")).To(Equal(1))
			for _, e := range entries {
				switch e.Spec.IdempotencyKey {
				case string(stray.UID) + "/PodCreated":
					g.Expect(e.Spec.Recovered).To(BeTrue())
					g.Expect(e.Spec.Reason).To(Equal(string(gdprv1alpha1.AuditReasonFoundRunning)))
				case string(victim.UID) + "/PodDeleted":
					if e.Spec.Reason != "ScalingDown" { // the stray made one pod too many
						g.Expect(e.Spec.Recovered).To(BeTrue())
						g.Expect(e.Spec.Reason).To(BeElementOf(string(gdprv1alpha1.AuditReasonDeletionObserved), string(gdprv1alpha1.AuditReasonFoundGone)))
					}
				}
			}
		}, timeout, interval).Should(Succeed())
		Expect(verifyChain(ctx, ns, "recover").Problem).To(BeNil())
	})

	It("records a pod found while its workload is being deleted as created before deleted", func(ctx SpecContext) {
		// Pods bound to a node stay Terminating until a kubelet (here: the spec) lets them go,
		// which holds the workload's deletion open.
		w := workload(ns, "leaving", 1, image("app:1"))
		w.Spec.Template.Spec.NodeName = "node-a"
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 1)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), w)).To(Succeed())
		Expect(k8sClient.Delete(ctx, w)).To(Succeed())
		Eventually(func() []corev1.Pod { return activePods(ctx, w) }, timeout, interval).Should(BeEmpty())

		By("a pod whose creation entry was lost in a crash turns up")
		stray := podOf(w, w.Status.UpdateRevision)
		Expect(managerClient.Create(ctx, stray)).To(Succeed())

		Eventually(func(g Gomega) {
			finalizePods(ctx, w)
			err := k8sClient.Get(ctx, client.ObjectKeyFromObject(w), &gdprv1alpha1.GDPRWorkload{})
			g.Expect(err).To(MatchError(ContainSubstring("not found")), "the deletion completes")
		}, timeout, interval).Should(Succeed())
		var created, deleted int64
		for _, e := range entriesOf(ctx, ns, "leaving") {
			switch e.Spec.IdempotencyKey {
			case string(stray.UID) + "/PodCreated":
				created = e.Spec.Sequence
			case string(stray.UID) + "/PodDeleted":
				deleted = e.Spec.Sequence
			}
		}
		Expect(created).NotTo(BeZero())
		Expect(deleted).To(BeNumerically(">", created), "its creation is recorded before its deletion")
	})

	It("lets a workload go when its whole namespace is being deleted, its ledger with it", func(ctx SpecContext) {
		w := workload(ns, "doomed", 1, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 1)

		// envtest runs no namespace controller: the spec does its part, deleting the content
		// of the terminating namespace, the ledger first (it has no finalizer).
		Expect(k8sClient.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		Expect(k8sClient.DeleteAllOf(ctx, &gdprv1alpha1.AuditEvent{}, client.InNamespace(ns))).To(Succeed())
		Expect(k8sClient.Delete(ctx, &gdprv1alpha1.AuditLedger{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "doomed"}})).To(Succeed())
		Expect(k8sClient.Delete(ctx, w)).To(Succeed())

		Eventually(func(g Gomega) {
			finalizePods(ctx, w)
			err := k8sClient.Get(ctx, client.ObjectKeyFromObject(w), &gdprv1alpha1.GDPRWorkload{})
			g.Expect(err).To(MatchError(ContainSubstring("not found")), "the finalizer does not hold the namespace forever")
		}, timeout, interval).Should(Succeed())
	})

	It("signs a checkpoint after every few entries and after a quiet while", func(ctx SpecContext) {
		w := workload(ns, "signed", checkpointEvery+2, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, checkpointEvery+2)

		Eventually(func(g Gomega) {
			entries := entriesOf(ctx, ns, "signed")
			last := entries[len(entries)-1]
			g.Expect(last.Spec.Type).To(Equal(gdprv1alpha1.AuditCheckpoint), "a checkpoint follows the last entry within the interval")
			var checkpoints []int64
			for _, e := range entries {
				if e.Spec.Type == gdprv1alpha1.AuditCheckpoint {
					checkpoints = append(checkpoints, e.Spec.Sequence)
				}
			}
			g.Expect(checkpoints).To(HaveLen(2))
			g.Expect(checkpoints[0]).To(BeEquivalentTo(checkpointEvery + 1))
		}, 3*checkpointInterval+timeout, interval).Should(Succeed())
		report := verifyChain(ctx, ns, "signed")
		Expect(report.Problem).To(BeNil())
		Expect(report.Checkpoints).To(Equal(2))
		Expect(report.Unsigned).To(BeZero())
	})

	It("notices an entry deleted behind its back and names it", func(ctx SpecContext) {
		w := workload(ns, "tampered", 3, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 3)
		l := &gdprv1alpha1.AuditLedger{}
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "tampered"}, l)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(l.Status.Conditions, gdprv1alpha1.VerifiedCondition)).To(BeTrue())
		}, timeout, interval).Should(Succeed())

		victim := &gdprv1alpha1.AuditEvent{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: ledger.EntryName("tampered", 2)}, victim)).To(Succeed())
		Expect(k8sClient.Delete(ctx, victim)).To(Succeed())

		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "tampered"}, l)).To(Succeed())
			c := meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.VerifiedCondition)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(c.Reason).To(Equal(gdprv1alpha1.ReasonChainBroken))
			g.Expect(c.Message).To(HavePrefix("entry 2: is missing"))
		}, timeout, interval).Should(Succeed())
		Eventually(func() []string { return eventReasons(ctx, ns) }, timeout, interval).Should(ContainElement(gdprv1alpha1.EventLedgerTampered))
	})

	It("puts back a ledger status rewritten behind its back, and writes nothing while nothing changes", func(ctx SpecContext) {
		w := workload(ns, "restated", 1, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 1)
		l := &gdprv1alpha1.AuditLedger{}
		key := client.ObjectKey{Namespace: ns, Name: "restated"}
		By("a quiet ledger: every entry signed, nothing due")
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key, l)).To(Succeed())
			c := meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.VerifiedCondition)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(c.Message).To(HaveSuffix("; 0 not yet covered by a signed checkpoint"))
		}, timeout, interval).Should(Succeed())

		By("its status stays put: no reconcile rewrites it")
		versions := map[string]bool{}
		Consistently(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key, l)).To(Succeed())
			versions[l.ResourceVersion] = true
		}, 3*time.Second, interval).Should(Succeed())
		Expect(versions).To(HaveLen(1), "status writes while nothing changed")

		By("someone rewrites it")
		head, entries := l.Status.Head, l.Status.Entries
		l.Status.Head.Sequence, l.Status.Entries = 1, 1
		Expect(k8sClient.Status().Update(ctx, l)).To(Succeed())
		// Nothing else is due on this ledger for a minute (its full verification): only the
		// change itself can bring Amber to look.
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key, l)).To(Succeed())
			g.Expect(l.Status.Head).To(Equal(head))
			g.Expect(l.Status.Entries).To(Equal(entries))
		}, 5*time.Second, interval).Should(Succeed())
	})

	It("removes entries past their retention only behind a signed checkpoint", func(ctx SpecContext) {
		// History written a month ago, by a writer whose clock says so.
		old := audit.NewWriter(k8sClient, k8sClient, keys.Signing, 4)
		monthAgo := time.Now().Add(-30 * 24 * time.Hour)
		old.Clock = func() time.Time { return monthAgo }
		for i := range 10 {
			_, err := old.Append(ctx, ns, "expiring", gdprv1alpha1.AuditEventSpec{
				Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", Message: "Created a pod", IdempotencyKey: fmt.Sprintf("pod-%d/PodCreated", i),
			})
			Expect(err).NotTo(HaveOccurred())
		}
		// 1-4 entries, 5 checkpoint, 6-9, 10 checkpoint, 11-12; the ledger controller may add
		// a checkpoint of its own, as the entries are a month old.
		Expect(len(entriesOf(ctx, ns, "expiring"))).To(BeNumerically(">=", 12))

		l := &gdprv1alpha1.AuditLedger{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "expiring"}, l)).To(Succeed())
		// A merge patch: the ledger controller writes the status meanwhile.
		patch := client.MergeFrom(l.DeepCopy())
		l.Spec.Retention = &metav1.Duration{Duration: 7 * 24 * time.Hour}
		Expect(k8sClient.Patch(ctx, l, patch)).To(Succeed())

		Eventually(func(g Gomega) {
			entries := entriesOf(ctx, ns, "expiring")
			g.Expect(entries).NotTo(BeEmpty())
			first := entries[0]
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "expiring"}, l)).To(Succeed())
			// The writer's own checkpoints are entries 5 and 10, unless the ledger controller
			// signed one of its own in between (the entries are a month old, so one is due at
			// once): the first checkpoint left is then entry 9 at the earliest.
			g.Expect(first.Spec.Sequence).To(BeNumerically(">=", 9), "everything before the newest covering checkpoint is gone; ledger status %+v", l.Status)
			g.Expect(first.Spec.Type).To(Equal(gdprv1alpha1.AuditCheckpoint), "a checkpoint anchors what is left")
			expiredSince := 0 // expired entries seen since the last checkpoint
			for _, e := range entries[1:] {
				g.Expect(e.Spec.Type == gdprv1alpha1.AuditCheckpoint && e.Spec.Time.Time.Before(monthAgo.Add(time.Hour))).To(BeFalse(),
					"no month-old checkpoint with expired entries before it is left behind the first one")
				if e.Spec.Type == gdprv1alpha1.AuditCheckpoint {
					g.Expect(expiredSince).To(BeZero(), "expired entries covered by checkpoint %d are gone", e.Spec.Sequence)
				} else if e.Spec.Time.Time.Before(monthAgo.Add(time.Hour)) {
					expiredSince++
				}
			}
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "expiring"}, l)).To(Succeed())
			g.Expect(l.Status.FirstSequence).To(Equal(first.Spec.Sequence))
			g.Expect(meta.IsStatusConditionTrue(l.Status.Conditions, gdprv1alpha1.VerifiedCondition)).To(BeTrue())
		}, timeout, interval).Should(Succeed())
		report := ledger.Verify(ns, "expiring", entriesOf(ctx, ns, "expiring"), publicKeys(), ledger.Options{MaxUnsigned: 4})
		Expect(report.Problem).To(BeNil())
		Expect(report.First).To(BeNumerically(">=", 9))
	})

	It("finishes a retention pass that a crash cut short, instead of taking what it left for tampering", func(ctx SpecContext) {
		old := audit.NewWriter(k8sClient, k8sClient, keys.Signing, 4)
		monthAgo := time.Now().Add(-30 * 24 * time.Hour)
		old.Clock = func() time.Time { return monthAgo }
		for i := range 10 {
			_, err := old.Append(ctx, ns, "cut", gdprv1alpha1.AuditEventSpec{
				Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", Message: "Created a pod", IdempotencyKey: fmt.Sprintf("pod-%d/PodCreated", i),
			})
			Expect(err).NotTo(HaveOccurred())
		}
		// 1-4 entries, 5 checkpoint, 6-9, 10 checkpoint, 11-12.
		By("a pass removes entries 1 and 2 of the run before checkpoint 5 and the manager dies")
		for seq := range int64(2) {
			e := &gdprv1alpha1.AuditEvent{}
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: ledger.EntryName("cut", seq+1)}, e)).To(Succeed())
			Expect(k8sClient.Delete(ctx, e)).To(Succeed())
		}
		// Until the retention reaches the ledger, what the pass left is indistinguishable
		// from entries deleted by someone, and the chain does not verify.
		l := &gdprv1alpha1.AuditLedger{}
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cut"}, l)).To(Succeed())
			g.Expect(meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.VerifiedCondition)).To(HaveField("Message", HavePrefix("entry 3: the oldest entry kept is neither")))
		}, timeout, interval).Should(Succeed())

		By("the restarted manager finds the retention the pass ran under")
		patch := client.MergeFrom(l.DeepCopy())
		l.Spec.Retention = &metav1.Duration{Duration: 7 * 24 * time.Hour}
		Expect(k8sClient.Patch(ctx, l, patch)).To(Succeed())
		Eventually(func(g Gomega) {
			entries := entriesOf(ctx, ns, "cut")
			g.Expect(entries).NotTo(BeEmpty())
			g.Expect(entries[0].Spec.Type).To(Equal(gdprv1alpha1.AuditCheckpoint), "the pass is finished up to a checkpoint")
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "cut"}, l)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(l.Status.Conditions, gdprv1alpha1.VerifiedCondition)).To(BeTrue(), "%+v", l.Status.Conditions)
			g.Expect(meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.StalledCondition)).To(BeNil())
			g.Expect(l.Status.FirstSequence).To(Equal(entries[0].Spec.Sequence))
		}, timeout, interval).Should(Succeed())
		Expect(ledgerEvents(ctx, ns, "cut", gdprv1alpha1.EventEntriesExpired)).To(ContainElement(HaveField("Note", HavePrefix("Finished a retention pass cut short: removed"))))
		report := ledger.Verify(ns, "cut", entriesOf(ctx, ns, "cut"), publicKeys(), ledger.Options{MaxUnsigned: 4})
		Expect(report.Problem).To(BeNil())
	})

	It("signs a checkpoint that a crash left due before appending on", func(ctx SpecContext) {
		// The first writer dies just before the checkpoint due after its fourth entry.
		crashed := audit.NewWriter(k8sClient, k8sClient, keys.Signing, 0)
		for i := range 4 {
			_, err := crashed.Append(ctx, ns, "due", gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", IdempotencyKey: fmt.Sprintf("pod-%d/PodCreated", i)})
			Expect(err).NotTo(HaveOccurred())
		}
		restarted := audit.NewWriter(k8sClient, k8sClient, keys.Signing, 4)
		_, err := restarted.Append(ctx, ns, "due", gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", IdempotencyKey: "pod-4/PodCreated"})
		Expect(err).NotTo(HaveOccurred())

		entries := entriesOf(ctx, ns, "due")
		Expect(entries).To(HaveLen(6))
		Expect(entries[4].Spec.Type).To(Equal(gdprv1alpha1.AuditCheckpoint))
		report := ledger.Verify(ns, "due", entries, publicKeys(), ledger.Options{MaxUnsigned: 4})
		Expect(report.Problem).To(BeNil())
	})

	It("signs a checkpoint over the head as it is, when another writer moved it on", func(ctx SpecContext) {
		stale := audit.NewWriter(k8sClient, k8sClient, keys.Signing, 0)
		other := audit.NewWriter(k8sClient, k8sClient, keys.Signing, 0)
		add := func(w *audit.Writer, key string) {
			_, err := w.Append(ctx, ns, "moved", gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", IdempotencyKey: key})
			Expect(err).NotTo(HaveOccurred())
		}
		add(stale, "first")
		for i := range 5 {
			add(other, fmt.Sprintf("pod-%d", i))
		}
		Expect(stale.Checkpoint(ctx, ns, "moved")).To(Succeed())

		entries := entriesOf(ctx, ns, "moved")
		Expect(entries).To(HaveLen(7))
		Expect(entries[6].Spec.Checkpoint).To(HaveField("Sequence", BeEquivalentTo(6)))
		Expect(ledger.Verify(ns, "moved", entries, publicKeys(), ledger.Options{}).Problem).To(BeNil())
	})

	It("refuses a retention under a day", func(ctx SpecContext) {
		w := workload(ns, "short", 0, image("app:1"))
		w.Spec.Audit.Retention = &metav1.Duration{Duration: time.Hour}
		Expect(k8sClient.Create(ctx, w)).To(MatchError(ContainSubstring("spec.audit.retention must be at least 24h (one day)")))
	})

	It("keeps one gapless chain when two writers append to it at once", func(ctx SpecContext) {
		// Two writers stand for two manager processes during a leader handover: each
		// serialises its own appends, and only the API server stands between them.
		first := audit.NewWriter(k8sClient, k8sClient, keys.Signing, checkpointEvery)
		second := audit.NewWriter(k8sClient, k8sClient, keys.Signing, checkpointEvery)
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				w := first
				if i%2 == 1 {
					w = second
				}
				// Every action is attempted by both writers: it must still be recorded once.
				for _, each := range []*audit.Writer{w, first, second} {
					_, err := each.Append(ctx, ns, "contended", gdprv1alpha1.AuditEventSpec{
						Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", Message: "Created a pod", IdempotencyKey: fmt.Sprintf("pod-%d/PodCreated", i),
					})
					Expect(err).NotTo(HaveOccurred())
				}
			}()
		}
		wg.Wait()
		entries := entriesOf(ctx, ns, "contended")
		for i := range 40 {
			Expect(countKey(entries, fmt.Sprintf("pod-%d/PodCreated", i))).To(Equal(1), "pod-%d recorded once", i)
		}
		report := ledger.Verify(ns, "contended", entries, publicKeys(), ledger.Options{})
		Expect(report.Problem).To(BeNil())
		Expect(report.Head).To(BeEquivalentTo(len(entries)))
	})
})

var _ = Describe("Ledger keys", func() {
	It("are created once, reused on every start, and the public key is published", func(ctx SpecContext) {
		again, err := audit.EnsureKeys(ctx, k8sClient, k8sClient, operatorNamespace)
		Expect(err).NotTo(HaveOccurred())
		Expect(again.Signing).To(Equal(keys.Signing), "a restart signs with the same key")
		Expect(again.Pseudonym).To(Equal(keys.Pseudonym), "a restart gives actors the same pseudonyms")

		cm := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: audit.PublicKeyConfigMap}, cm)).To(Succeed())
		public, err := audit.ParsePublicKey([]byte(cm.Data["amber.pub"]))
		Expect(err).NotTo(HaveOccurred())
		Expect(public).To(Equal(keys.Signing.Public()))
		Expect(cm.Data["keyID"]).To(Equal(ledger.KeyID(public)))

		secret := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: audit.SigningKeySecret}, secret)).To(Succeed())
		Expect(secret.Immutable).To(HaveValue(BeTrue()))
	})
})
