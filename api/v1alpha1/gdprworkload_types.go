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

package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Labels Amber puts on every pod it manages. They are a public interface: users and
// auditors select pods with them (`kubectl get pods -l gdpr.amber.dev/workload=NAME`).
const (
	// WorkloadLabel names the GDPRWorkload a pod belongs to.
	WorkloadLabel = "gdpr.amber.dev/workload"

	// RevisionLabel holds the revision a pod was made from: a hash of the workload's
	// pod template as the user wrote it.
	RevisionLabel = "gdpr.amber.dev/revision"

	// LedgerFinalizer keeps a deleted workload until Amber has deleted its pods and recorded
	// the deletion as the last entry of its audit ledger.
	LedgerFinalizer = "gdpr.amber.dev/audit-ledger"
)

// GDPRWorkloadSpec declares the pods of a workload that processes personal data.
//
// Later API additions (image pinning, drift policy, data-protection record) extend this
// struct; the fields here keep their meaning.
type GDPRWorkloadSpec struct {
	// replicas is the number of pods Amber keeps running from the template.
	// Defaults to 1; 0 stops every pod while keeping the workload and its history.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// template describes the pods Amber creates. Amber never edits a running pod: a change
	// to the template makes a new revision, and pods of the old revision are replaced by
	// fresh ones (a new pod first, the old one deleted once the new one is Ready).
	// The template needs at least one container, and every container an image.
	// +kubebuilder:validation:XValidation:rule="size(self.spec.containers) > 0",message="spec.template.spec.containers must list at least one container",fieldPath=".spec.containers"
	// +kubebuilder:validation:XValidation:rule="self.spec.containers.all(c, has(c.image) && size(c.image) > 0)",message="spec.template.spec.containers[].image is required: every container needs an image",fieldPath=".spec.containers"
	// +kubebuilder:validation:XValidation:rule="!has(self.spec.initContainers) || self.spec.initContainers.all(c, has(c.image) && size(c.image) > 0)",message="spec.template.spec.initContainers[].image is required: every init container needs an image",fieldPath=".spec.initContainers"
	// +required
	Template corev1.PodTemplateSpec `json:"template"`

	// audit configures the workload's audit ledger.
	// +kubebuilder:default={}
	// +optional
	Audit AuditPolicy `json:"audit,omitempty"`
}

// AuditPolicy configures a workload's audit ledger.
type AuditPolicy struct {
	// retention is how long audit entries are kept, as a Go duration ("9600h" is 400 days).
	// Older entries are deleted only once a signed checkpoint covers them. At least 24h.
	// +kubebuilder:default="9600h"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('24h')",message="spec.audit.retention must be at least 24h (one day)"
	// +optional
	Retention *metav1.Duration `json:"retention,omitempty"`
}

// GDPRWorkloadStatus is what Amber last observed of a workload and its pods.
type GDPRWorkloadStatus struct {
	// observedGeneration is the metadata.generation of the spec this status describes.
	// Until it equals metadata.generation, the other fields may describe an older spec.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// replicas is the number of pods Amber manages for this workload that are not being deleted.
	// +optional
	Replicas int32 `json:"replicas"`

	// readyReplicas is the number of those pods whose Ready condition is True.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas"`

	// updatedReplicas is the number of pods made from updateRevision.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas"`

	// currentRevision is the revision every pod ran when the workload was last fully rolled
	// out. It equals updateRevision once a rollout is complete.
	// +optional
	CurrentRevision string `json:"currentRevision,omitempty"`

	// updateRevision is the revision of the current template: the one new pods are made from.
	// +optional
	UpdateRevision string `json:"updateRevision,omitempty"`

	// selector is the label selector of this workload's pods, in the string form
	// `kubectl get pods -l` takes. It backs the scale subresource.
	// +optional
	Selector string `json:"selector,omitempty"`

	// conditions follow the Kubernetes status conventions (kstatus): Ready is always set;
	// Reconciling is present while pods are being created, deleted or replaced; Stalled is
	// present while the workload cannot progress without a change by a person.
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// GDPRWorkload runs a set of identical pods that process personal data, and keeps them
// exactly as declared: Amber owns the pods directly and replaces any that go missing.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=gdprw,categories=amber
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="Revision",type=string,JSONPath=`.status.currentRevision`
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="metadata.name must be at most 63 characters: it is used as the value of the gdpr.amber.dev/workload label on every pod"
type GDPRWorkload struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec declares the pods Amber runs for this workload.
	// +required
	Spec GDPRWorkloadSpec `json:"spec"`

	// status is what Amber observed; written only by Amber.
	// +optional
	Status GDPRWorkloadStatus `json:"status,omitempty"`
}

// GDPRWorkloadList is a list of GDPRWorkloads.
// +kubebuilder:object:root=true
type GDPRWorkloadList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []GDPRWorkload `json:"items"`
}

func init() {
	register(&GDPRWorkload{}, &GDPRWorkloadList{})
}
