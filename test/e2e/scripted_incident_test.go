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
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/incident"
	"github.com/amber-gdpr/amber/test/cluster"
)

// incidentWorkload declares what it processes, so that the report names the data concerned.
func incidentWorkload(mode gdprv1alpha1.AdmissionMode, ref string) string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: incident
spec:
  replicas: 2
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
      dataCategories: [user.financial.bank_account]
      dataSubjects: [customer]
      retention: P10Y
  template:
    metadata:
      labels:
        app: incident
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
`, mode, pullSecret, ref)
}

// A whole incident, scripted with the tools a responder uses, and the Art. 33 draft Amber
// makes of it: every step the responders took is in the report, in the order taken, and
// every chain verifies.
var _ = Describe("A scripted incident: drift, denial, break-glass, quarantine, rollback, and its report", Ordered, func() {
	var digestV1, digestV2 string
	apply := func(ctx context.Context, mode gdprv1alpha1.AdmissionMode, ref string) {
		GinkgoHelper()
		_, err := k8s.RunWithInput(ctx, incidentWorkload(mode, ref), "apply", "--server-side", "--force-conflicts", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
	}
	hasEntry := func(ctx context.Context, typ gdprv1alpha1.AuditEventType, reason string) func(Gomega) {
		return func(g Gomega) {
			found := false
			for _, e := range ledgerEntries(ctx, g, "incident") {
				found = found || (e.Spec.Type == typ && e.Spec.Reason == reason)
			}
			g.Expect(found).To(BeTrue(), "an entry %s/%s", typ, reason)
		}
	}

	BeforeAll(func(ctx SpecContext) {
		for tag, digest := range map[string]*string{"v1": &digestV1, "v2": &digestV2} {
			img, err := cluster.SmallImage("linux/amd64", "incident "+tag)
			Expect(err).NotTo(HaveOccurred())
			d, err := cluster.Push(ctx, image("amber/incident:"+tag), img, registryAuth)
			Expect(err).NotTo(HaveOccurred())
			*digest = d.String()
		}
		apply(ctx, gdprv1alpha1.AdmissionEnforce, image("amber/incident:v1"))
		eventuallyAllRun(ctx, "incident", 2, image("amber/incident:v1")+"@"+digestV1)
	})
	AfterAll(func(ctx SpecContext) {
		if !CurrentSpecReport().Failed() {
			_, _ = k8s.Run(ctx, "delete", "gdprw", "incident", "-n", namespace, "--ignore-not-found", "--wait=false")
		}
	})

	It("plays the incident", func(ctx SpecContext) {
		pods := workloadPods(ctx, Default, "incident")
		Expect(pods).To(HaveLen(2))

		By("an exec, refused")
		_, stderr, ok := kubectlBoth(ctx, "exec", "-n", namespace, pods[0].Name, "--", "sh", "-c", "cat /secret/customer-42")
		Expect(ok).To(BeFalse())
		Expect(stderr).To(ContainSubstring("denied the request"))

		By("in Audit, a label changed in place: drift, and the pod replaced")
		apply(ctx, gdprv1alpha1.AdmissionAudit, image("amber/incident:v1"))
		Eventually(func() bool {
			_, _, ok := kubectlBoth(ctx, "label", "-n", namespace, "pod/"+pods[1].Name, "app=tampered", "--overwrite")
			return ok
		}, waitTimeout, interval).Should(BeTrue())
		Eventually(hasEntry(ctx, gdprv1alpha1.AuditPodReplaced, string(gdprv1alpha1.AuditReasonDrifted)), waitTimeout, interval).Should(Succeed())
		apply(ctx, gdprv1alpha1.AdmissionEnforce, image("amber/incident:v1"))
		waitSettled(ctx, "incident", 2)

		By("a break-glass for alice; her exec gets past admission; at the end the pod she used is replaced")
		glassed := workloadPods(ctx, Default, "incident")[0].Name
		_, stderr, ok = kubectlBoth(ctx, "amber", "breakglass", "incident", "-n", namespace, "--ops", "exec", "--pod", glassed,
			"--for", "user:alice", "--duration", "15s", "--reason", "INC-9: inspect the payment queue")
		Expect(ok).To(BeTrue(), stderr)
		Eventually(func() string {
			execCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, stderr, _ := kubectlBoth(execCtx, "exec", "-n", namespace, glassed, "--as", "alice", "--as-group", "system:masters", "--", "sh")
			return stderr
		}, waitTimeout, interval).ShouldNot(ContainSubstring("denied the request"))
		Eventually(hasEntry(ctx, gdprv1alpha1.AuditBreakGlassUsed, string(gdprv1alpha1.AdmissionExec)), waitTimeout, interval).Should(Succeed())
		Eventually(hasEntry(ctx, gdprv1alpha1.AuditPodReplaced, string(gdprv1alpha1.AuditReasonBreakGlassEnded)), time.Minute, interval).Should(Succeed())
		waitSettled(ctx, "incident", 2)

		By("a quarantine: a fresh pod first, the suspect isolated, kept, then deleted")
		suspect := workloadPods(ctx, Default, "incident")[0].Name
		_, stderr, ok = kubectlBoth(ctx, "amber", "quarantine", suspect, "-n", namespace, "--keep", "10s", "--reason", "INC-9: suspect pod")
		Expect(ok).To(BeTrue(), stderr)
		Eventually(hasEntry(ctx, gdprv1alpha1.AuditPodDeleted, string(gdprv1alpha1.AuditReasonQuarantineEnded)), time.Minute, interval).Should(Succeed())

		By("a bad release rolled out, then rolled back to the recorded digests")
		apply(ctx, gdprv1alpha1.AdmissionEnforce, image("amber/incident:v2"))
		eventuallyAllRun(ctx, "incident", 2, image("amber/incident:v2")+"@"+digestV2)
		_, stderr, ok = kubectlBoth(ctx, "amber", "rollback", "incident", "-n", namespace)
		Expect(ok).To(BeTrue(), stderr)
		eventuallyAllRun(ctx, "incident", 2, image("amber/incident:v1")+"@"+digestV1)
		Eventually(hasEntry(ctx, gdprv1alpha1.AuditRevisionRestored, string(gdprv1alpha1.AuditReasonRollback)), waitTimeout, interval).Should(Succeed())
	})

	It("reports every step, in order, from chains that all verify", func(ctx SpecContext) {
		var r incident.Report
		Eventually(func(g Gomega) {
			out, err := k8s.Run(ctx, "amber", "incident", "report", "-n", namespace, "--workload", "incident", "--since", "1h", "-o", "json", "--max-unsigned=50")
			g.Expect(err).NotTo(HaveOccurred(), out)
			g.Expect(json.Unmarshal([]byte(out), &r)).To(Succeed())
			g.Expect(r.Verification.Chained).To(BeZero(), "every entry signed by a checkpoint")
		}, waitTimeout, interval).Should(Succeed())
		Expect(r.Verification.AllVerified).To(BeTrue())
		Expect(r.FirstDetection).NotTo(BeNil())
		Expect(r.FirstDetection.Type + "/" + r.FirstDetection.Reason).To(Equal("AccessDenied/Exec"))
		Expect(*r.NotificationDeadline).To(Equal(r.FirstDetection.Time.Add(72 * time.Hour)))

		var kinds []string
		for _, e := range r.Timeline {
			kinds = append(kinds, e.Type+"/"+e.Reason)
		}
		// The story as the responders played it; other entries may fall between.
		story := []string{
			"AccessDenied/Exec",
			"AdmissionWouldDeny/MetadataChanged",
			"DriftDetected/MetadataChanged",
			"PodReplaced/Drifted",
			"BreakGlassGranted/Granted",
			"BreakGlassUsed/Exec",
			"BreakGlassEnded/Expired",
			"PodReplaced/BreakGlassEnded",
			"PodQuarantined/Requested",
			"PodReplaced/Quarantined",
			"PodQuarantined/Isolated",
			"PodDeleted/QuarantineEnded",
			"RevisionRestored/Rollback",
		}
		at := -1
		for _, step := range story {
			i := slices.Index(kinds[at+1:], step)
			Expect(i).To(BeNumerically(">=", 0), "%s after position %d of the timeline %v", step, at, kinds)
			at += i + 1
		}
		var measures []string
		for _, m := range r.Measures {
			measures = append(measures, m.Type+"/"+m.Reason)
		}
		Expect(measures).To(ContainElements("PodReplaced/Drifted", "PodReplaced/BreakGlassEnded", "PodReplaced/Quarantined",
			"PodQuarantined/Isolated", "PodDeleted/QuarantineEnded", "RevisionRestored/Rollback", "BreakGlassEnded/Expired"))
		Expect(r.Workloads).To(HaveLen(1))
		Expect(r.Workloads[0].DataCategories).To(Equal([]string{"user.financial.bank_account"}))
	})
})
