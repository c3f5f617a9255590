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

package retire

import gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"

// QuarantineFound is what the Quarantine controller found of a Quarantine and its pod.
type QuarantineFound struct {
	// Phase is the Quarantine's status.phase.
	Phase gdprv1alpha1.QuarantinePhase
	// Deleting is true once the Quarantine has a deletion timestamp.
	Deleting bool
	// Requested is true once status.podUID is set: the pod was found, its workload known, and
	// the request recorded.
	Requested bool
	// PodExists is true while the pod of status.podUID exists (being deleted or not).
	PodExists bool
	// Released is true once the pod carries QuarantinedLabel with the Quarantine's name: the
	// workload reconciler took it out of service.
	Released bool
	// ReplacementRecorded is true once the pod's PodReplaced entry is in the ledger.
	ReplacementRecorded bool
}

// QuarantineStep is what the Quarantine controller does next.
type QuarantineStep string

const (
	// StepRequest: find the pod and its workload, record PodQuarantined Requested, and set
	// status.workload and status.podUID (phase Replacing).
	StepRequest QuarantineStep = "Request"
	// StepAwaitRelease: the workload reconciler is making a fresh pod; the suspect pod serves
	// until it is Ready (phase Replacing).
	StepAwaitRelease QuarantineStep = "AwaitRelease"
	// StepAwaitEntry: the pod left service but its PodReplaced entry is not in the ledger
	// yet; look again shortly, so that the ledger says replaced before isolated.
	StepAwaitEntry QuarantineStep = "AwaitEntry"
	// StepIsolate: create the NetworkPolicy, record PodQuarantined Isolated and set
	// isolatedAt and deleteAfter (phase Isolated); wait until deleteAfter.
	StepIsolate QuarantineStep = "Isolate"
	// StepRelease: the pod is gone; delete the NetworkPolicy (phase Released). The
	// Quarantine stays as the record.
	StepRelease QuarantineStep = "Release"
	// StepAwaitDeletion: the Quarantine is being deleted and its pod still exists; the
	// workload reconciler deletes it.
	StepAwaitDeletion QuarantineStep = "AwaitDeletion"
	// StepFinalize: the Quarantine is being deleted and its pod is gone (or was never
	// found): delete the NetworkPolicy, mark it Released, remove the finalizer.
	StepFinalize QuarantineStep = "Finalize"
	// StepNone: released and kept as the record.
	StepNone QuarantineStep = "None"
)

// NextQuarantineStep decides the Quarantine controller's next step from what it found. The
// pod's own steps (the fresh pod, its release, its deletion) are the workload reconciler's
// (Decide): this only follows them.
func NextQuarantineStep(f QuarantineFound) QuarantineStep {
	live := f.Requested && f.Phase != gdprv1alpha1.QuarantineReleased && f.PodExists
	switch {
	case f.Deleting && live:
		return StepAwaitDeletion
	case f.Deleting:
		return StepFinalize
	case f.Phase == gdprv1alpha1.QuarantineReleased:
		return StepNone
	case !f.Requested:
		return StepRequest
	case !f.PodExists:
		return StepRelease
	case !f.Released:
		return StepAwaitRelease
	case !f.ReplacementRecorded:
		return StepAwaitEntry
	default:
		return StepIsolate
	}
}
