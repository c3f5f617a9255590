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
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/controllers"
	"github.com/amber-gdpr/amber/internal/failpoint"
)

// The specs here crash the manager at the exact points where a crash can cost the ledger an
// entry or its integrity (internal/failpoint), where the random kills of crash_test.go land
// only by chance. Each restarts the manager without the failpoint and checks that the ledger
// is whole: one entry per action, those written from what the restarted manager found marked
// recovered, a chain without gaps that verifies online and in the export, and no pod running
// without its workload and its entry.

func failpointWorkload(name string, replicas int) string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: %s
spec:
  replicas: %d
  # A spec changes a pod in place to cause drift, which admission would refuse.
  admission:
    mode: "Off"
  template:
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
`, name, replicas, pullSecret, image(burstImage))
}

// applyReady creates workload with replicas pods and waits until it is Ready and InSync.
func applyReady(ctx context.Context, workload string, replicas int) {
	GinkgoHelper()
	_, err := k8s.RunWithInput(ctx, failpointWorkload(workload, replicas), "apply", "--server-side", "-n", namespace, "-f", "-")
	Expect(err).NotTo(HaveOccurred())
	waitSettled(ctx, workload, replicas)
}

// waitSettled waits until workload has handled its spec, is Ready and InSync, with replicas
// pods, none being deleted.
func waitSettled(ctx context.Context, workload string, replicas int) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		out, err := k8s.Run(ctx, "get", "gdprw", workload, "-n", namespace, "-o",
			`jsonpath={.status.observedGeneration}/{.metadata.generation} {.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="InSync")].status}`)
		g.Expect(err).NotTo(HaveOccurred())
		var observed, generation int
		var ready, inSync string
		_, err = fmt.Sscanf(out, "%d/%d %s %s", &observed, &generation, &ready, &inSync)
		g.Expect(err).NotTo(HaveOccurred(), out)
		g.Expect([]any{observed, ready, inSync}).To(Equal([]any{generation, "True", "True"}), out)
		g.Expect(workloadPods(ctx, g, workload)).To(HaveLen(replicas))
	}, waitTimeout, interval).Should(Succeed())
}

// workloadPods lists the pods that carry workload's label and are not being deleted.
func workloadPods(ctx context.Context, g Gomega, workload string) []corev1.Pod {
	out, err := k8s.Run(ctx, "get", "pods", "-n", namespace, "-l", gdprv1alpha1.WorkloadLabel+"="+workload, "-o", "json")
	g.Expect(err).NotTo(HaveOccurred())
	var list corev1.PodList
	g.Expect(json.Unmarshal([]byte(out), &list)).To(Succeed())
	var pods []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			pods = append(pods, p)
		}
	}
	return pods
}

// ledgerEntries returns the entries of workload's ledger in sequence order.
func ledgerEntries(ctx context.Context, g Gomega, workload string) []gdprv1alpha1.AuditEvent {
	out, err := k8s.Run(ctx, "get", "ae", "-n", namespace, "-l", gdprv1alpha1.AuditLedgerLabel+"="+workload, "--sort-by=.spec.sequence", "-o", "json")
	g.Expect(err).NotTo(HaveOccurred())
	var list gdprv1alpha1.AuditEventList
	g.Expect(json.Unmarshal([]byte(out), &list)).To(Succeed())
	return list.Items
}

// entriesFor returns the entries of type typ about the pod with uid.
func entriesFor(entries []gdprv1alpha1.AuditEvent, typ gdprv1alpha1.AuditEventType, uid string) []gdprv1alpha1.AuditEventSpec {
	var out []gdprv1alpha1.AuditEventSpec
	for _, e := range entries {
		if e.Spec.Type == typ && e.Spec.Subject.PodUID == uid {
			out = append(out, e.Spec)
		}
	}
	return out
}

// crashAt restarts the manager with point armed for workload's ledger, runs trigger, waits
// until the manager exits at the point, runs whileDown (unless nil) to look at what the crash
// left, and starts the manager again without the failpoint.
func crashAt(ctx context.Context, point failpoint.Point, workload string, trigger, whileDown func()) {
	GinkgoHelper()
	// A spec that fails before the restart must not leave the rest of the suite without a manager.
	DeferCleanup(func() {
		if manager.Exited() {
			manager = startManager()
		}
	})
	manager.Stop(10 * time.Second)
	manager = startManagerWithEnv(fmt.Sprintf("%s=%s@%s/%s", failpoint.EnvVar, point, namespace, workload))
	trigger()
	Eventually(manager.Exited, waitTimeout, 100*time.Millisecond).Should(BeTrue(), "the manager stops at failpoint %s", point)
	Expect(manager.ExitCode()).To(Equal(failpoint.ExitCode), "the manager exits as the failpoint does, not by another failure")
	Expect(manager.LogTail(40)).To(ContainSubstring("failpoint %s hit at %s/%s", point, namespace, workload))
	if whileDown != nil {
		whileDown()
	}
	manager = startManager()
}

// expectWholeLedger waits until workload's ledger verifies up to its head, online, and checks
// what a crash must not break: the chain runs without gaps from entry 1 or a checkpoint, no
// action has two entries, every pod with the workload's label is the workload's and has its
// entry, every pod the ledger holds open exists, and the export verifies. It returns the
// entries.
func expectWholeLedger(ctx context.Context, workload string) []gdprv1alpha1.AuditEvent {
	GinkgoHelper()
	var entries []gdprv1alpha1.AuditEvent
	var pods []corev1.Pod
	Eventually(func(g Gomega) {
		entries = ledgerEntries(ctx, g, workload)
		g.Expect(entries).NotTo(BeEmpty())
		// The status must describe the entries listed: one written before a crash still shows
		// the chain as it was.
		out, err := k8s.Run(ctx, "get", "auditledger", workload, "-n", namespace, "-o",
			`jsonpath={.status.firstSequence} {.status.entries} {.status.verifiedSequence} {.status.conditions[?(@.type=="Verified")].status} {.status.conditions[?(@.type=="Verified")].message}`)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(out).To(HavePrefix("%d %d %d True ", entries[0].Spec.Sequence, len(entries), entries[len(entries)-1].Spec.Sequence),
			"the ledger verified online, from its first entry to its head")
		pods = workloadPods(ctx, g, workload)
		for _, p := range pods {
			if p.Spec.NodeName != "" {
				g.Expect(entriesFor(entries, gdprv1alpha1.AuditPodScheduled, string(p.UID))).To(HaveLen(1),
					"pod %s, bound to %s, has one PodScheduled entry", p.Name, p.Spec.NodeName)
			}
		}
	}, waitTimeout, time.Second).Should(Succeed())

	first, head := entries[0].Spec.Sequence, entries[len(entries)-1].Spec.Sequence
	Expect(first == 1 || entries[0].Spec.Type == gdprv1alpha1.AuditCheckpoint).To(BeTrue(), "the chain starts at entry 1 or at a checkpoint, not at entry %d", first)
	keys := map[string]int64{}
	open := map[string]string{}
	for i, e := range entries {
		Expect(e.Spec.Sequence).To(Equal(first+int64(i)), "the chain has no gap")
		if k := e.Spec.IdempotencyKey; k != "" {
			Expect(keys).NotTo(HaveKey(k), "entries %d and %d record the same action %s", keys[k], e.Spec.Sequence, k)
			keys[k] = e.Spec.Sequence
		}
		switch e.Spec.Type {
		case gdprv1alpha1.AuditPodCreated:
			open[e.Spec.Subject.PodUID] = e.Spec.Subject.Pod
		case gdprv1alpha1.AuditPodDeleted:
			delete(open, e.Spec.Subject.PodUID)
		}
	}

	w := kubectl(ctx, "get", "gdprw", workload, "-n", namespace, "-o", "jsonpath={.metadata.uid}", "--ignore-not-found")
	live := map[string]bool{}
	for _, p := range pods {
		live[string(p.UID)] = true
		owner := metav1.GetControllerOf(&p)
		Expect(owner).NotTo(BeNil(), "pod %s has no controller: nothing governs it", p.Name)
		Expect(string(owner.UID)).To(Equal(w), "pod %s is controlled by %s %s, not by its workload", p.Name, owner.Kind, owner.Name)
		Expect(keys).To(HaveKey(string(p.UID)+"/PodCreated"), "pod %s runs with no PodCreated entry", p.Name)
	}
	for uid, name := range open {
		Expect(live).To(HaveKey(uid), "the ledger holds pod %s open, yet it is gone", name)
	}

	By("the export, written by every manager that ran, holds the whole chain")
	pub := publicKeyFile(ctx)
	Eventually(func() string {
		out, _ := k8s.Run(ctx, "amber", "verify", "-f", exportPath(), "--public-key", pub, "--max-unsigned=20")
		return out
	}, 30*time.Second, time.Second).Should(MatchRegexp(`%s/%s: OK: entries 1 to (%d|%d),`, namespace, workload, head, head+1),
		"the whole chain, with perhaps one checkpoint signed since it was listed")
	return entries
}

var _ = Describe("The audit ledger when the manager crashes at a failpoint", Ordered, func() {
	It("records a pod created just before the crash once, as found after the restart", func(ctx SpecContext) {
		const workload = "fp-create"
		applyReady(ctx, workload, 1)
		before := workloadPods(ctx, Default, workload)

		crashAt(ctx, failpoint.AfterPodCreate, workload, func() {
			kubectl(ctx, "scale", "-n", namespace, "gdprw/"+workload, "--replicas=2")
		}, nil)
		waitSettled(ctx, workload, 2)
		entries := expectWholeLedger(ctx, workload)

		after := workloadPods(ctx, Default, workload)
		Expect(after).To(ContainElement(HaveField("UID", before[0].UID)))
		made := after[0]
		if made.UID == before[0].UID {
			made = after[1]
		}
		created := entriesFor(entries, gdprv1alpha1.AuditPodCreated, string(made.UID))
		Expect(created).To(HaveLen(1))
		Expect(created[0].Recovered).To(BeTrue(), "the entry was written from the pod the restarted manager found")
		Expect(created[0].Reason).To(Equal(string(gdprv1alpha1.AuditReasonFoundRunning)))
	})

	It("records the deletion of a drifted pod deleted just before the crash once, as found after the restart", func(ctx SpecContext) {
		const workload = "fp-delete"
		applyReady(ctx, workload, 2)
		drifted := workloadPods(ctx, Default, workload)[0]

		crashAt(ctx, failpoint.AfterPodDelete, workload, func() {
			// Admission (mode Off here, but failing closed) answers once the restarted
			// manager serves its webhook and has pointed the configuration at it.
			Eventually(func() error {
				_, err := k8s.Run(ctx, "set", "image", "-n", namespace, "pod/"+drifted.Name, "app="+image(privateImage))
				return err
			}, waitTimeout, 200*time.Millisecond).Should(Succeed())
		}, nil)
		Eventually(func(g Gomega) []corev1.Pod { return workloadPods(ctx, g, workload) }, waitTimeout, interval).
			ShouldNot(ContainElement(HaveField("UID", drifted.UID)))
		waitSettled(ctx, workload, 2)
		entries := expectWholeLedger(ctx, workload)

		Expect(entriesFor(entries, gdprv1alpha1.AuditDriftDetected, string(drifted.UID))).To(HaveLen(1))
		deleted := entriesFor(entries, gdprv1alpha1.AuditPodDeleted, string(drifted.UID))
		Expect(deleted).To(HaveLen(1))
		Expect(deleted[0].Recovered).To(BeTrue(), "the entry was written from what the restarted manager found")
		Expect(deleted[0].Reason).To(BeElementOf(string(gdprv1alpha1.AuditReasonFoundGone), string(gdprv1alpha1.AuditReasonDeletionObserved)))

		By("the repair, which the crash kept from being recorded, recorded once after the deletion, naming the fresh pod")
		replaced := entriesFor(entries, gdprv1alpha1.AuditPodReplaced, string(drifted.UID))
		Expect(replaced).To(HaveLen(1))
		Expect(replaced[0].Recovered).To(BeTrue(), "the entry was written from what the restarted manager found")
		Expect(replaced[0].Reason).To(Equal(string(gdprv1alpha1.AuditReasonDrifted)))
		Expect(replaced[0].Sequence).To(BeNumerically(">", deleted[0].Sequence))
		var fresh []string
		for _, p := range workloadPods(ctx, Default, workload) {
			if p.Annotations[controllers.ReplacesAnnotation] == drifted.Name {
				fresh = append(fresh, p.Name)
			}
		}
		Expect(fresh).To(HaveLen(1), "one pod replaced the drifted one")
		Expect(replaced[0].Message).To(ContainSubstring("fresh pod " + fresh[0] + " replaced it"))

		By("the workload's drift status shows the drift repaired")
		Eventually(func(g Gomega) {
			out, err := k8s.Run(ctx, "get", "gdprw", workload, "-n", namespace, "-o",
				`jsonpath={.status.drift.replaced} {.status.drift.last.pod} {.status.drift.last.repairedAt}`)
			g.Expect(err).NotTo(HaveOccurred())
			var count int
			var pod, repairedAt string
			_, err = fmt.Sscanf(out, "%d %s %s", &count, &pod, &repairedAt)
			g.Expect(err).NotTo(HaveOccurred(), out)
			g.Expect([]any{count, pod}).To(Equal([]any{1, drifted.Name}), out)
			g.Expect(repairedAt).NotTo(BeEmpty(), out)
		}, waitTimeout, interval).Should(Succeed())
	})

	It("signs the checkpoint lost in the crash once after the restart", func(ctx SpecContext) {
		const workload = "fp-checkpoint"
		applyReady(ctx, workload, 1)
		lastIsCheckpoint := func(g Gomega) gdprv1alpha1.AuditEventType {
			entries := ledgerEntries(ctx, g, workload)
			return entries[len(entries)-1].Spec.Type
		}
		Eventually(lastIsCheckpoint, waitTimeout, interval).Should(Equal(gdprv1alpha1.AuditCheckpoint))

		var unsigned int64
		crashAt(ctx, failpoint.AfterCheckpointSign, workload, func() {
			kubectl(ctx, "scale", "-n", namespace, "gdprw/"+workload, "--replicas=2")
		}, func() {
			crashed := ledgerEntries(ctx, Default, workload)
			Expect(crashed[len(crashed)-1].Spec.Type).NotTo(Equal(gdprv1alpha1.AuditCheckpoint), "the signed checkpoint was lost with the manager")
			unsigned = crashed[len(crashed)-1].Spec.Sequence
		})

		waitSettled(ctx, workload, 2)
		Eventually(lastIsCheckpoint, waitTimeout, interval).Should(Equal(gdprv1alpha1.AuditCheckpoint))
		entries := expectWholeLedger(ctx, workload)
		Expect(entries[len(entries)-1].Spec.Sequence).To(BeNumerically(">", unsigned), "a checkpoint covers entry %d, the head the crash left unsigned", unsigned)
		for i := 1; i < len(entries); i++ {
			Expect([]gdprv1alpha1.AuditEventType{entries[i-1].Spec.Type, entries[i].Spec.Type}).
				NotTo(HaveEach(gdprv1alpha1.AuditCheckpoint), "entries %d and %d: a checkpoint signed twice", entries[i-1].Spec.Sequence, entries[i].Spec.Sequence)
		}
	})

	It("finishes a retention pass cut short by the crash, and the chain still verifies", func(ctx SpecContext) {
		const workload = "fp-retention"
		applyReady(ctx, workload, 1)
		kubectl(ctx, "scale", "-n", namespace, "gdprw/"+workload, "--replicas=2")
		waitSettled(ctx, workload, 2)
		// The ledger outlives its workload; retention applies to it from then on, and the
		// spec shortens it on the ledger itself (a workload allows no less than 24h).
		kubectl(ctx, "delete", "-n", namespace, "gdprw/"+workload, "--wait=true", "--timeout="+waitTimeout.String())
		var before []gdprv1alpha1.AuditEvent
		Eventually(func(g Gomega) gdprv1alpha1.AuditEventType {
			before = ledgerEntries(ctx, g, workload)
			return before[len(before)-1].Spec.Type
		}, waitTimeout, interval).Should(Equal(gdprv1alpha1.AuditCheckpoint))
		Expect(before[0].Spec.Sequence).To(BeEquivalentTo(1))
		Expect(len(before)).To(BeNumerically(">=", 4), "a pass long enough to be cut in its middle")

		crashAt(ctx, failpoint.MidRetention, workload, func() {
			kubectl(ctx, "patch", "auditledger", workload, "-n", namespace, "--type=merge", "-p", `{"spec":{"retention":"1s"}}`)
		}, func() {
			crashed := ledgerEntries(ctx, Default, workload)
			Expect(crashed[0].Spec.Sequence).To(BeEquivalentTo(2), "the crash came after the pass removed entry 1")
		})

		entries := expectWholeLedger(ctx, workload)
		Expect(entries).To(HaveLen(1), "everything before the last checkpoint expired")
		Expect(entries[0].Spec.Sequence).To(Equal(before[len(before)-1].Spec.Sequence))
		Expect(kubectl(ctx, "get", "auditledger", workload, "-n", namespace, "-o", "jsonpath={.status.firstSequence}")).
			To(Equal(fmt.Sprint(entries[0].Spec.Sequence)))
	})
})
