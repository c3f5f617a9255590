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
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// interval is how often the drift specs look again.
const interval = 250 * time.Millisecond

func driftWorkload() string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: guarded
spec:
  replicas: 2
  # These specs change pods as a person with kubectl would, which admission refuses: drift
  # detection is what answers when admission is off, down or bypassed.
  admission:
    mode: "Off"
  template:
    metadata:
      labels:
        app: guarded
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
`, pullSecret, image(burstImage))
}

// guardedPod returns the name and UID of one running pod of the guarded workload.
func guardedPod(ctx context.Context) (name, uid string) {
	GinkgoHelper()
	out := kubectl(ctx, "get", "pods", "-n", namespace, "-l", "gdpr.amber.dev/workload=guarded",
		"-o", `jsonpath={.items[0].metadata.name} {.items[0].metadata.uid}`)
	fields := strings.Fields(out)
	Expect(fields).To(HaveLen(2), out)
	return fields[0], fields[1]
}

// expectRepaired waits until the pod with uid is gone and the workload Ready and InSync again,
// and checks that the ledger recorded the drift with reason, and the replacement.
func expectRepaired(ctx context.Context, uid, reason string) {
	GinkgoHelper()
	Eventually(func() string {
		return kubectl(ctx, "get", "pods", "-n", namespace, "-l", "gdpr.amber.dev/workload=guarded", "-o", "jsonpath={.items[*].metadata.uid}")
	}, waitTimeout, interval).ShouldNot(ContainSubstring(uid))
	kubectl(ctx, "wait", "-n", namespace, "--for=condition=Ready", "gdprw/guarded", "--timeout="+waitTimeout.String())
	kubectl(ctx, "wait", "-n", namespace, "--for=condition=InSync", "gdprw/guarded", "--timeout="+waitTimeout.String())
	Eventually(func() string {
		return kubectl(ctx, "get", "ae", "-n", namespace, "-l", "gdpr.amber.dev/workload=guarded,gdpr.amber.dev/type=DriftDetected",
			"-o", `jsonpath={range .items[*]}{.spec.subject.podUID}={.spec.reason}{"\n"}{end}`)
	}, waitTimeout, interval).Should(ContainSubstring(uid + "=" + reason))
	Eventually(func() string {
		return kubectl(ctx, "get", "ae", "-n", namespace, "-l", "gdpr.amber.dev/workload=guarded,gdpr.amber.dev/type=PodReplaced",
			"-o", "jsonpath={.items[*].spec.subject.podUID}")
	}, waitTimeout, interval).Should(ContainSubstring(uid))
}

var _ = Describe("Drift, as a person with kubectl causes it", Ordered, func() {
	BeforeAll(func(ctx SpecContext) {
		_, err := k8s.RunWithInput(ctx, driftWorkload(), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=Ready", "gdprw/guarded", "--timeout="+waitTimeout.String())
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=InSync", "gdprw/guarded", "--timeout="+waitTimeout.String())
	})

	It("replaces a pod whose image was set in place", func(ctx SpecContext) {
		name, uid := guardedPod(ctx)
		kubectl(ctx, "set", "image", "-n", namespace, "pod/"+name, "app="+image(privateImage))
		expectRepaired(ctx, uid, "ImageChanged")
	})

	It("replaces a pod that kubectl debug added a container to", func(ctx SpecContext) {
		name, uid := guardedPod(ctx)
		kubectl(ctx, "debug", "-n", namespace, "pod/"+name, "--image="+image(privateImage), "--container=debugger", "--profile=general")
		expectRepaired(ctx, uid, "EphemeralContainerAdded")
	})

	It("replaces a pod whose labels were edited", func(ctx SpecContext) {
		name, uid := guardedPod(ctx)
		kubectl(ctx, "label", "-n", namespace, "pod/"+name, "app=tampered", "--overwrite")
		expectRepaired(ctx, uid, "MetadataChanged")
	})

	It("does not leave a pod running that escaped its workload", func(ctx SpecContext) {
		name, uid := guardedPod(ctx)
		kubectl(ctx, "label", "-n", namespace, "pod/"+name, "gdpr.amber.dev/workload-")
		Eventually(func() string {
			out, _ := k8s.Run(ctx, "get", "pod", "-n", namespace, name, "-o", "jsonpath={.metadata.uid}", "--ignore-not-found")
			return out
		}, waitTimeout, interval).ShouldNot(Equal(uid), "the escaped pod is deleted")
		expectRepaired(ctx, uid, "Escaped")
	})

	It("shows what drifted in the workload's status and keeps a chain that verifies", func(ctx SpecContext) {
		out := kubectl(ctx, "get", "gdprw", "-n", namespace, "guarded", "-o", "jsonpath={.status.drift.replaced} {.status.drift.driftedPods}")
		Expect(out).To(Equal("4 0"))
		Eventually(func() error {
			_, err := k8s.Run(ctx, "amber", "verify", "-n", namespace, "guarded", "--max-unsigned=20")
			return err
		}, waitTimeout, interval).Should(Succeed())
	})
})
