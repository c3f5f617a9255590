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
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Labels Amber puts on every pod it manages. They are a public interface: users and
// auditors select pods with them (`kubectl get pods -l gdpr.amber.dev/workload=NAME`).
const (
	// WorkloadLabel names the GDPRWorkload a pod belongs to.
	WorkloadLabel = "gdpr.amber.dev/workload"

	// RevisionLabel holds the revision a pod (or ControllerRevision) was made from: a hash
	// of the workload's pod template as the user wrote it, and of the digests its images
	// were pinned to when a refresh found a tag moved.
	RevisionLabel = "gdpr.amber.dev/revision"

	// TemplateHashLabel, on a ControllerRevision, holds the hash of the pod template as the
	// user wrote it: every revision pinned from one template content carries the same value.
	TemplateHashLabel = "gdpr.amber.dev/template-hash"

	// LedgerFinalizer keeps a deleted workload until Amber has deleted its pods and recorded
	// the deletion as the last entry of its audit ledger.
	LedgerFinalizer = "gdpr.amber.dev/audit-ledger"

	// RollbackToAnnotation, on a GDPRWorkload, names the revision (its ID, the value of the
	// pods' revision label) that `kubectl amber rollback` asked for. Writing a revision's
	// template back is enough to run it again, unless another revision of the same template
	// exists (a refresh found a tag moved and pinned the new digests as a revision of their
	// own): then the template alone cannot say which, and this annotation does. Amber honours
	// it only while the named revision's template hash equals the current template's: a later
	// change of the template makes it moot, and it can be left in place. While it is
	// honoured, a refresh of the tags (spec.imagePolicy.refreshInterval) does not move the
	// workload off the named revision; remove the annotation to let refreshes pick up moved
	// tags again.
	RollbackToAnnotation = "gdpr.amber.dev/rollback-to"
)

// Bounds on a workload's pod template, far above what any pod needs. The API server estimates
// the cost of each CEL rule from the largest object the schema allows, and refuses a CRD
// whose image check could cost too much on unbounded lists of unbounded strings. The template
// is k8s.io/api's PodTemplateSpec, where kubebuilder markers cannot go, so hack/crdbounds
// writes these into the generated CRD after controller-gen.
const (
	// MaxTemplateContainers is how many containers, and how many init containers, a
	// workload's template may list. At 256 the estimated cost of the image rules would
	// exceed the API server's limit per rule.
	MaxTemplateContainers = 64

	// MaxImageLength is the longest image a workload's template may name, in characters. A
	// reference the kubelet can pull is shorter: a host name of at most 253 characters, a
	// repository of at most 255, a tag of at most 128 and a sha512 digest.
	MaxImageLength = 1024

	// MaxCapabilities is how many capabilities a container's securityContext may add, and
	// MaxCapabilityLength how long each name may be: Linux has about forty capabilities,
	// none with a name of more than 24 characters. The rule that refuses added capabilities
	// under the Immutable hardening profile reads every one of them.
	MaxCapabilities     = 64
	MaxCapabilityLength = 64
)

// GDPRWorkloadSpec declares the pods of a workload that processes personal data.
//
// Later API additions (image pinning, drift policy, data-protection record) extend this
// struct; the fields here keep their meaning.
//
// The rules below refuse a template that contradicts spec.hardening.profile, one rule per
// contradiction so that the message names the field: they sit here, not on the template,
// because they read the profile beside it. Under both profiles: privileged containers, host
// namespaces, hostPath volumes. Under Immutable also every setting the profile would fill in
// set the other way, a run as root, an Unconfined seccomp profile, and an added capability
// other than NET_BIND_SERVICE (which the Pod Security Standards' restricted profile also
// allows: a process that is not root needs it to bind a port below 1024).
// +kubebuilder:validation:XValidation:rule="self.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)",message="spec.template.spec.containers[].securityContext.privileged may not be true under spec.hardening.profile Immutable or Baseline: a privileged container holds every power of its node",fieldPath=".template.spec.containers"
// +kubebuilder:validation:XValidation:rule="!has(self.template.spec.initContainers) || self.template.spec.initContainers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)",message="spec.template.spec.initContainers[].securityContext.privileged may not be true under spec.hardening.profile Immutable or Baseline: a privileged container holds every power of its node",fieldPath=".template.spec.initContainers"
// +kubebuilder:validation:XValidation:rule="!has(self.template.spec.hostNetwork) || !self.template.spec.hostNetwork",message="spec.template.spec.hostNetwork may not be true under spec.hardening.profile Immutable or Baseline: the pod would share the node's network",fieldPath=".template.spec.hostNetwork"
// +kubebuilder:validation:XValidation:rule="!has(self.template.spec.hostPID) || !self.template.spec.hostPID",message="spec.template.spec.hostPID may not be true under spec.hardening.profile Immutable or Baseline: the pod would share the node's processes",fieldPath=".template.spec.hostPID"
// +kubebuilder:validation:XValidation:rule="!has(self.template.spec.hostIPC) || !self.template.spec.hostIPC",message="spec.template.spec.hostIPC may not be true under spec.hardening.profile Immutable or Baseline: the pod would share the node's shared memory",fieldPath=".template.spec.hostIPC"
// +kubebuilder:validation:XValidation:rule="!has(self.template.spec.volumes) || self.template.spec.volumes.all(v, !has(v.hostPath))",message="spec.template.spec.volumes[].hostPath may not be set under spec.hardening.profile Immutable or Baseline: a hostPath volume reaches into the node's filesystem",fieldPath=".template.spec.volumes"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || self.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.readOnlyRootFilesystem) || c.securityContext.readOnlyRootFilesystem)",message="spec.template.spec.containers[].securityContext.readOnlyRootFilesystem may not be false under spec.hardening.profile Immutable (set the profile to Baseline to allow it): an immutable container writes only to volumes",fieldPath=".template.spec.containers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || self.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.allowPrivilegeEscalation) || !c.securityContext.allowPrivilegeEscalation)",message="spec.template.spec.containers[].securityContext.allowPrivilegeEscalation may not be true under spec.hardening.profile Immutable (set the profile to Baseline to allow it)",fieldPath=".template.spec.containers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || self.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.runAsNonRoot) || c.securityContext.runAsNonRoot)",message="spec.template.spec.containers[].securityContext.runAsNonRoot may not be false under spec.hardening.profile Immutable (set the profile to Baseline to allow it)",fieldPath=".template.spec.containers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || self.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.runAsUser) || c.securityContext.runAsUser != 0)",message="spec.template.spec.containers[].securityContext.runAsUser may not be 0 (root) under spec.hardening.profile Immutable (set the profile to Baseline to allow it): the kubelet would refuse to start it as runAsNonRoot requires",fieldPath=".template.spec.containers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || self.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.capabilities) || !has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(a, a == 'NET_BIND_SERVICE'))",message="spec.template.spec.containers[].securityContext.capabilities.add may list only NET_BIND_SERVICE under spec.hardening.profile Immutable (set the profile to Baseline to allow it): every other capability stays dropped",fieldPath=".template.spec.containers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || self.template.spec.containers.all(c, !has(c.securityContext) || !has(c.securityContext.seccompProfile) || c.securityContext.seccompProfile.type != 'Unconfined')",message="spec.template.spec.containers[].securityContext.seccompProfile.type may not be Unconfined under spec.hardening.profile Immutable (set the profile to Baseline to allow it): use RuntimeDefault or a Localhost profile",fieldPath=".template.spec.containers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || !has(self.template.spec.initContainers) || self.template.spec.initContainers.all(c, !has(c.securityContext) || !has(c.securityContext.readOnlyRootFilesystem) || c.securityContext.readOnlyRootFilesystem)",message="spec.template.spec.initContainers[].securityContext.readOnlyRootFilesystem may not be false under spec.hardening.profile Immutable (set the profile to Baseline to allow it): an immutable container writes only to volumes",fieldPath=".template.spec.initContainers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || !has(self.template.spec.initContainers) || self.template.spec.initContainers.all(c, !has(c.securityContext) || !has(c.securityContext.allowPrivilegeEscalation) || !c.securityContext.allowPrivilegeEscalation)",message="spec.template.spec.initContainers[].securityContext.allowPrivilegeEscalation may not be true under spec.hardening.profile Immutable (set the profile to Baseline to allow it)",fieldPath=".template.spec.initContainers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || !has(self.template.spec.initContainers) || self.template.spec.initContainers.all(c, !has(c.securityContext) || !has(c.securityContext.runAsNonRoot) || c.securityContext.runAsNonRoot)",message="spec.template.spec.initContainers[].securityContext.runAsNonRoot may not be false under spec.hardening.profile Immutable (set the profile to Baseline to allow it)",fieldPath=".template.spec.initContainers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || !has(self.template.spec.initContainers) || self.template.spec.initContainers.all(c, !has(c.securityContext) || !has(c.securityContext.runAsUser) || c.securityContext.runAsUser != 0)",message="spec.template.spec.initContainers[].securityContext.runAsUser may not be 0 (root) under spec.hardening.profile Immutable (set the profile to Baseline to allow it): the kubelet would refuse to start it as runAsNonRoot requires",fieldPath=".template.spec.initContainers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || !has(self.template.spec.initContainers) || self.template.spec.initContainers.all(c, !has(c.securityContext) || !has(c.securityContext.capabilities) || !has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(a, a == 'NET_BIND_SERVICE'))",message="spec.template.spec.initContainers[].securityContext.capabilities.add may list only NET_BIND_SERVICE under spec.hardening.profile Immutable (set the profile to Baseline to allow it): every other capability stays dropped",fieldPath=".template.spec.initContainers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || !has(self.template.spec.initContainers) || self.template.spec.initContainers.all(c, !has(c.securityContext) || !has(c.securityContext.seccompProfile) || c.securityContext.seccompProfile.type != 'Unconfined')",message="spec.template.spec.initContainers[].securityContext.seccompProfile.type may not be Unconfined under spec.hardening.profile Immutable (set the profile to Baseline to allow it): use RuntimeDefault or a Localhost profile",fieldPath=".template.spec.initContainers"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || !has(self.template.spec.securityContext) || !has(self.template.spec.securityContext.runAsNonRoot) || self.template.spec.securityContext.runAsNonRoot",message="spec.template.spec.securityContext.runAsNonRoot may not be false under spec.hardening.profile Immutable (set the profile to Baseline to allow it)",fieldPath=".template.spec.securityContext.runAsNonRoot"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || !has(self.template.spec.securityContext) || !has(self.template.spec.securityContext.runAsUser) || self.template.spec.securityContext.runAsUser != 0",message="spec.template.spec.securityContext.runAsUser may not be 0 (root) under spec.hardening.profile Immutable (set the profile to Baseline to allow it)",fieldPath=".template.spec.securityContext.runAsUser"
// +kubebuilder:validation:XValidation:rule="(has(self.hardening) && has(self.hardening.profile) && self.hardening.profile != 'Immutable') || !has(self.template.spec.securityContext) || !has(self.template.spec.securityContext.seccompProfile) || self.template.spec.securityContext.seccompProfile.type != 'Unconfined'",message="spec.template.spec.securityContext.seccompProfile.type may not be Unconfined under spec.hardening.profile Immutable (set the profile to Baseline to allow it): use RuntimeDefault or a Localhost profile",fieldPath=".template.spec.securityContext.seccompProfile"
// Special categories of personal data (GDPR Art. 9) are processed only in locked-down
// containers in declared regions. The rule reads spec.hardening.profile as the API server
// defaulted it: defaulting runs before validation, so a workload that leaves the profile out
// has Immutable here.
// +kubebuilder:validation:XValidation:rule="!has(self.processing) || !self.processing.purposes.exists(p, has(p.specialCategories) && size(p.specialCategories) > 0) || (has(self.hardening) && has(self.hardening.profile) && self.hardening.profile == 'Immutable' && has(self.residency) && has(self.residency.allowedRegions) && size(self.residency.allowedRegions) > 0)",message="spec.processing.purposes[].specialCategories requires spec.hardening.profile Immutable and at least one region in spec.residency.allowedRegions: special categories of personal data (Art. 9) are processed only in locked-down containers in declared regions",messageExpression="'spec.processing.purposes[].specialCategories of purpose ' + self.processing.purposes[self.processing.purposes.map(p, has(p.specialCategories) && size(p.specialCategories) > 0).indexOf(true)].name + ' requires spec.hardening.profile Immutable and at least one region in spec.residency.allowedRegions: special categories of personal data (Art. 9) are processed only in locked-down containers in declared regions'",fieldPath=".processing.purposes"
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
	// The template needs at least one container, and every container an image the kubelet
	// can pull: [registry[:port]/]repository[:tag][@digest], the repository in lowercase
	// ("nginx:1.27", "registry.example/team/app@sha256:…"). A reference that passes this
	// check but that Amber still cannot read (a repository longer than 255 characters) stalls
	// the workload with reason InvalidReference. At most 64 containers and 64 init
	// containers, and images of at most 1024 characters: without these bounds the API
	// server would refuse the check of every image as too costly. Its labels may not preset
	// topology.kubernetes.io/ keys, which the API server fills in from the node.
	// +kubebuilder:validation:XValidation:rule="size(self.spec.containers) > 0",message="spec.template.spec.containers must list at least one container",fieldPath=".spec.containers"
	// +kubebuilder:validation:XValidation:rule="self.spec.containers.all(c, has(c.image) && size(c.image) > 0)",message="spec.template.spec.containers[].image is required: every container needs an image",fieldPath=".spec.containers"
	// +kubebuilder:validation:XValidation:rule="!has(self.spec.initContainers) || self.spec.initContainers.all(c, has(c.image) && size(c.image) > 0)",message="spec.template.spec.initContainers[].image is required: every init container needs an image",fieldPath=".spec.initContainers"
	// +kubebuilder:validation:XValidation:rule=`self.spec.containers.all(c, !has(c.image) || c.image.matches(r'^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+(?::[0-9]+)?|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?:[0-9]+|localhost|\[[a-fA-F0-9:]*:[a-fA-F0-9:]*\](?::[0-9]+)?)/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}))?$'))`,message=`spec.template.spec.containers[].image must be an image reference the kubelet can pull: write [registry[:port]/]repository[:tag][@digest] with a lowercase repository, such as nginx:1.27 or registry.example/team/app@sha256:...`,messageExpression=`'spec.template.spec.containers[].image "' + self.spec.containers[self.spec.containers.map(c, !has(c.image) || c.image.matches(r'^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+(?::[0-9]+)?|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?:[0-9]+|localhost|\[[a-fA-F0-9:]*:[a-fA-F0-9:]*\](?::[0-9]+)?)/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}))?$')).indexOf(false)].image + '" is not an image reference the kubelet can pull: write [registry[:port]/]repository[:tag][@digest] with a lowercase repository, such as nginx:1.27 or registry.example/team/app@sha256:...'`,fieldPath=".spec.containers"
	// +kubebuilder:validation:XValidation:rule=`!has(self.spec.initContainers) || self.spec.initContainers.all(c, !has(c.image) || c.image.matches(r'^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+(?::[0-9]+)?|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?:[0-9]+|localhost|\[[a-fA-F0-9:]*:[a-fA-F0-9:]*\](?::[0-9]+)?)/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}))?$'))`,message=`spec.template.spec.initContainers[].image must be an image reference the kubelet can pull: write [registry[:port]/]repository[:tag][@digest] with a lowercase repository, such as nginx:1.27 or registry.example/team/app@sha256:...`,messageExpression=`'spec.template.spec.initContainers[].image "' + self.spec.initContainers[self.spec.initContainers.map(c, !has(c.image) || c.image.matches(r'^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+(?::[0-9]+)?|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?:[0-9]+|localhost|\[[a-fA-F0-9:]*:[a-fA-F0-9:]*\](?::[0-9]+)?)/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}))?$')).indexOf(false)].image + '" is not an image reference the kubelet can pull: write [registry[:port]/]repository[:tag][@digest] with a lowercase repository, such as nginx:1.27 or registry.example/team/app@sha256:...'`,fieldPath=".spec.initContainers"
	// +kubebuilder:validation:XValidation:rule="!has(self.metadata) || !has(self.metadata.labels) || self.metadata.labels.all(k, !k.startsWith('topology.kubernetes.io/'))",message="spec.template.metadata.labels may not set topology.kubernetes.io/ labels: the API server copies the node's real region and zone onto a pod when it is bound and never overwrites a value already there, so a preset value would be forged evidence of where the pod ran",fieldPath=".metadata.labels"
	// +required
	Template corev1.PodTemplateSpec `json:"template"`

	// strategy says how pods of an older revision are replaced by pods of a new one.
	// +kubebuilder:default={}
	// +optional
	Strategy RolloutStrategy `json:"strategy,omitempty"`

	// imagePolicy says where images may come from and whether moved tags are picked up.
	// +optional
	ImagePolicy ImagePolicy `json:"imagePolicy,omitempty"`

	// revisionHistoryLimit is how many revisions that no pod runs any more are kept as
	// ControllerRevisions, with the digests they were pinned to, for exact rollbacks.
	// Defaults to 10.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +optional
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`

	// audit configures the workload's audit ledger.
	// +kubebuilder:default={}
	// +optional
	Audit AuditPolicy `json:"audit,omitempty"`

	// driftPolicy says what Amber does when a running pod is changed in place (an image
	// swapped, a debug container added, resources resized, labels edited, …).
	// +kubebuilder:default={}
	// +optional
	DriftPolicy DriftPolicy `json:"driftPolicy,omitempty"`

	// residency says where the workload's pods may run, and so where the personal data they
	// process is processed. Every pod Amber creates requires a node in an allowed region
	// (and zone); left empty, pods may run on any node.
	// +optional
	Residency Residency `json:"residency,omitempty"`

	// hardening says how the containers of the workload's pods are locked down.
	// +kubebuilder:default={}
	// +optional
	Hardening Hardening `json:"hardening,omitempty"`

	// admission says whether the API server refuses in-place changes to the workload's pods
	// (Enforce, the default), only records them (Audit), or lets them through (Off).
	// +kubebuilder:default={}
	// +optional
	Admission AdmissionPolicy `json:"admission,omitempty"`

	// processing is the workload's entry in the record of processing activities
	// (GDPR Art. 30), a guide in the order to fill it in: role and controller
	// (with dataProtectionOfficer and representative where there are any); then
	// one entry in purposes per reason the data is processed, with its lawful
	// basis, the categories of data and of people as fideslang keys, how long the
	// data is kept, where it comes from and who receives it; thirdCountryTransfers
	// if the data leaves the EU/EEA; lastReviewed. `kubectl amber records` prints
	// it beside what Amber can prove. It describes the processing, never the
	// people: no field holds data about a data subject, and parties are
	// organisations or roles, not persons.
	// +optional
	Processing *Processing `json:"processing,omitempty"`
}

// Residency restricts the nodes a workload's pods may run on to regions and zones, read
// from the node labels the manager is configured with (topology.kubernetes.io/region and
// topology.kubernetes.io/zone by default). A pod is never placed outside them to keep it
// running: with no eligible node it stays Pending.
type Residency struct {
	// allowedRegions are the regions pods may run in, as the nodes' region label spells
	// them ("eu-west-1", "europe-west3"). Empty means any region.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`
	// +listType=set
	// +optional
	AllowedRegions []string `json:"allowedRegions,omitempty"`

	// allowedZones narrow allowedRegions to these zones, as the nodes' zone label spells
	// them ("eu-west-1a"). Empty means any zone of the allowed regions.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=63
	// +kubebuilder:validation:items:Pattern=`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`
	// +listType=set
	// +optional
	AllowedZones []string `json:"allowedZones,omitempty"`
}

// RolloutStrategy bounds how far a rollout may go above or below spec.replicas. Old pods
// are deleted only once their replacements are Ready, within these bounds.
// +kubebuilder:validation:XValidation:rule="!(has(self.maxSurge) && has(self.maxUnavailable) && string(self.maxSurge) in ['0', '0%'] && string(self.maxUnavailable) in ['0', '0%'])",message="spec.strategy: maxSurge and maxUnavailable cannot both be 0, or no pod could ever be replaced"
type RolloutStrategy struct {
	// maxSurge is how many pods above spec.replicas may exist during a rollout: a number,
	// or a percentage of spec.replicas rounded up ("25%"). Defaults to 1.
	// +kubebuilder:default=1
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]+%$')",message="spec.strategy.maxSurge must be a non-negative number or a percentage such as \"25%\""
	// +optional
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`

	// maxUnavailable is how many of spec.replicas pods may be missing or not Ready during a
	// rollout: a number, or a percentage of spec.replicas rounded down. Defaults to 0: a
	// rollout never lowers the number of Ready pods.
	// +kubebuilder:default=0
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]+%$')",message="spec.strategy.maxUnavailable must be a non-negative number or a percentage such as \"25%\""
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

// ImagePolicy governs how a workload's images are pinned to digests.
type ImagePolicy struct {
	// refreshInterval, when set, makes Amber resolve the template's tags again once a
	// revision's pins are this old; a tag that moved then makes a new revision, rolled out
	// like any other. Unset (the default): images stay pinned until the template changes.
	// At least 10s; the resolution cache shares each answer between workloads on one image.
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('10s')",message="spec.imagePolicy.refreshInterval must be at least 10s"
	// +optional
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`

	// allowedRegistries lists the registry hosts ("registry.example", "127.0.0.1:5000") or
	// repository prefixes ("registry.example/payments") images may come from. An image
	// elsewhere is refused and the workload says so. Empty: any registry.
	// Docker Hub images are matched as "index.docker.io/...".
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=255
	// +kubebuilder:validation:XValidation:rule="self.all(r, !r.contains('://') && size(r) > 0)",message="spec.imagePolicy.allowedRegistries: each entry is a registry host or repository prefix such as \"registry.example/team\", without a scheme"
	// +listType=set
	// +optional
	AllowedRegistries []string `json:"allowedRegistries,omitempty"`
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

	// pinnedImages lists, for updateRevision, every image of the template and the digest it
	// was pinned to. Pods run the pinned references, never the tags as written.
	// +listType=map
	// +listMapKey=container
	// +optional
	PinnedImages []PinnedImage `json:"pinnedImages,omitempty"`

	// drift counts the pods found changed in place and tells of the last one.
	// +optional
	Drift *DriftStatus `json:"drift,omitempty"`

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

// PinnedImage is one container image of a revision, resolved to a digest.
type PinnedImage struct {
	// container is the name of the container (or init container) that runs the image.
	Container string `json:"container"`

	// image is the image as written in the pod template.
	Image string `json:"image"`

	// pinned is what pods run: repository, the tag as written, and the digest
	// (registry.example/app:1.4@sha256:…).
	Pinned string `json:"pinned"`

	// digest is the manifest's digest, or for a multi-architecture image the index's.
	Digest string `json:"digest"`

	// platforms lists the platforms (os/architecture[/variant]) of a multi-architecture
	// image's index; empty for a single-platform image.
	// +optional
	Platforms []string `json:"platforms,omitempty"`

	// platformDigests lists the digests of a multi-architecture index's platform manifests:
	// the digests a node may report running for this image.
	// +optional
	PlatformDigests []string `json:"platformDigests,omitempty"`

	// resolvedAt is when the registry was asked.
	ResolvedAt metav1.Time `json:"resolvedAt"`
}

// GDPRWorkload runs a set of identical pods that process personal data, and keeps them
// exactly as declared: Amber owns the pods directly and replaces any that go missing.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=gdprw,categories=amber
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Pods-Ready",type=integer,JSONPath=`.status.readyReplicas`,description="How many of the workload's pods are Ready"
// +kubebuilder:printcolumn:name="Revision",type=string,JSONPath=`.status.currentRevision`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,description="The workload's Ready condition"
// +kubebuilder:printcolumn:name="In-Sync",type=string,JSONPath=`.status.conditions[?(@.type=="InSync")].status`,description="The workload's InSync condition: False while a pod drifted"
// +kubebuilder:printcolumn:name="Digest",type=string,JSONPath=`.status.pinnedImages[0].digest`,description="The digest the first container's image is pinned to"
// +kubebuilder:printcolumn:name="Hardening",type=string,JSONPath=`.spec.hardening.profile`,description="The hardening profile every container of the workload's pods is locked down by"
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.status.pinnedImages[0].pinned`,priority=1
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`,priority=1
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
	// The default makes a new object's status.observedGeneration -1, so kstatus (Flux) reads it
	// as not yet observed (InProgress) rather than Current before Amber first reconciles it.
	// +kubebuilder:default={"observedGeneration":-1}
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
