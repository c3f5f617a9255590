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
	"fmt"
	"regexp"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

func glassedWorkload() string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: glassed
spec:
  replicas: 3
  template:
    metadata:
      labels:
        app: glassed
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
        resources:
          requests: {cpu: 10m, memory: 16Mi}
          limits: {cpu: 10m, memory: 16Mi}
`, pullSecret, image(burstImage))
}

var _ = Describe("Break-glass: kubectl amber breakglass opens exactly the named pod to exactly the named user until it expires", Ordered, func() {
	// target is opened and used; spare is opened, never used, so it is not replaced and stays
	// to be refused after the window; other is not opened.
	var target, targetUID, spare, other string
	BeforeAll(func(ctx SpecContext) {
		_, err := k8s.RunWithInput(ctx, glassedWorkload(), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		waitSettled(ctx, "glassed", 3)
		pods := workloadPods(ctx, Default, "glassed")
		target, targetUID, spare, other = pods[0].Name, string(pods[0].UID), pods[1].Name, pods[2].Name
	})
	AfterAll(func(ctx SpecContext) {
		if !CurrentSpecReport().Failed() {
			_, _ = k8s.Run(ctx, "delete", "gdprw", "glassed", "-n", namespace, "--ignore-not-found", "--wait=false")
		}
	})

	// execAs runs kubectl exec as user (impersonated; in system:masters so that RBAC lets the
	// attempt reach admission). Admission answers first; a request it lets through then fails
	// at the node, since kwok serves no streams, so each attempt is given a few seconds.
	execAs := func(ctx context.Context, user, pod string) (string, bool) {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, stderr, ok := kubectlBoth(ctx, "exec", "-n", namespace, pod, "--as", user, "--as-group", "system:masters",
			"--", "sh", "-c", "cat /secret/customer-42")
		return stderr, ok
	}
	refusedByAmber := func(stderr string) {
		GinkgoHelper()
		Expect(stderr).To(ContainSubstring("denied the request"))
		Expect(stderr).To(ContainSubstring("is governed by GDPRWorkload glassed"))
		Expect(stderr).To(ContainSubstring("ask for a break-glass"))
	}

	It("lets alice exec into the named pod, refuses bob and the other pod, records the use, and refuses alice once the window closed", func(ctx SpecContext) {
		By("kubectl amber breakglass")
		stdout, stderr, ok := kubectlBoth(ctx, "amber", "breakglass", "glassed", "-n", namespace, "--ops", "exec", "--pod", target, "--pod", spare,
			"--for", "user:alice", "--duration", "30s", "--reason", "INC-E2E-1: inspect the stuck queue")
		Expect(ok).To(BeTrue(), stderr)
		m := regexp.MustCompile(`breakglass\.gdpr\.amber\.dev/(\S+) created in namespace \S+: BreakGlass \S+ opens exec on pods (\S+, \S+) of GDPRWorkload glassed until (\S+) `).FindStringSubmatch(stdout)
		Expect(m).NotTo(BeNil(), stdout)
		name := m[1]
		Expect(m[2]).To(Equal(target + ", " + spare))
		notAfter, err := time.Parse(time.RFC3339, m[3])
		Expect(err).NotTo(HaveOccurred())
		Expect(notAfter).To(BeTemporally("~", time.Now().Add(30*time.Second), 10*time.Second))
		Expect(kubectl(ctx, "get", "breakglass", name, "-n", namespace, "-o", "jsonpath={.status.notAfter}")).To(Equal(m[3]), "the CLI prints the window the status holds")

		By("alice's exec into the named pod gets past admission")
		stderr, _ = execAs(ctx, "alice", target)
		GinkgoWriter.Printf("alice's exec, let through by admission, then ended with: %s\n", stderr)
		Expect(stderr).NotTo(ContainSubstring("denied the request"))
		Expect(stderr).NotTo(ContainSubstring("admission webhook"))
		Expect(stderr).NotTo(ContainSubstring("Forbidden"), "neither RBAC nor admission refused it")

		By("bob, and alice on the other pod, are refused with Amber's message")
		stderr, ok = execAs(ctx, "bob", target)
		Expect(ok).To(BeFalse())
		refusedByAmber(stderr)
		stderr, ok = execAs(ctx, "alice", other)
		Expect(ok).To(BeFalse())
		refusedByAmber(stderr)

		By("the use is a BreakGlassUsed entry: pseudonymised user, the command's first word and HMAC, never the command")
		Eventually(func(g Gomega) {
			var used []gdprv1alpha1.AuditEventSpec
			for _, e := range ledgerEntries(ctx, g, "glassed") {
				if e.Spec.Type == gdprv1alpha1.AuditBreakGlassUsed {
					g.Expect(e.Labels).To(HaveKeyWithValue(gdprv1alpha1.AuditBreakGlassLabel, name))
					used = append(used, e.Spec)
				}
			}
			g.Expect(used).To(HaveLen(1))
			g.Expect(used[0].Subject.Pod).To(Equal(target))
			g.Expect(used[0].Reason).To(Equal(string(gdprv1alpha1.AdmissionExec)))
			g.Expect(used[0].Actor).To(HavePrefix("hmac-sha256:"))
			g.Expect(used[0].Request.Command).To(Equal("sh"))
			g.Expect(used[0].Request.CommandHMAC).To(HavePrefix("hmac-sha256:"))
			g.Expect(used[0].Message).NotTo(ContainSubstring("customer-42"))
			g.Expect(used[0].Message).NotTo(ContainSubstring("alice"))
		}, waitTimeout, interval).Should(Succeed())
		Expect(kubectl(ctx, "get", "breakglass", name, "-n", namespace, "-o", "jsonpath={.status.touchedPods[*].name}")).To(Equal(target))

		By("once the window has closed, alice is refused too (on the opened pod she did not use: the one she used is being replaced)")
		time.Sleep(time.Until(notAfter) + 500*time.Millisecond)
		stderr, ok = execAs(ctx, "alice", spare)
		Expect(ok).To(BeFalse())
		refusedByAmber(stderr)

		By("the touched pod, and only it, is replaced by a fresh one")
		Eventually(func(g Gomega) {
			var names []string
			for _, p := range workloadPods(ctx, g, "glassed") {
				names = append(names, p.Name)
			}
			g.Expect(names).To(HaveLen(3))
			g.Expect(names).NotTo(ContainElement(target))
			g.Expect(names).To(ContainElements(spare, other))
			replaced := entriesFor(ledgerEntries(ctx, g, "glassed"), gdprv1alpha1.AuditPodReplaced, targetUID)
			g.Expect(replaced).To(HaveLen(1))
			g.Expect(replaced[0].Reason).To(Equal(string(gdprv1alpha1.AuditReasonBreakGlassEnded)))
		}, waitTimeout, interval).Should(Succeed())
		Eventually(func() string {
			return kubectl(ctx, "get", "breakglass", name, "-n", namespace, "-o", "jsonpath={.status.phase}")
		}, waitTimeout, interval).Should(Equal(string(gdprv1alpha1.BreakGlassExpired)))
		Eventually(func(g Gomega) {
			var ended []string
			for _, e := range ledgerEntries(ctx, g, "glassed") {
				if e.Spec.Type == gdprv1alpha1.AuditBreakGlassEnded {
					ended = append(ended, e.Spec.Reason)
				}
			}
			g.Expect(ended).To(Equal([]string{string(gdprv1alpha1.AuditReasonExpired)}))
		}, waitTimeout, interval).Should(Succeed())

		By("its name cannot be used again")
		_, stderr, ok = kubectlBoth(ctx, "amber", "breakglass", "glassed", "-n", namespace, "--ops", "exec", "--name", name,
			"--reason", "INC-E2E-1: inspect the stuck queue")
		Expect(ok).To(BeFalse())
		Expect(stderr).To(ContainSubstring("was already used in namespace " + namespace))
	})
})
