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
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	kstatus "sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// kstatusOf is what kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status, the library Flux and
// kpt use) computes for the ledger.
func kstatusOf(l *gdprv1alpha1.AuditLedger) string {
	GinkgoHelper()
	u, err := toUnstructured(l)
	Expect(err).NotTo(HaveOccurred())
	res, err := kstatus.Compute(u)
	Expect(err).NotTo(HaveOccurred())
	return res.Status.String()
}

// appendEntries writes n pod entries to a ledger, as the workload controller would.
func appendEntries(ctx context.Context, namespace, ledgerName string, n int) {
	GinkgoHelper()
	for i := range n {
		_, err := writer.Append(ctx, namespace, ledgerName, gdprv1alpha1.AuditEventSpec{
			Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", Message: "Created the pod",
			Subject:        gdprv1alpha1.AuditSubject{Pod: fmt.Sprintf("%s-%d", ledgerName, i)},
			IdempotencyKey: fmt.Sprintf("%s-%d/PodCreated", ledgerName, i),
		})
		Expect(err).NotTo(HaveOccurred())
	}
}

// ledgerEvents lists the events about one ledger.
func ledgerEvents(ctx context.Context, namespace, name, reason string) []eventsv1.Event {
	list := &eventsv1.EventList{}
	Expect(k8sClient.List(ctx, list, client.InNamespace(namespace))).To(Succeed())
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Regarding.Kind == "AuditLedger" && e.Regarding.Name == name && e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// table asks the API server for the table `kubectl get` prints.
func table(ctx context.Context, path string) *metav1.Table {
	GinkgoHelper()
	httpClient, err := rest.HTTPClientFor(cfg)
	Expect(err).NotTo(HaveOccurred())
	url, err := neturl.JoinPath(cfg.Host, path)
	Expect(err).NotTo(HaveOccurred())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	Expect(err).NotTo(HaveOccurred())
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := httpClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	Expect(resp.StatusCode).To(Equal(http.StatusOK), string(body))
	t := &metav1.Table{}
	Expect(json.Unmarshal(body, t)).To(Succeed())
	return t
}

// column returns the cells of the named column, row by row.
func column(t *metav1.Table, name string) []any {
	GinkgoHelper()
	for i, c := range t.ColumnDefinitions {
		if c.Name == name {
			cells := make([]any, len(t.Rows))
			for j, row := range t.Rows {
				cells[j] = row.Cells[i]
			}
			return cells
		}
	}
	Fail(fmt.Sprintf("no column %q in %v", name, t.ColumnDefinitions))
	return nil
}

var _ = Describe("Audit ledger conditions", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("reports a sound ledger Ready with its generation observed, which kstatus reads as Current", func(ctx SpecContext) {
		appendEntries(ctx, ns, "healthy", 3)
		key := client.ObjectKey{Namespace: ns, Name: "healthy"}
		l := &gdprv1alpha1.AuditLedger{}
		expectReady := func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key, l)).To(Succeed())
			ready := meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.ReadyCondition)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), ready.Message)
			g.Expect(ready.Reason).To(Equal(gdprv1alpha1.ReasonChainVerified))
			g.Expect(ready.ObservedGeneration).To(Equal(l.Generation))
			g.Expect(l.Status.ObservedGeneration).To(Equal(l.Generation))
			g.Expect(meta.IsStatusConditionTrue(l.Status.Conditions, gdprv1alpha1.VerifiedCondition)).To(BeTrue())
			g.Expect(ready.Message).To(Equal(meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.VerifiedCondition).Message))
			g.Expect(meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.ReconcilingCondition)).To(BeNil(), "Reconciling is removed, not set False")
			g.Expect(meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.StalledCondition)).To(BeNil(), "Stalled is removed, not set False")
			g.Expect(kstatusOf(l)).To(Equal("Current"))
		}
		Eventually(expectReady, timeout, interval).Should(Succeed())
		Expect(l.Generation).To(BeEquivalentTo(1))

		By("a new generation of its spec is observed once handled")
		patch := client.MergeFrom(l.DeepCopy())
		l.Spec.Retention = &metav1.Duration{Duration: 7 * 24 * time.Hour}
		Expect(k8sClient.Patch(ctx, l, patch)).To(Succeed())
		Expect(l.Generation).To(BeEquivalentTo(2))
		Eventually(expectReady, timeout, interval).Should(Succeed())
	})

	It("reports a tampered ledger not Ready and Stalled, reason Tampered, and tells it once", func(ctx SpecContext) {
		appendEntries(ctx, ns, "forged", 3)
		key := client.ObjectKey{Namespace: ns, Name: "forged"}
		l := &gdprv1alpha1.AuditLedger{}
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key, l)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(l.Status.Conditions, gdprv1alpha1.ReadyCondition)).To(BeTrue())
		}, timeout, interval).Should(Succeed())

		verifiedMetric := exportedMetric("amber_ledger_verified", map[string]string{"namespace": ns, "ledger": "forged"})
		Eventually(verifiedMetric, timeout, interval).Should(HaveValue(BeEquivalentTo(1)))
		victim := &gdprv1alpha1.AuditEvent{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: ledger.EntryName("forged", 2)}, victim)).To(Succeed())
		Expect(k8sClient.Delete(ctx, victim)).To(Succeed())

		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key, l)).To(Succeed())
			verified := meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.VerifiedCondition)
			g.Expect(verified).NotTo(BeNil())
			g.Expect(verified.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(verified.Reason).To(Equal(gdprv1alpha1.ReasonChainBroken))
			g.Expect(verified.Message).To(HavePrefix("entry 2: is missing"))
			ready := meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.ReadyCondition)
			g.Expect(ready).NotTo(BeNil())
			g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
			g.Expect(ready.Reason).To(Equal(gdprv1alpha1.ReasonTampered))
			g.Expect(ready.Message).To(Equal("The audit chain does not verify: " + verified.Message))
			stalled := meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.StalledCondition)
			g.Expect(stalled).NotTo(BeNil())
			g.Expect(stalled.Status).To(Equal(metav1.ConditionTrue))
			g.Expect(stalled.Reason).To(Equal(gdprv1alpha1.ReasonTampered))
			g.Expect(meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.ReconcilingCondition)).To(BeNil())
			g.Expect(l.Status.ObservedGeneration).To(Equal(l.Generation))
			g.Expect(kstatusOf(l)).To(Equal("Failed"))
		}, timeout, interval).Should(Succeed())
		Eventually(func() []eventsv1.Event { return ledgerEvents(ctx, ns, "forged", gdprv1alpha1.EventLedgerTampered) }, timeout, interval).Should(HaveLen(1))
		Eventually(verifiedMetric, timeout, interval).Should(HaveValue(BeEquivalentTo(0)), "the AmberLedgerNotVerified alert reads it")

		By("reconciles that find the chain still broken tell nothing new")
		for i := range 3 {
			// Any change to the ledger reconciles it, and each verifies the whole broken chain.
			patch := client.MergeFrom(l.DeepCopy())
			l.Annotations = map[string]string{"example.com/poke": fmt.Sprint(i)}
			Expect(k8sClient.Patch(ctx, l, patch)).To(Succeed())
			time.Sleep(300 * time.Millisecond)
		}
		Consistently(func(g Gomega) {
			events := ledgerEvents(ctx, ns, "forged", gdprv1alpha1.EventLedgerTampered)
			g.Expect(events).To(HaveLen(1))
			// A repeat of the same event is recorded as a series on the first one.
			g.Expect(events[0].Series).To(BeNil(), "the event was sent again")
			g.Expect(events[0].Type).To(Equal("Warning"))
			g.Expect(events[0].Note).To(HavePrefix("The audit chain does not verify: entry 2: is missing"))
		}, 3*time.Second, interval).Should(Succeed())
	})

	It("prints what an entry is about, and whether and when a ledger last verified", func(ctx SpecContext) {
		_, err := writer.Append(ctx, ns, "printed", gdprv1alpha1.AuditEventSpec{
			Type: gdprv1alpha1.AuditWorkloadCreated, Reason: "Created", IdempotencyKey: "w/WorkloadCreated",
			Subject: gdprv1alpha1.AuditSubject{Workload: "printed", WorkloadUID: "0d9c", Generation: 1},
		})
		Expect(err).NotTo(HaveOccurred())
		appendEntries(ctx, ns, "printed", 1)

		// The Subject column's JSONPath is a union of pod and workload: the API server prints
		// the first of its results, and an absent field gives none, so a pod entry shows its
		// pod and a workload entry its workload.
		entries := table(ctx, fmt.Sprintf("/apis/gdpr.amber.dev/v1alpha1/namespaces/%s/auditevents", ns))
		Expect(column(entries, "Reason")).To(Equal([]any{"Created", "ScalingUp"}))
		Expect(column(entries, "Subject")).To(Equal([]any{"printed", "printed-0"}))

		Eventually(func(g Gomega) {
			ledgers := table(ctx, fmt.Sprintf("/apis/gdpr.amber.dev/v1alpha1/namespaces/%s/auditledgers", ns))
			g.Expect(column(ledgers, "Ready")).To(Equal([]any{"True"}))
			g.Expect(column(ledgers, "Verified")).To(Equal([]any{"True"}))
			g.Expect(column(ledgers, "Last Verified")).To(HaveExactElements(MatchRegexp(`^\d+s$`)), "a date column prints as an age")
			g.Expect(column(ledgers, "Message")).To(HaveExactElements(HavePrefix("Entries 1 to 2 verified")))
		}, timeout, interval).Should(Succeed())
	})
})
