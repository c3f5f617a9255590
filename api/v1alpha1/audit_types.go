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

// Labels on every AuditEvent, so that the common questions are one `kubectl get ae -l …` away.
const (
	// AuditTypeLabel holds an entry's type.
	AuditTypeLabel = "gdpr.amber.dev/type"
	// AuditReasonLabel holds an entry's reason.
	AuditReasonLabel = "gdpr.amber.dev/reason"
	// AuditPodLabel holds the name of the pod an entry is about, if any.
	AuditPodLabel = "gdpr.amber.dev/pod"
	// AuditLedgerLabel names the ledger an entry belongs to. A ledger has its workload's name,
	// so this is the workload label: `kubectl get ae -l gdpr.amber.dev/workload=NAME`.
	AuditLedgerLabel = WorkloadLabel
)

// AuditEventType says what kind of action or observation an entry records.
// +kubebuilder:validation:Enum=WorkloadCreated;WorkloadSpecChanged;WorkloadDeleted;PodCreated;PodDeleted;Checkpoint;RevisionPinned;RevisionRestored;PinningFailed;RolloutStarted;RolloutCompleted;DriftDetected;PodReplaced;PodScheduled;AccessDenied;AdmissionWouldDeny;AdmissionConfigTampered;BreakGlassGranted;BreakGlassUsed;BreakGlassEnded;PodQuarantined
type AuditEventType string

// The entry types.
const (
	// AuditWorkloadCreated: Amber saw a workload for the first time.
	AuditWorkloadCreated AuditEventType = "WorkloadCreated"
	// AuditWorkloadSpecChanged: a workload's spec changed (a new metadata.generation).
	AuditWorkloadSpecChanged AuditEventType = "WorkloadSpecChanged"
	// AuditWorkloadDeleted: a workload was deleted; the last entry of its life.
	AuditWorkloadDeleted AuditEventType = "WorkloadDeleted"
	// AuditPodCreated: Amber created a pod (or found one it created without a record).
	AuditPodCreated AuditEventType = "PodCreated"
	// AuditPodDeleted: Amber deleted a pod, or saw one of its pods deleted by someone else.
	AuditPodDeleted AuditEventType = "PodDeleted"
	// AuditCheckpoint: a signed statement of the chain's state up to the previous entry.
	AuditCheckpoint AuditEventType = "Checkpoint"
	// AuditRevisionPinned: every image of a new revision was resolved to a digest (reason
	// Pinned), or a refresh found a tag moved (reason TagMoved). The message lists the pins;
	// fingerprints.after is the hash of them.
	AuditRevisionPinned AuditEventType = "RevisionPinned"
	// AuditRevisionRestored: the template went back to an earlier content, and its revision
	// was restored with the digests recorded when it was pinned, not resolved again.
	AuditRevisionRestored AuditEventType = "RevisionRestored"
	// AuditPinningFailed: an image of a new revision could not be pinned; the reason is the
	// ImagesPinned condition's. Recorded once per revision and reason, not at every retry.
	AuditPinningFailed AuditEventType = "PinningFailed"
	// AuditRolloutStarted: pods of an older revision began to be replaced by a new revision's.
	AuditRolloutStarted AuditEventType = "RolloutStarted"
	// AuditRolloutCompleted: every pod runs the new revision.
	AuditRolloutCompleted AuditEventType = "RolloutCompleted"
	// AuditDriftDetected: a pod was found changed in place. The reason is the first kind of
	// drift found, the message lists the changed fields, the actor is the field manager that
	// made the change (from the pod's managed fields), and the fingerprints are the pod's
	// baseline (as admitted) and its state when found.
	AuditDriftDetected AuditEventType = "DriftDetected"
	// AuditPodReplaced: a drifted pod was deleted and a fresh pod of its revision took its
	// place; the message names the fresh pod.
	AuditPodReplaced AuditEventType = "PodReplaced"
	// AuditPodScheduled: a pod Amber created was bound to a node; placement names the node
	// and the region and zone its labels gave when the binding was seen. Together these
	// entries say where the workload's data was processed, and when.
	AuditPodScheduled AuditEventType = "PodScheduled"
	// AuditAccessDenied: the API server refused, on Amber's word, a request to change one of
	// the workload's pods in place, debug it, resize it, exec into, attach to or port-forward
	// to it, or to create a pod carrying its label. The actor is the requesting user and
	// request holds the operation and the user's groups, pseudonymised.
	AuditAccessDenied AuditEventType = "AccessDenied"
	// AuditAdmissionWouldDeny: as AccessDenied, under spec.admission.mode Audit: the request
	// was let through with a warning.
	AuditAdmissionWouldDeny AuditEventType = "AdmissionWouldDeny"
	// AuditAdmissionConfigTampered: Amber's admission configuration (its webhook
	// configuration, policies or bindings) was deleted or changed by someone else, and Amber
	// put it back. The actor is who changed it, when known.
	AuditAdmissionConfigTampered AuditEventType = "AdmissionConfigTampered"
	// AuditBreakGlassGranted: a BreakGlass for the workload was admitted. The actor is who
	// created it; the message names the BreakGlass, the operations, the pods and the window
	// (notBefore, notAfter), never its subjects in clear: request.groups holds the
	// pseudonymised users and groups it is for.
	AuditBreakGlassGranted AuditEventType = "BreakGlassGranted"
	// AuditBreakGlassUsed: admission let an operation on one of the workload's pods through
	// under a BreakGlass. The reason is the route (Exec, Attach, EphemeralContainers,
	// PortForward), the actor the pseudonymised user, and request holds the operation, the
	// groups and, for exec, the command's first word and an HMAC of the whole line.
	AuditBreakGlassUsed AuditEventType = "BreakGlassUsed"
	// AuditBreakGlassEnded: a BreakGlass's window closed (reason Expired) or it was deleted
	// before that (reason Deleted); the pods touched under it are replaced next.
	AuditBreakGlassEnded AuditEventType = "BreakGlassEnded"
	// AuditPodQuarantined: a step of a Quarantine on one of the workload's pods: asked for
	// (reason Requested), then taken out of service, kept for examination (reason Isolated).
	// The replacement is a PodReplaced entry (reason Quarantined), the end a PodDeleted entry
	// (reason QuarantineEnded).
	AuditPodQuarantined AuditEventType = "PodQuarantined"
)

// AuditSubject names what an entry is about. It holds references, never personal data.
type AuditSubject struct {
	// workload is the name of the GDPRWorkload, on workload entries (pod entries belong to the
	// ledger's workload, the one of the newest WorkloadCreated entry before them).
	// +optional
	Workload string `json:"workload,omitempty"`
	// workloadUID is the UID of the GDPRWorkload, which tells apart workloads that reused a name.
	// +optional
	WorkloadUID string `json:"workloadUID,omitempty"`
	// generation is the workload's metadata.generation the entry concerns, for workload entries.
	// +optional
	Generation int64 `json:"generation,omitempty"`
	// pod is the name of the pod, for pod entries.
	// +optional
	Pod string `json:"pod,omitempty"`
	// podUID is the UID of the pod, for pod entries.
	// +optional
	PodUID string `json:"podUID,omitempty"`
	// revision is the template revision the entry concerns.
	// +optional
	Revision string `json:"revision,omitempty"`
}

// AuditPlacement is where a pod ran: its node and that node's region and zone, read from
// the node labels the manager is configured with when the binding was seen.
type AuditPlacement struct {
	// node is the name of the node the pod was bound to.
	Node string `json:"node"`
	// region is the node's region label ("" when the node had none).
	// +optional
	Region string `json:"region,omitempty"`
	// zone is the node's zone label ("" when the node had none).
	// +optional
	Zone string `json:"zone,omitempty"`
}

// AuditRequest is the admission request an AccessDenied or AdmissionWouldDeny entry is about.
// It never holds a command line in clear: a command may carry personal data.
type AuditRequest struct {
	// operation is the admission operation: CREATE, UPDATE or CONNECT.
	Operation string `json:"operation"`
	// subresource is the pod subresource asked for ("exec", "ephemeralcontainers", "resize",
	// …), "" for the pod itself.
	// +optional
	Subresource string `json:"subresource,omitempty"`
	// groups are the requesting user's groups, pseudonymised as actors are.
	// +optional
	// +listType=atomic
	Groups []string `json:"groups,omitempty"`
	// command is the first word of an exec's command (the program), when there was one.
	// +optional
	Command string `json:"command,omitempty"`
	// commandHMAC is "hmac-sha256:<hex>" over the whole command, under the actor pseudonym
	// key: whoever holds the key can check whether a given command line was the one run.
	// +optional
	CommandHMAC string `json:"commandHMAC,omitempty"`
}

// AuditFingerprints are hashes of what the entry's subject was before and after the action.
// Workload entries carry spec fingerprints; pod entries need none, their subject's revision
// being the fingerprint of the template the pod was made from.
type AuditFingerprints struct {
	// before is the fingerprint before the action ("" when there was nothing).
	// +optional
	Before string `json:"before,omitempty"`
	// after is the fingerprint after the action ("" when nothing is left).
	// +optional
	After string `json:"after,omitempty"`
}

// AuditCheckpointSignature is the signed statement a Checkpoint entry carries: the sequence
// and hash of the entry just before it, in this ledger, at this time.
type AuditCheckpointSignature struct {
	// sequence is the sequence number of the entry the checkpoint covers.
	Sequence int64 `json:"sequence"`
	// hash is the hash of that entry.
	Hash string `json:"hash"`
	// keyID identifies the signing key: the first 16 hex digits of SHA-256 over its public key.
	KeyID string `json:"keyID"`
	// signature is the base64 Ed25519 signature over the checkpoint's canonical encoding
	// (see the README's ledger section).
	Signature string `json:"signature"`
}

// AuditEventSpec is one immutable ledger entry.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable: audit entries are append-only and can never be changed"
type AuditEventSpec struct {
	// ledger is the name of the AuditLedger (and of the workload) this entry belongs to.
	// +kubebuilder:validation:MinLength=1
	Ledger string `json:"ledger"`
	// sequence is the entry's place in its ledger: 1, 2, 3, … without gaps.
	// +kubebuilder:validation:Minimum=1
	Sequence int64 `json:"sequence"`
	// time is when the action happened (or was found, for a recovered entry), in UTC.
	Time metav1.Time `json:"time"`
	// type says what kind of action the entry records.
	Type AuditEventType `json:"type"`
	// reason says why, as a CamelCase word. By type: WorkloadCreated Created;
	// WorkloadSpecChanged SpecChanged; WorkloadDeleted Deleted; PodCreated ScalingUp,
	// RollingOut, Repairing, or FoundRunning (recovered); PodDeleted ScalingDown,
	// OutdatedRevision, PodFinished, Drifted, WorkloadDeleted, or DeletionObserved and FoundGone
	// (recovered); Checkpoint Signed; RevisionPinned Pinned or TagMoved; RevisionRestored
	// Rollback; PinningFailed the ImagesPinned condition's reason (RegistryUnavailable,
	// RegistryRateLimited, ImageNotFound, Unauthorized, RegistryNotAllowed, InvalidReference);
	// RolloutStarted NewRevision; RolloutCompleted AllPodsUpdated; DriftDetected the first kind
	// of drift found (Escaped, ImageChanged, EphemeralContainerAdded, ResourcesResized,
	// SpecMutated, MetadataChanged, DigestMismatch); PodReplaced Drifted; PodScheduled Bound;
	// AccessDenied and AdmissionWouldDeny what was (or would have been) refused: SpecChanged,
	// MetadataChanged, EphemeralContainers, Resize, Exec, Attach, PortForward, Impostor;
	// BreakGlassGranted Granted; BreakGlassUsed Exec, Attach, EphemeralContainers or
	// PortForward; BreakGlassEnded Expired or Deleted; PodReplaced also BreakGlassEnded or
	// Quarantined; PodQuarantined Requested or Isolated; PodDeleted also QuarantineEnded.
	// +optional
	Reason string `json:"reason,omitempty"`
	// subject names the workload, pod and revision the entry is about.
	// +optional
	Subject AuditSubject `json:"subject,omitempty"`
	// fingerprints are hashes of the subject before and after the action.
	// +optional
	Fingerprints AuditFingerprints `json:"fingerprints,omitempty"`
	// actor is who made the change: a field manager or user name, pseudonymised as
	// "hmac-sha256:<hex>" unless the manager is told otherwise; empty when unknown or omitted.
	// +optional
	Actor string `json:"actor,omitempty"`
	// message says what happened, in a sentence. It never holds personal data.
	// +optional
	Message string `json:"message,omitempty"`
	// idempotencyKey identifies the action, so that it is recorded once however often it is retried.
	// +kubebuilder:validation:MinLength=1
	IdempotencyKey string `json:"idempotencyKey"`
	// recovered is true for an entry Amber wrote from what it found rather than at the moment of
	// its own action: after a restart, for an action whose entry was lost, or for a change made
	// by someone else (a pod deleted with kubectl, say).
	// +optional
	Recovered bool `json:"recovered,omitempty"`
	// request is set on AccessDenied and AdmissionWouldDeny entries only: what was asked.
	// +optional
	Request *AuditRequest `json:"request,omitempty"`
	// placement is set on PodScheduled entries only: where the pod was bound.
	// +optional
	Placement *AuditPlacement `json:"placement,omitempty"`
	// checkpoint is set on Checkpoint entries only.
	// +optional
	Checkpoint *AuditCheckpointSignature `json:"checkpoint,omitempty"`
	// previousHash is the hash of the entry before this one ("" for the first entry).
	// +optional
	PreviousHash string `json:"previousHash,omitempty"`
	// hash is the hex SHA-256 over this entry's canonical encoding, previousHash included.
	// +kubebuilder:validation:Pattern=`^[0-9a-f]{64}$`
	Hash string `json:"hash"`
}

// AuditEvent is one entry of a workload's tamper-evident audit ledger. Entries are created by
// Amber alone and never change; `kubectl get ae -l gdpr.amber.dev/workload=NAME
// --sort-by=.spec.sequence` reads as a timeline, its Subject column naming the pod of a pod
// entry, else the workload of a workload entry.
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=ae,categories=amber
// +kubebuilder:printcolumn:name="Seq",type=integer,JSONPath=`.spec.sequence`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.spec.reason`
// +kubebuilder:printcolumn:name="Subject",type=string,JSONPath=`.spec.subject['pod','workload']`,description="The pod of a pod entry, else the workload of a workload entry"
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.spec.message`,priority=1
// +kubebuilder:printcolumn:name="Region",type=string,JSONPath=`.spec.placement.region`,priority=1,description="Where a PodScheduled entry's pod was bound"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AuditEvent struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the entry itself.
	// +required
	Spec AuditEventSpec `json:"spec"`
}

// AuditEventList is a list of AuditEvents.
// +kubebuilder:object:root=true
type AuditEventList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AuditEvent `json:"items"`
}

// AuditLedgerSpec describes one workload's ledger.
type AuditLedgerSpec struct {
	// workload is the name of the GDPRWorkload whose history this ledger holds. The ledger
	// outlives it.
	// +kubebuilder:validation:MinLength=1
	Workload string `json:"workload"`
	// retention is how long entries are kept, copied from the workload's spec.audit.retention.
	// +optional
	Retention *metav1.Duration `json:"retention,omitempty"`
}

// AuditLedgerHead is the newest entry of a ledger.
type AuditLedgerHead struct {
	// sequence is the newest entry's sequence number (0 for an empty ledger).
	Sequence int64 `json:"sequence"`
	// hash is the newest entry's hash.
	// +optional
	Hash string `json:"hash,omitempty"`
}

// AuditLedgerCheckpoint is a signed checkpoint, as recorded in the chain.
type AuditLedgerCheckpoint struct {
	// entry is the sequence number of the Checkpoint entry that carries it.
	Entry int64 `json:"entry"`
	// time is when it was signed.
	Time                     metav1.Time `json:"time"`
	AuditCheckpointSignature `json:",inline"`
}

// AuditLedgerStatus is the ledger's head, checkpoints and verification.
type AuditLedgerStatus struct {
	// observedGeneration is the metadata.generation of the spec this status describes. It
	// moves once a reconcile handled that spec without error (a new retention applied, say).
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// head is the newest entry; appends advance it with optimistic concurrency, so no two
	// entries take the same place.
	// +optional
	Head AuditLedgerHead `json:"head,omitempty"`
	// entries is how many entries the ledger holds (fewer than head.sequence once retention
	// removed old ones).
	// +optional
	Entries int64 `json:"entries,omitempty"`
	// firstSequence is the oldest entry still kept.
	// +optional
	FirstSequence int64 `json:"firstSequence,omitempty"`
	// checkpoints are the most recent signed checkpoints, newest last.
	// +optional
	// +listType=atomic
	Checkpoints []AuditLedgerCheckpoint `json:"checkpoints,omitempty"`
	// verifiedSequence is the newest entry up to which the chain was verified.
	// +optional
	VerifiedSequence int64 `json:"verifiedSequence,omitempty"`
	// lastVerified is when Amber last verified something new and found it sound: entries
	// past verifiedSequence, or the whole chain (every --audit-full-verify-interval, 10
	// minutes by default).
	// +optional
	LastVerified *metav1.Time `json:"lastVerified,omitempty"`
	// conditions: Verified is True when the chain and its checkpoints verify, False with the
	// first bad sequence number in the message otherwise (reason ChainBroken). Ready is True
	// when the chain verifies and everything due on the ledger is done (retention copied, due
	// checkpoint signed, expired entries removed); it is always present. Stalled is True,
	// reason Tampered, while the chain does not verify: only a person can deal with that, and
	// meanwhile retention removes nothing (Ready is then False, reason Tampered). Reconciling
	// is True, reason ReconcileFailed, while a failed step is retried (Ready is then False,
	// reason ReconcileFailed). Reconciling and Stalled are absent when not True.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AuditLedger is the head and checkpoints of one workload's audit trail; it has the
// workload's name and outlives it.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=al,categories=amber
// +kubebuilder:printcolumn:name="Entries",type=integer,JSONPath=`.status.entries`
// +kubebuilder:printcolumn:name="Head",type=integer,JSONPath=`.status.head.sequence`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Verified",type=string,JSONPath=`.status.conditions[?(@.type=="Verified")].status`
// +kubebuilder:printcolumn:name="Last Verified",type=date,JSONPath=`.status.lastVerified`,description="When Amber last verified something new and found it sound"
// +kubebuilder:printcolumn:name="Message",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].message`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type AuditLedger struct {
	metav1.TypeMeta `json:",inline"`

	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec names the workload and the retention.
	// +required
	Spec AuditLedgerSpec `json:"spec"`

	// status is written by Amber only.
	// The default makes a new object's status.observedGeneration -1, so kstatus (Flux) reads it
	// as not yet observed (InProgress) rather than Current before Amber first reconciles it.
	// +kubebuilder:default={"observedGeneration":-1}
	// +optional
	Status AuditLedgerStatus `json:"status,omitempty"`
}

// AuditLedgerList is a list of AuditLedgers.
// +kubebuilder:object:root=true
type AuditLedgerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AuditLedger `json:"items"`
}

func init() {
	register(&AuditEvent{}, &AuditEventList{}, &AuditLedger{}, &AuditLedgerList{})
}
