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
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/failpoint"
)

// replacementFor names the drifted pod a new pod replaces, if any drifted pod still waits for
// one (none of the workload's pods names it, and none made in this reconcile).
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
	}
	return ""
}

// recordReplaced writes the PodReplaced entry of a drifted pod Amber just deleted, naming
// its replacement, and counts the repair.
func (r *GDPRWorkloadReconciler) recordReplaced(ctx context.Context, scope *workloadScope, old *corev1.Pod) error {
	w := scope.workload
	replacement := scope.drift.replacedBy[old.Name]
	for i := range scope.pods.owned {
		if scope.pods.owned[i].Annotations[ReplacesAnnotation] == old.Name {
			replacement = scope.pods.owned[i].Name
		}
	}
	message := fmt.Sprintf("Replaced drifted pod %s", old.Name)
	if replacement != "" {
		message += " by fresh pod " + replacement
	}
	message += " of revision " + old.Labels[gdprv1alpha1.RevisionLabel]
	wrote, err := scope.ledger.append(ctx, gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditPodReplaced,
		Reason:         string(gdprv1alpha1.AuditReasonDrifted),
		Subject:        podSubject(old),
		Actor:          ownActor,
		Message:        message,
		IdempotencyKey: string(old.UID) + "/PodReplaced",
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
