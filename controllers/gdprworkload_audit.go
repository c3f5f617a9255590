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
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/drift"
)

// Amber's own actions are recorded with this actor: it is not a person, so it is never pseudonymised.
const ownActor = "amber"

// Reasons of ledger entries that Amber writes from what it finds rather than at its own action.
const (
	// ReasonFoundRunning: a pod of the workload exists with no PodCreated entry (the entry was
	// lost in a crash between creating the pod and recording it).
	ReasonFoundRunning = "FoundRunning"
	// ReasonDeletionObserved: a pod of the workload is being deleted with no PodDeleted entry
	// (someone else deleted it, or the entry was lost in a crash).
	ReasonDeletionObserved = "DeletionObserved"
	// ReasonFoundGone: a pod with a PodCreated entry no longer exists and nothing recorded its deletion.
	ReasonFoundGone = "FoundGone"
	// ReasonWorkloadDeleted: Amber deleted the pod because its workload is being deleted.
	ReasonWorkloadDeleted = "WorkloadDeleted"
)

// specFingerprint is the hex SHA-256 of a workload's spec as JSON.
func specFingerprint(spec *gdprv1alpha1.GDPRWorkloadSpec) (string, error) {
	encoded, err := json.Marshal(spec)
	if err != nil {
		return "", fmt.Errorf("encode spec: %w", err)
	}
	sum := sha256.Sum256(encoded)
	return hex.EncodeToString(sum[:]), nil
}

// specWriter names the field manager that last changed (or, with first, first set) the
// workload's spec, from its managed fields: the API server records no user names on objects.
func specWriter(w *gdprv1alpha1.GDPRWorkload, first bool) string {
	var found *metav1.ManagedFieldsEntry
	for i := range w.ManagedFields {
		m := &w.ManagedFields[i]
		if m.Subresource == "status" || m.FieldsV1 == nil || !bytes.Contains(m.FieldsV1.GetRawBytes(), []byte(`"f:spec"`)) || m.Time == nil {
			continue
		}
		if found == nil || (first && m.Time.Before(found.Time)) || (!first && found.Time.Before(m.Time)) {
			found = m
		}
	}
	if found == nil {
		return ""
	}
	return found.Manager
}

// recordWorkload records the workload's creation, or a new generation of its spec.
func (r *GDPRWorkloadReconciler) recordWorkload(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	fingerprint, err := specFingerprint(&w.Spec)
	if err != nil {
		return err
	}
	known, ok, err := r.Ledger.Workload(ctx, w.Namespace, w.Name, string(w.UID))
	if err != nil {
		return err
	}
	subject := gdprv1alpha1.AuditSubject{Workload: w.Name, WorkloadUID: string(w.UID), Generation: w.Generation, Revision: scope.templateHash}
	message := fmt.Sprintf("Generation %d: %d replicas of template %s", w.Generation, desiredReplicas(w), scope.templateHash)
	var entry gdprv1alpha1.AuditEventSpec
	switch {
	case !ok:
		entry = gdprv1alpha1.AuditEventSpec{
			Type: gdprv1alpha1.AuditWorkloadCreated, Reason: "Created",
			Actor:          r.Actors.Record(specWriter(w, true)),
			Fingerprints:   gdprv1alpha1.AuditFingerprints{After: fingerprint},
			IdempotencyKey: string(w.UID) + "/WorkloadCreated",
			Message:        "Workload created. " + message,
		}
	case w.Generation > known.Generation && fingerprint != known.Fingerprint:
		entry = gdprv1alpha1.AuditEventSpec{
			Type: gdprv1alpha1.AuditWorkloadSpecChanged, Reason: "SpecChanged",
			Actor:          r.Actors.Record(specWriter(w, false)),
			Fingerprints:   gdprv1alpha1.AuditFingerprints{Before: known.Fingerprint, After: fingerprint},
			IdempotencyKey: fmt.Sprintf("%s/spec/%d", w.UID, w.Generation),
			Message:        "Workload spec changed. " + message,
		}
	default:
		return nil
	}
	entry.Subject = subject
	_, err = r.Ledger.Append(ctx, w.Namespace, w.Name, entry)
	return err
}

// recordObservedPods brings the ledger level with what the cluster shows: pods that exist
// without a PodCreated entry, pods being deleted without a PodDeleted entry, and pods with a
// PodCreated entry that are gone. Such entries are marked recovered. This is what makes the
// ledger complete after a crash between an action and its entry, and what records the
// deletions made by someone else.
func (r *GDPRWorkloadReconciler) recordObservedPods(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	open, err := r.Ledger.OpenPods(ctx, w.Namespace, w.Name)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(scope.pods))
	for i := range scope.pods {
		pod := &scope.pods[i]
		uid := string(pod.UID)
		seen[uid] = true
		created, err := r.Ledger.Recorded(ctx, w.Namespace, w.Name, uid+"/PodCreated")
		if err != nil {
			return err
		}
		if !created {
			if err := r.recordPodCreated(ctx, w, pod, ReasonFoundRunning, true); err != nil {
				return err
			}
		}
		if pod.DeletionTimestamp != nil {
			if err := r.recordPodDeleted(ctx, w, pod, ReasonDeletionObserved, true); err != nil {
				return err
			}
		}
	}
	for uid, name := range open {
		if seen[uid] {
			continue
		}
		// The cache may just not show the pod yet, or no longer show it because its workload
		// label was removed: only the API server can say it is gone.
		pod := &corev1.Pod{}
		err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: w.Namespace, Name: name}, pod)
		switch {
		case apierrors.IsNotFound(err) || (err == nil && string(pod.UID) != uid):
			gone := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.Namespace, UID: types.UID(uid)}}
			if err := r.recordPodDeleted(ctx, w, gone, ReasonFoundGone, true); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("look up pod %s: %w", name, err)
		case pod.DeletionTimestamp != nil:
			if err := r.recordPodDeleted(ctx, w, pod, ReasonDeletionObserved, true); err != nil {
				return err
			}
		default:
			// It runs, but lost the label or controller reference that made it the
			// workload's: it escaped, and must not be left running ungoverned.
			scope.escaped = append(scope.escaped, *pod)
		}
	}
	return nil
}

func (r *GDPRWorkloadReconciler) recordPodCreated(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, pod *corev1.Pod, reason string, recovered bool) error {
	message := "Created the pod"
	if recovered {
		message = "Found the pod with no record of its creation"
	}
	// The fingerprint of what the API server admitted, kept where nobody who can edit the
	// pod can rewrite it: after a restart, it tells whether the pod is still as admitted.
	// A pod found with no record is taken as it is found.
	_, err := r.Ledger.Append(ctx, w.Namespace, w.Name, gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditPodCreated,
		Reason:         reason,
		Fingerprints:   gdprv1alpha1.AuditFingerprints{After: drift.Fingerprint(drift.BaselineOf(pod))},
		Subject:        podSubject(pod),
		Actor:          ownActor,
		Message:        message,
		IdempotencyKey: string(pod.UID) + "/PodCreated",
		Recovered:      recovered,
	})
	return err
}

func (r *GDPRWorkloadReconciler) recordPodDeleted(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, pod *corev1.Pod, reason string, recovered bool) error {
	if reason == ReasonDrifted {
		r.drift.forgetBaseline(pod.UID) // when drift was found is wanted for its PodReplaced entry
	} else {
		r.drift.forget(pod.UID)
	}
	actor, message := ownActor, "Deleted the pod"
	if recovered {
		actor, message = "", "The pod was deleted with no record of who deleted it"
	}
	_, err := r.Ledger.Append(ctx, w.Namespace, w.Name, gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditPodDeleted,
		Reason:         reason,
		Subject:        podSubject(pod),
		Actor:          actor,
		Message:        message,
		IdempotencyKey: string(pod.UID) + "/PodDeleted",
		Recovered:      recovered,
	})
	return err
}

// podSubject names a pod. The workload is left out: it is the ledger's, and the newest
// WorkloadCreated entry before a pod entry gives its UID; every byte counts in a ledger that
// holds an entry for each pod a workload ever had.
func podSubject(pod *corev1.Pod) gdprv1alpha1.AuditSubject {
	return gdprv1alpha1.AuditSubject{Pod: pod.Name, PodUID: string(pod.UID), Revision: pod.Labels[gdprv1alpha1.RevisionLabel]}
}

// deletionReason says why the planner deletes a pod.
func deletionReason(pod *corev1.Pod, revision string) string {
	switch {
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		return "PodFinished"
	case pod.Labels[gdprv1alpha1.RevisionLabel] != revision:
		return "OutdatedRevision"
	default:
		return "ScalingDown"
	}
}

// reconcileDelete empties a deleted workload: it deletes the pods, records each deletion,
// records the workload's deletion as the last entry of its ledger, and lets it go.
func (r *GDPRWorkloadReconciler) reconcileDelete(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(w, gdprv1alpha1.LedgerFinalizer) {
		return ctrl.Result{}, nil
	}
	result, err := r.emptyDeletedWorkload(ctx, w)
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
	r.expectations.forget(client.ObjectKeyFromObject(w))
	r.drift.forgetWorkload(w.UID)
	r.statusWrites.forget(w.UID)
	return nil
}

func (r *GDPRWorkloadReconciler) emptyDeletedWorkload(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	scope := &workloadScope{workload: w}
	if err := r.observePods(ctx, scope); err != nil {
		return ctrl.Result{}, err
	}
	// What the cluster shows goes in first: a pod whose creation entry was lost in a crash
	// must get it before its deletion is recorded, not after.
	if err := r.recordObservedPods(ctx, scope); err != nil {
		return ctrl.Result{}, err
	}
	for i := range scope.pods {
		pod := &scope.pods[i]
		if pod.DeletionTimestamp != nil {
			continue
		}
		log.Info("Deleting pod of deleted workload", "pod", klog.KObj(pod))
		if err := r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return ctrl.Result{}, fmt.Errorf("delete pod %s: %w", pod.Name, err)
		}
		if err := r.recordPodDeleted(ctx, w, pod, ReasonWorkloadDeleted, false); err != nil {
			return ctrl.Result{}, err
		}
	}
	open, err := r.Ledger.OpenPods(ctx, w.Namespace, w.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	if len(scope.pods) > 0 || len(open) > 0 {
		unrecorded := make([]string, 0, len(open))
		for uid, name := range open {
			unrecorded = append(unrecorded, name+"/"+uid)
		}
		log.Info("Waiting for the pods of the deleted workload to go", "pods", len(scope.pods), "unrecordedPods", unrecorded)
		// Pod deletions wake this up again; the requeue covers a pod that lingers unseen.
		return ctrl.Result{RequeueAfter: pendingRecheck}, nil
	}

	if _, err := r.Ledger.Append(ctx, w.Namespace, w.Name, gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditWorkloadDeleted,
		Reason:         "Deleted",
		Subject:        gdprv1alpha1.AuditSubject{Workload: w.Name, WorkloadUID: string(w.UID), Generation: w.Generation},
		Message:        fmt.Sprintf("Workload deleted at generation %d; its pods are gone", w.Generation),
		IdempotencyKey: string(w.UID) + "/WorkloadDeleted",
	}); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{}, r.releaseDeleted(ctx, w)
}
