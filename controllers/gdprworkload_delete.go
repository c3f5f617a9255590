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
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/failpoint"
)

// reconcileDelete empties a deleted workload: it deletes the pods, records each deletion,
// records the workload's deletion as the last entry of its ledger, and lets it go.
func (r *GDPRWorkloadReconciler) reconcileDelete(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, now time.Time) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(w, gdprv1alpha1.LedgerFinalizer) {
		return ctrl.Result{}, nil
	}
	scope := &workloadScope{workload: w, now: now, ledger: newWorkloadLedger(r.Ledger, w)}
	result, err := r.emptyDeletedWorkload(ctx, scope)
	if err != nil && apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		// The whole namespace is being deleted, its ledger with it: nothing more can be
		// recorded there, and holding the finalizer would keep the namespace forever.
		ctrl.LoggerFrom(ctx).Error(err, "The workload's namespace is being deleted, and its audit ledger with it; releasing the workload without recording its deletion (export the ledger before deleting a namespace)")
		pods := &corev1.PodList{}
		if err := r.List(ctx, pods, ofWorkload(w)...); err == nil {
			for i := range pods.Items {
				if ownedBy(&pods.Items[i], w) {
					_ = client.IgnoreNotFound(r.Delete(ctx, &pods.Items[i]))
				}
			}
		}
		r.Ledger.Forget(w.Namespace, w.Name)
		return ctrl.Result{}, r.releaseDeleted(ctx, w)
	}
	return result, err
}

// releaseDeleted removes the ledger finalizer of a deleted workload and forgets it.
func (r *GDPRWorkloadReconciler) releaseDeleted(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) error {
	patch := client.MergeFrom(w.DeepCopy())
	controllerutil.RemoveFinalizer(w, gdprv1alpha1.LedgerFinalizer)
	if err := r.Patch(ctx, w, patch); err != nil {
		return client.IgnoreNotFound(err)
	}
	r.forgetWorkload(client.ObjectKeyFromObject(w), w.UID)
	return nil
}

// emptyDeletedWorkload deletes the pods of a deleted workload and records their deletion;
// once the ledger shows none open, it records the workload's deletion and releases it.
func (r *GDPRWorkloadReconciler) emptyDeletedWorkload(ctx context.Context, scope *workloadScope) (ctrl.Result, error) {
	w := scope.workload
	log := ctrl.LoggerFrom(ctx)
	if err := r.observePods(ctx, scope); err != nil {
		return ctrl.Result{}, err
	}
	// What the cluster shows goes in first: a pod whose creation entry was lost in a crash
	// must get it before its deletion is recorded, not after.
	if err := r.recordObservedPods(ctx, scope); err != nil {
		return ctrl.Result{}, err
	}
	for i := range scope.pods.owned {
		pod := &scope.pods.owned[i]
		if pod.DeletionTimestamp != nil {
			continue
		}
		log.Info("Deleting pod of deleted workload", "pod", klog.KObj(pod))
		if err := r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return ctrl.Result{}, fmt.Errorf("delete pod %s: %w", pod.Name, err)
		}
		failpoint.Crash(failpoint.AfterPodDelete, w.Namespace, w.Name)
		if err := r.recordPodDeleted(ctx, scope, pod, gdprv1alpha1.AuditReasonWorkloadDeleted, false); err != nil {
			return ctrl.Result{}, err
		}
	}
	open, err := r.Ledger.OpenPods(ctx, w.Namespace, w.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(scope.pods.owned) > 0 || len(open) > 0 {
		unrecorded := make([]string, 0, len(open))
		for uid, name := range open {
			unrecorded = append(unrecorded, name+"/"+uid)
		}
		log.Info("Waiting for the pods of the deleted workload to go", "pods", len(scope.pods.owned), "unrecordedPods", unrecorded)
		// Pod deletions wake this up again; the requeue covers a pod that lingers unseen.
		return ctrl.Result{RequeueAfter: pendingRecheck}, nil
	}

	if _, err := scope.ledger.append(ctx, gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditWorkloadDeleted,
		Reason:         string(gdprv1alpha1.AuditReasonDeleted),
		Subject:        gdprv1alpha1.AuditSubject{Workload: w.Name, WorkloadUID: string(w.UID), Generation: w.Generation},
		Message:        fmt.Sprintf("Workload deleted at generation %d; its pods are gone", w.Generation),
		IdempotencyKey: string(w.UID) + "/WorkloadDeleted",
	}); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, r.releaseDeleted(ctx, w)
}
