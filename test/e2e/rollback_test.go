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
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/amber-gdpr/amber/internal/history"
	"github.com/amber-gdpr/amber/test/cluster"
)

// rollbackWorkload runs three pods of image under the workload rollback.
func rollbackWorkload(image string) string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: rollback
spec:
  replicas: 3
  strategy:
    maxSurge: 1
    maxUnavailable: 0
  template:
    metadata:
      labels:
        app: rollback
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
`, pullSecret, image)
}

// activeImages lists the image of every pod of the workload that is not being deleted, with
// whether it is Ready.
func activeImages(ctx context.Context, g Gomega, workload string) []string {
	out, err := k8s.Run(ctx, "get", "pods", "-n", namespace, "-l", "gdpr.amber.dev/workload="+workload, "-o",
		`jsonpath={range .items[*]}{.metadata.deletionTimestamp}{"|"}{.spec.containers[0].image}{"|"}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)
	g.Expect(err).NotTo(HaveOccurred())
	var images []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		fields := strings.Split(line, "|")
		if len(fields) == 3 && fields[0] == "" {
			images = append(images, fields[1]+" Ready="+fields[2])
		}
	}
	return images
}

// eventuallyAllRun waits until the workload has exactly n pods, all Ready and running ref.
func eventuallyAllRun(ctx context.Context, workload string, n int, ref string) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		images := activeImages(ctx, g, workload)
		g.Expect(images).To(HaveLen(n))
		g.Expect(images).To(HaveEach(ref + " Ready=True"))
	}, waitTimeout, 500*time.Millisecond).Should(Succeed())
}

func historyJSON(ctx context.Context, workload string) history.History {
	GinkgoHelper()
	var h history.History
	Expect(json.Unmarshal([]byte(kubectl(ctx, "amber", "history", workload, "-n", namespace, "-o", "json")), &h)).To(Succeed())
	return h
}

var _ = Describe("kubectl amber history and rollback, against the live cluster", Ordered, func() {
	It("lists the revisions, and rolls back to the earlier digests though the tag moved since", func(ctx SpecContext) {
		push := func(repoAndTag, text string) string {
			img, err := cluster.SmallImage("linux/amd64", text)
			Expect(err).NotTo(HaveOccurred())
			digest, err := cluster.Push(ctx, image(repoAndTag), img, registryAuth)
			Expect(err).NotTo(HaveOccurred())
			return digest.String()
		}
		digestA := push("amber/rollback:v1", "Amber e2e rollback v1")
		digestB := push("amber/rollback:v2", "Amber e2e rollback v2")

		By("running v1, then v2 applied by a GitOps tool")
		_, err := k8s.RunWithInput(ctx, rollbackWorkload(image("amber/rollback:v1")), "apply", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		eventuallyAllRun(ctx, "rollback", 3, image("amber/rollback:v1")+"@"+digestA)
		_, err = k8s.RunWithInput(ctx, rollbackWorkload(image("amber/rollback:v2")), "apply", "--server-side", "--force-conflicts",
			"--field-manager=argocd-controller", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		eventuallyAllRun(ctx, "rollback", 3, image("amber/rollback:v2")+"@"+digestB)

		digestC := push("amber/rollback:v1", "Amber e2e rollback v1, rebuilt")
		Expect(digestC).NotTo(Equal(digestA), "the tag moved")

		By("kubectl amber history lists both revisions with their digests, when they ran, and the current one")
		h := historyJSON(ctx, "rollback")
		Expect(h.Revisions).To(HaveLen(2))
		first, second := h.Revisions[0], h.Revisions[1]
		Expect(first).To(And(HaveField("Number", BeEquivalentTo(1)), HaveField("Current", false), HaveField("Cause", "Created"),
			HaveField("RunningPods", 0), HaveField("FirstPod", Not(BeNil())), HaveField("LastPod", Not(BeNil()))))
		Expect(first.Images).To(ConsistOf(history.Image{Container: "app", Image: image("amber/rollback:v1"), Digest: digestA}))
		Expect(second).To(And(HaveField("Number", BeEquivalentTo(2)), HaveField("Current", true), HaveField("Cause", "SpecChanged"),
			HaveField("RunningPods", 3), HaveField("ChangedBy", HavePrefix("hmac-sha256:"))))
		Expect(second.Images).To(ConsistOf(history.Image{Container: "app", Image: image("amber/rollback:v2"), Digest: digestB}))
		table := kubectl(ctx, "amber", "history", "rollback", "-n", namespace)
		Expect(table).To(And(ContainSubstring("2 (current)"), ContainSubstring("sha256:"+strings.TrimPrefix(digestA, "sha256:")), ContainSubstring("running (3)")))

		By("kubectl amber rollback restores revision 1, warning that the GitOps tool will undo it")
		stdout, stderr, ok := kubectlBoth(ctx, "amber", "rollback", "rollback", "-n", namespace)
		Expect(ok).To(BeTrue(), stderr)
		Expect(stdout).To(And(ContainSubstring("rolled back to revision 1 ("+first.ID), ContainSubstring(digestA)))
		Expect(stderr).To(And(ContainSubstring("managed by argocd-controller, a GitOps tool"), ContainSubstring("revert the commit")))
		eventuallyAllRun(ctx, "rollback", 3, image("amber/rollback:v1")+"@"+digestA)

		h = historyJSON(ctx, "rollback")
		Expect(h.Revisions).To(HaveLen(2), "restored, not pinned again from the moved tag")
		Expect(h.Revisions[1]).To(And(HaveField("ID", first.ID), HaveField("Number", BeEquivalentTo(3)), HaveField("Current", true),
			HaveField("Cause", "Rollback"), HaveField("RunningPods", 3)))
		Expect(h.Revisions[1].Images[0].Digest).To(Equal(digestA))
		Expect(kubectl(ctx, "get", "ae", "-n", namespace, "-l", "gdpr.amber.dev/workload=rollback,gdpr.amber.dev/type=RevisionRestored",
			"-o", "jsonpath={.items[*].spec.reason}")).To(Equal("Rollback"))
		Expect(kubectl(ctx, "get", "events.events.k8s.io", "-n", namespace, "--field-selector", "reason=RolledBack", "-o", "jsonpath={.items[*].note}")).
			To(ContainSubstring(digestA))
		Expect(kubectl(ctx, "get", "gdprw", "rollback", "-n", namespace, "-o", "jsonpath={.spec.template.spec.containers[0].image}")).
			To(Equal(image("amber/rollback:v1")), "the template as it was written, the tag readable")

		By("a revision that is not recorded is refused, naming those that are")
		_, stderr, ok = kubectlBoth(ctx, "amber", "rollback", "rollback", "-n", namespace, "--to-revision", "9")
		Expect(ok).To(BeFalse())
		Expect(stderr).To(ContainSubstring("--to-revision 9: no such revision; recorded: 2, 3"))
	})
})
