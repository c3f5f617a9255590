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
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/drift"
	"github.com/amber-gdpr/amber/internal/failpoint"
)

// replacementFor names the drifted pod a new pod replaces, if any drifted pod still waits for
// one (none of the workload's pods names it, and none made in this reconcile): a running one
// first, then one found gone with its repair unrecorded.
func (scope *workloadScope) replacementFor() string {
	replaced := map[string]bool{}
	for i := range scope.pods.owned {
		if r := scope.pods.owned[i].Annotations[ReplacesAnnotation]; r != "" {
			replaced[r] = true
		}
	}
	candidates := append(slices.Clone(scope.pods.owned), scope.pods.escaped...)
	for i := range candidates {
		pod := &candidates[i]
		_, taken := scope.drift.replacedBy[pod.Name]
		if d, ok := scope.drift.found[pod.UID]; ok && d.replace && !replaced[pod.Name] && !taken {
			return pod.Name
		}
		// A pod retired for an incident is replaced as a drifted pod is (retirePods).
		if scope.retire.decision.Replacing(string(pod.UID)) && !replaced[pod.Name] && !taken {
			return pod.Name
		}
	}
	// Then gone drifted pods whose replacement a crash kept from being made.
	for _, name := range scope.drift.awaiting {
		if _, taken := scope.drift.replacedBy[name]; !taken && !replaced[name] {
			return name
		}
	}
	return ""
}

// recordReplaced writes the PodReplaced entry of a drifted pod Amber just deleted, naming
// its replacement, and counts the repair.
func (r *GDPRWorkloadReconciler) recordReplaced(ctx context.Context, scope *workloadScope, old *corev1.Pod) error {
	replacement := scope.drift.replacedBy[old.Name]
	for i := range scope.pods.owned {
		if scope.pods.owned[i].Annotations[ReplacesAnnotation] == old.Name {
			replacement = scope.pods.owned[i].Name
		}
	}
	return r.appendReplaced(ctx, scope, old, replacement, false)
}

// recordRecoveredRepairs writes the PodReplaced entries a crash lost: of drifted pods that are
// gone with no record of their replacement (drift.UnrecordedRepairs decides which), marked
// recovered. It runs after recordObservedPods, so such a pod's PodDeleted entry comes first.
// A gone pod whose replacement is yet to be made is left to reconcilePods, which names it in
// the replaces annotation of the next pod it makes; its entry is written once that pod shows.
func (r *GDPRWorkloadReconciler) recordRecoveredRepairs(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	recorded, err := r.Ledger.Unrepaired(ctx, w.Namespace, w.Name)
	if err != nil || len(recorded) == 0 {
		return err
	}
	unrepaired := make([]drift.UnrepairedPod, 0, len(recorded))
	for uid, pod := range recorded {
		unrepaired = append(unrepaired, drift.UnrepairedPod{UID: uid, Name: pod.Name})
	}
	live := make([]drift.LivePod, 0, len(scope.pods.owned)+len(scope.pods.escaped))
	for i := range scope.pods.owned {
		if pod := &scope.pods.owned[i]; pod.DeletionTimestamp == nil {
			live = append(live, drift.LivePod{UID: string(pod.UID), Name: pod.Name, Replaces: pod.Annotations[ReplacesAnnotation], Owned: true})
		}
	}
	// recordObservedPods keeps only the escaped pods that still run.
	for i := range scope.pods.escaped {
		pod := &scope.pods.escaped[i]
		live = append(live, drift.LivePod{UID: string(pod.UID), Name: pod.Name, Replaces: pod.Annotations[ReplacesAnnotation]})
	}
	repairs, awaiting := drift.UnrecordedRepairs(unrepaired, live, int(desiredReplicas(w)))
	scope.drift.awaiting = awaiting
	for _, repair := range repairs {
		old := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
			Name: repair.Pod.Name, Namespace: w.Namespace, UID: types.UID(repair.Pod.UID),
			Labels: map[string]string{gdprv1alpha1.RevisionLabel: recorded[repair.Pod.UID].Revision},
		}}
		if err := r.appendReplaced(ctx, scope, old, repair.Replacement, true); err != nil {
			return err
		}
	}
	return nil
}

// appendReplaced writes a drifted pod's PodReplaced entry naming its replacement, if any, and
// counts the repair. A recovered entry is written by a manager that found the pod gone: it
// does not know who deleted it, nor when the drift it did not see repaired was found.
func (r *GDPRWorkloadReconciler) appendReplaced(ctx context.Context, scope *workloadScope, old *corev1.Pod, replacement string, recovered bool) error {
	w := scope.workload
	revision := old.Labels[gdprv1alpha1.RevisionLabel]
	actor, message := ownActor, fmt.Sprintf("Replaced drifted pod %s", old.Name)
	if replacement != "" {
		message += " by fresh pod " + replacement
	}
	message += " of revision " + revision
	if recovered {
		message = fmt.Sprintf("Found drifted pod %s of revision %s gone with no record of its replacement; ", old.Name, revision)
		if replacement != "" {
			message += "fresh pod " + replacement + " replaced it"
		} else {
			// Nobody replaced it: the workload needed no pod in its place.
			actor, message = "", message+"the workload needed no fresh pod in its place"
		}
	}
	wrote, err := scope.ledger.append(ctx, gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditPodReplaced,
		Reason:         string(gdprv1alpha1.AuditReasonDrifted),
		Subject:        podSubject(old),
		Actor:          actor,
		Message:        message,
		IdempotencyKey: string(old.UID) + "/PodReplaced",
		Recovered:      recovered,
	})
	if err != nil || !wrote {
		return err
	}
	// Measured to when the entry is written, not to the reconcile's start: the repair
	// includes the API calls of this reconcile.
	if at, ok := r.drift.forget(old.UID); ok {
		driftRepairSeconds.Observe(time.Since(at).Seconds())
	}
	driftReplacements.Inc()
	r.Recorder.Eventf(w, old, corev1.EventTypeNormal, gdprv1alpha1.EventPodReplaced, "ReplacePod", "%s", message)
	return nil
}

// tallyDrift copies what the ledger records of drift into the workload's status: the ledger,
// not a counter in the status, is the authority, so that a status write lost to a conflict
// or a restart cannot make the counts wrong.
func (r *GDPRWorkloadReconciler) tallyDrift(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	tally, err := scope.ledger.drift(ctx)
	if err != nil {
		return err
	}
	if tally.Last == nil && w.Status.Drift == nil {
		return nil
	}
	status := driftStatus(w)
	status.Detected = status.Detected[:0]
	for reason, n := range tally.Detected {
		status.Detected = append(status.Detected, gdprv1alpha1.DriftCount{Reason: reason, Count: n})
	}
	slices.SortFunc(status.Detected, func(a, b gdprv1alpha1.DriftCount) int { return strings.Compare(a.Reason, b.Reason) })
	status.Replaced = tally.Replaced
	status.Repeated = int32(scope.drift.repeated)
	if last := tally.Last; last != nil {
		record := &gdprv1alpha1.DriftRecord{Pod: last.Pod, Reason: last.Reason, DetectedAt: metav1.NewTime(last.DetectedAt)}
		switch {
		case scope.drift.paths[last.Pod] != nil:
			record.Paths = scope.drift.paths[last.Pod]
		case status.Last != nil && status.Last.Pod == last.Pod:
			record.Paths = status.Last.Paths
		}
		if !last.RepairedAt.IsZero() {
			record.RepairedAt = &metav1.Time{Time: last.RepairedAt}
		}
		status.Last = record
	}
	return nil
}

// repairEscaped deletes escaped pods that are to be replaced: at once under
// ReplaceImmediately, otherwise once the workload's own pods are all Ready (the escaped pod
// no longer counts, so its replacement was made as soon as it escaped).
func (r *GDPRWorkloadReconciler) repairEscaped(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	immediately := w.Spec.DriftPolicy.Action == gdprv1alpha1.DriftReplaceImmediately
	for i := range scope.pods.escaped {
		pod := &scope.pods.escaped[i]
		if !scope.drift.found[pod.UID].replace {
			continue
		}
		if !immediately && w.Status.ReadyReplicas < desiredReplicas(w) && readyOwned(scope) < int(desiredReplicas(w)) {
			scope.requeue(pendingRecheck)
			continue
		}
		// The drift goes into the ledger before its repair: nothing was appended yet in this
		// reconcile when the escaped pod's replacement was made in an earlier one.
		if err := scope.ledger.wait(); err != nil {
			return err
		}
		ctrl.LoggerFrom(ctx).Info("Deleting escaped pod", "pod", klog.KObj(pod))
		if err := r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("delete escaped pod %s: %w", pod.Name, err)
		}
		failpoint.Crash(failpoint.AfterPodDelete, w.Namespace, w.Name)
		if err := r.recordPodDeleted(ctx, scope, pod, gdprv1alpha1.AuditReasonDrifted, false); err != nil {
			return err
		}
		if err := r.recordReplaced(ctx, scope, pod); err != nil {
			return err
		}
	}
	return nil
}

// readyOwned counts the workload's Ready pods that did not drift.
func readyOwned(scope *workloadScope) int {
	n := 0
	for i := range scope.pods.owned {
		if scope.pods.owned[i].DeletionTimestamp == nil && podReady(&scope.pods.owned[i]) {
			if _, drifted := scope.drift.found[scope.pods.owned[i].UID]; !drifted {
				n++
			}
		}
	}
	return n
}
