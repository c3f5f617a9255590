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
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// The cluster's nodes (hack/cluster/nodes.yaml): two EU regions and one outside the EU.
var (
	euNodes = []string{"kwok-eu-west-1a", "kwok-eu-west-1b", "kwok-eu-central-1a"}
	usNode  = "kwok-us-east-1a"
)

func residentWorkload(name string, replicas int) string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: %s
spec:
  replicas: %d
  residency:
    allowedRegions: [eu-west-1, eu-central-1]
  template:
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
`, name, replicas, pullSecret, image(burstImage))
}

// nodeRegions returns every node's region label, by node name.
func nodeRegions(ctx context.Context, g Gomega) map[string]string {
	out, err := k8s.Run(ctx, "get", "nodes", "-o", "json")
	g.Expect(err).NotTo(HaveOccurred())
	var list corev1.NodeList
	g.Expect(json.Unmarshal([]byte(out), &list)).To(Succeed())
	regions := map[string]string{}
	for _, n := range list.Items {
		regions[n.Name] = n.Labels[corev1.LabelTopologyRegion]
	}
	return regions
}

// setRegion relabels node as a cloud provider (or an attacker with node rights) would, and
// puts its region back when the spec ends.
func setRegion(ctx context.Context, node, region string) {
	GinkgoHelper()
	before := nodeRegions(ctx, Default)[node]
	kubectl(ctx, "label", "node", node, corev1.LabelTopologyRegion+"="+region, "--overwrite")
	DeferCleanup(func(ctx SpecContext) {
		kubectl(ctx, "label", "node", node, corev1.LabelTopologyRegion+"="+before, "--overwrite")
	})
}

var _ = Describe("Data residency on a cluster with EU and US nodes", Ordered, func() {
	const workload = "resident"
	allowed := []string{"eu-west-1", "eu-central-1"}
	AfterAll(func(ctx SpecContext) {
		if !CurrentSpecReport().Failed() {
			_, _ = k8s.Run(ctx, "delete", "gdprw", workload, "stranded", "-n", namespace, "--ignore-not-found", "--wait=false")
		}
	})

	It("places pods only on nodes of the allowed regions, and records where each was bound", func(ctx SpecContext) {
		_, err := k8s.RunWithInput(ctx, residentWorkload(workload, 4), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		waitSettled(ctx, workload, 4)
		regions := nodeRegions(ctx, Default)
		Eventually(func(g Gomega) {
			for _, p := range workloadPods(ctx, g, workload) {
				g.Expect(allowed).To(ContainElement(regions[p.Spec.NodeName]), "pod %s runs on %s", p.Name, p.Spec.NodeName)
				scheduled := entriesFor(ledgerEntries(ctx, g, workload), gdprv1alpha1.AuditPodScheduled, string(p.UID))
				g.Expect(scheduled).To(HaveLen(1), "pod %s has one PodScheduled entry", p.Name)
				g.Expect(scheduled[0].Placement).To(Equal(&gdprv1alpha1.AuditPlacement{
					Node: p.Spec.NodeName, Region: regions[p.Spec.NodeName], Zone: p.Labels[corev1.LabelTopologyZone],
				}), "the API server copied the node's zone onto the pod at binding; the ledger says the same")
			}
		}, waitTimeout, interval).Should(Succeed())
	})

	It("replaces a pod whose node moved to us-east-1 by one on an allowed node", func(ctx SpecContext) {
		var victim corev1.Pod
		Eventually(func(g Gomega) { victim = workloadPods(ctx, g, workload)[0] }, waitTimeout, interval).Should(Succeed())
		node := victim.Spec.NodeName
		var onNode []string
		Eventually(func(g Gomega) {
			onNode = nil
			for _, p := range workloadPods(ctx, g, workload) {
				if p.Spec.NodeName == node {
					onNode = append(onNode, string(p.UID))
				}
			}
		}, waitTimeout, interval).Should(Succeed())
		By(fmt.Sprintf("node %s, running %d of the pods, is relabelled to us-east-1", node, len(onNode)))
		setRegion(ctx, node, "us-east-1")

		Eventually(func(g Gomega) {
			for _, p := range workloadPods(ctx, g, workload) {
				g.Expect(onNode).NotTo(ContainElement(string(p.UID)), "pod %s still runs on %s", p.Name, node)
				g.Expect(p.Spec.NodeName).NotTo(Equal(node), "a replacement went to the relabelled node")
			}
		}, waitTimeout, interval).Should(Succeed())
		waitSettled(ctx, workload, 4)
		Eventually(func(g Gomega) {
			entries := ledgerEntries(ctx, g, workload)
			for _, uid := range onNode {
				detected := entriesFor(entries, gdprv1alpha1.AuditDriftDetected, uid)
				g.Expect(detected).To(HaveLen(1))
				g.Expect(detected[0].Reason).To(Equal(string(gdprv1alpha1.DriftOutOfRegion)))
				g.Expect(entriesFor(entries, gdprv1alpha1.AuditPodReplaced, uid)).To(HaveLen(1))
			}
			regions := nodeRegions(ctx, g)
			for _, p := range workloadPods(ctx, g, workload) {
				g.Expect(allowed).To(ContainElement(regions[p.Spec.NodeName]), "pod %s runs on %s", p.Name, p.Spec.NodeName)
			}
		}, waitTimeout, interval).Should(Succeed())
	})

	It("runs nothing while only the US node is schedulable, and says why", func(ctx SpecContext) {
		for _, n := range euNodes {
			kubectl(ctx, "cordon", n)
			DeferCleanup(func(ctx SpecContext) { kubectl(ctx, "uncordon", n) })
		}
		const stranded = "stranded"
		_, err := k8s.RunWithInput(ctx, residentWorkload(stranded, 2), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			out, err := k8s.Run(ctx, "get", "gdprw", stranded, "-n", namespace, "-o",
				`jsonpath={.status.conditions[?(@.type=="Ready")].status}|{.status.conditions[?(@.type=="Ready")].reason}|{.status.conditions[?(@.type=="Ready")].message}|{.status.conditions[?(@.type=="Reconciling")].reason}|{.status.conditions[?(@.type=="Stalled")].status}`)
			g.Expect(err).NotTo(HaveOccurred())
			fields := strings.Split(out, "|")
			g.Expect(fields).To(HaveLen(5), out)
			g.Expect(fields[0]).To(Equal("False"), out)
			g.Expect(fields[1]).To(Equal(gdprv1alpha1.ReasonNoEligibleNodes), out)
			g.Expect(fields[2]).To(ContainSubstring("no schedulable node in the allowed regions eu-central-1, eu-west-1: 2 pods stay Pending"), out)
			g.Expect(fields[2]).To(ContainSubstring("the scheduler says: 0/4 nodes are available"), out)
			g.Expect(fields[3]).To(Equal(gdprv1alpha1.ReasonNoEligibleNodes), "Reconciling: nodes may come back")
			g.Expect(fields[4]).To(BeEmpty(), "not Stalled")
		}, waitTimeout, interval).Should(Succeed())
		Consistently(func(g Gomega) {
			pods := workloadPods(ctx, g, stranded)
			g.Expect(pods).To(HaveLen(2))
			for _, p := range pods {
				g.Expect(p.Spec.NodeName).To(BeEmpty(), "pod %s was placed on %s", p.Name, p.Spec.NodeName)
			}
		}, "3s", interval).Should(Succeed(), "nothing is placed on the US node to keep the workload running")
		typesOf := func() []gdprv1alpha1.AuditEventType {
			var types []gdprv1alpha1.AuditEventType
			for _, e := range ledgerEntries(ctx, Default, stranded) {
				types = append(types, e.Spec.Type)
			}
			return types
		}
		Expect(typesOf()).NotTo(ContainElement(gdprv1alpha1.AuditPodScheduled))

		By("the EU nodes come back, and the pods are placed there without anyone touching the workload")
		for _, n := range euNodes {
			kubectl(ctx, "uncordon", n)
		}
		waitSettled(ctx, stranded, 2)
		regions := nodeRegions(ctx, Default)
		for _, p := range workloadPods(ctx, Default, stranded) {
			Expect(allowed).To(ContainElement(regions[p.Spec.NodeName]))
		}
	})

	It("names in the ledger every node its pods ever ran on", func(ctx SpecContext) {
		Eventually(func(g Gomega) {
			entries := ledgerEntries(ctx, g, workload)
			placed := map[string]string{} // pod UID -> node
			for _, e := range entries {
				if e.Spec.Type == gdprv1alpha1.AuditPodScheduled {
					g.Expect(e.Spec.Placement).NotTo(BeNil())
					g.Expect(allowed).To(ContainElement(e.Spec.Placement.Region), "entry %d: every pod was bound in an allowed region", e.Spec.Sequence)
					placed[e.Spec.Subject.PodUID] = e.Spec.Placement.Node
				}
			}
			for _, e := range entries {
				if e.Spec.Type == gdprv1alpha1.AuditPodCreated {
					g.Expect(placed).To(HaveKey(e.Spec.Subject.PodUID), "pod %s ran with no record of where", e.Spec.Subject.Pod)
				}
			}
			for _, p := range workloadPods(ctx, g, workload) {
				g.Expect(placed[string(p.UID)]).To(Equal(p.Spec.NodeName))
			}
			nodes := slices.Sorted(func(yield func(string) bool) {
				seen := map[string]bool{}
				for _, n := range placed {
					if !seen[n] && !yield(n) {
						return
					}
					seen[n] = true
				}
			})
			GinkgoWriter.Printf("the ledger of %s names %d pods on the nodes %v\n", workload, len(placed), nodes)
			g.Expect(nodes).NotTo(ContainElement(usNode))
		}, waitTimeout, interval).Should(Succeed())
	})
})
