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
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestConfigurationDiffers(t *testing.T) {
	service := &admissionregistrationv1.ServiceReference{Namespace: "amber-system", Name: "amber-webhook-service"}
	opts := Options{Endpoint: Endpoint{Service: service}, CABundle: []byte("ca"), ManagerUsername: "amber"}
	// asServed is the configuration as the API server returns it: the defaults Amber leaves
	// out filled in.
	asServed := func() *admissionregistrationv1.ValidatingWebhookConfiguration {
		c := Desired(opts)
		for i := range c.Webhooks {
			w := &c.Webhooks[i]
			if w.NamespaceSelector == nil {
				w.NamespaceSelector = &metav1.LabelSelector{}
			}
			if w.ObjectSelector == nil {
				w.ObjectSelector = &metav1.LabelSelector{}
			}
			w.ClientConfig.Service.Port = ptr.To[int32](443)
		}
		return c
	}
	for _, tc := range []struct {
		name   string
		change func(*admissionregistrationv1.ValidatingWebhookConfiguration)
		want   bool
	}{
		{"the configuration as served, defaults filled in, is what Amber installed", func(*admissionregistrationv1.ValidatingWebhookConfiguration) {}, false},
		{"a webhook that fails open is tampering", func(c *admissionregistrationv1.ValidatingWebhookConfiguration) {
			c.Webhooks[0].FailurePolicy = ptr.To(admissionregistrationv1.Ignore)
		}, true},
		{"a namespace selector added to the pods webhook is tampering", func(c *admissionregistrationv1.ValidatingWebhookConfiguration) {
			c.Webhooks[0].NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"nobody": "here"}}
		}, true},
		{"a webhook removed is tampering", func(c *admissionregistrationv1.ValidatingWebhookConfiguration) {
			c.Webhooks = c.Webhooks[1:]
		}, true},
		{"another CA bundle is tampering", func(c *admissionregistrationv1.ValidatingWebhookConfiguration) {
			c.Webhooks[2].ClientConfig.CABundle = []byte("someone else's CA")
		}, true},
		{"a match condition that lets everyone through is tampering", func(c *admissionregistrationv1.ValidatingWebhookConfiguration) {
			c.Webhooks[1].MatchConditions = append(c.Webhooks[1].MatchConditions, admissionregistrationv1.MatchCondition{Name: "never", Expression: "false"})
		}, true},
		{"a label on the configuration is not", func(c *admissionregistrationv1.ValidatingWebhookConfiguration) {
			c.Labels["team"] = "platform"
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			live := asServed()
			tc.change(live)
			if got := ConfigurationDiffers(Desired(opts), live); got != tc.want {
				t.Errorf("ConfigurationDiffers = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPolicyAndBindingDiffer(t *testing.T) {
	opts := Options{ManagerUsername: "system:serviceaccount:amber-system:amber-manager"}
	policy, binding := DesiredPolicy(opts)
	livePolicy, liveBinding := DesiredPolicy(opts)
	livePolicy.Status.TypeChecking = &admissionregistrationv1.TypeChecking{}
	if PolicyDiffers(policy, livePolicy) || BindingDiffers(binding, liveBinding) {
		t.Fatal("the policy and binding as installed, with the API server's type check in status, differ from themselves")
	}
	livePolicy.Spec.Validations[0].Expression = "true"
	if !PolicyDiffers(policy, livePolicy) {
		t.Error("a policy whose validation always passes does not differ")
	}
	liveBinding.Spec.ValidationActions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Audit}
	if !BindingDiffers(binding, liveBinding) {
		t.Error("a binding that only audits does not differ")
	}
}

func TestDesiredPolicy(t *testing.T) {
	policy, binding := DesiredPolicy(Options{ManagerUsername: "kubernetes-admin"})
	if got := policy.Spec.MatchConditions[0].Expression; got != "request.userInfo.username != 'kubernetes-admin'" {
		t.Errorf("the manager's own pods must never meet the policy: matchCondition %q", got)
	}
	if got := policy.Spec.Validations[0].Expression; got != "params.webhooks.exists(w, w.name == 'pods.admission.gdpr.amber.dev' && has(w.failurePolicy) && w.failurePolicy == 'Fail')" {
		t.Errorf("the policy must admit whenever the pods webhook fails closed, so that the webhook decides and records: %q", got)
	}
	if binding.Spec.PolicyName != policy.Name || binding.Spec.ParamRef.Name != ConfigurationName ||
		*binding.Spec.ParamRef.ParameterNotFoundAction != admissionregistrationv1.DenyAction || *policy.Spec.FailurePolicy != admissionregistrationv1.Fail {
		t.Errorf("the binding must take the webhook configuration as its parameter and refuse without it: %+v", binding.Spec)
	}
	ops := policy.Spec.MatchConstraints.ResourceRules[0].Operations
	if len(ops) != 1 || ops[0] != admissionregistrationv1.Create {
		t.Errorf("the policy is for impostor creates only, got operations %v", ops)
	}
}

func TestLastForeignWriter(t *testing.T) {
	at := func(s int) *metav1.Time {
		return ptr.To(metav1.NewTime(time.Date(2026, 11, 30, 12, 0, s, 0, time.UTC)))
	}
	for _, tc := range []struct {
		name   string
		fields []metav1.ManagedFieldsEntry
		want   string
	}{
		{"only Amber wrote it: nobody else to name", []metav1.ManagedFieldsEntry{
			{Manager: "amber", Operation: metav1.ManagedFieldsOperationApply, Time: at(0)},
			{Manager: "amber", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(5)},
		}, ""},
		{"the latest write by someone else is named", []metav1.ManagedFieldsEntry{
			{Manager: "amber", Operation: metav1.ManagedFieldsOperationApply, Time: at(9)},
			{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(3)},
			{Manager: "kubectl-patch", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(7)},
		}, "kubectl-patch"},
		{"a status write is not a change", []metav1.ManagedFieldsEntry{
			{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(3)},
			{Manager: "kube-apiserver", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: at(8)},
		}, "kubectl-edit"},
		{"writes in the same second are ordered by name", []metav1.ManagedFieldsEntry{
			{Manager: "zz-tool", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(4)},
			{Manager: "kubectl-label", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(4)},
		}, "kubectl-label"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LastForeignWriter(tc.fields, "amber"); got != tc.want {
				t.Errorf("LastForeignWriter = %q, want %q", got, tc.want)
			}
		})
	}
}
