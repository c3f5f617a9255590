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
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/drift"
	"github.com/amber-gdpr/amber/internal/hardening"
	"github.com/amber-gdpr/amber/internal/ledger"
	"github.com/amber-gdpr/amber/internal/residency"
)

// Amber's own actions are recorded with this actor: it is not a person, so it is never pseudonymised.
const ownActor = "amber"

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

// annotationWriter names the field manager that owns the workload's annotation key, from its
// managed fields ("" when none does).
func annotationWriter(w *gdprv1alpha1.GDPRWorkload, key string) string {
	field := []byte(`"f:` + key + `"`)
	for i := range w.ManagedFields {
		m := &w.ManagedFields[i]
		if m.Subresource == "" && m.FieldsV1 != nil && bytes.Contains(m.FieldsV1.GetRawBytes(), field) {
			return m.Manager
		}
	}
	return ""
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
	profile := hardening.Effective(w.Spec.Hardening.Profile)
	// Every entry of a generation names its profile, so that the ledger answers how the
	// workload's containers were locked down at any time, and the next change can tell
	// whether the profile changed.
	message := fmt.Sprintf("Generation %d: %d replicas of template %s. %s", w.Generation, desiredReplicas(w), scope.templateHash, ledger.HardeningNote(profile))
	var entry gdprv1alpha1.AuditEventSpec
	switch {
	case !ok:
		entry = gdprv1alpha1.AuditEventSpec{
			Type: gdprv1alpha1.AuditWorkloadCreated, Reason: string(gdprv1alpha1.AuditReasonCreated),
			Actor:          r.Actors.Record(specWriter(w, true)),
			Fingerprints:   gdprv1alpha1.AuditFingerprints{After: fingerprint},
			IdempotencyKey: string(w.UID) + "/WorkloadCreated",
			Message:        "Workload created. " + message,
		}
	case w.Generation > known.Generation && fingerprint != known.Fingerprint:
		entry = gdprv1alpha1.AuditEventSpec{
			Type: gdprv1alpha1.AuditWorkloadSpecChanged, Reason: string(gdprv1alpha1.AuditReasonSpecChanged),
			Actor:          r.Actors.Record(specWriter(w, false)),
			Fingerprints:   gdprv1alpha1.AuditFingerprints{Before: known.Fingerprint, After: fingerprint},
			IdempotencyKey: fmt.Sprintf("%s/spec/%d", w.UID, w.Generation),
			Message:        "Workload spec changed. " + message,
		}
		// A generation recorded before profiles were (Hardening empty) tells no change.
		if known.Hardening != "" && known.Hardening != profile {
			entry.Reason = string(gdprv1alpha1.AuditReasonHardeningChanged)
			entry.Message = fmt.Sprintf("Workload spec changed: spec.hardening.profile from %s to %s. %s", known.Hardening, profile, message)
		}
	default:
		return nil
	}
	entry.Subject = subject
	_, err = scope.ledger.append(ctx, entry)
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
	seen := make(map[string]bool, len(scope.pods.owned))
	// Pods released from service for a Quarantine are still the workload's: their entries
	// are kept as any pod's are, and they must not be taken for escaped pods.
	observed := slices.Concat(scope.pods.owned, scope.pods.released)
	for i := range observed {
		pod := &observed[i]
		uid := string(pod.UID)
		seen[uid] = true
		created, err := r.Ledger.Recorded(ctx, w.Namespace, w.Name, uid+"/PodCreated")
		if err != nil {
			return err
		}
		if !created {
			baseline, err := r.recoveredBaseline(ctx, pod)
			if err != nil {
				return err
			}
			r.drift.setBaseline(pod.UID, baseline)
			if err := r.recordPodCreated(ctx, scope, pod, baseline, gdprv1alpha1.AuditReasonFoundRunning, true); err != nil {
				return err
			}
		}
		if err := r.recordPodScheduled(ctx, scope, pod); err != nil {
			return err
		}
		if pod.DeletionTimestamp != nil {
			// Mostly a pod Amber deleted, recorded then: only a deletion the ledger lacks
			// makes an entry, and waits for those queued before it.
			deleted, err := r.Ledger.Recorded(ctx, w.Namespace, w.Name, uid+"/PodDeleted")
			if err != nil {
				return err
			}
			if !deleted {
				if err := r.recordPodDeleted(ctx, scope, pod, gdprv1alpha1.AuditReasonDeletionObserved, true); err != nil {
					return err
				}
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
			if err := r.recordPodDeleted(ctx, scope, gone, gdprv1alpha1.AuditReasonFoundGone, true); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("look up pod %s: %w", name, err)
		case pod.DeletionTimestamp != nil:
			if err := r.recordPodDeleted(ctx, scope, pod, gdprv1alpha1.AuditReasonDeletionObserved, true); err != nil {
				return err
			}
		default:
			// It runs, but lost the label or controller reference that made it the
			// workload's: it escaped, and must not be left running ungoverned.
			scope.pods.escaped = append(scope.pods.escaped, *pod)
		}
	}
	return nil
}

// recoveredBaseline is the baseline of a pod found with no record of its creation: the pod
// as the API server returns it, with the managed fields' field sets the cache drops, less
// what others wrote since Amber created it (drift.RecoveredBaseline). Such a pod is rare (a
// crash or a failover between a creation and its entry), so the read costs little.
func (r *GDPRWorkloadReconciler) recoveredBaseline(ctx context.Context, pod *corev1.Pod) (drift.Baseline, error) {
	if b, ok := r.drift.baseline(pod.UID); ok {
		return b, nil // this process created it, and its entry failed: the baseline is exact
	}
	full := &corev1.Pod{}
	err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(pod), full)
	switch {
	case apierrors.IsNotFound(err) || (err == nil && full.UID != pod.UID):
		// Gone already: its deletion is recorded next; nothing is left to drift.
		return drift.BaselineOf(pod), nil
	case err != nil:
		return drift.Baseline{}, fmt.Errorf("read pod %s found with no record: %w", pod.Name, err)
	}
	return drift.RecoveredBaseline(full, fieldOwner), nil
}

// recordPodCreated writes a pod's PodCreated entry with the fingerprint of its baseline;
// reason is what it was made for (a Reconciling reason) or FoundRunning.
func (r *GDPRWorkloadReconciler) recordPodCreated(ctx context.Context, scope *workloadScope, pod *corev1.Pod, baseline drift.Baseline, reason gdprv1alpha1.AuditReason, recovered bool) error {
	_, err := scope.ledger.append(ctx, podCreatedEntry(pod, baseline, reason, recovered))
	return err
}

// podCreatedEntry is a pod's PodCreated entry.
func podCreatedEntry(pod *corev1.Pod, baseline drift.Baseline, reason gdprv1alpha1.AuditReason, recovered bool) gdprv1alpha1.AuditEventSpec {
	message := "Created the pod"
	if recovered {
		message = "Found the pod with no record of its creation"
	}
	// The fingerprint of what the API server admitted, kept where nobody who can edit the
	// pod can rewrite it: after a restart, it tells whether the pod is still as admitted.
	// A pod found with no record is taken as it is found, less what others wrote since.
	return gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditPodCreated,
		Reason:         string(reason),
		Fingerprints:   gdprv1alpha1.AuditFingerprints{After: drift.Fingerprint(baseline)},
		Subject:        podSubject(pod),
		Actor:          ownActor,
		Message:        message,
		IdempotencyKey: string(pod.UID) + "/PodCreated",
		Recovered:      recovered,
	}
}

// recordPodScheduled queues a bound pod's PodScheduled entry, once: the node and the region
// and zone its labels give now. It is written while the reconcile goes on (a rollout sees
// a batch of pods bound at once); the pod is not deleted before it is (reconcilePods). The binding is the scheduler's act, seen here when the pod's
// update reaches the cache (or, after a restart, when the pod is first seen), which is within
// moments of the binding: a node relabelled in between would be recorded as relabelled, and
// the OutOfRegion check reads the same labels.
func (r *GDPRWorkloadReconciler) recordPodScheduled(ctx context.Context, scope *workloadScope, pod *corev1.Pod) error {
	if pod.Spec.NodeName == "" {
		return nil
	}
	key := string(pod.UID) + "/PodScheduled"
	if done, err := r.Ledger.Recorded(ctx, scope.workload.Namespace, scope.workload.Name, key); err != nil || done {
		return err
	}
	labels, known, err := r.nodeLabels(ctx, pod)
	if err != nil {
		return fmt.Errorf("read the node of pod %s: %w", pod.Name, err)
	}
	placement := residency.Placement(r.residencyKeys(), pod.Spec.NodeName, labels)
	scope.ledger.enqueue(ctx, gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditPodScheduled,
		Reason:         string(gdprv1alpha1.AuditReasonBound),
		Subject:        podSubject(pod),
		Placement:      &placement,
		Message:        residency.PlacementMessage(placement, known),
		IdempotencyKey: key,
	}, nil)
	return nil
}

// recordPodDeleted writes a pod's PodDeleted entry and forgets its baseline.
func (r *GDPRWorkloadReconciler) recordPodDeleted(ctx context.Context, scope *workloadScope, pod *corev1.Pod, reason gdprv1alpha1.AuditReason, recovered bool) error {
	_, err := scope.ledger.append(ctx, r.podDeletedEntry(pod, reason, recovered))
	return err
}

// podDeletedEntry is a pod's PodDeleted entry; the pod's baseline is forgotten.
func (r *GDPRWorkloadReconciler) podDeletedEntry(pod *corev1.Pod, reason gdprv1alpha1.AuditReason, recovered bool) gdprv1alpha1.AuditEventSpec {
	if reason == gdprv1alpha1.AuditReasonDrifted {
		r.drift.forgetBaseline(pod.UID) // when drift was found is wanted for its PodReplaced entry
	} else {
		r.drift.forget(pod.UID)
	}
	actor, message := ownActor, "Deleted the pod"
	if recovered {
		actor, message = "", "The pod was deleted with no record of who deleted it"
	}
	return gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditPodDeleted,
		Reason:         string(reason),
		Subject:        podSubject(pod),
		Actor:          actor,
		Message:        message,
		IdempotencyKey: string(pod.UID) + "/PodDeleted",
		Recovered:      recovered,
	}
}

// podSubject names a pod. The workload is left out: it is the ledger's, and the newest
// WorkloadCreated entry before a pod entry gives its UID; every byte counts in a ledger that
// holds an entry for each pod a workload ever had.
func podSubject(pod *corev1.Pod) gdprv1alpha1.AuditSubject {
	return gdprv1alpha1.AuditSubject{Pod: pod.Name, PodUID: string(pod.UID), Revision: pod.Labels[gdprv1alpha1.RevisionLabel]}
}

// deletionReason says why the planner deletes a pod.
func deletionReason(pod *corev1.Pod, revision string) gdprv1alpha1.AuditReason {
	switch {
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		return gdprv1alpha1.AuditReasonPodFinished
	case pod.Labels[gdprv1alpha1.RevisionLabel] != revision:
		return gdprv1alpha1.AuditReasonOutdatedRevision
	default:
		return gdprv1alpha1.AuditReasonScalingDown
	}
}
