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

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Names of the second line: a ValidatingAdmissionPolicy and its binding that refuse impostor
// pods when the webhook would not.
const (
	// PolicyName is the ValidatingAdmissionPolicy that refuses impostor pods.
	PolicyName = "amber-impostor-pods"
	// PolicyBindingName binds PolicyName, with Amber's webhook configuration as its parameter.
	PolicyBindingName = "amber-impostor-pods"
)

// DesiredPolicy is the ValidatingAdmissionPolicy and binding Amber installs beside its
// webhook configuration: a pod created with a workload's label by anyone but the manager is
// refused, but only while the webhook that would refuse it (and record who tried) is missing
// or no longer fails closed.
//
// A policy runs before every webhook and its denial ends admission: a policy that always
// refused impostors would keep every such refusal out of the ledger. So the binding takes the
// webhook configuration itself as its parameter. While the configuration is there with its pods
// webhook failing closed, the policy admits and lets the webhook decide and record (or, with the
// manager down, fail closed: refused either way). Once the configuration is gone
// (parameterNotFoundAction Deny) or its pods webhook was weakened, the policy refuses: nobody
// adopts a workload's label in the seconds before the guard puts the configuration back, nor
// while the manager is down and the configuration was deleted.
func DesiredPolicy(o Options) (*admissionregistrationv1.ValidatingAdmissionPolicy, *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: PolicyName, Labels: map[string]string{"app.kubernetes.io/managed-by": "amber"}},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			ParamKind: &admissionregistrationv1.ParamKind{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
			MatchConstraints: &admissionregistrationv1.MatchResources{
				NamespaceSelector: &metav1.LabelSelector{},
				ObjectSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
					Key: gdprv1alpha1.WorkloadLabel, Operator: metav1.LabelSelectorOpExists,
				}}},
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
					RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
						Rule:       podRule("pods"),
					},
				}},
				MatchPolicy: ptr.To(admissionregistrationv1.Equivalent),
			},
			MatchConditions: []admissionregistrationv1.MatchCondition{{
				Name:       "not-the-manager",
				Expression: fmt.Sprintf("request.userInfo.username != %s", celString(o.ManagerUsername)),
			}},
			Validations: []admissionregistrationv1.Validation{{
				Expression: fmt.Sprintf("params.webhooks.exists(w, w.name == %s && has(w.failurePolicy) && w.failurePolicy == 'Fail')", celString(PodsWebhook)),
				Message: fmt.Sprintf("only Amber creates pods labelled %s: Amber's admission webhook %s is missing or does not fail closed, "+
					"so policy %s refuses in its place until Amber restores it", gdprv1alpha1.WorkloadLabel, PodsWebhook, PolicyName),
				Reason: ptr.To(metav1.StatusReasonForbidden),
			}},
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
		},
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: PolicyBindingName, Labels: map[string]string{"app.kubernetes.io/managed-by": "amber"}},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: PolicyName,
			ParamRef: &admissionregistrationv1.ParamRef{
				Name: ConfigurationName,
				// No webhook configuration: the policy's failurePolicy (Fail) applies, a refusal.
				ParameterNotFoundAction: ptr.To(admissionregistrationv1.DenyAction),
			},
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
		},
	}
	return policy, binding
}
