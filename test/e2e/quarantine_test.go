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
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func quarantinedWorkload() string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: suspect
spec:
  replicas: 2
  template:
    metadata:
      labels:
        app: suspect
        tier: web
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: suspect
spec:
  selector:
    app: suspect
    tier: web
  ports:
  - port: 80
    targetPort: 8080
`, pullSecret, image(burstImage))
}

// servingPods lists the pods in the suspect Service's EndpointSlices, as the
// EndpointSlice controller of kube-controller-manager keeps them.
func servingPods(ctx SpecContext) []string {
	out := kubectl(ctx, "get", "endpointslices", "-n", namespace, "-l", "kubernetes.io/service-name=suspect",
		"-o", `jsonpath={range .items[*].endpoints[*]}{.targetRef.name}{"\n"}{end}`)
	return strings.Fields(out)
}

var _ = Describe("Quarantine", Ordered, func() {
	const keep = 45 * time.Second
	var suspect, fresh string

	It("takes a pod out of every Service while a fresh pod serves, isolates it and keeps it", func(ctx SpecContext) {
		_, err := k8s.RunWithInput(ctx, quarantinedWorkload(), "apply", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=Ready", "gdprw/suspect", "--timeout="+waitTimeout.String())
		Eventually(func() []string { return servingPods(ctx) }, waitTimeout, interval).Should(HaveLen(2))
		suspect = servingPods(ctx)[0]

		By("kubectl amber quarantine")
		out := kubectl(ctx, "amber", "quarantine", suspect, "-n", namespace, "--name", "inc-2291",
			"--reason", "INC-2291: unexpected egress", "--keep", keep.String(), "--wait", "90s")
		GinkgoWriter.Println(out)
		Expect(out).To(ContainSubstring("quarantine.gdpr.amber.dev/inc-2291 created for pod " + suspect))
		Expect(out).To(MatchRegexp(`replacement: pod (\S+) serves in its place; pod ` + suspect + ` is out of every Service, isolated by NetworkPolicy inc-2291`))
		Expect(out).To(MatchRegexp(`pod ` + suspect + ` is deleted at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`))
		fresh = kubectl(ctx, "get", "quarantine", "inc-2291", "-n", namespace, "-o", "jsonpath={.status.replacement}")
		Expect(fresh).NotTo(BeEmpty())

		By("the fresh pod serves, the quarantined pod left the EndpointSlice but still exists")
		Eventually(func() []string { return servingPods(ctx) }, waitTimeout, interval).Should(And(ContainElement(fresh), Not(ContainElement(suspect)), HaveLen(2)))
		Expect(kubectl(ctx, "get", "pod", suspect, "-n", namespace, "-o", "jsonpath={.metadata.deletionTimestamp}")).To(BeEmpty())
		Expect(kubectl(ctx, "get", "pod", fresh, "-n", namespace, "-o", `jsonpath={.metadata.annotations.gdpr\.amber\.dev/replaces}`)).To(Equal(suspect))

		By("the NetworkPolicy selects it and denies both directions")
		Expect(kubectl(ctx, "get", "networkpolicy", "inc-2291", "-n", namespace, "-o",
			`jsonpath={.spec.podSelector.matchLabels} {.spec.policyTypes} {.spec.ingress} {.spec.egress}`)).To(Equal(`{"gdpr.amber.dev/quarantined":"inc-2291"} ["Ingress","Egress"]  `))
		Expect(kubectl(ctx, "get", "pods", "-n", namespace, "-l", "gdpr.amber.dev/quarantined=inc-2291", "-o", "jsonpath={.items[*].metadata.name}")).To(Equal(suspect))

		By("the workload counts two pods, and is not replacing the quarantined one again")
		Eventually(func() string {
			return kubectl(ctx, "get", "gdprw", "suspect", "-n", namespace, "-o",
				`jsonpath={.status.replicas} {.status.readyReplicas} {.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="InSync")].status}`)
		}, waitTimeout, interval).Should(Equal("2 2 True True"))
		Expect(kubectl(ctx, "get", "pods", "-n", namespace, "-l", "gdpr.amber.dev/workload=suspect", "-o", `jsonpath={.items[*].metadata.annotations.gdpr\.amber\.dev/replaces}`)).To(Equal(suspect),
			"one fresh pod replaced the suspect, and no other")
	})

	It("deletes the pod after keep, a restarted manager too, and the ledger tells every step once", func(ctx SpecContext) {
		By("restarting the manager while the pod is kept: the new one reads deleteAfter back and writes nothing twice")
		DeferCleanup(func() {
			if manager.Exited() {
				manager = startManager()
			}
		})
		deleteAfter := kubectl(ctx, "get", "quarantine", "inc-2291", "-n", namespace, "-o", "jsonpath={.status.deleteAfter}")
		manager.Stop(10 * time.Second)
		manager = startManager()
		Expect(kubectl(ctx, "get", "quarantine", "inc-2291", "-n", namespace, "-o", "jsonpath={.status.deleteAfter}")).To(Equal(deleteAfter))

		Eventually(func() string {
			out, _ := k8s.Run(ctx, "get", "pod", suspect, "-n", namespace, "-o", "name", "--ignore-not-found")
			return out
		}, keep+waitTimeout, interval).Should(BeEmpty())
		Eventually(func() string {
			return kubectl(ctx, "get", "quarantine", "inc-2291", "-n", namespace, "-o", "jsonpath={.status.phase}")
		}, waitTimeout, interval).Should(Equal("Released"))
		out, err := k8s.Run(ctx, "get", "networkpolicy", "inc-2291", "-n", namespace, "--ignore-not-found", "-o", "name")
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(BeEmpty())
		Eventually(func() []string { return servingPods(ctx) }, waitTimeout, interval).Should(ContainElement(fresh))

		steps := kubectl(ctx, "get", "ae", "-n", namespace, "-l", "gdpr.amber.dev/quarantine=inc-2291", "--sort-by=.spec.sequence",
			"-o", `jsonpath={range .items[*]}{.spec.type}/{.spec.reason}{"\n"}{end}`)
		Expect(strings.Fields(steps)).To(Equal([]string{"PodQuarantined/Requested", "PodReplaced/Quarantined", "PodQuarantined/Isolated", "PodDeleted/QuarantineEnded"}))
		Expect(kubectl(ctx, "get", "ae", "-n", namespace, "-l", "gdpr.amber.dev/quarantine=inc-2291,gdpr.amber.dev/reason=Requested",
			"-o", "jsonpath={.items[*].spec.actor}")).To(HavePrefix("hmac-sha256:"), "who asked: the plugin's field manager, pseudonymised")
		kubectl(ctx, "amber", "verify", "-n", namespace, "suspect", "--max-unsigned=20")
	})
})
