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
	"errors"
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
	"github.com/amber-gdpr/amber/internal/pin"
	"github.com/amber-gdpr/amber/internal/revision"
)

// Event reasons of pinning and rollouts.
const (
	EventRevisionPinned   = "RevisionPinned"
	EventRevisionRestored = "RevisionRestored"
	EventPinningFailed    = "PinningFailed"
)

// +kubebuilder:rbac:groups=apps,resources=controllerrevisions,verbs=get;list;watch;create;patch;delete

// pinning is what stands between the template and a pinned revision, when something does.
type pinning struct {
	// pending is true while the registries are being asked.
	pending bool
	// err is why an image could not be pinned, a *pin.Error.
	err error
}

// pinRevision chooses the revision pods are made from: the template's recorded revision
// with its digests when there is one (a rollback restores exactly what ran), otherwise a new
// revision once every image is pinned. Until then, pods already running are kept as they are.
func (r *GDPRWorkloadReconciler) pinRevision(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	revisions, err := r.listRevisions(ctx, w)
	if err != nil {
		return err
	}
	scope.revisions = revisions
	latest, found := revision.Latest(revisions, scope.templateHash)
	var interval time.Duration
	if w.Spec.ImagePolicy.RefreshInterval != nil {
		interval = w.Spec.ImagePolicy.RefreshInterval.Duration
	}
	now := time.Now()
	if found && !revision.RefreshDue(latest, interval, now) {
		if interval > 0 {
			scope.requeue(latest.CheckedAt.Add(interval).Sub(now))
		}
		return r.useAllowedRevision(ctx, scope, latest)
	}

	keychain, err := r.pullKeychain(ctx, w)
	if err != nil {
		return err
	}
	result := r.pinner.pin(w, scope.templateHash, revision.Images(&w.Spec.Template), keychain)
	switch {
	case found && pinReason(result.err) == pin.RegistryNotAllowed:
		return r.useAllowedRevision(ctx, scope, latest) // refused there, with the reason
	case found && (result.pending || result.err != nil):
		// A refresh that has not answered (or failed) keeps the revision as it is pinned.
		if result.err != nil {
			scope.refreshErr = result.err
			scope.requeue(result.retryAfter)
		}
		return r.useAllowedRevision(ctx, scope, latest)
	case result.pending:
		scope.pinning = &pinning{pending: true}
		r.holdAtCurrent(scope)
		return nil
	case result.err != nil:
		scope.pinning = &pinning{err: result.err}
		scope.requeue(result.retryAfter)
		r.holdAtCurrent(scope)
		return r.recordPinningFailed(ctx, scope, result.err)
	}

	if found && revision.SameDigests(latest.Pins, result.pins) {
		scope.requeue(interval)
		if err := r.markRefreshed(ctx, w, latest, now); err != nil {
			return err
		}
		return r.useRevision(ctx, scope, latest)
	}
	// The same bytes pinned before for this template (a tag that moved back): that revision.
	if earlier, ok := revision.FindPinned(revisions, scope.templateHash, result.pins); ok {
		return r.useRevision(ctx, scope, earlier)
	}
	// The first revision of a template is named by its hash alone, unless pods already carry
	// that name: its ControllerRevision was deleted, and what they run may not be what the
	// registry serves now, so the new pins get a name of their own and replace them.
	id := scope.templateHash
	taken, err := r.podsAtRevision(ctx, w, id)
	if err != nil {
		return err
	}
	if found || taken {
		id = revision.ID(scope.templateHash, result.pins, false)
	}
	if existing, ok := revision.Find(revisions, id); ok {
		return r.useRevision(ctx, scope, existing)
	}
	rev, err := r.createRevision(ctx, scope, id, result.pins)
	if err != nil {
		return err
	}
	scope.requeue(interval)
	return r.useRevision(ctx, scope, rev)
}

// useAllowedRevision uses a recorded revision if its images are still within the
// workload's allowed registries, which may have been narrowed since it was pinned.
func (r *GDPRWorkloadReconciler) useAllowedRevision(ctx context.Context, scope *workloadScope, rev revision.Revision) error {
	if err := disallowedPin(scope.workload, rev); err != nil {
		scope.pinning = &pinning{err: err}
		r.holdAtCurrent(scope)
		return r.recordPinningFailed(ctx, scope, err)
	}
	return r.useRevision(ctx, scope, rev)
}

// disallowedPin refuses a revision with an image outside the workload's allowed registries.
func disallowedPin(w *gdprv1alpha1.GDPRWorkload, rev revision.Revision) error {
	for _, p := range rev.Pins {
		if !pin.Allowed(p.Image, w.Spec.ImagePolicy.AllowedRegistries) {
			return &pin.Error{Image: p.Image, Reason: pin.RegistryNotAllowed, Err: errors.New("it is not in spec.imagePolicy.allowedRegistries")}
		}
	}
	return nil
}

// podsAtRevision reports whether a pod of the workload carries revision id.
func (r *GDPRWorkloadReconciler) podsAtRevision(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, id string) (bool, error) {
	list := &corev1.PodList{}
	if err := r.List(ctx, list, ofWorkload(w, client.MatchingLabels{gdprv1alpha1.RevisionLabel: id})...); err != nil {
		return false, fmt.Errorf("list pods: %w", err)
	}
	for i := range list.Items {
		if ownedBy(&list.Items[i], w) {
			return true, nil
		}
	}
	return false, nil
}

// listRevisions reads the workload's ControllerRevisions from the cache.
func (r *GDPRWorkloadReconciler) listRevisions(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) ([]revision.Revision, error) {
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
	return r.recentRevisions.overlay(w.UID, revisions, time.Now()), nil
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
	r.recentRevisions.wrote(scope.workload.UID, rev, time.Now())
	scope.revisions = append(scope.revisions, rev)
	return rev, nil
}

// useRevision makes rev the revision new pods are made from. A revision that is not the
// newest is restored: it gets the next number, so the history shows it ran again.
func (r *GDPRWorkloadReconciler) useRevision(ctx context.Context, scope *workloadScope, rev revision.Revision) error {
	if next := revision.NextNumber(scope.revisions); rev.Number != next-1 {
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
		r.recentRevisions.wrote(scope.workload.UID, rev, time.Now())
	}
	scope.revision, scope.current = rev.ID, rev
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

// holdAtCurrent keeps the pods as they are while the template's revision cannot be pinned:
// a pod that goes missing is replaced from the revision the workload last fully ran.
func (r *GDPRWorkloadReconciler) holdAtCurrent(scope *workloadScope) {
	scope.hold = true
	scope.revision, scope.current = "", revision.Revision{}
	if rev, ok := revision.Find(scope.revisions, scope.workload.Status.CurrentRevision); ok && disallowedPin(scope.workload, rev) == nil {
		scope.revision, scope.current = rev.ID, rev
	}
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
	inUse := map[string]bool{scope.revision: true}
	outdated := false
	for i := range scope.pods {
		rev := scope.pods[i].Labels[gdprv1alpha1.RevisionLabel]
		inUse[rev] = true
		outdated = outdated || rev != scope.revision
	}
	if outdated || scope.hold {
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
	event, message := EventRevisionPinned, ""
	switch {
	case rev.Restored():
		entry.Type, entry.Reason = gdprv1alpha1.AuditRevisionRestored, "Rollback"
		event = EventRevisionRestored
		message = fmt.Sprintf("Revision %s restored as #%d with the digests recorded when it was pinned: %s", rev.ID, rev.Number, describePins(rev.Pins))
	case rev.ID != rev.TemplateHash:
		entry.Type, entry.Reason = gdprv1alpha1.AuditRevisionPinned, "TagMoved"
		message = fmt.Sprintf("Revision %s (#%d) pinned after a refresh found a tag moved: %s", rev.ID, rev.Number, describePins(rev.Pins))
	default:
		entry.Type, entry.Reason = gdprv1alpha1.AuditRevisionPinned, "Pinned"
		message = fmt.Sprintf("Revision %s (#%d) pinned: %s", rev.ID, rev.Number, describePins(rev.Pins))
	}
	entry.Message = message
	written, err := r.Ledger.Append(ctx, w.Namespace, w.Name, entry)
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
	reason := string(pinReason(failure))
	written, err := r.Ledger.Append(ctx, w.Namespace, w.Name, gdprv1alpha1.AuditEventSpec{
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
		r.Recorder.Eventf(w, nil, corev1.EventTypeWarning, EventPinningFailed, "PinImages", "%v", failure)
	}
	return nil
}

// recordRollout records the start and the end of the replacement of one revision's pods by
// another's.
func (r *GDPRWorkloadReconciler) recordRollout(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	from := w.Status.CurrentRevision
	if scope.hold || scope.revision == "" || from == "" || from == scope.revision {
		return nil
	}
	outdated := 0
	for i := range scope.pods {
		if scope.pods[i].DeletionTimestamp == nil && scope.pods[i].Labels[gdprv1alpha1.RevisionLabel] != scope.revision {
			outdated++
		}
	}
	key := fmt.Sprintf("%s/rollout/%s/%d", w.UID, scope.revision, scope.current.Number)
	subject := gdprv1alpha1.AuditSubject{Workload: w.Name, WorkloadUID: string(w.UID), Generation: w.Generation, Revision: scope.revision}
	if _, err := r.Ledger.Append(ctx, w.Namespace, w.Name, gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditRolloutStarted, Reason: "NewRevision", Subject: subject, Actor: ownActor,
		IdempotencyKey: key + "/started",
		Message:        fmt.Sprintf("Replacing the pods of revision %s with pods of revision %s", from, scope.revision),
	}); err != nil {
		return err
	}
	if outdated > 0 {
		return nil
	}
	_, err := r.Ledger.Append(ctx, w.Namespace, w.Name, gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditRolloutCompleted, Reason: "AllPodsUpdated", Subject: subject, Actor: ownActor,
		IdempotencyKey: key + "/completed",
		Message:        fmt.Sprintf("Every pod runs revision %s (was %s)", scope.revision, from),
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

// pinReason is the condition reason for a pinning failure.
func pinReason(err error) pin.Reason {
	var pe *pin.Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return pin.RegistryUnavailable
}
