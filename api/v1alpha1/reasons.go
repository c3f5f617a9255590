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

// AuditReason is the reason of a ledger entry (spec.reason, and the gdpr.amber.dev/reason
// label users select entries by). The values are a public interface: they never change
// meaning. Beside the constants below, an entry's reason can be a kind of drift (DriftReason,
// on DriftDetected), a pinning failure's reason (ImagesPinned condition reasons, on
// PinningFailed) or what a pod was created for (the Reconciling reasons ScalingUp,
// RollingOut and Repairing, on PodCreated).
type AuditReason string

// Reasons of workload entries.
const (
	// AuditReasonCreated (WorkloadCreated): the workload was created.
	AuditReasonCreated AuditReason = "Created"
	// AuditReasonSpecChanged (WorkloadSpecChanged): a new generation of the spec.
	AuditReasonSpecChanged AuditReason = "SpecChanged"
	// AuditReasonHardeningChanged (WorkloadSpecChanged): a new generation of the spec that
	// changed spec.hardening.profile; the message says from which profile to which. The pods
	// then roll out to a revision under the new profile.
	AuditReasonHardeningChanged AuditReason = "HardeningChanged"
	// AuditReasonDeleted (WorkloadDeleted): the workload was deleted and its pods are gone.
	AuditReasonDeleted AuditReason = "Deleted"
)

// Reasons of pod entries.
const (
	// AuditReasonFoundRunning (PodCreated, recovered): a pod of the workload exists with no
	// PodCreated entry (the entry was lost in a crash between creating the pod and recording it).
	AuditReasonFoundRunning AuditReason = "FoundRunning"
	// AuditReasonDeletionObserved (PodDeleted, recovered): a pod of the workload is being
	// deleted with no PodDeleted entry (someone else deleted it, or the entry was lost in a crash).
	AuditReasonDeletionObserved AuditReason = "DeletionObserved"
	// AuditReasonFoundGone (PodDeleted, recovered): a pod with a PodCreated entry no longer
	// exists and nothing recorded its deletion.
	AuditReasonFoundGone AuditReason = "FoundGone"
	// AuditReasonWorkloadDeleted (PodDeleted): Amber deleted the pod because its workload is
	// being deleted.
	AuditReasonWorkloadDeleted AuditReason = "WorkloadDeleted"
	// AuditReasonPodFinished (PodDeleted): the pod's containers exited for good (Succeeded or
	// Failed); a fresh pod replaces it.
	AuditReasonPodFinished AuditReason = "PodFinished"
	// AuditReasonOutdatedRevision (PodDeleted): the pod ran an older revision and a rollout
	// replaced it.
	AuditReasonOutdatedRevision AuditReason = "OutdatedRevision"
	// AuditReasonScalingDown (PodDeleted): the workload asks for fewer pods.
	AuditReasonScalingDown AuditReason = "ScalingDown"
	// AuditReasonDrifted (PodDeleted, PodReplaced): the pod was changed in place and Amber
	// replaced it by a fresh pod of its revision.
	AuditReasonDrifted AuditReason = "Drifted"
	// AuditReasonBound (PodScheduled): the scheduler bound the pod to a node.
	AuditReasonBound AuditReason = "Bound"
)

// Reasons of admission configuration entries: Amber's webhook configuration, its
// ValidatingAdmissionPolicy or the policy's binding was not what Amber installed, and Amber
// put it back. Such an entry goes to the ledger of every governed workload, since each lost
// its protection while it lasted.
const (
	// AuditReasonConfigDeleted (AdmissionConfigTampered): the object was deleted, and Amber
	// created it again. The API server does not say who deletes an object (no field manager
	// survives it), so the entry has no actor; the API server's audit log, where enabled, has.
	AuditReasonConfigDeleted AuditReason = "ConfigDeleted"
	// AuditReasonConfigChanged (AdmissionConfigTampered): the object was changed, and Amber
	// put its own version back. The actor is the field manager of the latest write by anyone
	// but Amber: admission configuration is never sent to webhooks, so the user is not known.
	AuditReasonConfigChanged AuditReason = "ConfigChanged"
)

// Reasons of incident-response entries: break-glass and quarantine.
const (
	// AuditReasonGranted (BreakGlassGranted): a BreakGlass was admitted; its window is open.
	AuditReasonGranted AuditReason = "Granted"
	// AuditReasonExpired (BreakGlassEnded): the window closed at its notAfter.
	AuditReasonExpired AuditReason = "Expired"
	// AuditReasonBreakGlassDeleted (BreakGlassEnded): the BreakGlass was deleted before its
	// window closed.
	AuditReasonBreakGlassDeleted AuditReason = "Deleted"
	// AuditReasonBreakGlassEnded (PodReplaced): a pod touched under a BreakGlass was replaced
	// by a fresh pod of its revision once the BreakGlass ended: a pod a person was inside
	// never goes back into service.
	AuditReasonBreakGlassEnded AuditReason = "BreakGlassEnded"
	// AuditReasonRequested (PodQuarantined): a Quarantine of the pod was asked for.
	AuditReasonRequested AuditReason = "Requested"
	// AuditReasonQuarantined (PodReplaced): a fresh pod was made to take a quarantined pod's
	// place, before the quarantined pod left service.
	AuditReasonQuarantined AuditReason = "Quarantined"
	// AuditReasonIsolated (PodQuarantined): the pod left every Service (its template labels
	// removed) and a NetworkPolicy denies all its traffic; it is kept for examination.
	AuditReasonIsolated AuditReason = "Isolated"
	// AuditReasonQuarantineEnded (PodDeleted): a quarantined pod was deleted, its keep time
	// over or its Quarantine deleted.
	AuditReasonQuarantineEnded AuditReason = "QuarantineEnded"
)

// AuditReasonSigned (Checkpoint): a checkpoint signed over the chain before it.
const AuditReasonSigned AuditReason = "Signed"

// DriftReason names a kind of drift: the reason of a DriftDetected entry, of the InSync
// condition while a drifted pod exists, and the label of amber_drift_detected_total. The
// values are stable.
type DriftReason string

// The kinds of drift, in the order they are reported.
const (
	// DriftOutOfRegion: the pod runs on a node outside spec.residency (the node was
	// relabelled after the pod was scheduled, or the residency was narrowed). Processing
	// stops: the pod is deleted at once unless the policy is Report, even when no allowed
	// node can take its place.
	DriftOutOfRegion DriftReason = "OutOfRegion"
	// DriftEscaped: the pod's workload label or controller reference was removed.
	DriftEscaped DriftReason = "Escaped"
	// DriftImageChanged: a container or init container image was edited in place.
	DriftImageChanged DriftReason = "ImageChanged"
	// DriftEphemeralContainerAdded: an ephemeral (debug) container was added.
	DriftEphemeralContainerAdded DriftReason = "EphemeralContainerAdded"
	// DriftResourcesResized: container resources changed (the pods/resize subresource).
	DriftResourcesResized DriftReason = "ResourcesResized"
	// DriftSpecMutated: another mutable field of the spec changed.
	DriftSpecMutated DriftReason = "SpecMutated"
	// DriftMetadataChanged: labels or annotations were edited.
	DriftMetadataChanged DriftReason = "MetadataChanged"
	// DriftDigestMismatch: a container runs an image whose digest is not the pinned one.
	DriftDigestMismatch DriftReason = "DigestMismatch"
)

// Reasons of revision and rollout entries.
const (
	// AuditReasonPinned (RevisionPinned): the first revision of a template, its images pinned.
	AuditReasonPinned AuditReason = "Pinned"
	// AuditReasonTagMoved (RevisionPinned): a refresh found a tag moved; the new digests make
	// a revision of their own.
	AuditReasonTagMoved AuditReason = "TagMoved"
	// AuditReasonRollback (RevisionRestored): the template went back to an earlier revision,
	// which runs again with the digests recorded when it was pinned.
	AuditReasonRollback AuditReason = "Rollback"
	// AuditReasonNewRevision (RolloutStarted): pods of one revision are being replaced by
	// pods of another.
	AuditReasonNewRevision AuditReason = "NewRevision"
	// AuditReasonAllPodsUpdated (RolloutCompleted): every pod runs the new revision.
	AuditReasonAllPodsUpdated AuditReason = "AllPodsUpdated"
)

// Event reasons: stable, so that users can filter events on them.
const (
	// EventPodCreated (Normal): Amber created a pod.
	EventPodCreated = "PodCreated"
	// EventPodDeleted (Normal): Amber deleted a pod; the message says why.
	EventPodDeleted = "PodDeleted"
	// EventPodRejected (Warning): the API server refused a pod made from the template.
	EventPodRejected = "PodRejected"
	// EventPodCreateFailed (Warning): creating a pod failed for a reason that may pass.
	EventPodCreateFailed = "PodCreateFailed"
	// EventPodDeleteFailed (Warning): deleting a pod failed.
	EventPodDeleteFailed = "PodDeleteFailed"
	// EventRevisionPinned (Normal): a revision's images were pinned to digests.
	EventRevisionPinned = "RevisionPinned"
	// EventRevisionRestored (Normal): an earlier revision runs again.
	EventRevisionRestored = "RevisionRestored"
	// EventPinningFailed (Warning): an image of the template could not be pinned.
	EventPinningFailed = "PinningFailed"
	// EventDriftDetected (Warning): a pod was changed in place.
	EventDriftDetected = "DriftDetected"
	// EventPodReplaced (Normal): a drifted pod was replaced by a fresh pod of its revision.
	EventPodReplaced = "PodReplaced"
	// EventDriftLoop (Warning): replacement pods keep drifting the same way; Amber stops
	// replacing them.
	EventDriftLoop = "DriftLoop"
	// EventAdmissionConfigTampered (Warning): Amber's admission configuration was deleted or
	// changed by someone else; Amber put it back. Recorded on every governed workload.
	EventAdmissionConfigTampered = "AdmissionConfigTampered"
)

// AdmissionReason says what a person tried to do to a governed pod that the API server asked
// Amber about and Amber refused (or, in Audit mode, would have refused): the reason of an
// AccessDenied or AdmissionWouldDeny entry, and of the event that goes with it. The values
// are stable.
type AdmissionReason string

// The refused routes, in the order they are checked on an update: the spec before the metadata.
const (
	// AdmissionSpecChanged (AccessDenied, AdmissionWouldDeny): an update or patch of the pod's
	// spec (kubectl set image, kubectl edit, kubectl patch).
	AdmissionSpecChanged AdmissionReason = "SpecChanged"
	// AdmissionMetadataChanged (AccessDenied, AdmissionWouldDeny): an update or patch of the
	// pod's labels or annotations outside spec.driftPolicy.ignoreMetadata, or of its owner
	// references by anyone but the garbage collector (kubectl label, kubectl annotate).
	AdmissionMetadataChanged AdmissionReason = "MetadataChanged"
	// AdmissionEphemeralContainers (AccessDenied, AdmissionWouldDeny): an ephemeral container
	// added through pods/ephemeralcontainers (kubectl debug).
	AdmissionEphemeralContainers AdmissionReason = "EphemeralContainers"
	// AdmissionResize (AccessDenied, AdmissionWouldDeny): container resources changed through
	// pods/resize.
	AdmissionResize AdmissionReason = "Resize"
	// AdmissionExec (AccessDenied, AdmissionWouldDeny): a command run in a container through
	// pods/exec (kubectl exec); the entry holds its first word and an HMAC of the whole.
	AdmissionExec AdmissionReason = "Exec"
	// AdmissionAttach (AccessDenied, AdmissionWouldDeny): attaching to a running container
	// through pods/attach (kubectl attach).
	AdmissionAttach AdmissionReason = "Attach"
	// AdmissionPortForward (AccessDenied, AdmissionWouldDeny): a port forwarded into the pod
	// through pods/portforward (kubectl port-forward).
	AdmissionPortForward AdmissionReason = "PortForward"
	// AdmissionImpostor (AccessDenied, AdmissionWouldDeny): a pod created, or an existing pod
	// labelled, with Amber's workload label by someone other than Amber. It is recorded in the
	// ledger of the workload the label names, when that workload exists.
	AdmissionImpostor AdmissionReason = "Impostor"
)

// Admission event reasons, on the workload whose pod was concerned.
const (
	// EventAccessDenied (Warning): the API server refused a change, debug container, resize,
	// exec, attach or port-forward on one of the workload's pods, or an impostor pod.
	EventAccessDenied = "AccessDenied"
	// EventAdmissionWouldDeny (Warning): in Audit mode, such a request was let through and
	// recorded.
	EventAdmissionWouldDeny = "AdmissionWouldDeny"
)

// Incident-response event reasons.
const (
	// EventBreakGlassGranted (Warning, on the workload and the BreakGlass): a window opened.
	EventBreakGlassGranted = "BreakGlassGranted"
	// EventBreakGlassUsed (Warning, on the workload): an operation was let through under a
	// BreakGlass.
	EventBreakGlassUsed = "BreakGlassUsed"
	// EventBreakGlassEnded (Normal, on the workload and the BreakGlass): a window closed; its
	// touched pods are replaced.
	EventBreakGlassEnded = "BreakGlassEnded"
	// EventPodQuarantined (Warning, on the workload and the Quarantine): a pod was taken out
	// of service and kept.
	EventPodQuarantined = "PodQuarantined"
	// EventQuarantineEnded (Normal, on the workload and the Quarantine): a quarantined pod
	// was deleted.
	EventQuarantineEnded = "QuarantineEnded"
	// EventRolledBack (Normal, on the workload): `kubectl amber rollback` set the template
	// back to an earlier revision.
	EventRolledBack = "RolledBack"
)

// Condition reasons of BreakGlass and Quarantine (kstatus: Ready, Reconciling, Stalled).
const (
	// ReasonWindowOpen (BreakGlass Ready=True): the window is open.
	ReasonWindowOpen = "WindowOpen"
	// ReasonReplacingTouchedPods (BreakGlass Ready=False, Reconciling=True): the window
	// closed and pods touched under it are being replaced.
	ReasonReplacingTouchedPods = "ReplacingTouchedPods"
	// ReasonTouchedPodsReplaced (BreakGlass Ready=True): the window closed and no pod
	// touched under it is left in service.
	ReasonTouchedPodsReplaced = "TouchedPodsReplaced"
	// ReasonWorkloadNotFound (BreakGlass, Quarantine: Ready=False, Stalled=True): the named
	// workload, or the pod's workload, does not exist.
	ReasonWorkloadNotFound = "WorkloadNotFound"
	// ReasonPodNotFound (Quarantine Ready=False, Stalled=True): the named pod does not exist,
	// or belongs to no GDPRWorkload.
	ReasonPodNotFound = "PodNotFound"
	// ReasonReplacing (Quarantine Ready=False, Reconciling=True): a fresh pod is being made
	// to take the suspect pod's place.
	ReasonReplacing = "Replacing"
	// ReasonIsolated (Quarantine Ready=True): the pod is out of service and kept.
	ReasonIsolated = "Isolated"
	// ReasonReleased (Quarantine Ready=True): the pod was deleted.
	ReasonReleased = "Released"
)
