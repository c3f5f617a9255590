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
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/admission"
)

// kubectlBoth runs kubectl and returns its standard output and error streams and whether it
// succeeded: a warning from admission arrives on standard error of a command that succeeds.
func kubectlBoth(ctx context.Context, args ...string) (stdout, stderr string, ok bool) {
	cmd := exec.CommandContext(ctx, k8s.Kubectl, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+k8s.Kubeconfig)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err == nil
}

func doorWorkload(mode gdprv1alpha1.AdmissionMode) string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: doorway
spec:
  replicas: 1
  admission:
    mode: %q
  template:
    metadata:
      labels:
        app: doorway
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
        resources:
          requests: {cpu: 10m, memory: 16Mi}
          limits: {cpu: 10m, memory: 16Mi}
`, mode, pullSecret, image(burstImage))
}

// attempt is one way a person with kubectl tries to change or enter a governed pod.
type attempt struct {
	name        string
	operation   string
	subresource string
	reason      gdprv1alpha1.AdmissionReason
	args        func(pod string) []string
	// prepare, when set, runs first: what must hold for the API server's own validation to
	// pass, so that the request reaches admission at all.
	prepare func(ctx context.Context, pod string)
}

func attempts() []attempt {
	return []attempt{
		{"kubectl set image", "UPDATE", "", gdprv1alpha1.AdmissionSpecChanged, func(pod string) []string {
			return []string{"set", "image", "-n", namespace, "pod/" + pod, "app=" + image(privateImage)}
		}, nil},
		{"kubectl label --overwrite", "UPDATE", "", gdprv1alpha1.AdmissionMetadataChanged, func(pod string) []string {
			return []string{"label", "-n", namespace, "pod/" + pod, "app=tampered", "--overwrite"}
		}, nil},
		{"kubectl annotate", "UPDATE", "", gdprv1alpha1.AdmissionMetadataChanged, func(pod string) []string {
			return []string{"annotate", "-n", namespace, "pod/" + pod, "e2e.amber.dev/note=tampered"}
		}, nil},
		{"kubectl debug", "UPDATE", "ephemeralcontainers", gdprv1alpha1.AdmissionEphemeralContainers, func(pod string) []string {
			return []string{"debug", "-n", namespace, "pod/" + pod, "--image=" + image(privateImage), "--container=debugger", "--profile=general"}
		}, nil},
		{"a pods/resize patch", "UPDATE", "resize", gdprv1alpha1.AdmissionResize, func(pod string) []string {
			return []string{"patch", "-n", namespace, "pod/" + pod, "--subresource=resize", "--type=strategic",
				"-p", `{"spec":{"containers":[{"name":"app","resources":{"requests":{"cpu":"20m"},"limits":{"cpu":"20m"}}}]}}`}
		}, func(ctx context.Context, pod string) {
			// The API server takes a resize only for a pod whose kubelet reported its
			// containers' resources; kwok does not, so the spec does, as a kubelet would.
			kubectl(ctx, "patch", "-n", namespace, "pod/"+pod, "--subresource=status", "--type=strategic", "-p",
				`{"status":{"containerStatuses":[{"name":"app","resources":{"requests":{"cpu":"10m","memory":"16Mi"},"limits":{"cpu":"10m","memory":"16Mi"}}}]}}`)
		}},
		{"kubectl exec", "CONNECT", "exec", gdprv1alpha1.AdmissionExec, func(pod string) []string {
			return []string{"exec", "-n", namespace, pod, "--", "sh", "-c", "cat /secret/customer-42"}
		}, nil},
		{"kubectl attach", "CONNECT", "attach", gdprv1alpha1.AdmissionAttach, func(pod string) []string {
			return []string{"attach", "-n", namespace, pod}
		}, nil},
		{"kubectl port-forward", "CONNECT", "portforward", gdprv1alpha1.AdmissionPortForward, func(pod string) []string {
			return []string{"port-forward", "-n", namespace, "pod/" + pod, "18099:8080", "--pod-running-timeout=5s"}
		}, nil},
	}
}

// admissionEntries returns the doorway ledger's entries of type t, by the request they record.
func admissionEntries(ctx context.Context, g Gomega, t gdprv1alpha1.AuditEventType) []gdprv1alpha1.AuditEventSpec {
	var out []gdprv1alpha1.AuditEventSpec
	for _, e := range ledgerEntries(ctx, g, "doorway") {
		if e.Spec.Type == t {
			out = append(out, e.Spec)
		}
	}
	return out
}

var _ = Describe("The door: admission refuses in-place changes to governed pods", Ordered, func() {
	var pod string
	BeforeAll(func(ctx SpecContext) {
		_, err := k8s.RunWithInput(ctx, doorWorkload(gdprv1alpha1.AdmissionEnforce), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		waitSettled(ctx, "doorway", 1)
		pod = workloadPods(ctx, Default, "doorway")[0].Name
	})
	AfterAll(func(ctx SpecContext) {
		if !CurrentSpecReport().Failed() {
			_, _ = k8s.Run(ctx, "delete", "gdprw", "doorway", "-n", namespace, "--ignore-not-found", "--wait=false")
		}
	})

	It("refuses every route in Enforce, and records who tried", func(ctx SpecContext) {
		for _, a := range attempts() {
			By(a.name)
			if a.prepare != nil {
				a.prepare(ctx, pod)
			}
			// exec, attach and port-forward reach admission before any node: kwok serves no
			// streams, but the API server asks the webhook first, and its answer is what counts.
			_, stderr, ok := kubectlBoth(ctx, a.args(pod)...)
			Expect(ok).To(BeFalse(), "%s was let through", a.name)
			Expect(stderr).To(ContainSubstring("denied the request"), a.name)
			Expect(stderr).To(ContainSubstring("doorway"), "the refusal names the governing workload")
			Eventually(func(g Gomega) {
				var found bool
				for _, e := range admissionEntries(ctx, g, gdprv1alpha1.AuditAccessDenied) {
					if e.Subject.Pod == pod && e.Request != nil && e.Request.Operation == a.operation && e.Request.Subresource == a.subresource &&
						e.Reason == string(a.reason) {
						found = true
						g.Expect(e.Actor).To(HavePrefix("hmac-sha256:"), "the user, pseudonymised")
						g.Expect(e.Request.Groups).NotTo(BeEmpty())
						for _, group := range e.Request.Groups {
							g.Expect(group).To(HavePrefix("hmac-sha256:"))
						}
						if a.subresource == "exec" {
							g.Expect(e.Request.Command).To(Equal("sh"), "the command's first word")
							g.Expect(e.Request.CommandHMAC).To(HavePrefix("hmac-sha256:"))
							g.Expect(e.Message).NotTo(ContainSubstring("customer-42"), "never the command line in clear")
						}
					}
				}
				g.Expect(found).To(BeTrue(), "an AccessDenied entry for %s", a.name)
			}, waitTimeout, interval).Should(Succeed())
		}
		Expect(workloadPods(ctx, Default, "doorway")[0].Name).To(Equal(pod), "nothing changed: the pod was not replaced")
	})

	It("refuses an impostor pod carrying a workload's label", func(ctx SpecContext) {
		_, stderr, ok := kubectlBoth(ctx, "run", "impostor", "-n", namespace, "--image="+image(burstImage),
			"--labels="+gdprv1alpha1.WorkloadLabel+"=doorway")
		Expect(ok).To(BeFalse(), "an impostor pod was created")
		Expect(stderr).To(ContainSubstring("denied"))
	})

	It("lets Amber, the scheduler, kwok and the garbage collector work", func(ctx SpecContext) {
		kubectl(ctx, "scale", "-n", namespace, "gdprw/doorway", "--replicas=2")
		waitSettled(ctx, "doorway", 2)
		kubectl(ctx, "delete", "-n", namespace, "pod/"+pod, "--wait=false")
		waitSettled(ctx, "doorway", 2)
		kubectl(ctx, "scale", "-n", namespace, "gdprw/doorway", "--replicas=1")
		waitSettled(ctx, "doorway", 1)
		pod = workloadPods(ctx, Default, "doorway")[0].Name
	})

	// currentPod waits until the workload has settled on one pod, and returns its name: a
	// route let through changes the pod, and drift detection replaces it.
	currentPod := func(ctx context.Context) string {
		GinkgoHelper()
		waitSettled(ctx, "doorway", 1)
		return workloadPods(ctx, Default, "doorway")[0].Name
	}
	// connect reports whether a is exec, attach or port-forward: let through by admission,
	// such a request then fails at the node, which kwok does not serve streams for.
	connect := func(a attempt) bool { return a.operation == "CONNECT" }
	// run runs an attempt; one that admission lets through may then hold a stream open
	// (kwok forwards ports), so a CONNECT is given a few seconds and stopped.
	run := func(ctx context.Context, a attempt, pod string) (string, bool) {
		if connect(a) {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
		}
		_, stderr, ok := kubectlBoth(ctx, a.args(pod)...)
		return stderr, ok
	}

	It("lets every route through with a warning in Audit, and records each", func(ctx SpecContext) {
		kubectl(ctx, "patch", "-n", namespace, "gdprw/doorway", "--type=merge", "-p", `{"spec":{"admission":{"mode":"Audit"}}}`)
		for _, a := range attempts() {
			By(a.name)
			pod = currentPod(ctx)
			if a.prepare != nil {
				a.prepare(ctx, pod)
			}
			stderr, ok := run(ctx, a, pod)
			Expect(stderr).NotTo(ContainSubstring("denied the request"), a.name)
			if !connect(a) {
				Expect(ok).To(BeTrue(), "%s: %s", a.name, stderr)
				Expect(stderr).To(ContainSubstring("Warning:"), a.name)
			}
			Eventually(func(g Gomega) {
				var found bool
				for _, e := range admissionEntries(ctx, g, gdprv1alpha1.AuditAdmissionWouldDeny) {
					found = found || (e.Subject.Pod == pod && e.Request != nil && e.Request.Operation == a.operation &&
						e.Request.Subresource == a.subresource && e.Reason == string(a.reason) && strings.HasPrefix(e.Actor, "hmac-sha256:"))
				}
				g.Expect(found).To(BeTrue(), "an AdmissionWouldDeny entry for %s", a.name)
			}, waitTimeout, interval).Should(Succeed())
			if !connect(a) {
				By("drift detection replaces the pod changed in place")
				Eventually(func(g Gomega) {
					for _, p := range workloadPods(ctx, g, "doorway") {
						g.Expect(p.Name).NotTo(Equal(pod))
					}
				}, waitTimeout, interval).Should(Succeed())
			}
		}
	})

	It("leaves every route to drift detection when Off, recording nothing at admission", func(ctx SpecContext) {
		kubectl(ctx, "patch", "-n", namespace, "gdprw/doorway", "--type=merge", "-p", `{"spec":{"admission":{"mode":"Off"}}}`)
		pod = currentPod(ctx)
		count := func() int {
			return len(admissionEntries(ctx, Default, gdprv1alpha1.AuditAdmissionWouldDeny)) + len(admissionEntries(ctx, Default, gdprv1alpha1.AuditAccessDenied))
		}
		before := count()
		for _, a := range attempts() {
			By(a.name)
			pod = currentPod(ctx)
			if a.prepare != nil {
				a.prepare(ctx, pod)
			}
			stderr, ok := run(ctx, a, pod)
			Expect(stderr).NotTo(ContainSubstring("denied the request"), a.name)
			Expect(stderr).NotTo(ContainSubstring("Warning: pod"), a.name)
			if !connect(a) {
				Expect(ok).To(BeTrue(), "%s: %s", a.name, stderr)
				Eventually(func(g Gomega) {
					for _, p := range workloadPods(ctx, g, "doorway") {
						g.Expect(p.Name).NotTo(Equal(pod))
					}
				}, waitTimeout, interval).Should(Succeed(), "drift detection replaces the pod %s changed", a.name)
			}
		}
		Expect(count()).To(Equal(before), "admission recorded nothing")
	})

	It("puts its webhook configuration back when it is deleted, and records it", func(ctx SpecContext) {
		kubectl(ctx, "delete", "validatingwebhookconfiguration", admission.ConfigurationName)
		Eventually(func() error {
			_, err := k8s.Run(ctx, "get", "validatingwebhookconfiguration", admission.ConfigurationName)
			return err
		}, 30*time.Second, interval).Should(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(admissionEntries(ctx, g, gdprv1alpha1.AuditAdmissionConfigTampered)).NotTo(BeEmpty())
		}, waitTimeout, interval).Should(Succeed())
		out := kubectl(ctx, "get", "validatingwebhookconfiguration", admission.ConfigurationName, "-o", "jsonpath={.webhooks[*].name}")
		Expect(strings.Fields(out)).To(ConsistOf(admission.PodsWebhook, admission.ConnectWebhook, admission.WorkloadsWebhook, admission.BreakGlassesWebhook))
	})
})
