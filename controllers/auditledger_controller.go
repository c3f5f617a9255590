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
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/failpoint"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// AuditLedgerReconciler keeps each ledger's status true to its chain: it verifies new entries
// as they arrive (and the whole chain every FullVerifyInterval), signs a checkpoint when the
// oldest unsigned entry is CheckpointInterval old, and removes entries past their retention
// once a checkpoint covers them.
type AuditLedgerReconciler struct {
	client.Client
	Recorder recorder.EventRecorder
	Ledger   *audit.Writer
	// Keys are the public keys checkpoints may be signed with.
	Keys ledger.Keys
	// CheckpointEvery is the writer's checkpoint period in entries: verification refuses longer
	// unsigned runs.
	CheckpointEvery int
	// CheckpointInterval is the longest an entry waits for a checkpoint.
	CheckpointInterval time.Duration
	// FullVerifyInterval is how often the whole chain is verified again, not just new entries.
	FullVerifyInterval time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu           sync.Mutex
	verified     map[types.NamespacedName]verifiedChain
	statusWrites statusWrites
}

// verifiedChain is how far a ledger's chain has been verified.
type verifiedChain struct {
	anchor *ledger.Anchor
	// entries is how many entries the verified part held, so a deletion among them shows.
	entries int
	full    time.Time
}

// ledgerScope carries what one reconcile of one ledger reads, from phase to phase.
type ledgerScope struct {
	ledger *gdprv1alpha1.AuditLedger
	// base is the ledger as the API server last returned it, before this reconcile's status:
	// the status patch is computed from it, and a condition's change is seen against it.
	base *gdprv1alpha1.AuditLedger
	// now is the reconcile's time, for checkpoints, retention and lastVerified alike.
	now time.Time
	// entries are the ledger's entries in sequence order, less those retention removed;
	// listed says they were read.
	entries []gdprv1alpha1.AuditEvent
	listed  bool
	// report is the outcome of verification, nil until it ran; full says it covered the
	// whole chain, not only new entries.
	report *ledger.Report
	full   bool
	// requeueAfter is when to look at the ledger again, 0 for no particular time.
	requeueAfter time.Duration
}

// requeue asks for the ledger to be reconciled again after d at the latest.
func (s *ledgerScope) requeue(d time.Duration) {
	if d > 0 && (s.requeueAfter == 0 || d < s.requeueAfter) {
		s.requeueAfter = d
	}
}

// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=auditevents,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=auditledgers,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=auditledgers/status,verbs=get;update;patch

// Reconcile verifies, checkpoints and trims one ledger and reports on it.
func (r *AuditLedgerReconciler) Reconcile(ctx context.Context, req reconcile.Request) (result reconcile.Result, retErr error) {
	l := &gdprv1alpha1.AuditLedger{}
	if err := r.Get(ctx, req.NamespacedName, l); err != nil {
		if apierrors.IsNotFound(err) {
			// A ledger made again under the same name is a new chain: what was verified of
			// the old one must not anchor it.
			r.forgetVerified(req.NamespacedName)
			forgetLedger(req.NamespacedName)
		}
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}

	scope := &ledgerScope{ledger: l, base: l.DeepCopy(), now: r.now()}
	scope.requeue(r.FullVerifyInterval)
	defer func() {
		summarizeLedger(scope, retErr)
		recordLedger(l)
		base := scope.base
		if equality.Semantic.DeepEqual(base.Status, l.Status) && r.statusWrites.skippable(l) {
			return // nothing to write: a status write costs the API server, and every ledger has many reconciles
		}
		// The optimistic lock matters, as for a workload: a merge patch computed from a cached
		// copy that lags our own last write would leave out fields that only look unchanged.
		err := r.Status().Patch(ctx, l, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
		switch {
		case err == nil:
			r.statusWrites.wrote(l)
			// The event goes out once the status saying so is written: a reconcile whose write
			// conflicts sees the chain still unbroken in its next copy and tells then, so the
			// transition is told once, however many reconciles notice it.
			if chainBroke(base.Status.Conditions, l.Status.Conditions) {
				verified := meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.VerifiedCondition)
				r.Recorder.Eventf(l, nil, corev1.EventTypeWarning, gdprv1alpha1.EventLedgerTampered, "Verify", "The audit chain does not verify: %s", verified.Message)
			}
		case apierrors.IsNotFound(err):
		case apierrors.IsConflict(err) && retErr == nil:
			// The cache has not caught up with our last status write yet; look again shortly.
			result = reconcile.Result{RequeueAfter: statusConflictRecheck}
		default:
			retErr = errors.Join(retErr, fmt.Errorf("patch ledger status: %w", err))
		}
	}()

	for _, phase := range []func(context.Context, *ledgerScope) error{
		r.syncRetention,
		// Sign first: a checkpoint that is due becomes part of what is verified below.
		r.checkpointIfDue,
		r.listEntries,
		r.finishRetention,
		r.verify,
		r.expire,
	} {
		if err := phase(ctx, scope); err != nil {
			return reconcile.Result{}, err
		}
	}
	return reconcile.Result{RequeueAfter: scope.requeueAfter}, nil
}

func (r *AuditLedgerReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// syncRetention copies the workload's retention into the ledger, which keeps it after the
// workload is gone.
func (r *AuditLedgerReconciler) syncRetention(ctx context.Context, scope *ledgerScope) error {
	l := scope.ledger
	w := &gdprv1alpha1.GDPRWorkload{}
	if err := r.Get(ctx, client.ObjectKey{Namespace: l.Namespace, Name: l.Spec.Workload}, w); err != nil {
		return client.IgnoreNotFound(err)
	}
	want := w.Spec.Audit.Retention
	if want == nil || (l.Spec.Retention != nil && l.Spec.Retention.Duration == want.Duration) {
		return nil
	}
	patch := client.MergeFrom(l.DeepCopy())
	l.Spec.Retention = want.DeepCopy()
	if err := r.Patch(ctx, l, patch); err != nil {
		return fmt.Errorf("set ledger retention: %w", err)
	}
	// The status patch is computed from, and locked to, the ledger as the server now has it:
	// the old copy's resourceVersion would only conflict.
	scope.base = l.DeepCopy()
	return nil
}

// checkpointIfDue signs a checkpoint once the oldest unsigned entry is CheckpointInterval old,
// and otherwise asks to come back when one is due. A ledger with every entry signed needs no
// timer: its next entry enqueues it.
func (r *AuditLedgerReconciler) checkpointIfDue(ctx context.Context, scope *ledgerScope) error {
	l := scope.ledger
	due, pending, err := r.Ledger.CheckpointDue(ctx, l.Namespace, l.Name, r.CheckpointInterval)
	if err != nil || !pending {
		return err
	}
	if wait := due.Sub(scope.now); wait > 0 {
		scope.requeue(wait)
		return nil
	}
	return r.Ledger.Checkpoint(ctx, l.Namespace, l.Name)
}

func (r *AuditLedgerReconciler) listEntries(ctx context.Context, scope *ledgerScope) error {
	l := scope.ledger
	list := &gdprv1alpha1.AuditEventList{}
	// The entries are only read: copying every one of a long chain on every reconcile would
	// cost more than verifying it.
	// Through the index: a namespace can hold the entries of many ledgers.
	if err := r.List(ctx, list, client.InNamespace(l.Namespace), client.MatchingFields{ledgerIndex: l.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list entries of ledger %s: %w", l.Name, err)
	}
	scope.entries, scope.listed = list.Items, true
	slices.SortFunc(scope.entries, func(a, b gdprv1alpha1.AuditEvent) int { return cmp.Compare(a.Spec.Sequence, b.Spec.Sequence) })
	return nil
}

// verify checks the entries not verified yet, or the whole chain when it is time to, when
// nothing was verified since start, or when entries already verified disappeared. What it
// finds is no error of the reconcile: a broken chain is reported in the status.
func (r *AuditLedgerReconciler) verify(_ context.Context, scope *ledgerScope) error {
	l, entries, now := scope.ledger, scope.entries, scope.now
	key := types.NamespacedName{Namespace: l.Namespace, Name: l.Name}
	r.mu.Lock()
	state, ok := r.verified[key]
	r.mu.Unlock()

	opts := ledger.Options{MaxUnsigned: r.CheckpointEvery}
	fresh := entries
	if ok && state.anchor != nil && now.Sub(state.full) < r.FullVerifyInterval {
		verifiedPart, _ := slices.BinarySearchFunc(entries, state.anchor.Sequence+1, func(e gdprv1alpha1.AuditEvent, seq int64) int { return cmp.Compare(e.Spec.Sequence, seq) })
		if verifiedPart == state.entries {
			fresh, opts.After = entries[verifiedPart:], state.anchor
		}
	}
	report := ledger.Verify(l.Namespace, l.Name, fresh, r.Keys, opts)
	scope.report, scope.full = &report, opts.After == nil
	if report.Problem != nil {
		r.forgetVerified(key)
		return nil
	}
	if opts.After == nil {
		state = verifiedChain{full: now}
	} else {
		report.Entries += state.entries
	}
	state.anchor, state.entries = report.Anchor(), len(entries)
	r.mu.Lock()
	r.verified[key] = state
	r.mu.Unlock()
	return nil
}

func (r *AuditLedgerReconciler) forgetVerified(key types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.verified, key)
}

// finishRetention completes a retention pass that was cut short (the manager crashed, or a
// deletion failed, between two of its deletions) before the chain is verified: verification
// would take what the pass left for entries deleted by someone, and expire removes nothing
// from a chain that does not verify, so the ledger would stay Stalled for good. Which
// entries the pass left, and that they are intact, ledger.Unfinished decides.
func (r *AuditLedgerReconciler) finishRetention(ctx context.Context, scope *ledgerScope) error {
	l := scope.ledger
	if l.Spec.Retention == nil {
		return nil
	}
	n := ledger.Unfinished(l.Namespace, l.Name, scope.entries, scope.now.Add(-l.Spec.Retention.Duration), r.Keys)
	if n == 0 {
		return nil
	}
	anchor := scope.entries[n].Spec.Sequence
	ctrl.LoggerFrom(ctx).Info("Finishing a retention pass that was cut short", "entries", n, "firstSequence", scope.entries[0].Spec.Sequence, "checkpoint", anchor)
	removed, err := r.removeLeading(ctx, scope, n)
	if removed > 0 {
		r.Recorder.Eventf(l, nil, corev1.EventTypeNormal, gdprv1alpha1.EventEntriesExpired, "Expire", "Finished a retention pass cut short: removed %d entries older than %s, covered by the checkpoint at entry %d", removed, l.Spec.Retention.Duration, anchor)
	}
	return err
}

// expire deletes the entries past the ledger's retention that a checkpoint covers (which,
// ledger.KeepFrom decides), oldest first. A chain that does not verify keeps every entry:
// they are the evidence.
func (r *AuditLedgerReconciler) expire(ctx context.Context, scope *ledgerScope) error {
	l := scope.ledger
	if l.Spec.Retention == nil || scope.report.Problem != nil {
		return nil
	}
	keepFrom := ledger.KeepFrom(scope.entries, scope.now.Add(-l.Spec.Retention.Duration))
	if keepFrom == 0 {
		return nil
	}
	anchor := scope.entries[keepFrom].Spec.Sequence
	removed, err := r.removeLeading(ctx, scope, keepFrom)
	if removed == 0 {
		return err
	}
	r.Recorder.Eventf(l, nil, corev1.EventTypeNormal, gdprv1alpha1.EventEntriesExpired, "Expire", "Removed %d entries older than %s, covered by the checkpoint at entry %d", removed, l.Spec.Retention.Duration, anchor)
	return err
}

// removeLeading deletes the ledger's first n entries, oldest first, so that a pass cut short
// leaves a run that still ends at the checkpoint the pass keeps (ledger.Unfinished finds it).
// It drops those removed from the scope and from what was verified, and returns how many.
func (r *AuditLedgerReconciler) removeLeading(ctx context.Context, scope *ledgerScope, n int) (int, error) {
	l := scope.ledger
	removed := 0
	var err error
	for ; removed < n; removed++ {
		if removed > 0 {
			failpoint.Crash(failpoint.MidRetention, l.Namespace, l.Name)
		}
		e := &scope.entries[removed]
		if err = client.IgnoreNotFound(r.Delete(ctx, e, client.Preconditions{UID: &e.UID})); err != nil {
			err = fmt.Errorf("expire entry %d of ledger %s: %w", e.Spec.Sequence, l.Name, err)
			break
		}
	}
	if removed == 0 {
		return 0, err
	}
	scope.entries = scope.entries[removed:]
	key := types.NamespacedName{Namespace: l.Namespace, Name: l.Name}
	r.mu.Lock()
	if state, ok := r.verified[key]; ok {
		state.entries -= removed
		r.verified[key] = state
	}
	r.mu.Unlock()
	return removed, err
}

// appendSettle is how long a ledger waits after a new entry before it is verified and its
// status written. A replaced pod alone appends four entries within a second: taken together
// they cost the API server one status write instead of four. Changed or deleted entries
// (tampering) are verified at once.
const appendSettle = 2 * time.Second

// entryEventHandler enqueues an entry's ledger: appends after appendSettle, together with any
// that follow; changes and deletions at once.
func entryEventHandler() handler.EventHandler {
	ledgerOf := func(o client.Object) reconcile.Request {
		return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetLabels()[gdprv1alpha1.AuditLedgerLabel]}}
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			q.AddAfter(ledgerOf(e.Object), appendSettle)
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			q.Add(ledgerOf(e.ObjectNew))
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			q.Add(ledgerOf(e.Object))
		},
	}
}

// ledgerIndex indexes the cached AuditEvents by the ledger they belong to.
const ledgerIndex = "spec.ledger"

// SetupWithManager registers the reconciler: it runs when a ledger or any of its entries changes.
func (r *AuditLedgerReconciler) SetupWithManager(mgr ctrl.Manager, maxConcurrent int) error {
	r.verified = map[types.NamespacedName]verifiedChain{}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &gdprv1alpha1.AuditEvent{}, ledgerIndex, func(o client.Object) []string {
		return []string{o.(*gdprv1alpha1.AuditEvent).Spec.Ledger}
	}); err != nil {
		return fmt.Errorf("index audit entries by ledger: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		// Status changes too: someone rewriting a ledger's status (a Verified condition
		// turned back to True) is corrected at once. Our own writes come back as well; the
		// reconcile they cause finds nothing new and writes nothing.
		For(&gdprv1alpha1.AuditLedger{}).
		Watches(&gdprv1alpha1.AuditEvent{}, entryEventHandler()).
		WithOptions(controller.Options{MaxConcurrentReconciles: maxConcurrent, ReconciliationTimeout: reconcileTimeout}).
		Named("auditledger").
		Complete(r)
}
