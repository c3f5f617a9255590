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
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/amber-gdpr/amber/internal/records"
)

// recordedWorkload declares its processing in full and complies with everything it
// declares: pods only in the EU regions, a template that meets the Immutable profile as
// written, taxonomy keys fideslang knows, and a review dated today.
func recordedWorkload(reviewed string) string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: ledgered
spec:
  replicas: 2
  residency:
    allowedRegions: [eu-west-1, eu-central-1]
  hardening:
    profile: Immutable
  processing:
    role: Controller
    controller:
      name: Example Shop GmbH
      contact: privacy@shop.example
    dataProtectionOfficer:
      name: Data Protection Office
      contact: dpo@shop.example
    purposes:
    - name: essential.service.payment_processing
      description: Takes card and bank payments for orders.
      lawfulBasis: Contract
      dataCategories: [user.financial.bank_account, user.contact.email]
      dataSubjects: [customer]
      retention: P10Y
      recipients: [card networks]
    - name: essential.fraud_detection
      description: Scores payments for fraud before they are accepted.
      lawfulBasis: LegitimateInterests
      legitimateInterest: preventing fraud on card payments
      dataCategories: [user.device.ip_address]
      dataSubjects: [customer]
      retention: Deleted 13 months after the payment.
    lastReviewed:
      date: "%s"
      by: Data Protection Office
  template:
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
        securityContext:
          readOnlyRootFilesystem: true
          allowPrivilegeEscalation: false
          capabilities:
            drop: [ALL]
`, reviewed, pullSecret, image(sampleImage))
}

// undeclaredWorkload runs under Amber but declares no processing.
func undeclaredWorkload() string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: undeclared
spec:
  template:
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
`, pullSecret, image(burstImage))
}

// exitCode is the exit status of the command behind err (0 when err is nil).
func exitCode(err error) int {
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	Expect(err).NotTo(HaveOccurred())
	return 0
}

var _ = Describe("kubectl amber records, against the live cluster", Ordered, func() {
	// A namespace of its own, so that --strict judges only the workloads of this spec.
	var ns string

	BeforeAll(func(ctx SpecContext) {
		ns = namespace + "-records"
		kubectl(ctx, "create", "namespace", ns)
		kubectl(ctx, "create", "secret", "docker-registry", pullSecret, "-n", ns,
			"--docker-server="+registry.Host, "--docker-username="+registryAuth.Username, "--docker-password="+registryAuth.Password)
		DeferCleanup(func(ctx SpecContext) {
			if !CurrentSpecReport().Failed() {
				_, _ = k8s.Run(ctx, "delete", "namespace", ns, "--wait=false")
			}
		})
		_, err := k8s.RunWithInput(ctx, recordedWorkload(time.Now().UTC().Format(time.DateOnly)), "apply", "--server-side", "-n", ns, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		kubectl(ctx, "wait", "-n", ns, "--for=condition=Ready", "gdprw/ledgered", "--timeout="+waitTimeout.String())
	})

	It("prints a row per purpose with the pinned digest, compliant pods and the regions pods ran in", func(ctx SpecContext) {
		By("waiting until the ledger verifies and records where both pods were bound")
		Eventually(func() string {
			return kubectl(ctx, "get", "auditledger", "ledgered", "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="Verified")].status}`)
		}, waitTimeout, time.Second).Should(Equal("True"))
		pods := strings.Fields(kubectl(ctx, "get", "pods", "-n", ns, "-l", "gdpr.amber.dev/workload=ledgered", "-o", `jsonpath={.items[*].metadata.uid}`))
		Expect(pods).To(HaveLen(2))
		Eventually(func() []string {
			return strings.Fields(kubectl(ctx, "get", "ae", "-n", ns, "-l", "gdpr.amber.dev/workload=ledgered,gdpr.amber.dev/type=PodScheduled",
				"-o", `jsonpath={.items[*].spec.subject.podUID}`))
		}, waitTimeout, time.Second).Should(ContainElements(pods))

		By("reading the regions of the nodes the pods run on, as a person would")
		var regions []string
		for _, node := range strings.Fields(kubectl(ctx, "get", "pods", "-n", ns, "-l", "gdpr.amber.dev/workload=ledgered", "-o", `jsonpath={.items[*].spec.nodeName}`)) {
			region := kubectl(ctx, "get", "node", node, "-o", `jsonpath={.metadata.labels.topology\.kubernetes\.io/region}`)
			if !slices.Contains(regions, region) {
				regions = append(regions, region)
			}
		}
		slices.Sort(regions)

		By("running the plugin through kubectl, as JSON")
		var record records.Record
		Expect(json.Unmarshal([]byte(kubectl(ctx, "amber", "records", "-n", ns, "-o", "json")), &record)).To(Succeed())
		Expect(record.Window).To(Equal("30d"))
		Expect(record.Systems).To(HaveLen(1))
		s := record.Systems[0]
		Expect(s.Namespace + "/" + s.Name).To(Equal(ns + "/ledgered"))
		Expect(s.Processing).NotTo(BeNil())
		Expect(s.Processing.Controller.Name).To(Equal("Example Shop GmbH"))
		Expect(s.Purposes).To(HaveLen(2))
		Expect(s.Purposes[0].Name).To(Equal("essential.fraud_detection"))
		Expect(s.Purposes[1].Name).To(Equal("essential.service.payment_processing"))
		Expect(s.Measures.PinnedImages).To(HaveLen(1))
		Expect(s.Measures.PinnedImages[0].Digest).To(Equal(digests[sampleImage]))
		Expect(s.Measures.PinnedImages[0].Pinned).To(Equal(image(sampleImage) + "@" + digests[sampleImage]))
		Expect(s.Measures.Hardening).To(Equal(records.Hardening{Profile: "Immutable", RunningPods: 2, CompliantPods: 2}))
		Expect(s.Measures.Residency.AllowedRegions).To(Equal([]string{"eu-central-1", "eu-west-1"}))
		Expect(s.Measures.Residency.RegionsUsed).To(Equal(regions), "the regions of the PodScheduled entries are those of the pods' nodes")
		Expect(s.Measures.Residency.RegionsUsed).NotTo(ContainElement("us-east-1"))
		Expect(s.Measures.Ledger.Found).To(BeTrue())
		Expect(s.Measures.Ledger.Verified).To(BeEquivalentTo("True"))
		Expect(s.Measures.Ledger.Head).To(BeNumerically(">", 0))
		Expect(s.Findings).To(BeEmpty())
		for _, p := range s.Purposes {
			Expect(p.Findings).To(BeEmpty(), "purpose %s", p.Name)
		}

		By("printing the Markdown record with --strict, which holds no finding")
		out, err := k8s.Run(ctx, "amber", "records", "-n", ns, "--strict")
		Expect(exitCode(err)).To(Equal(0), "%v\n%s", err, out)
		Expect(out).To(ContainSubstring("| " + ns + "/ledgered | Controller |"))
		Expect(out).To(ContainSubstring(digests[sampleImage]))
		Expect(out).To(ContainSubstring("0 findings"))
		// Kept beside the manager's log, for a person to read.
		Expect(os.WriteFile(filepath.Join(artifacts, "records.md"), []byte(out), 0o644)).To(Succeed())
	})

	It("exits 1 with --strict once a workload declares no processing", func(ctx SpecContext) {
		_, err := k8s.RunWithInput(ctx, undeclaredWorkload(), "apply", "--server-side", "-n", ns, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		kubectl(ctx, "wait", "-n", ns, "--for=condition=Ready", "gdprw/undeclared", "--timeout="+waitTimeout.String())

		out, err := k8s.Run(ctx, "amber", "records", "-n", ns, "--strict", "-o", "csv")
		Expect(exitCode(err)).To(Equal(1), "%v\n%s", err, out)
		Expect(err.Error()).To(ContainSubstring("findings (--strict)"))
		Expect(out).To(ContainSubstring(ns + ",undeclared,"))
		Expect(out).To(ContainSubstring("[NoProcessing] declares no processing"))

		By("without --strict the same record is printed and the command succeeds")
		out, err = k8s.Run(ctx, "amber", "records", "-n", ns, "-o", "fides")
		Expect(exitCode(err)).To(Equal(0), "%v\n%s", err, out)
		Expect(out).To(ContainSubstring("fides_key: " + ns + ".ledgered"))
		Expect(out).To(ContainSubstring("fides_key: " + ns + ".undeclared"))
		Expect(out).To(ContainSubstring("legal_basis_for_processing: Legitimate interests"))
	})
})
