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

package controllers

import (
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/kstatus"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// keptCheckpoints is how many of the newest checkpoints a ledger's status lists.
const keptCheckpoints = 5

// summarizeLedger writes what one reconcile learnt into the ledger's status. It runs even
// when a step failed, so that the conditions always say why the ledger is not Ready; what the
// reconcile did not get to (entries not listed, a chain not verified) keeps its last value.
func summarizeLedger(scope *ledgerScope, reconcileErr error) {
	l := scope.ledger
	status := &l.Status
	if scope.listed {
		setLedgerEntries(status, scope.entries)
	}
	if scope.report != nil {
		setVerification(status, *scope.report, scope.full, scope.now)
		setVerifiedCondition(&status.Conditions, l.Generation, *scope.report, status.FirstSequence)
	}
	setReadyCondition(&status.Conditions, &status.ObservedGeneration, l.Generation, meta.FindStatusCondition(status.Conditions, gdprv1alpha1.VerifiedCondition), reconcileErr)
}

// setLedgerEntries describes the entries kept: how many, the oldest and newest, and the
// newest checkpoints.
func setLedgerEntries(status *gdprv1alpha1.AuditLedgerStatus, entries []gdprv1alpha1.AuditEvent) {
	status.Entries = int64(len(entries))
	status.FirstSequence, status.Head = 0, gdprv1alpha1.AuditLedgerHead{}
	if n := len(entries); n > 0 {
		status.FirstSequence = entries[0].Spec.Sequence
		status.Head = gdprv1alpha1.AuditLedgerHead{Sequence: entries[n-1].Spec.Sequence, Hash: entries[n-1].Spec.Hash}
	}
	status.Checkpoints = status.Checkpoints[:0]
	for i := len(entries) - 1; i >= 0 && len(status.Checkpoints) < keptCheckpoints; i-- {
		if e := &entries[i]; e.Spec.Type == gdprv1alpha1.AuditCheckpoint && e.Spec.Checkpoint != nil {
			status.Checkpoints = append(status.Checkpoints, gdprv1alpha1.AuditLedgerCheckpoint{Entry: e.Spec.Sequence, Time: e.Spec.Time, AuditCheckpointSignature: *e.Spec.Checkpoint})
		}
	}
	slices.Reverse(status.Checkpoints)
}

// setVerification moves verifiedSequence and lastVerified after a verification that found the
// chain sound. lastVerified moves when verification found something new sound: the whole
// chain, or entries past the verified head. Stamping every reconcile would make each one a
// status write, for every ledger, all the time; a broken chain, verified in full on every
// reconcile, keeps the time it last verified.
func setVerification(status *gdprv1alpha1.AuditLedgerStatus, report ledger.Report, full bool, now time.Time) {
	if report.Problem != nil {
		return
	}
	if full || status.LastVerified == nil || report.Head != status.VerifiedSequence {
		status.LastVerified = &metav1.Time{Time: now.Truncate(time.Second)}
	}
	status.VerifiedSequence = report.Head
}

// setVerifiedCondition reports a verification's outcome: the first bad entry, or the entries
// verified from the oldest kept (firstKept) and how many await a checkpoint.
func setVerifiedCondition(conditions *[]metav1.Condition, generation int64, report ledger.Report, firstKept int64) {
	condition := metav1.Condition{Type: gdprv1alpha1.VerifiedCondition, ObservedGeneration: generation}
	if p := report.Problem; p != nil {
		condition.Status, condition.Reason, condition.Message = metav1.ConditionFalse, gdprv1alpha1.ReasonChainBroken, p.Error()
	} else {
		condition.Status, condition.Reason = metav1.ConditionTrue, gdprv1alpha1.ReasonChainVerified
		condition.Message = fmt.Sprintf("Entries %d to %d verified; %d not yet covered by a signed checkpoint", firstKept, report.Head, report.Unsigned)
	}
	meta.SetStatusCondition(conditions, condition)
}

// setReadyCondition sets Ready, Reconciling and Stalled (kstatus.Summarize) from the ledger's
// Verified condition (nil when never verified) and the reconcile's error, as ledgerReadiness
// decides.
func setReadyCondition(conditions *[]metav1.Condition, observedGeneration *int64, generation int64, verified *metav1.Condition, reconcileErr error) {
	kstatus.Summarize(conditions, observedGeneration, generation, ledgerReadiness(verified, reconcileErr))
}

// ledgerReadiness is where a ledger stands: Failed while the chain does not verify, which only
// a person can deal with; InProgress while a failed step is retried (holding
// observedGeneration back: the status may not show what the spec asks for, a new retention
// say); else Current. A broken chain outranks a failed step: retrying cannot mend it.
func ledgerReadiness(verified *metav1.Condition, reconcileErr error) kstatus.Summary {
	switch {
	case verified != nil && verified.Status == metav1.ConditionFalse:
		return kstatus.Summary{State: kstatus.Failed, Reason: gdprv1alpha1.ReasonTampered, Message: "The audit chain does not verify: " + verified.Message}
	case reconcileErr != nil:
		return kstatus.Summary{State: kstatus.InProgress, Reason: gdprv1alpha1.ReasonReconcileFailed, Message: reconcileErr.Error(), Retrying: true}
	}
	// A reconcile that ends without error has verified: Verified is there.
	var message string
	if verified != nil {
		message = verified.Message
	}
	return kstatus.Summary{State: kstatus.Current, Reason: gdprv1alpha1.ReasonChainVerified, Message: message}
}

// chainBroke reports whether the conditions went from a chain not known to be broken to a
// broken one: the transition the LedgerTampered event marks.
func chainBroke(before, after []metav1.Condition) bool {
	return meta.IsStatusConditionFalse(after, gdprv1alpha1.VerifiedCondition) && !meta.IsStatusConditionFalse(before, gdprv1alpha1.VerifiedCondition)
}
