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
	"net"
	"strconv"

	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/amber-gdpr/amber/internal/admission"
)

// The suite's wiring of the GDPRWorkload webhook: the manager's webhook server listens where
// envtest prepared a serving certificate, and the API server reaches it by URL, as it does
// when the manager runs outside the cluster (make run, make demo). The suite's own client
// acts as the manager's user, which the webhooks exempt; applier is another user, as a
// person or a GitOps tool applying a workload is.

// applier is a client acting as a user other than the manager's.
var applier client.Client

// suiteWebhookServer is the manager's webhook server, on envtest's host, port and certificate.
func suiteWebhookServer() webhook.Server {
	o := testEnv.WebhookInstallOptions
	return webhook.NewServer(webhook.Options{Host: o.LocalServingHost, Port: o.LocalServingPort, CertDir: o.LocalServingCertDir})
}

// installWorkloadAdmission installs the GDPRWorkload webhook of admission.Desired once the
// manager's webhook server answers, and returns when the API server calls it.
func installWorkloadAdmission(ctx context.Context, mgr ctrl.Manager) {
	Eventually(func() error { return mgr.GetWebhookServer().StartedChecker()(nil) }, timeout, interval).Should(Succeed())

	// The manager's user, as the API server names it: the webhooks' matchCondition exempts it.
	review := &authenticationv1.SelfSubjectReview{}
	Expect(k8sClient.Create(ctx, review)).To(Succeed())

	o := testEnv.WebhookInstallOptions
	desired := admission.Desired(admission.Options{
		Endpoint:        admission.Endpoint{URL: "https://" + net.JoinHostPort(o.LocalServingHost, strconv.Itoa(o.LocalServingPort))},
		CABundle:        o.LocalServingCAData,
		ManagerUsername: review.Status.UserInfo.Username,
	})
	// Only the webhook this file's handler serves; the pod webhooks are wired with their handler.
	var served []admissionregistrationv1.ValidatingWebhook
	for _, w := range desired.Webhooks {
		if w.Name == admission.WorkloadsWebhook {
			served = append(served, w)
		}
	}
	desired.Webhooks = served
	Expect(k8sClient.Create(ctx, desired)).To(Succeed())

	user, err := testEnv.AddUser(envtest.User{Name: "applier", Groups: []string{"system:masters"}}, cfg)
	Expect(err).NotTo(HaveOccurred())
	applier, err = client.New(user.Config(), client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	// The API server picks a new configuration up from its informer: wait until a workload
	// only the webhook refuses is refused.
	probe := workload(operatorNamespace, "webhook-probe", 1, "registry.example/app:1")
	probe.Spec.Template.Spec.Containers[0].Name = "Not_A_DNS_Label"
	Eventually(func() error {
		return applier.Create(ctx, probe.DeepCopy(), client.DryRunAll)
	}, timeout, interval).Should(MatchError(ContainSubstring(admission.WorkloadRefusedPrefix)))
}
