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

package drift

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// managed is a managed fields entry of manager, writing fields (a FieldsV1 JSON set).
func managed(manager, subresource, fields string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{
		Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, Subresource: subresource,
		FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields),
	}
}

// amberCreated is what Amber's own creation of admitted() leaves in its managed fields.
var amberCreated = managed("amber", "", `{"f:metadata":{"f:labels":{".":{},"f:app":{},"f:gdpr.amber.dev/workload":{}},"f:annotations":{".":{},"f:sidecar.example/injected":{}},"f:ownerReferences":{}},"f:spec":{"f:containers":{}}}`)

func TestRecoveredBaseline(t *testing.T) {
	tests := []struct {
		name            string
		mutate          func(*corev1.Pod)
		wantLabels      map[string]string
		wantAnnotations map[string]string
	}{
		{
			name:            "a pod only Amber wrote is its own baseline",
			mutate:          func(*corev1.Pod) {},
			wantLabels:      map[string]string{"gdpr.amber.dev/workload": "payments", "app": "payments"},
			wantAnnotations: map[string]string{"sidecar.example/injected": "true"},
		},
		{
			name: "a label another manager added is left out, so that it shows as drift",
			mutate: func(p *corev1.Pod) {
				p.Labels["tamper"] = "yes"
				p.ManagedFields = append(p.ManagedFields, managed("kubectl-label", "", `{"f:metadata":{"f:labels":{"f:tamper":{}}}}`))
			},
			wantLabels:      map[string]string{"gdpr.amber.dev/workload": "payments", "app": "payments"},
			wantAnnotations: map[string]string{"sidecar.example/injected": "true"},
		},
		{
			name: "a label another manager overwrote is left out: its earlier value is kept nowhere",
			mutate: func(p *corev1.Pod) {
				p.Labels["app"] = "tampered"
				p.ManagedFields[0] = managed("amber", "", `{"f:metadata":{"f:labels":{".":{},"f:gdpr.amber.dev/workload":{}}}}`)
				p.ManagedFields = append(p.ManagedFields, managed("kubectl-label", "", `{"f:metadata":{"f:labels":{"f:app":{}}}}`))
			},
			wantLabels:      map[string]string{"gdpr.amber.dev/workload": "payments"},
			wantAnnotations: map[string]string{"sidecar.example/injected": "true"},
		},
		{
			name: "an annotation another manager added is left out",
			mutate: func(p *corev1.Pod) {
				p.Annotations["note"] = "hi"
				p.ManagedFields = append(p.ManagedFields, managed("kubectl-annotate", "", `{"f:metadata":{"f:annotations":{"f:note":{}}}}`))
			},
			wantLabels:      map[string]string{"gdpr.amber.dev/workload": "payments", "app": "payments"},
			wantAnnotations: map[string]string{"sidecar.example/injected": "true"},
		},
		{
			name: "the kubelet's status and the scheduler's binding take nothing out",
			mutate: func(p *corev1.Pod) {
				p.ManagedFields = append(p.ManagedFields,
					managed("kubelet", "status", `{"f:metadata":{"f:labels":{"f:app":{}}},"f:status":{"f:phase":{}}}`),
					managed("kube-scheduler", "binding", `{"f:metadata":{"f:annotations":{"f:sidecar.example/injected":{}}}}`))
			},
			wantLabels:      map[string]string{"gdpr.amber.dev/workload": "payments", "app": "payments"},
			wantAnnotations: map[string]string{"sidecar.example/injected": "true"},
		},
		{
			name: "another manager's spec fields leave the metadata as found",
			mutate: func(p *corev1.Pod) {
				p.Spec.ActiveDeadlineSeconds = new(int64)
				p.ManagedFields = append(p.ManagedFields, managed("kubectl-edit", "", `{"f:spec":{"f:activeDeadlineSeconds":{}}}`))
			},
			wantLabels:      map[string]string{"gdpr.amber.dev/workload": "payments", "app": "payments"},
			wantAnnotations: map[string]string{"sidecar.example/injected": "true"},
		},
		{
			name: "managed fields without their field sets (as the cache holds them) take nothing out",
			mutate: func(p *corev1.Pod) {
				p.Labels["tamper"] = "yes"
				p.ManagedFields = append(p.ManagedFields, metav1.ManagedFieldsEntry{Manager: "kubectl-label", Operation: metav1.ManagedFieldsOperationUpdate})
			},
			wantLabels:      map[string]string{"gdpr.amber.dev/workload": "payments", "app": "payments", "tamper": "yes"},
			wantAnnotations: map[string]string{"sidecar.example/injected": "true"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := admitted()
			pod.ManagedFields = []metav1.ManagedFieldsEntry{amberCreated}
			tt.mutate(pod)
			got := RecoveredBaseline(pod, "amber")
			if diff := cmp.Diff(tt.wantLabels, got.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAnnotations, got.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(BaselineOf(pod).Spec, got.Spec); diff != "" {
				t.Errorf("spec, taken as found (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRecoveredBaselineMakesTheChangeDrift(t *testing.T) {
	pod := admitted()
	pod.ManagedFields = []metav1.ManagedFieldsEntry{amberCreated, managed("kubectl-label", "", `{"f:metadata":{"f:labels":{"f:tamper":{}}}}`)}
	pod.Labels["tamper"] = "yes"
	got := Detect(RecoveredBaseline(pod, "amber"), pod, expected)
	want := []Finding{{Reason: MetadataChanged, Paths: []string{"metadata.labels.tamper"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Detect (-want +got):\n%s", diff)
	}
}
