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
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsyaml "sigs.k8s.io/yaml"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/breakglass"
)

// asUser is a client acting as user (impersonated by the suite's admin), with groups. Every
// impersonated user is in system:masters too, so that RBAC lets each try what admission
// then decides: the specs are about Amber's answer, not RBAC's.
type asUser struct {
	client client.Client
	rest   rest.Interface
}

func impersonate(user string, groups ...string) asUser {
	GinkgoHelper()
	c := rest.CopyConfig(cfg)
	c.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: append([]string{"system:masters"}, groups...)}
	cl, err := client.New(c, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	cs, err := kubernetes.NewForConfig(c)
	Expect(err).NotTo(HaveOccurred())
	return asUser{client: cl, rest: cs.CoreV1().RESTClient()}
}

func breakGlassOf(namespace, name, workload string, d time.Duration, ops ...gdprv1alpha1.BreakGlassOperation) *gdprv1alpha1.BreakGlass {
	return &gdprv1alpha1.BreakGlass{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: gdprv1alpha1.BreakGlassSpec{
			Workload: workload, Operations: ops, Reason: "INC-4711: payments stuck, inspect the queue",
			Duration: metav1.Duration{Duration: d},
		},
	}
}

// breakGlassEntries lists the namespace's entries about the BreakGlass named name, by label.
func breakGlassEntries(ctx context.Context, namespace, name string, t gdprv1alpha1.AuditEventType) []gdprv1alpha1.AuditEvent {
	list := &gdprv1alpha1.AuditEventList{}
	Expect(k8sClient.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{
		gdprv1alpha1.AuditBreakGlassLabel: name, gdprv1alpha1.AuditTypeLabel: string(t),
	})).To(Succeed())
	return list.Items
}

func breakGlassCondition(ctx context.Context, bg *gdprv1alpha1.BreakGlass, conditionType string) func() *metav1.Condition {
	return func() *metav1.Condition {
		got := &gdprv1alpha1.BreakGlass{}
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(bg), got); err != nil {
			return nil
		}
		return meta.FindStatusCondition(got.Status.Conditions, conditionType)
	}
}

// untilClosed waits until the BreakGlass's window (breakglass.Window) has closed.
func untilClosed(bg *gdprv1alpha1.BreakGlass) {
	_, notAfter := breakglass.Window(bg)
	time.Sleep(time.Until(notAfter) + 100*time.Millisecond)
}

var _ = Describe("BreakGlass", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = governedNamespace(ctx) })

	It("lets exactly the named user exec into exactly the named pod until the window closes, and records each use with an HMAC of the command, never the command", func(ctx SpecContext) {
		w := workload(ns, "vault", 2, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		pods := activePods(ctx, w)
		target, other := pods[0], pods[1]
		alice, bob := impersonate("alice"), impersonate("bob")

		By("alice opens exec on one pod for herself, for 4 seconds")
		bg := breakGlassOf(ns, "inc-4711", "vault", 4*time.Second, gdprv1alpha1.BreakGlassExec)
		bg.Spec.Pods = []string{target.Name}
		Expect(alice.client.Create(ctx, bg)).To(Succeed())
		Expect(bg.Spec.Users).To(Equal([]string{"alice"}), "the creator is defaulted into spec.users")

		By("alice's exec into that pod gets past admission (and fails only for want of a kubelet)")
		Expect(connectTo(ctx, alice.rest, &target, "exec", &corev1.PodExecOptions{Container: "app", Command: execCommand, Stdout: true})).To(notRefusedByAdmission())

		By("anyone else, any other pod and any other operation are refused as before")
		Expect(connectTo(ctx, bob.rest, &target, "exec", &corev1.PodExecOptions{Container: "app", Command: execCommand, Stdout: true})).To(refusedByAmber("vault"))
		Expect(connectTo(ctx, alice.rest, &other, "exec", &corev1.PodExecOptions{Container: "app", Command: execCommand, Stdout: true})).To(refusedByAmber("vault"))
		Expect(connectTo(ctx, alice.rest, &target, "attach", &corev1.PodAttachOptions{Container: "app", Stdout: true})).To(refusedByAmber("vault"))
		Expect(connectTo(ctx, alice.rest, &target, "portforward", &corev1.PodPortForwardOptions{Ports: []int32{8080}})).To(refusedByAmber("vault"))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), w)).To(Succeed())
		denied := entriesOfType(ctx, w, gdprv1alpha1.AuditAccessDenied)
		Expect(denied).To(HaveLen(4))
		Expect(denied[0].Spec.Actor).To(Equal(actors.Record("bob")))

		By("the use is a BreakGlassUsed entry with the command's first word and HMAC, labelled with the BreakGlass")
		used := breakGlassEntries(ctx, ns, bg.Name, gdprv1alpha1.AuditBreakGlassUsed)
		Expect(used).To(HaveLen(1))
		program, commandHMAC := actors.Command(execCommand)
		Expect(used[0].Spec.Reason).To(Equal(string(gdprv1alpha1.AdmissionExec)))
		Expect(used[0].Spec.Actor).To(Equal(actors.Record("alice")))
		Expect(used[0].Spec.Subject.PodUID).To(Equal(string(target.UID)))
		Expect(*used[0].Spec.Request).To(Equal(gdprv1alpha1.AuditRequest{Operation: "CONNECT", Subresource: "exec",
			Groups: actors.Groups([]string{"system:masters", "system:authenticated"}), Command: program, CommandHMAC: commandHMAC}))
		for _, clear := range []string{"alice@example.com", "customers.csv", "grep", "alice"} {
			Expect(used[0].Spec.Message).NotTo(ContainSubstring(clear))
			Expect(used[0].Spec.Actor).NotTo(ContainSubstring(clear))
		}

		By("the pod is among the BreakGlass's touched pods")
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(bg), bg)).To(Succeed())
		Expect(bg.Status.TouchedPods).To(HaveLen(1))
		Expect(bg.Status.TouchedPods[0].UID).To(Equal(string(target.UID)))

		By("the grant is a BreakGlassGranted entry naming the creator and the subjects pseudonymised")
		granted := breakGlassEntries(ctx, ns, bg.Name, gdprv1alpha1.AuditBreakGlassGranted)
		Expect(granted).To(HaveLen(1))
		Expect(granted[0].Spec.Actor).To(Equal(actors.Record("alice")))
		Expect(granted[0].Spec.Request.Groups).To(Equal([]string{actors.Record("alice")}))
		Expect(granted[0].Spec.Message).To(ContainSubstring("BreakGlass inc-4711 opens exec on pods " + target.Name + " of GDPRWorkload vault"))

		By("the status shows the window it was admitted with")
		Eventually(breakGlassCondition(ctx, bg, gdprv1alpha1.ReadyCondition), timeout, interval).Should(HaveField("Reason", gdprv1alpha1.ReasonWindowOpen))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(bg), bg)).To(Succeed())
		notBefore, notAfter := breakglass.Window(bg)
		Expect(bg.Status.NotBefore.Time).To(BeTemporally("==", notBefore))
		Expect(bg.Status.NotAfter.Time).To(BeTemporally("==", notAfter))
		Expect(bg.Status.Phase).To(Equal(gdprv1alpha1.BreakGlassActive))
		Expect(bg.Finalizers).To(ContainElement(gdprv1alpha1.BreakGlassFinalizer))

		By("once the window has closed, alice is refused too")
		untilClosed(bg)
		Expect(connectTo(ctx, alice.rest, &target, "exec", &corev1.PodExecOptions{Container: "app", Command: execCommand, Stdout: true})).To(refusedByAmber("vault"))

		By("the BreakGlass expired and its end is recorded once")
		Eventually(func() gdprv1alpha1.BreakGlassPhase {
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(bg), bg)).To(Succeed())
			return bg.Status.Phase
		}, timeout, interval).Should(Equal(gdprv1alpha1.BreakGlassExpired))
		Eventually(func() []gdprv1alpha1.AuditEvent {
			return breakGlassEntries(ctx, ns, bg.Name, gdprv1alpha1.AuditBreakGlassEnded)
		}, timeout, interval).Should(HaveLen(1))
		ended := breakGlassEntries(ctx, ns, bg.Name, gdprv1alpha1.AuditBreakGlassEnded)
		Expect(ended[0].Spec.Reason).To(Equal(string(gdprv1alpha1.AuditReasonExpired)))

		By("the touched pod is replaced by a fresh one, the other pod is left alone, and the BreakGlass is then Ready")
		replacedTouched(ctx, w, target, gdprv1alpha1.AuditReasonBreakGlassEnded)
		Expect(podUIDs(ctx, w)).To(ContainElement(string(other.UID)), "only the touched pod is replaced")
		Eventually(breakGlassCondition(ctx, bg, gdprv1alpha1.ReadyCondition), timeout, interval).Should(And(
			HaveField("Status", metav1.ConditionTrue), HaveField("Reason", gdprv1alpha1.ReasonTouchedPodsReplaced)))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(bg), bg)).To(Succeed())
		Expect(bg.Status.TouchedPods[0].Replaced).To(BeTrue())
		Expect(meta.FindStatusCondition(bg.Status.Conditions, gdprv1alpha1.ReconcilingCondition)).To(BeNil())
		Expect(k8sClient.Delete(ctx, bg)).To(Succeed())
		Eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(bg), bg) }, timeout, interval).Should(WithTransform(apierrors.IsNotFound, BeTrue()))
		Expect(breakGlassEntries(ctx, ns, bg.Name, gdprv1alpha1.AuditBreakGlassEnded)).To(HaveLen(1), "deleting an expired BreakGlass records no second end")
		Expect(verifyChain(ctx, w.Namespace, w.Name).Problem).To(BeNil())
	})

	It("lets a member of a named group in, holds a deleted BreakGlass until its touched pod is gone, and never reopens a used name", func(ctx SpecContext) {
		w := onePodWorkload(ctx, ns, "ledger")
		pod := activePods(ctx, w)[0]
		carol := impersonate("carol", "oncall")

		bg := breakGlassOf(ns, "inc-9", "ledger", time.Hour, gdprv1alpha1.BreakGlassAttach, gdprv1alpha1.BreakGlassExec)
		bg.Spec.Groups = []string{"oncall"}
		Expect(k8sClient.Create(ctx, bg)).To(Succeed())
		Expect(bg.Spec.Users).To(BeEmpty(), "a BreakGlass naming groups is not defaulted")
		Expect(connectTo(ctx, carol.rest, &pod, "attach", &corev1.PodAttachOptions{Container: "app", Stdout: true})).To(notRefusedByAdmission())
		Expect(connectTo(ctx, impersonate("dave", "developers").rest, &pod, "attach", &corev1.PodAttachOptions{Container: "app", Stdout: true})).To(refusedByAmber("ledger"))

		By("deleting it inside its window ends it at once, and it is held while its touched pod exists")
		Eventually(breakGlassCondition(ctx, bg, gdprv1alpha1.ReadyCondition), timeout, interval).ShouldNot(BeNil())
		Expect(k8sClient.Delete(ctx, bg)).To(Succeed())
		Expect(connectTo(ctx, carol.rest, &pod, "attach", &corev1.PodAttachOptions{Container: "app", Stdout: true})).To(refusedByAmber("ledger"))
		// No kubelet plays the fresh pod Ready yet: surge-first, the touched pod stays until then.
		Eventually(breakGlassCondition(ctx, bg, gdprv1alpha1.ReconcilingCondition), timeout, interval).Should(HaveField("Reason", gdprv1alpha1.ReasonReplacingTouchedPods))
		Consistently(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(bg), &gdprv1alpha1.BreakGlass{}) }, time.Second, interval).Should(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(bg), bg)).To(Succeed())
		Expect(bg.Status.Phase).To(Equal(gdprv1alpha1.BreakGlassEnded))
		ended := breakGlassEntries(ctx, ns, bg.Name, gdprv1alpha1.AuditBreakGlassEnded)
		Expect(ended).To(HaveLen(1))
		Expect(ended[0].Spec.Reason).To(Equal(string(gdprv1alpha1.AuditReasonBreakGlassDeleted)))
		replacedTouched(ctx, w, pod, gdprv1alpha1.AuditReasonBreakGlassEnded)
		Eventually(func() error { return k8sClient.Get(ctx, client.ObjectKeyFromObject(bg), bg) }, timeout, interval).Should(WithTransform(apierrors.IsNotFound, BeTrue()))

		By("creating it again, as a GitOps tool restoring it would, is refused: the ledger knows the name")
		again := breakGlassOf(ns, "inc-9", "ledger", time.Hour, gdprv1alpha1.BreakGlassExec)
		err := k8sClient.Create(ctx, again)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(And(ContainSubstring(`BreakGlass name "inc-9" was already used in namespace `+ns), ContainSubstring("cannot open its window again")))
	})

	It("refuses a BreakGlass for a workload that does not exist, records nothing for a dry run, and lets the schema refuse what it must", func(ctx SpecContext) {
		w := onePodWorkload(ctx, ns, "orders")

		By("a missing workload")
		err := k8sClient.Create(ctx, breakGlassOf(ns, "inc-1", "nope", time.Hour, gdprv1alpha1.BreakGlassExec))
		Expect(err).To(MatchError(ContainSubstring(`spec.workload: GDPRWorkload "nope" does not exist in namespace ` + ns)))

		By("a dry run is checked and recorded nowhere")
		Expect(k8sClient.Create(ctx, breakGlassOf(ns, "inc-2", "orders", time.Hour, gdprv1alpha1.BreakGlassExec), client.DryRunAll)).To(Succeed())
		Expect(breakGlassEntries(ctx, ns, "inc-2", gdprv1alpha1.AuditBreakGlassGranted)).To(BeEmpty())
		Expect(k8sClient.Create(ctx, breakGlassOf(ns, "inc-2", "orders", time.Hour, gdprv1alpha1.BreakGlassExec))).To(Succeed(), "a dry run does not use up the name")

		By("CEL: a duration over 4h, and any change of the spec")
		err = k8sClient.Create(ctx, breakGlassOf(ns, "inc-3", "orders", 5*time.Hour, gdprv1alpha1.BreakGlassExec))
		Expect(err).To(MatchError(ContainSubstring("spec.duration must be more than 0s and at most 4h")))
		for _, edit := range []func(*gdprv1alpha1.BreakGlass){
			func(bg *gdprv1alpha1.BreakGlass) { bg.Spec.Duration = metav1.Duration{Duration: 2 * time.Hour} },
			func(bg *gdprv1alpha1.BreakGlass) { bg.Spec.Users = append(bg.Spec.Users, "mallory") },
		} {
			// Retried past conflicts with the controller's status writes, until the schema answers.
			Eventually(func() error {
				bg := &gdprv1alpha1.BreakGlass{}
				if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "inc-2"}, bg); err != nil {
					return err
				}
				edit(bg)
				return k8sClient.Update(ctx, bg)
			}, timeout, interval).Should(MatchError(ContainSubstring("spec is immutable")))
		}
		Expect(w).NotTo(BeNil())
	})

	It("lets the named user add a debug container, which drift detection leaves alone until the window closes, and then replaces the pod", func(ctx SpecContext) {
		w := onePodWorkload(ctx, ns, "debugged")
		pod := activePods(ctx, w)[0]
		erin := impersonate("erin")
		bg := breakGlassOf(ns, "inc-debug", "debugged", 4*time.Second, gdprv1alpha1.BreakGlassDebug)
		Expect(erin.client.Create(ctx, bg)).To(Succeed())

		debugged := pod.DeepCopy()
		debugged.Spec.EphemeralContainers = []corev1.EphemeralContainer{debugContainer}
		Expect(erin.client.SubResource("ephemeralcontainers").Update(ctx, debugged)).To(Succeed())
		used := breakGlassEntries(ctx, ns, bg.Name, gdprv1alpha1.AuditBreakGlassUsed)
		Expect(used).To(HaveLen(1))
		Expect(used[0].Spec.Reason).To(Equal(string(gdprv1alpha1.AdmissionEphemeralContainers)))

		By("while the window is open, the pod stays")
		Consistently(func() []string { return podUIDs(ctx, w) }, 2*time.Second, interval).Should(ContainElement(string(pod.UID)))
		Expect(driftEntries(ctx, w, gdprv1alpha1.AuditDriftDetected, string(pod.UID))).To(BeEmpty())

		By("after it, the pod is replaced: for the BreakGlass's end, or for the container it left, whichever the reconcile sees first")
		untilClosed(bg)
		replacedTouched(ctx, w, pod, gdprv1alpha1.AuditReasonBreakGlassEnded, gdprv1alpha1.AuditReasonDrifted)
	})
})

var _ = Describe("config/samples/incident-response", func() {
	It("lets the incident-response group, and nobody else, ask for a BreakGlass", func(ctx SpecContext) {
		ns := governedNamespace(ctx)
		for _, file := range []string{"role.yaml", "rolebinding.yaml"} {
			raw, err := os.ReadFile(filepath.Join("..", "config", "samples", "incident-response", file))
			Expect(err).NotTo(HaveOccurred())
			u := &unstructured.Unstructured{}
			Expect(sigsyaml.Unmarshal(raw, &u.Object)).To(Succeed(), file)
			u.SetNamespace(ns)
			Expect(k8sClient.Create(ctx, u)).To(Succeed(), file)
		}
		w := onePodWorkload(ctx, ns, "support")
		pod := activePods(ctx, w)[0]
		// Without system:masters: RBAC decides, as it would for a person.
		as := func(user string, groups ...string) asUser {
			c := rest.CopyConfig(cfg)
			c.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
			cl, err := client.New(c, client.Options{Scheme: scheme})
			Expect(err).NotTo(HaveOccurred())
			cs, err := kubernetes.NewForConfig(c)
			Expect(err).NotTo(HaveOccurred())
			return asUser{client: cl, rest: cs.CoreV1().RESTClient()}
		}
		responder, developer := as("ivy", "incident-response"), as("mallory", "developers")

		err := developer.client.Create(ctx, breakGlassOf(ns, "inc-dev", "support", time.Hour, gdprv1alpha1.BreakGlassExec))
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%v", err)
		Expect(err.Error()).NotTo(ContainSubstring("admission webhook"), "RBAC refuses before admission")

		bg := breakGlassOf(ns, "inc-ivy", "support", time.Hour, gdprv1alpha1.BreakGlassExec)
		Expect(responder.client.Create(ctx, bg)).To(Succeed())
		Expect(bg.Spec.Users).To(Equal([]string{"ivy"}))
		Expect(connectTo(ctx, responder.rest, &pod, "exec", &corev1.PodExecOptions{Container: "app", Command: []string{"ls"}, Stdout: true})).To(notRefusedByAdmission())
		Expect(responder.client.Delete(ctx, bg)).To(Succeed())
	})
})

// replacedTouched plays the kubelet until the touched pod is gone, replaced by a fresh pod,
// and checks the ledger: one PodReplaced entry for it, with one of reasons, and the chain
// verifies.
func replacedTouched(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, touched corev1.Pod, reasons ...gdprv1alpha1.AuditReason) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		actAsKubelet(ctx, w)
		finalizePods(ctx, w)
		g.Expect(podUIDs(ctx, w)).NotTo(ContainElement(string(touched.UID)))
		g.Expect(driftEntries(ctx, w, gdprv1alpha1.AuditPodReplaced, string(touched.UID))).To(HaveLen(1))
	}, timeout, interval).Should(Succeed())
	replaced := driftEntries(ctx, w, gdprv1alpha1.AuditPodReplaced, string(touched.UID))[0]
	GinkgoWriter.Printf("touched pod %s replaced: %s %s\n", touched.Name, replaced.Spec.Reason, replaced.Spec.Message)
	var allowed []string
	for _, r := range reasons {
		allowed = append(allowed, string(r))
	}
	Expect(allowed).To(ContainElement(replaced.Spec.Reason))
	Expect(verifyChain(ctx, w.Namespace, w.Name).Problem).To(BeNil())
}

// onePodWorkload makes a workload of one Ready pod.
func onePodWorkload(ctx context.Context, ns, name string) *gdprv1alpha1.GDPRWorkload {
	GinkgoHelper()
	w := workload(ns, name, 1, image("app:1"))
	Expect(k8sClient.Create(ctx, w)).To(Succeed())
	eventuallyReady(ctx, w, 1)
	return w
}
