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
	"slices"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// What the guard compares. The API server fills in defaults Amber leaves out, so the live
// object is compared with the desired one after the same defaults are applied to the latter:
// any other difference (a field changed, added or removed, a webhook more or less) is
// tampering.

// ConfigurationDiffers reports whether live is not the webhook configuration desired.
func ConfigurationDiffers(desired, live *admissionregistrationv1.ValidatingWebhookConfiguration) bool {
	want := desired.DeepCopy()
	for i := range want.Webhooks {
		w := &want.Webhooks[i]
		if w.NamespaceSelector == nil {
			w.NamespaceSelector = &metav1.LabelSelector{}
		}
		if w.ObjectSelector == nil {
			w.ObjectSelector = &metav1.LabelSelector{}
		}
		if s := w.ClientConfig.Service; s != nil && s.Port == nil {
			s.Port = ptr.To[int32](443)
		}
	}
	return !equality.Semantic.DeepEqual(want.Webhooks, live.Webhooks)
}

// MutatingConfigurationDiffers reports whether live is not the mutating webhook
// configuration desired, after the same defaults as ConfigurationDiffers.
func MutatingConfigurationDiffers(desired, live *admissionregistrationv1.MutatingWebhookConfiguration) bool {
	want := desired.DeepCopy()
	for i := range want.Webhooks {
		w := &want.Webhooks[i]
		if w.NamespaceSelector == nil {
			w.NamespaceSelector = &metav1.LabelSelector{}
		}
		if w.ObjectSelector == nil {
			w.ObjectSelector = &metav1.LabelSelector{}
		}
		if s := w.ClientConfig.Service; s != nil && s.Port == nil {
			s.Port = ptr.To[int32](443)
		}
	}
	return !equality.Semantic.DeepEqual(want.Webhooks, live.Webhooks)
}

// PolicyDiffers reports whether live is not the ValidatingAdmissionPolicy desired; its status
// (the API server's type check) is not compared.
func PolicyDiffers(desired, live *admissionregistrationv1.ValidatingAdmissionPolicy) bool {
	return !equality.Semantic.DeepEqual(desired.Spec, live.Spec)
}

// BindingDiffers reports whether live is not the ValidatingAdmissionPolicyBinding desired.
func BindingDiffers(desired, live *admissionregistrationv1.ValidatingAdmissionPolicyBinding) bool {
	return !equality.Semantic.DeepEqual(desired.Spec, live.Spec)
}

// LastForeignWriter is the field manager of the latest write to an object by anyone but self
// ("" when none): who changed Amber's admission configuration, as far as the API server tells.
// Admission configuration is never sent to webhooks, so the requesting user is not known; the
// field manager ("kubectl-edit", "kubectl-patch", a controller's name) is. Status writes (the
// API server's type check of a policy) are not changes.
func LastForeignWriter(fields []metav1.ManagedFieldsEntry, self string) string {
	foreign := slices.DeleteFunc(slices.Clone(fields), func(f metav1.ManagedFieldsEntry) bool {
		return f.Manager == self || f.Subresource != ""
	})
	if len(foreign) == 0 {
		return ""
	}
	// Latest first; entries written in the same second are ordered by name, so the answer is stable.
	slices.SortStableFunc(foreign, func(a, b metav1.ManagedFieldsEntry) int {
		at, bt := timeOf(a), timeOf(b)
		switch {
		case at.After(bt):
			return -1
		case bt.After(at):
			return 1
		}
		if a.Manager < b.Manager {
			return -1
		}
		if a.Manager > b.Manager {
			return 1
		}
		return 0
	})
	return foreign[0].Manager
}

func timeOf(f metav1.ManagedFieldsEntry) time.Time {
	if f.Time == nil {
		return time.Time{}
	}
	return f.Time.Time
}
