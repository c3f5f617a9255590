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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Labels that tie ledger entries and pods to the incident-response object they concern.
const (
	// AuditBreakGlassLabel, on an AuditEvent, names the BreakGlass the entry is about. The
	// entries of a namespace with this label tell which BreakGlass names were ever used
	// there: a used name cannot be created again.
	AuditBreakGlassLabel = "gdpr.amber.dev/breakglass"
	// AuditQuarantineLabel, on an AuditEvent, names the Quarantine the entry is about.
	AuditQuarantineLabel = "gdpr.amber.dev/quarantine"
	// QuarantinedLabel, on a pod, names the Quarantine that took it out of service. Amber
	// sets it when it removes the template's labels; drift detection treats the change as
	// intended, and the pod no longer counts among the workload's replicas.
	QuarantinedLabel = "gdpr.amber.dev/quarantined"
	// BreakGlassFinalizer holds a BreakGlass until every pod touched under it is replaced.
	BreakGlassFinalizer = "gdpr.amber.dev/breakglass"
	// QuarantineFinalizer holds a Quarantine until its pod and NetworkPolicy are deleted.
	QuarantineFinalizer = "gdpr.amber.dev/quarantine"
)

// BreakGlassOperation is an operation on a running pod that admission otherwise refuses.
// +kubebuilder:validation:Enum=exec;attach;debug;portForward
type BreakGlassOperation string

// The operations a BreakGlass can open.
const (
	// BreakGlassExec: `kubectl exec` (pods/exec).
	BreakGlassExec BreakGlassOperation = "exec"
	// BreakGlassAttach: `kubectl attach` (pods/attach).
	BreakGlassAttach BreakGlassOperation = "attach"
	// BreakGlassDebug: `kubectl debug` adding an ephemeral container (pods/ephemeralcontainers).
	BreakGlassDebug BreakGlassOperation = "debug"
	// BreakGlassPortForward: `kubectl port-forward` (pods/portforward).
	BreakGlassPortForward BreakGlassOperation = "portForward"
)

// BreakGlassSpec asks for time-boxed access to a workload's running pods. It cannot be
// changed once created: ask for another BreakGlass instead.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable: a BreakGlass's window and scope are fixed when it is admitted; create another one (with a new name) to ask for more"
// +kubebuilder:validation:XValidation:rule="duration(self.duration) > duration('0s') && duration(self.duration) <= duration('4h')",message="spec.duration must be more than 0s and at most 4h, such as \"30m\" or \"2h\"",fieldPath=".duration"
type BreakGlassSpec struct {
	// workload is the name of the GDPRWorkload, in this namespace, whose pods are opened.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +required
	Workload string `json:"workload"`

	// pods names the pods opened; empty means every pod of the workload that exists while
	// the BreakGlass is active. Pods made after the window opened are included only when
	// empty.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=set
	// +optional
	Pods []string `json:"pods,omitempty"`

	// operations are what may be done to the pods while the window is open: exec, attach,
	// debug (an ephemeral container) and portForward.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=4
	// +listType=set
	// +required
	Operations []BreakGlassOperation `json:"operations"`

	// reason says why access is needed: an incident or ticket reference and what is to be
	// examined. It is kept with the BreakGlass for the incident's record. Do not write
	// personal data here (no names of data subjects, no customer identifiers).
	// +kubebuilder:validation:MinLength=8
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Reason string `json:"reason"`

	// duration is how long the window stays open from the moment the BreakGlass is admitted:
	// at most 4h. Defaults to 30m.
	// +kubebuilder:default="30m"
	// +kubebuilder:validation:Type=string
	// +optional
	Duration metav1.Duration `json:"duration,omitempty"`

	// users are the users the BreakGlass is for, as the API server names them. When neither
	// users nor groups is given, Amber sets users to the user who created the BreakGlass.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +listType=set
	// +optional
	Users []string `json:"users,omitempty"`

	// groups are the groups whose members the BreakGlass is for.
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +listType=set
	// +optional
	Groups []string `json:"groups,omitempty"`
}

// BreakGlassPhase says where a BreakGlass is in its life.
// +kubebuilder:validation:Enum=Active;Expired;Ended
type BreakGlassPhase string

// The phases of a BreakGlass.
const (
	// BreakGlassActive: the window is open.
	BreakGlassActive BreakGlassPhase = "Active"
	// BreakGlassExpired: the window closed at status.notAfter; the BreakGlass is kept as a
	// record, and its name cannot be used again in the namespace.
	BreakGlassExpired BreakGlassPhase = "Expired"
	// BreakGlassEnded: the BreakGlass was deleted before its window closed; it is held by
	// its finalizer until the pods touched under it are replaced.
	BreakGlassEnded BreakGlassPhase = "Ended"
)

// BreakGlassTouchedPod is a pod on which an operation was let through under a BreakGlass.
type BreakGlassTouchedPod struct {
	// name is the pod's name.
	Name string `json:"name"`
	// uid is the pod's UID.
	UID string `json:"uid"`
	// firstUsed is when the first operation on the pod was let through.
	FirstUsed metav1.Time `json:"firstUsed"`
	// replaced is true once the pod is gone, replaced by a fresh pod of its revision.
	// +optional
	Replaced bool `json:"replaced,omitempty"`
}

// BreakGlassStatus is what Amber fixed and observed of a BreakGlass.
type BreakGlassStatus struct {
	// observedGeneration is the generation Amber last handled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// phase is Active, Expired or Ended.
	// +optional
	Phase BreakGlassPhase `json:"phase,omitempty"`
	// notBefore is when the window opened: when the BreakGlass was admitted
	// (metadata.creationTimestamp). It never moves.
	// +optional
	NotBefore *metav1.Time `json:"notBefore,omitempty"`
	// notAfter is when the window closes: notBefore plus spec.duration. It never moves.
	// +optional
	NotAfter *metav1.Time `json:"notAfter,omitempty"`
	// touchedPods are the pods on which an operation was let through. Each is replaced by a
	// fresh pod once the window closes or the BreakGlass is deleted.
	// +listType=map
	// +listMapKey=uid
	// +optional
	TouchedPods []BreakGlassTouchedPod `json:"touchedPods,omitempty"`
	// conditions follow kstatus: Ready is True while the window is open and once every
	// touched pod has been replaced after it closed; Reconciling is True while touched pods
	// are being replaced; Stalled is True when the workload does not exist.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// BreakGlass opens a workload's pods to named people for a short, fixed window: exec,
// attach, debug or port-forward, each use recorded in the ledger. When the window closes (or
// the BreakGlass is deleted), every pod touched under it is replaced by a fresh pod of its
// pinned revision: a pod a person was inside never goes back into service. Expired
// BreakGlasses are kept as the record; their names cannot be used again.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=bg,categories=amber
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="metadata.name must be at most 63 characters: it becomes the value of the gdpr.amber.dev/breakglass label on ledger entries"
// +kubebuilder:printcolumn:name="Workload",type=string,JSONPath=`.spec.workload`
// +kubebuilder:printcolumn:name="Operations",type=string,JSONPath=`.spec.operations`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Not-After",type=date,JSONPath=`.status.notAfter`,description="When the window closes"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type BreakGlass struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says whose pods are opened, to whom, for what and how long.
	// +required
	Spec BreakGlassSpec `json:"spec"`

	// status is written by Amber only.
	// The default makes a new object's status.observedGeneration -1, so kstatus (Flux) reads it
	// as not yet observed (InProgress) rather than Current before Amber first reconciles it.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status BreakGlassStatus `json:"status,omitempty"`
}

// BreakGlassList is a list of BreakGlasses.
// +kubebuilder:object:root=true
type BreakGlassList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []BreakGlass `json:"items"`
}

// QuarantineSpec takes one pod of a workload out of service without deleting it. It cannot
// be changed once created.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable: delete the Quarantine to release (delete) its pod early, or create another"
// +kubebuilder:validation:XValidation:rule="duration(self.keep) > duration('0s') && duration(self.keep) <= duration('168h')",message="spec.keep must be more than 0s and at most 168h (7 days), such as \"24h\"",fieldPath=".keep"
type QuarantineSpec struct {
	// pod is the name of the pod, in this namespace, to quarantine. It must be a pod of a
	// GDPRWorkload.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +required
	Pod string `json:"pod"`

	// reason says why the pod is suspect: an incident or ticket reference. Do not write
	// personal data here.
	// +kubebuilder:validation:MinLength=8
	// +kubebuilder:validation:MaxLength=1024
	// +required
	Reason string `json:"reason"`

	// keep is how long the quarantined pod is kept for examination before Amber deletes it:
	// at most 168h (7 days). Defaults to 24h. Deleting the Quarantine deletes the pod sooner.
	// +kubebuilder:default="24h"
	// +kubebuilder:validation:Type=string
	// +optional
	Keep metav1.Duration `json:"keep,omitempty"`
}

// QuarantinePhase says where a Quarantine is in its life.
// +kubebuilder:validation:Enum=Replacing;Isolated;Released
type QuarantinePhase string

// The phases of a Quarantine.
const (
	// QuarantineReplacing: a fresh pod is being made to take the suspect pod's place; the
	// suspect pod still serves until it is Ready.
	QuarantineReplacing QuarantinePhase = "Replacing"
	// QuarantineIsolated: the pod is out of every Service (its template labels removed) and
	// a NetworkPolicy denies all its traffic; it is kept for examination until deleteAfter.
	QuarantineIsolated QuarantinePhase = "Isolated"
	// QuarantineReleased: the pod and its NetworkPolicy were deleted (keep elapsed, or the
	// Quarantine was deleted).
	QuarantineReleased QuarantinePhase = "Released"
)

// QuarantineStatus is what Amber did with the quarantined pod.
type QuarantineStatus struct {
	// observedGeneration is the generation Amber last handled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// phase is Replacing, Isolated or Released.
	// +optional
	Phase QuarantinePhase `json:"phase,omitempty"`
	// workload is the GDPRWorkload the pod belongs to.
	// +optional
	Workload string `json:"workload,omitempty"`
	// podUID is the UID of the quarantined pod: a later pod of the same name is not it.
	// +optional
	PodUID string `json:"podUID,omitempty"`
	// replacement is the fresh pod made to take its place.
	// +optional
	Replacement string `json:"replacement,omitempty"`
	// networkPolicy is the NetworkPolicy that denies the pod all ingress and egress.
	// Enforcing it needs a network plugin that implements NetworkPolicy.
	// +optional
	NetworkPolicy string `json:"networkPolicy,omitempty"`
	// isolatedAt is when the pod was taken out of service.
	// +optional
	IsolatedAt *metav1.Time `json:"isolatedAt,omitempty"`
	// deleteAfter is when Amber deletes the pod: isolatedAt plus spec.keep.
	// +optional
	DeleteAfter *metav1.Time `json:"deleteAfter,omitempty"`
	// conditions follow kstatus: Ready is True once the pod is isolated (and after it was
	// released); Reconciling is True while its replacement is made and it is isolated;
	// Stalled is True when the pod does not exist or belongs to no GDPRWorkload.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Quarantine takes a suspect pod of a GDPRWorkload out of service and keeps it for
// examination: a fresh pod is made first, then the suspect pod leaves every Service and a
// NetworkPolicy denies all its traffic; it is deleted after spec.keep, or when the
// Quarantine is deleted. Every step is recorded in the workload's ledger.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=qt,categories=amber
// +kubebuilder:validation:XValidation:rule="size(self.metadata.name) <= 63",message="metadata.name must be at most 63 characters: it becomes the value of the gdpr.amber.dev/quarantined label on the pod"
// +kubebuilder:printcolumn:name="Pod",type=string,JSONPath=`.spec.pod`
// +kubebuilder:printcolumn:name="Workload",type=string,JSONPath=`.status.workload`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="Delete-After",type=date,JSONPath=`.status.deleteAfter`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Quarantine struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec names the pod and how long it is kept.
	// +required
	Spec QuarantineSpec `json:"spec"`

	// status is written by Amber only.
	// The default makes a new object's status.observedGeneration -1, so kstatus (Flux) reads it
	// as not yet observed (InProgress) rather than Current before Amber first reconciles it.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status QuarantineStatus `json:"status,omitempty"`
}

// QuarantineList is a list of Quarantines.
// +kubebuilder:object:root=true
type QuarantineList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Quarantine `json:"items"`
}

func init() {
	register(&BreakGlass{}, &BreakGlassList{}, &Quarantine{}, &QuarantineList{})
}
