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

package admission

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Names of Amber's admission configuration: public, since an administrator looking at the
// cluster's webhooks must recognise them, and the manager watches them by these names.
const (
	// ConfigurationName is the ValidatingWebhookConfiguration Amber installs and guards.
	ConfigurationName = "amber-admission"

	// PodsWebhook guards governed pods: their updates, debug containers, resizes, and the
	// creation of pods carrying a workload's label.
	PodsWebhook = "pods.admission.gdpr.amber.dev"
	// ConnectWebhook guards exec, attach and port-forward. Admission sees the options
	// object, not the pod, on CONNECT: no label selects it, so it is scoped by namespace.
	ConnectWebhook = "connect.admission.gdpr.amber.dev"
	// WorkloadsWebhook validates GDPRWorkloads by a server-side dry-run of one of their pods.
	WorkloadsWebhook = "gdprworkloads.admission.gdpr.amber.dev"

	// BreakGlassesWebhook validates a BreakGlass being created: its name was never used in
	// the namespace, its workload exists, and its BreakGlassGranted entry is written.
	BreakGlassesWebhook = "breakglasses.admission.gdpr.amber.dev"
	// BreakGlassDefaultsWebhook, the one webhook of the MutatingWebhookConfiguration, sets
	// a BreakGlass's spec.users to its creator when it names neither users nor groups.
	BreakGlassDefaultsWebhook = "breakglasses.defaults.gdpr.amber.dev"

	// PodsPath, WorkloadsPath, BreakGlassesPath and BreakGlassDefaultsPath are where the
	// manager's webhook server answers. The pods path serves both PodsWebhook and
	// ConnectWebhook.
	PodsPath               = "/validate-pods"
	WorkloadsPath          = "/validate-gdprworkloads"
	BreakGlassesPath       = "/validate-breakglasses"
	BreakGlassDefaultsPath = "/default-breakglasses"

	// GovernedNamespaceLabel marks the namespaces that hold a GDPRWorkload; the connect
	// webhook is called only for them.
	GovernedNamespaceLabel = "gdpr.amber.dev/governed"

	// TimeoutSeconds bounds how long the API server waits for an answer. The pod checks
	// answer from the manager's cache and write one ledger entry on a refusal.
	TimeoutSeconds = 5
	// WorkloadTimeoutSeconds bounds the GDPRWorkload check, which asks the API server for a
	// dry-run pod creation.
	WorkloadTimeoutSeconds = 10
)

// Endpoint says how the API server reaches the manager's webhook server: by URL (the
// manager runs outside the cluster, on the API server's host: `make run`, `make demo`, the
// e2e suite) or through a Service (in the cluster).
type Endpoint struct {
	// URL is the base URL, "https://localhost:9443"; the paths are appended.
	URL string
	// Service is the Service in front of the manager's webhook server, when URL is empty.
	Service *admissionregistrationv1.ServiceReference
}

// Options are what the desired configuration depends on.
type Options struct {
	Endpoint Endpoint
	// CABundle is the PEM of the CA that signed the webhook server's certificate.
	CABundle []byte
	// ManagerUsername is the user the manager acts as: its own pod writes are never sent to
	// the webhooks (a matchCondition), so that Amber cannot lock itself out.
	ManagerUsername string
}

func (o Options) clientConfig(path string) admissionregistrationv1.WebhookClientConfig {
	cc := admissionregistrationv1.WebhookClientConfig{CABundle: o.CABundle}
	if o.Endpoint.URL != "" {
		cc.URL = ptr.To(strings.TrimSuffix(o.Endpoint.URL, "/") + path)
		return cc
	}
	svc := o.Endpoint.Service.DeepCopy()
	svc.Path = ptr.To(path)
	cc.Service = svc
	return cc
}

// celString quotes s as a CEL string literal.
func celString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// Desired is the ValidatingWebhookConfiguration Amber installs, and puts back when someone
// changes or deletes it. Every webhook fails closed (an integrity control that fails open is
// not one): while the manager is down, changes to governed pods, exec into pods of governed
// namespaces, and applying GDPRWorkloads are refused; deleting pods, status writes, binding
// and eviction never reach it.
func Desired(o Options) *admissionregistrationv1.ValidatingWebhookConfiguration {
	notManager := []admissionregistrationv1.MatchCondition{{
		Name:       "not-the-manager",
		Expression: fmt.Sprintf("request.userInfo.username != %s", celString(o.ManagerUsername)),
	}}
	fail := ptr.To(admissionregistrationv1.Fail)
	equivalent := ptr.To(admissionregistrationv1.Equivalent)
	noneOnDryRun := ptr.To(admissionregistrationv1.SideEffectClassNoneOnDryRun)
	governedPods := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
		Key: gdprv1alpha1.WorkloadLabel, Operator: metav1.LabelSelectorOpExists,
	}}}
	governedNamespaces := &metav1.LabelSelector{MatchLabels: map[string]string{GovernedNamespaceLabel: "true"}}
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: ConfigurationName, Labels: map[string]string{"app.kubernetes.io/managed-by": "amber"}},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			{
				Name:         PodsWebhook,
				ClientConfig: o.clientConfig(PodsPath),
				Rules: []admissionregistrationv1.RuleWithOperations{
					{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
						Rule:       podRule("pods", "pods/ephemeralcontainers", "pods/resize"),
					},
					{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
						Rule:       podRule("pods"),
					},
				},
				// The old object's labels count too: removing the workload label is caught.
				ObjectSelector:          governedPods,
				MatchConditions:         notManager,
				FailurePolicy:           fail,
				MatchPolicy:             equivalent,
				SideEffects:             noneOnDryRun,
				TimeoutSeconds:          ptr.To[int32](TimeoutSeconds),
				AdmissionReviewVersions: []string{"v1"},
			},
			{
				Name:         ConnectWebhook,
				ClientConfig: o.clientConfig(PodsPath),
				Rules: []admissionregistrationv1.RuleWithOperations{{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Connect},
					Rule:       podRule("pods/exec", "pods/attach", "pods/portforward"),
				}},
				NamespaceSelector:       governedNamespaces,
				MatchConditions:         notManager,
				FailurePolicy:           fail,
				MatchPolicy:             equivalent,
				SideEffects:             noneOnDryRun,
				TimeoutSeconds:          ptr.To[int32](TimeoutSeconds),
				AdmissionReviewVersions: []string{"v1"},
			},
			{
				Name:         WorkloadsWebhook,
				ClientConfig: o.clientConfig(WorkloadsPath),
				Rules: []admissionregistrationv1.RuleWithOperations{{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
					Rule: admissionregistrationv1.Rule{
						APIGroups: []string{gdprv1alpha1.GroupVersion.Group}, APIVersions: []string{gdprv1alpha1.GroupVersion.Version},
						Resources: []string{"gdprworkloads"}, Scope: ptr.To(admissionregistrationv1.NamespacedScope),
					},
				}},
				MatchConditions:         notManager,
				FailurePolicy:           fail,
				MatchPolicy:             equivalent,
				SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
				TimeoutSeconds:          ptr.To[int32](WorkloadTimeoutSeconds),
				AdmissionReviewVersions: []string{"v1"},
			},
			{
				// Failing closed matters most here: a BreakGlass admitted without its check
				// could reopen a used name, and one without its Granted entry would open a
				// window the ledger does not know of.
				Name:         BreakGlassesWebhook,
				ClientConfig: o.clientConfig(BreakGlassesPath),
				Rules: []admissionregistrationv1.RuleWithOperations{{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       breakGlassRule(),
				}},
				MatchConditions:         notManager,
				FailurePolicy:           fail,
				MatchPolicy:             equivalent,
				SideEffects:             noneOnDryRun,
				TimeoutSeconds:          ptr.To[int32](TimeoutSeconds),
				AdmissionReviewVersions: []string{"v1"},
			},
		},
	}
}

// DesiredMutating is the MutatingWebhookConfiguration Amber installs and guards beside
// Desired: it only defaults a BreakGlass's subjects to its creator, whom only the admission
// request names. It fails closed too: a BreakGlass admitted without it would name nobody,
// which the schema allows, and open nothing; failing is clearer.
func DesiredMutating(o Options) *admissionregistrationv1.MutatingWebhookConfiguration {
	return &admissionregistrationv1.MutatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "MutatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: ConfigurationName, Labels: map[string]string{"app.kubernetes.io/managed-by": "amber"}},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:         BreakGlassDefaultsWebhook,
			ClientConfig: o.clientConfig(BreakGlassDefaultsPath),
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       breakGlassRule(),
			}},
			MatchConditions: []admissionregistrationv1.MatchCondition{{
				Name:       "not-the-manager",
				Expression: fmt.Sprintf("request.userInfo.username != %s", celString(o.ManagerUsername)),
			}},
			FailurePolicy:           ptr.To(admissionregistrationv1.Fail),
			MatchPolicy:             ptr.To(admissionregistrationv1.Equivalent),
			SideEffects:             ptr.To(admissionregistrationv1.SideEffectClassNone),
			TimeoutSeconds:          ptr.To[int32](TimeoutSeconds),
			ReinvocationPolicy:      ptr.To(admissionregistrationv1.NeverReinvocationPolicy),
			AdmissionReviewVersions: []string{"v1"},
		}},
	}
}

func breakGlassRule() admissionregistrationv1.Rule {
	return admissionregistrationv1.Rule{
		APIGroups: []string{gdprv1alpha1.GroupVersion.Group}, APIVersions: []string{gdprv1alpha1.GroupVersion.Version},
		Resources: []string{"breakglasses"}, Scope: ptr.To(admissionregistrationv1.NamespacedScope),
	}
}

func podRule(resources ...string) admissionregistrationv1.Rule {
	return admissionregistrationv1.Rule{
		APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: resources,
		Scope: ptr.To(admissionregistrationv1.NamespacedScope),
	}
}
