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
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/revision"
)

// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=get;list;watch;create;patch;delete

// pinRevision chooses the revision pods are made from (revision.Choose decides) and carries
// the choice out: it asks the registries when the choice needs them, stores a new revision,
// restores an older one, and records each in the ledger.
func (r *GDPRWorkloadReconciler) pinRevision(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	revisions, err := r.listRevisions(ctx, w, scope.now)
	if err != nil {
		return err
	}
	scope.revisions = revisions
	facts := revision.Facts{
		Revisions:          revisions,
		TemplateHash:       scope.templateHash,
		AllowedRegistries:  w.Spec.ImagePolicy.AllowedRegistries,
		CurrentRevision:    w.Status.CurrentRevision,
		PodsAtTemplateHash: podsAtRevision(scope.pods.owned, scope.templateHash),
		RollbackTo:         w.Annotations[gdprv1alpha1.RollbackToAnnotation],
		Now:                scope.now,
	}
	if w.Spec.ImagePolicy.RefreshInterval != nil {
		facts.RefreshInterval = w.Spec.ImagePolicy.RefreshInterval.Duration
	}
	if _, asked := revision.RollbackTarget(facts); facts.RollbackTo != "" && !asked {
		if err := r.dropMootRollback(ctx, w); err != nil {
			return err
		}
	}
	var resolution *revision.Resolution
	if revision.NeedsResolution(facts) {
		keychain, err := r.pullKeychain(ctx, w)
		if err != nil {
			return err
		}
		result := r.pinner.pin(w, scope.templateHash, revision.Images(&w.Spec.Template), keychain, scope.now)
		resolution = &revision.Resolution{Pins: result.pins, Pending: result.pending, Err: result.err, RetryAfter: result.retryAfter}
	}
	choice := revision.Choose(facts, resolution)
	scope.pin.choice = choice
	scope.requeue(choice.RecheckAfter)

	switch choice.Action {
	case revision.Hold:
		scope.pin.run = choice.Revision
		if choice.Blocked != nil {
			return r.recordPinningFailed(ctx, scope, choice.Blocked)
		}
		return nil
	case revision.Create:
		rev, err := r.createRevision(ctx, scope, choice.ID, choice.Pins)
		if err != nil {
			return err
		}
		return r.runRevision(ctx, scope, rev)
	}
	if choice.MarkRefreshed {
		if err := r.markRefreshed(ctx, w, choice.Revision, scope.now); err != nil {
			return err
		}
	}
	return r.runRevision(ctx, scope, choice.Revision)
}

// dropMootRollback removes a rollback annotation whose revision is not of the template any
// more (the template changed since, or the revision was pruned): left in place it would pin
// the workload again, refreshes stopped, should the template ever return to that content.
// The resourceVersion makes sure the annotation removed is the one read.
func (r *GDPRWorkloadReconciler) dropMootRollback(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) error {
	base := w.DeepCopy()
	delete(w.Annotations, gdprv1alpha1.RollbackToAnnotation)
	if err := r.Patch(ctx, w, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("remove the moot %s annotation: %w", gdprv1alpha1.RollbackToAnnotation, err)
	}
	return nil
}

// podsAtRevision reports whether one of pods carries revision id.
func podsAtRevision(pods []corev1.Pod, id string) bool {
	for i := range pods {
		if pods[i].Labels[gdprv1alpha1.RevisionLabel] == id {
			return true
		}
	}
	return false
}

// listRevisions reads the workload's ControllerRevisions from the cache.
func (r *GDPRWorkloadReconciler) listRevisions(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, now time.Time) ([]revision.Revision, error) {
	list := &appsv1.ControllerRevisionList{}
	if err := r.List(ctx, list, ofWorkload(w)...); err != nil {
		return nil, fmt.Errorf("list revisions: %w", err)
	}
	revisions := make([]revision.Revision, 0, len(list.Items))
	for i := range list.Items {
		if !metav1.IsControlledBy(&list.Items[i], w) {
			continue
		}
		rev, err := revision.Decode(&list.Items[i])
		if err != nil {
			return nil, err
		}
		revisions = append(revisions, rev)
	}
	return r.recentRevisions.overlay(w.UID, revisions, now), nil
}

// createRevision stores a newly pinned revision. When it exists already (the cache had not
// shown it yet, or a crash came between creating it and using it), the stored one wins: its
// digests are the ones on record.
func (r *GDPRWorkloadReconciler) createRevision(ctx context.Context, scope *workloadScope, id string, pins []gdprv1alpha1.PinnedImage) (revision.Revision, error) {
	w := scope.workload
	cr, err := revision.New(w, id, scope.templateHash, revision.NextNumber(scope.revisions), pins)
	if err != nil {
		return revision.Revision{}, err
	}
	if err := r.Create(ctx, cr); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return revision.Revision{}, fmt.Errorf("create revision %s: %w", cr.Name, err)
		}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(cr), cr); err != nil {
			return revision.Revision{}, fmt.Errorf("read revision %s: %w", cr.Name, err)
		}
		if !metav1.IsControlledBy(cr, w) {
			return revision.Revision{}, fmt.Errorf("revision %s exists and belongs to another workload", cr.Name)
		}
	}
	rev, err := revision.Decode(cr)
	if err != nil {
		return revision.Revision{}, err
	}
	r.recentRevisions.wrote(scope.workload.UID, rev, scope.now)
	scope.revisions = append(scope.revisions, rev)
	return rev, nil
}

// runRevision makes rev the revision new pods are made from. A revision that is not the
// newest is restored: it gets the next number, so the history shows it ran again.
func (r *GDPRWorkloadReconciler) runRevision(ctx context.Context, scope *workloadScope, rev revision.Revision) error {
	if revision.NeedsRestore(scope.revisions, rev) {
		next := revision.NextNumber(scope.revisions)
		patch := client.MergeFrom(&appsv1.ControllerRevision{})
		cr := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Namespace: scope.workload.Namespace, Name: rev.Name}, Revision: next}
		if err := r.Patch(ctx, cr, patch); err != nil {
			return fmt.Errorf("restore revision %s: %w", rev.Name, err)
		}
		for i := range scope.revisions {
			if scope.revisions[i].ID == rev.ID {
				scope.revisions[i].Number = next
			}
		}
		rev.Number = next
		r.recentRevisions.wrote(scope.workload.UID, rev, scope.now)
	}
	scope.pin.run = rev
	return r.recordRevision(ctx, scope, rev)
}

// recentRevisions remembers the revisions this controller created or restored until the cache
// shows them: a reconcile that ran on a cache without them would otherwise restore a
// revision twice, or see an older one as the newest.
type recentRevisions struct {
	mu      sync.Mutex
	written map[types.UID]map[string]recentRevision
}

type recentRevision struct {
	rev revision.Revision
	at  time.Time
}

// wrote records a revision as just created or restored.
func (c *recentRevisions) wrote(workload types.UID, rev revision.Revision, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.written == nil {
		c.written = map[types.UID]map[string]recentRevision{}
	}
	if c.written[workload] == nil {
		c.written[workload] = map[string]recentRevision{}
	}
	c.written[workload][rev.ID] = recentRevision{rev: rev, at: now}
	// Forget what is too old to matter, of deleted workloads too.
	for uid, written := range c.written {
		for id, w := range written {
			if now.Sub(w.at) > expectationTTL {
				delete(written, id)
			}
		}
		if len(written) == 0 {
			delete(c.written, uid)
		}
	}
}

// forget drops what is remembered of a deleted workload.
func (c *recentRevisions) forget(workload types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.written, workload)
}

// overlay completes revisions listed from the cache with those written since, and forgets
// what the cache has caught up with or what is older than expectationTTL.
func (c *recentRevisions) overlay(workload types.UID, listed []revision.Revision, now time.Time) []revision.Revision {
	c.mu.Lock()
	defer c.mu.Unlock()
	written := c.written[workload]
	for id, w := range written {
		i := slices.IndexFunc(listed, func(r revision.Revision) bool { return r.ID == id })
		switch {
		case now.Sub(w.at) > expectationTTL, i >= 0 && listed[i].Number >= w.rev.Number:
			delete(written, id)
		case i >= 0:
			listed[i].Number = w.rev.Number
		default:
			listed = append(listed, w.rev)
		}
	}
	if len(written) == 0 {
		delete(c.written, workload)
	}
	return listed
}

// markRefreshed notes on a revision that a refresh found its tags where they were pinned.
func (r *GDPRWorkloadReconciler) markRefreshed(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, rev revision.Revision, at time.Time) error {
	cr := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Namespace: w.Namespace, Name: rev.Name}}
	patch := client.RawPatch("application/merge-patch+json",
		fmt.Appendf(nil, `{"metadata":{"annotations":{%q:%q}}}`, revision.RefreshedAtAnnotation, at.UTC().Format(time.RFC3339)))
	if err := r.Patch(ctx, cr, patch); err != nil {
		return fmt.Errorf("mark revision %s refreshed: %w", rev.Name, err)
	}
	return nil
}

// pruneRevisions deletes the oldest revisions that no pod runs beyond revisionHistoryLimit.
func (r *GDPRWorkloadReconciler) pruneRevisions(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	// The revision the workload last fully ran is kept as the fallback while a new one cannot
	// be pinned; once no pod of another revision is left, that is the one pods are made from.
	inUse := map[string]bool{scope.revisionID(): true}
	outdated := false
	for i := range scope.pods.owned {
		rev := scope.pods.owned[i].Labels[gdprv1alpha1.RevisionLabel]
		inUse[rev] = true
		outdated = outdated || rev != scope.revisionID()
	}
	if outdated || scope.pin.held() {
		inUse[w.Status.CurrentRevision] = true
	}
	limit := 10
	if w.Spec.RevisionHistoryLimit != nil {
		limit = int(*w.Spec.RevisionHistoryLimit)
	}
	for _, name := range revision.ToPrune(scope.revisions, inUse, limit) {
		cr := &appsv1.ControllerRevision{ObjectMeta: metav1.ObjectMeta{Namespace: w.Namespace, Name: name}}
		if err := r.Delete(ctx, cr); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("prune revision %s: %w", name, err)
		}
	}
	return nil
}

// recordRevision makes sure the ledger holds the pinning, or the restoration, of rev. It runs
// at every reconcile (a recorded key costs nothing), so a crash between storing a revision and
// recording it loses nothing.
func (r *GDPRWorkloadReconciler) recordRevision(ctx context.Context, scope *workloadScope, rev revision.Revision) error {
	w := scope.workload
	entry := gdprv1alpha1.AuditEventSpec{
		Subject:      gdprv1alpha1.AuditSubject{Workload: w.Name, WorkloadUID: string(w.UID), Generation: w.Generation, Revision: rev.ID},
		Actor:        ownActor,
		Fingerprints: gdprv1alpha1.AuditFingerprints{After: revision.PinsFingerprint(rev.Pins)},
		// The pins' fingerprint keeps apart two revisions that got one name and number (their
		// ControllerRevisions deleted and made again).
		IdempotencyKey: fmt.Sprintf("%s/revision/%s/%d/%.16s", w.UID, rev.ID, rev.Number, revision.PinsFingerprint(rev.Pins)),
	}
	event, message := gdprv1alpha1.EventRevisionPinned, ""
	switch {
	case rev.Restored():
		entry.Type, entry.Reason = gdprv1alpha1.AuditRevisionRestored, string(gdprv1alpha1.AuditReasonRollback)
		if w.Annotations[gdprv1alpha1.RollbackToAnnotation] == rev.ID {
			// Asked for by name, not by a template change, which the spec's entries would
			// attribute: who set the annotation is who rolled back.
			entry.Actor = r.Actors.Record(annotationWriter(w, gdprv1alpha1.RollbackToAnnotation))
		}
		event = gdprv1alpha1.EventRevisionRestored
		message = fmt.Sprintf("Revision %s restored as #%d with the digests recorded when it was pinned: %s", rev.ID, rev.Number, describePins(rev.Pins))
	case rev.ID != rev.TemplateHash:
		entry.Type, entry.Reason = gdprv1alpha1.AuditRevisionPinned, string(gdprv1alpha1.AuditReasonTagMoved)
		message = fmt.Sprintf("Revision %s (#%d) pinned after a refresh found a tag moved: %s", rev.ID, rev.Number, describePins(rev.Pins))
	default:
		entry.Type, entry.Reason = gdprv1alpha1.AuditRevisionPinned, string(gdprv1alpha1.AuditReasonPinned)
		message = fmt.Sprintf("Revision %s (#%d) pinned: %s", rev.ID, rev.Number, describePins(rev.Pins))
	}
	entry.Message = message
	written, err := scope.ledger.append(ctx, entry)
	if err != nil {
		return err
	}
	if written {
		r.Recorder.Eventf(w, nil, corev1.EventTypeNormal, event, "PinImages", "%s", message)
	}
	return nil
}

// recordPinningFailed records a failure once per template and reason, not at every retry.
func (r *GDPRWorkloadReconciler) recordPinningFailed(ctx context.Context, scope *workloadScope, failure error) error {
	w := scope.workload
	reason := string(revision.ReasonOf(failure))
	written, err := scope.ledger.append(ctx, gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditPinningFailed, Reason: reason,
		Subject:        gdprv1alpha1.AuditSubject{Workload: w.Name, WorkloadUID: string(w.UID), Generation: w.Generation, Revision: scope.templateHash},
		Actor:          ownActor,
		IdempotencyKey: fmt.Sprintf("%s/pinning-failed/%s/%s", w.UID, scope.templateHash, reason),
		Message:        "No pod is made from the new template: " + failure.Error(),
	})
	if err != nil {
		return err
	}
	if written {
		r.Recorder.Eventf(w, nil, corev1.EventTypeWarning, gdprv1alpha1.EventPinningFailed, "PinImages", "%v", failure)
	}
	return nil
}

// recordRollout records the start and the end of the replacement of one revision's pods by
// another's.
func (r *GDPRWorkloadReconciler) recordRollout(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	from := w.Status.CurrentRevision
	to := scope.revisionID()
	if scope.pin.held() || to == "" || from == "" || from == to {
		return nil
	}
	outdated := 0
	for i := range scope.pods.owned {
		if scope.pods.owned[i].DeletionTimestamp == nil && scope.pods.owned[i].Labels[gdprv1alpha1.RevisionLabel] != to {
			outdated++
		}
	}
	key := fmt.Sprintf("%s/rollout/%s/%d", w.UID, to, scope.pin.run.Number)
	subject := gdprv1alpha1.AuditSubject{Workload: w.Name, WorkloadUID: string(w.UID), Generation: w.Generation, Revision: to}
	if _, err := scope.ledger.append(ctx, gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditRolloutStarted, Reason: string(gdprv1alpha1.AuditReasonNewRevision), Subject: subject, Actor: ownActor,
		IdempotencyKey: key + "/started",
		Message:        fmt.Sprintf("Replacing the pods of revision %s with pods of revision %s", from, to),
	}); err != nil {
		return err
	}
	if outdated > 0 {
		return nil
	}
	_, err := scope.ledger.append(ctx, gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditRolloutCompleted, Reason: string(gdprv1alpha1.AuditReasonAllPodsUpdated), Subject: subject, Actor: ownActor,
		IdempotencyKey: key + "/completed",
		Message:        fmt.Sprintf("Every pod runs revision %s (was %s)", to, from),
	})
	return err
}

// describePins lists pins as container=reference, for messages.
func describePins(pins []gdprv1alpha1.PinnedImage) string {
	parts := make([]string, 0, len(pins))
	for _, p := range pins {
		s := p.Container + "=" + p.Pinned
		if len(p.Platforms) > 0 {
			s += " (" + strconv.Itoa(len(p.Platforms)) + " platforms: " + strings.Join(p.Platforms, ", ") + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
