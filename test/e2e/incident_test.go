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
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/incident"
)

// breachedWorkload declares what it processes (Art. 30), so that the incident report can say
// which data the incident concerns.
func breachedWorkload(mode gdprv1alpha1.AdmissionMode) string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: breached
spec:
  replicas: 1
  admission:
    mode: %q
  processing:
    role: Controller
    controller:
      name: Example Shop GmbH
      contact: privacy@shop.example
    purposes:
    - name: essential.service.payment_processing
      description: Takes card payments for orders.
      lawfulBasis: Contract
      dataCategories: [user.financial.bank_account, user.contact.email]
      dataSubjects: [customer]
      retention: P10Y
  template:
    metadata:
      labels:
        app: breached
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
`, mode, pullSecret, image(burstImage))
}

var _ = Describe("kubectl amber incident report, against the live cluster", Ordered, func() {
	var deniedPod, driftedPod string
	started := time.Now().UTC().Truncate(time.Second)

	BeforeAll(func(ctx SpecContext) {
		_, err := k8s.RunWithInput(ctx, breachedWorkload(gdprv1alpha1.AdmissionEnforce), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		waitSettled(ctx, "breached", 1)
		deniedPod = workloadPods(ctx, Default, "breached")[0].Name
	})
	AfterAll(func(ctx SpecContext) {
		if !CurrentSpecReport().Failed() {
			_, _ = k8s.Run(ctx, "delete", "gdprw", "breached", "-n", namespace, "--ignore-not-found", "--wait=false")
		}
	})

	It("records a scripted incident: an exec refused, then in Audit a label changed and the pod replaced", func(ctx SpecContext) {
		By("an exec into the pod, refused in Enforce")
		_, stderr, ok := kubectlBoth(ctx, "exec", "-n", namespace, deniedPod, "--", "sh", "-c", "cat /secret/customer-42")
		Expect(ok).To(BeFalse())
		Expect(stderr).To(ContainSubstring("denied the request"))

		By("a label changed in place in Audit, which drift detection answers by replacing the pod")
		kubectl(ctx, "patch", "-n", namespace, "gdprw/breached", "--type=merge", "-p", `{"spec":{"admission":{"mode":"Audit"}}}`)
		driftedPod = workloadPods(ctx, Default, "breached")[0].Name
		// Admission reads the mode from its cache: until it sees Audit, the label is refused.
		Eventually(func() string {
			_, stderr, ok := kubectlBoth(ctx, "label", "-n", namespace, "pod/"+driftedPod, "app=tampered", "--overwrite")
			if ok {
				return ""
			}
			return stderr
		}, waitTimeout, interval).Should(BeEmpty())
		Eventually(func(g Gomega) {
			types := map[gdprv1alpha1.AuditEventType]bool{}
			for _, e := range ledgerEntries(ctx, g, "breached") {
				types[e.Spec.Type] = true
			}
			g.Expect(types).To(HaveKey(gdprv1alpha1.AuditAccessDenied))
			g.Expect(types).To(HaveKey(gdprv1alpha1.AuditAdmissionWouldDeny))
			g.Expect(types).To(HaveKey(gdprv1alpha1.AuditDriftDetected))
			g.Expect(types).To(HaveKey(gdprv1alpha1.AuditPodReplaced))
		}, waitTimeout, interval).Should(Succeed())
	})

	It("reports it from the verified ledger: first detection, deadline, declaration, measures, checkpoints", func(ctx SpecContext) {
		keyID := kubectl(ctx, "get", "configmap", "amber-ledger-public-key", "-n", "amber-system", "-o", "jsonpath={.data.keyID}")
		var r incident.Report
		// Until a checkpoint covers the last entries (every 5 s in the suite), they are Chained.
		Eventually(func(g Gomega) {
			out, err := k8s.Run(ctx, "amber", "incident", "report", "-n", namespace, "--workload", "breached", "--since", "1h", "-o", "json", "--max-unsigned=20")
			g.Expect(err).NotTo(HaveOccurred(), out)
			g.Expect(json.Unmarshal([]byte(out), &r)).To(Succeed())
			g.Expect(r.Verification.Chained).To(BeZero())
		}, waitTimeout, interval).Should(Succeed())

		Expect(r.Draft).To(Equal(incident.Draft))
		Expect(r.Scope).To(Equal("namespace " + namespace + ", workload breached"))
		Expect(r.Verification.AllVerified).To(BeTrue())
		Expect(r.Verification.Ledgers).To(HaveLen(1))
		Expect(r.Verification.CheckpointsReliedOn).NotTo(BeEmpty())
		for _, c := range r.Verification.CheckpointsReliedOn {
			Expect(c.KeyID).To(Equal(keyID), "checkpoints signed with the key the manager publishes")
		}

		By("the first detection is the refused exec, and the deadline 72 hours after it")
		Expect(r.FirstDetection).NotTo(BeNil())
		Expect(r.FirstDetection.Type).To(Equal(string(gdprv1alpha1.AuditAccessDenied)))
		Expect(r.FirstDetection.Reason).To(Equal(string(gdprv1alpha1.AdmissionExec)))
		Expect(r.FirstDetection.Pod).To(Equal(deniedPod))
		Expect(r.FirstDetection.Time).To(BeTemporally(">=", started))
		Expect(*r.NotificationDeadline).To(Equal(r.FirstDetection.Time.Add(72 * time.Hour)))

		By("the timeline holds the refusal, the warning, the drift and the replacement, in order")
		var kinds []string
		for _, e := range r.Timeline {
			kinds = append(kinds, e.Type+"/"+e.Reason)
			Expect(e.Proof).To(Equal(incident.ProofSigned), "%s %s", e.Type, e.Reason)
		}
		Expect(kinds).To(ContainElements("AccessDenied/Exec", "AdmissionWouldDeny/MetadataChanged", "DriftDetected/MetadataChanged", "PodReplaced/Drifted"))
		Expect(slices.Index(kinds, "AccessDenied/Exec")).To(BeNumerically("<", slices.Index(kinds, "DriftDetected/MetadataChanged")))
		Expect(slices.Index(kinds, "DriftDetected/MetadataChanged")).To(BeNumerically("<", slices.Index(kinds, "PodReplaced/Drifted")))
		for _, e := range r.Timeline {
			if e.Type == string(gdprv1alpha1.AuditAccessDenied) {
				Expect(e.Actor).To(HavePrefix("hmac-sha256:"))
				Expect(e.Request).To(Equal("CONNECT pods/exec sh"))
				Expect(e.Message).NotTo(ContainSubstring("customer-42"))
			}
		}

		By("the workload's declaration and the pods touched")
		Expect(r.Workloads).To(HaveLen(1))
		w := r.Workloads[0]
		Expect(w.Declaration).To(Equal(incident.DeclarationDeclared))
		Expect(w.DataCategories).To(Equal([]string{"user.contact.email", "user.financial.bank_account"}))
		Expect(w.DataSubjects).To(Equal([]string{"customer"}))
		// Each pod counts once, however many entries name it (Audit mode kept the refused
		// pod, so it is usually the one that drifted too).
		touched := []string{deniedPod}
		if driftedPod != deniedPod {
			touched = append(touched, driftedPod)
		}
		Expect(w.Pods).To(ConsistOf(touched))
		Expect(w.PodsTouched).To(Equal(len(touched)))
		Expect(r.Measures).NotTo(BeEmpty())

		By("the Markdown draft, kept beside the manager's log for a person to read")
		out, err := k8s.Run(ctx, "amber", "incident", "report", "-n", namespace, "--workload", "breached", "--since", "1h", "--max-unsigned=20")
		Expect(exitCode(err)).To(Equal(0), "%v\n%s", err, out)
		Expect(out).To(HavePrefix("# DRAFT: personal data breach timeline (GDPR Art. 33)"))
		Expect(out).To(ContainSubstring("**Every chain verified**"))
		Expect(out).To(ContainSubstring("| " + namespace + "/breached | declared |"))
		Expect(os.WriteFile(filepath.Join(artifacts, "incident.md"), []byte(out), 0o644)).To(Succeed())
	})
})
