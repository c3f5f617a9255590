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
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/admission"
)

// The guard runs here as `make run` runs it: its own serving certificate from cert-controller,
// a webhook server on a loopback port reached by URL, the configuration applied with the
// manager's own user learnt from the API server. It runs in a manager of its own, stopped by
// the last specs, so that the impostor policy can be seen refusing while nothing guards.
var _ = Describe("The admission configuration", Ordered, func() {
	const guardTimeout = 5 * time.Second // "undone within seconds"
	var (
		ctx        context.Context
		stopGuard  context.CancelFunc
		guardDone  chan struct{}
		port       int
		managerID  string
		namespace  string
		w          *gdprv1alpha1.GDPRWorkload
		impostor   client.Client
		configUIDs []types.UID
	)

	config := func() *admissionregistrationv1.ValidatingWebhookConfiguration {
		c := &admissionregistrationv1.ValidatingWebhookConfiguration{}
		if err := k8sClient.Get(ctx, client.ObjectKey{Name: admission.ConfigurationName}, c); err != nil {
			return nil
		}
		return c
	}
	installed := func() bool {
		c := config()
		return c != nil && !admission.ConfigurationDiffers(admission.Desired(admissionGuard.Options), c)
	}
	tampered := func(reason gdprv1alpha1.AuditReason) []gdprv1alpha1.AuditEvent {
		var found []gdprv1alpha1.AuditEvent
		for _, e := range entriesOf(ctx, namespace, w.Name) {
			if e.Spec.Type == gdprv1alpha1.AuditAdmissionConfigTampered && e.Spec.Reason == string(reason) {
				found = append(found, e)
			}
		}
		return found
	}
	impostorPod := func(name string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{gdprv1alpha1.WorkloadLabel: w.Name}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/evil:1"}}},
		}
	}

	BeforeAll(func() {
		ctx = context.Background()
		namespace = newNamespace(ctx)
		w = workload(namespace, "guarded", 1, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		Eventually(func() []gdprv1alpha1.AuditEvent { return entriesOf(ctx, namespace, w.Name) }, timeout, interval).ShouldNot(BeEmpty())

		var err error
		managerID, err = WhoAmI(ctx, k8sClient)
		Expect(err).NotTo(HaveOccurred())
		mallory, err := testEnv.AddUser(envtest.User{Name: "mallory", Groups: []string{"system:masters"}}, nil)
		Expect(err).NotTo(HaveOccurred())
		impostor, err = client.New(mallory.Config(), client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())

		// The suite's own configuration (suite_test.go) goes for the time of these specs:
		// here the guard installs Amber's, by the one code path the manager uses, and must
		// not take the suite's for tampering. AfterAll puts the suite's back.
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, admissionConfig.DeepCopy()))).To(Succeed())
		Eventually(config, timeout, interval).Should(BeNil())
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, mutatingConfig.DeepCopy()))).To(Succeed())

		l, err := net.Listen("tcp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		port = l.Addr().(*net.TCPAddr).Port
		Expect(l.Close()).To(Succeed())
		certDir := GinkgoT().TempDir()
		certReady := make(chan struct{})
		mgr, err := ctrl.NewManager(cfg, ctrl.Options{
			Scheme:        scheme,
			Metrics:       metricsserver.Options{BindAddress: "0"},
			WebhookServer: GatedWebhookServer(webhook.NewServer(webhook.Options{Host: "localhost", Port: port, CertDir: certDir}), certReady),
		})
		Expect(err).NotTo(HaveOccurred())
		secret := types.NamespacedName{Namespace: operatorNamespace, Name: "amber-webhook-cert"}
		Expect(AddServingCertificate(ctx, mgr, ServingCertificate{
			Secret: secret, Dir: certDir, Ready: certReady,
			DNSNames: []string{"amber-webhook-service.amber-system.svc", "localhost"},
		})).To(Succeed())
		mgr.GetWebhookServer()
		admissionGuard.Client = mgr.GetClient()
		admissionGuard.APIReader = mgr.GetAPIReader()
		admissionGuard.Recorder = mgr.GetEventRecorder("amber")
		admissionGuard.Ledger = writer
		admissionGuard.Actors = actors
		admissionGuard.CertSecret = secret
		admissionGuard.ServerStarted = mgr.GetWebhookServer().StartedChecker()
		admissionGuard.Options = admission.Options{
			Endpoint:        admission.Endpoint{URL: "https://localhost:" + strconv.Itoa(port)},
			ManagerUsername: managerID,
		}
		Expect(admissionGuard.SetupWithManager(mgr)).To(Succeed())
		Expect((&GovernedNamespaceReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader()}).SetupWithManager(mgr)).To(Succeed())

		var guardCtx context.Context
		guardCtx, stopGuard = context.WithCancel(ctx)
		guardDone = make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(guardDone)
			Expect(mgr.Start(guardCtx)).To(Succeed())
		}()
		// Once the CA is known the desired configuration is: the specs compare with it.
		Eventually(func() []byte {
			var s corev1.Secret
			_ = k8sClient.Get(ctx, secret, &s)
			admissionGuard.Options.CABundle = s.Data[caBundleKey]
			return admissionGuard.Options.CABundle
		}, timeout, interval).ShouldNot(BeEmpty())
	})

	AfterAll(func() {
		stopGuard()
		Eventually(guardDone, timeout).Should(BeClosed())
		// The binding first: without the webhook configuration it refuses every labelled pod.
		for _, o := range []client.Object{
			&admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: admission.PolicyBindingName}},
			&admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: admission.PolicyName}},
			&admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: admission.ConfigurationName}},
			&admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: admission.ConfigurationName}},
		} {
			Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, o))).To(Succeed())
		}
		// The API server drops them from its admission chain a moment later; the specs after
		// these create labelled pods.
		Eventually(func() error {
			return impostor.Create(ctx, impostorPod("after"), client.DryRunAll)
		}, timeout, interval).Should(Succeed())
		By("putting the suite's configuration back, and waiting until its webhook answers")
		Expect(k8sClient.Create(ctx, admissionConfig.DeepCopy())).To(Succeed())
		Expect(k8sClient.Create(ctx, mutatingConfig.DeepCopy())).To(Succeed())
		Eventually(func() error {
			return impostor.Create(ctx, impostorPod("after"), client.DryRunAll)
		}, timeout, interval).Should(MatchError(ContainSubstring("denied the request")))
	})

	It("is installed with the CA of the manager's own certificate, and the webhook server answers over TLS on localhost", func() {
		// True once all three objects are in place.
		Eventually(condition(ctx, w, gdprv1alpha1.AdmissionGuardedCondition), timeout, interval).Should(And(
			Not(BeNil()),
			HaveField("Status", metav1.ConditionTrue),
			HaveField("Reason", gdprv1alpha1.ReasonConfigInstalled),
		))
		Expect(installed()).To(BeTrue())
		c := config()
		configUIDs = append(configUIDs, c.UID)
		Expect(*c.Webhooks[0].ClientConfig.URL).To(Equal(fmt.Sprintf("https://localhost:%d%s", port, admission.PodsPath)))
		Expect(c.Webhooks[0].MatchConditions[0].Expression).To(ContainSubstring(managerID))

		policy := &admissionregistrationv1.ValidatingAdmissionPolicy{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: admission.PolicyName}, policy)).To(Succeed())
		binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: admission.PolicyBindingName}, binding)).To(Succeed())
		wantPolicy, wantBinding := admission.DesiredPolicy(admissionGuard.Options)
		Expect(admission.PolicyDiffers(wantPolicy, policy)).To(BeFalse(), "the policy as served differs from the one applied: the guard would put it back forever")
		Expect(admission.BindingDiffers(wantBinding, binding)).To(BeFalse())
		mutating := &admissionregistrationv1.MutatingWebhookConfiguration{}
		Expect(k8sClient.Get(ctx, client.ObjectKey{Name: admission.ConfigurationName}, mutating)).To(Succeed())
		Expect(admission.MutatingConfigurationDiffers(admission.DesiredMutating(admissionGuard.Options), mutating)).To(BeFalse(),
			"the mutating configuration as served differs from the one applied: the guard would put it back forever")

		// The API server trusts exactly the caBundle; so does this client. Nothing registers
		// a handler on this manager's server, so the path answers 404: TLS is what is checked.
		roots := x509.NewCertPool()
		Expect(roots.AppendCertsFromPEM(c.Webhooks[0].ClientConfig.CABundle)).To(BeTrue())
		https := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"}}}
		Eventually(func() (int, error) {
			resp, err := https.Post(*c.Webhooks[0].ClientConfig.URL, "application/json", nil)
			if err != nil {
				return 0, err
			}
			defer func() { _ = resp.Body.Close() }()
			return resp.StatusCode, nil
		}, timeout, interval).Should(Equal(http.StatusNotFound))
		Expect(tampered(gdprv1alpha1.AuditReasonConfigDeleted)).To(BeEmpty(), "installing is not tampering")
		Expect(tampered(gdprv1alpha1.AuditReasonConfigChanged)).To(BeEmpty(), "installing is not tampering")
	})

	It("labels the namespaces that hold a workload, which the connect webhook is scoped by", func() {
		Eventually(func() map[string]string {
			ns := &corev1.Namespace{}
			Expect(k8sClient.Get(ctx, client.ObjectKey{Name: namespace}, ns)).To(Succeed())
			return ns.Labels
		}, timeout, interval).Should(HaveKeyWithValue(admission.GovernedNamespaceLabel, "true"))
	})

	It("is created again within seconds when deleted, and the deletion is recorded without an actor", func() {
		deletions := exportedMetric("amber_admission_config_tampered_total", map[string]string{"kind": "ValidatingWebhookConfiguration", "reason": string(gdprv1alpha1.AuditReasonConfigDeleted)})
		before := *deletions()
		Expect(k8sClient.Delete(ctx, config())).To(Succeed())
		Eventually(func() bool {
			c := config()
			return c != nil && c.UID != configUIDs[0] && installed()
		}, guardTimeout, 50*time.Millisecond).Should(BeTrue())
		Eventually(func() []gdprv1alpha1.AuditEvent { return tampered(gdprv1alpha1.AuditReasonConfigDeleted) }, timeout, interval).Should(HaveLen(1))
		entry := tampered(gdprv1alpha1.AuditReasonConfigDeleted)[0]
		Expect(entry.Spec.Actor).To(BeEmpty(), "the API server does not say who deletes an object")
		Expect(deletions()).To(HaveValue(Equal(before+1)), "the AmberAdmissionConfigTampered alert reads it")
		Expect(entry.Spec.Message).To(Equal("ValidatingWebhookConfiguration amber-admission was deleted; Amber created it again. The API server does not say who deletes an object"))
		Eventually(func() []string { return eventReasons(ctx, namespace) }, timeout, interval).Should(ContainElement(gdprv1alpha1.EventAdmissionConfigTampered))
		Expect(verifyChain(ctx, namespace, w.Name).Problem).To(BeNil())
	})

	It("is put back within seconds when a webhook is made to fail open, naming the field manager", func() {
		c := config()
		before := c.DeepCopy()
		c.Webhooks[0].FailurePolicy = ptr.To(admissionregistrationv1.Ignore)
		Expect(k8sClient.Patch(ctx, c, client.MergeFrom(before), client.FieldOwner("kubectl-edit"))).To(Succeed())
		Eventually(func() admissionregistrationv1.FailurePolicyType {
			return *config().Webhooks[0].FailurePolicy
		}, guardTimeout, 50*time.Millisecond).Should(Equal(admissionregistrationv1.Fail))
		Eventually(func() []gdprv1alpha1.AuditEvent { return tampered(gdprv1alpha1.AuditReasonConfigChanged) }, timeout, interval).Should(HaveLen(1))
		entry := tampered(gdprv1alpha1.AuditReasonConfigChanged)[0]
		Expect(entry.Spec.Actor).To(Equal(actors.Record("kubectl-edit")))
		Expect(entry.Spec.Actor).NotTo(ContainSubstring("kubectl"), "actors are pseudonymised")
	})

	It("is put back when someone adds a field Amber leaves unset, which an apply alone would keep", func() {
		c := config()
		before := c.DeepCopy()
		c.Webhooks[0].NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"nobody": "here"}}
		Expect(k8sClient.Patch(ctx, c, client.MergeFrom(before), client.FieldOwner("platform-team"))).To(Succeed())
		Eventually(func() *metav1.LabelSelector {
			return config().Webhooks[0].NamespaceSelector
		}, guardTimeout, 50*time.Millisecond).Should(Equal(&metav1.LabelSelector{}))
		Eventually(func() []string {
			var actorsSeen []string
			for _, e := range tampered(gdprv1alpha1.AuditReasonConfigChanged) {
				actorsSeen = append(actorsSeen, e.Spec.Actor)
			}
			return actorsSeen
		}, timeout, interval).Should(ContainElement(actors.Record("platform-team")))
	})

	It("refuses an impostor pod while the webhook cannot answer, by the webhook failing closed", func() {
		// This manager's server has no pod handler: the call fails, and failurePolicy Fail refuses.
		err := impostor.Create(ctx, impostorPod("impostor-1"))
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring(admission.PodsWebhook))
		// The manager's own user never meets the webhook or the policy.
		own := impostorPod("own")
		own.Labels[gdprv1alpha1.WorkloadLabel] = "no-such-workload"
		Expect(k8sClient.Create(ctx, own)).To(Succeed())
		Expect(k8sClient.Delete(ctx, own, client.GracePeriodSeconds(0))).To(Succeed())
	})

	It("refuses an impostor pod by the policy once the manager is down and the webhook configuration deleted", func() {
		stopGuard()
		Eventually(guardDone, timeout).Should(BeClosed())
		Expect(k8sClient.Delete(ctx, config())).To(Succeed())
		Eventually(func() error { return impostor.Create(ctx, impostorPod("impostor-2")) }, timeout, interval).Should(
			MatchError(ContainSubstring(admission.PolicyName)))
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "impostor-2"}, &corev1.Pod{}))).To(BeTrue())

		// The API server resolves the policy's parameter before its match conditions: while
		// the configuration is missing, Amber's own pods are refused too. Amber retries
		// rather than blame the template, and creates them once the configuration is back.
		scaled := workload(namespace, "while-missing", 1, image("app:1"))
		Expect(k8sClient.Create(ctx, scaled)).To(Succeed())
		Eventually(func() []string { return eventReasons(ctx, namespace) }, timeout, interval).Should(ContainElement(gdprv1alpha1.EventPodCreateFailed))
		Consistently(condition(ctx, scaled, gdprv1alpha1.StalledCondition), 2*time.Second, interval).Should(BeNil())
		// The suite's configuration comes back: it is served by the suite's manager, which
		// makes the pods as its own user, exempt from it.
		Expect(k8sClient.Create(ctx, admissionConfig.DeepCopy())).To(Succeed())
		Eventually(func() []corev1.Pod { return activePods(ctx, scaled) }, timeout, interval).Should(HaveLen(1))
		Expect(k8sClient.Delete(ctx, config())).To(Succeed())
	})

	It("refuses an impostor pod by the policy while the pods webhook fails open", func() {
		weakened := admission.Desired(admissionGuard.Options)
		weakened.Webhooks[0].FailurePolicy = ptr.To(admissionregistrationv1.Ignore)
		Expect(k8sClient.Create(ctx, weakened)).To(Succeed())
		// Without the policy this create would pass: the webhook call fails and is ignored.
		Eventually(func() error { return impostor.Create(ctx, impostorPod("impostor-3")) }, timeout, interval).Should(
			MatchError(ContainSubstring("only Amber creates pods labelled " + gdprv1alpha1.WorkloadLabel)))
	})
})
