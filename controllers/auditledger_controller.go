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
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	"github.com/amber-gdpr/amber/internal/ledger"
)

// Condition type and reasons of an AuditLedger.
const (
	// VerifiedCondition is True when the ledger's chain and checkpoints verify, False with the
	// first bad sequence number otherwise.
	VerifiedCondition = "Verified"
	// ReasonChainVerified (Verified=True).
	ReasonChainVerified = "ChainVerified"
	// ReasonChainBroken (Verified=False): an entry was modified, deleted, inserted or reordered,
	// or a checkpoint does not verify.
	ReasonChainBroken = "ChainBroken"

	// EventLedgerTampered is the Warning event of a ledger that stops verifying.
	EventLedgerTampered = "LedgerTampered"
	// EventEntriesExpired is the event of entries removed by retention.
	EventEntriesExpired = "EntriesExpired"
)

// keptCheckpoints is how many of the newest checkpoints a ledger's status lists.
const keptCheckpoints = 5

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

// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=auditevents,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=auditledgers,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=auditledgers/status,verbs=get;update;patch

// Reconcile verifies, checkpoints and trims one ledger and reports on it.
func (r *AuditLedgerReconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	l := &gdprv1alpha1.AuditLedger{}
	if err := r.Get(ctx, req.NamespacedName, l); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	now := r.now()
	if err := r.syncRetention(ctx, l); err != nil {
		return reconcile.Result{}, err
	}

	// Sign first: a checkpoint that is due becomes part of what is verified below.
	requeue := r.FullVerifyInterval
	untilCheckpoint, err := r.checkpointIfDue(ctx, l, now)
	if err != nil {
		return reconcile.Result{}, err
	}
	if untilCheckpoint > 0 {
		requeue = min(requeue, untilCheckpoint)
	}

	entries, err := r.listEntries(ctx, l)
	if err != nil {
		return reconcile.Result{}, err
	}
	base := l.DeepCopy()
	report, full := r.verify(l, entries, now)
	if report.Problem == nil {
		removed, err := r.expire(ctx, l, entries, now)
		if err != nil {
			return reconcile.Result{}, err
		}
		if removed > 0 {
			entries = entries[removed:]
			r.Recorder.Eventf(l, nil, corev1.EventTypeNormal, EventEntriesExpired, "Expire", "Removed %d entries older than %s, covered by the checkpoint at entry %d", removed, l.Spec.Retention.Duration, entries[0].Spec.Sequence)
		}
	}
	r.summarize(l, entries, report, full, now)
	if equality.Semantic.DeepEqual(base.Status, l.Status) && r.statusWrites.skippable(l) {
		return reconcile.Result{RequeueAfter: requeue}, nil
	}
	if err := r.Status().Patch(ctx, l, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{})); err != nil {
		if apierrors.IsConflict(err) {
			return reconcile.Result{RequeueAfter: statusConflictRecheck}, nil
		}
		return reconcile.Result{}, fmt.Errorf("patch ledger status: %w", err)
	}
	r.statusWrites.wrote(l)
	return reconcile.Result{RequeueAfter: requeue}, nil
}

func (r *AuditLedgerReconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// syncRetention copies the workload's retention into the ledger, which keeps it after the
// workload is gone.
func (r *AuditLedgerReconciler) syncRetention(ctx context.Context, l *gdprv1alpha1.AuditLedger) error {
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
	return nil
}

// checkpointIfDue signs a checkpoint once the oldest unsigned entry is CheckpointInterval old,
// and says how long until one is due: zero when no entry waits for one. A ledger with every
// entry signed needs no timer: its next entry enqueues it.
func (r *AuditLedgerReconciler) checkpointIfDue(ctx context.Context, l *gdprv1alpha1.AuditLedger, now time.Time) (time.Duration, error) {
	due, pending, err := r.Ledger.CheckpointDue(ctx, l.Namespace, l.Name, r.CheckpointInterval)
	if err != nil {
		return 0, err
	}
	if !pending {
		return 0, nil
	}
	if wait := due.Sub(now); wait > 0 {
		return wait, nil
	}
	if err := r.Ledger.Checkpoint(ctx, l.Namespace, l.Name); err != nil {
		return 0, err
	}
	return 0, nil
}

func (r *AuditLedgerReconciler) listEntries(ctx context.Context, l *gdprv1alpha1.AuditLedger) ([]gdprv1alpha1.AuditEvent, error) {
	list := &gdprv1alpha1.AuditEventList{}
	// The entries are only read: copying every one of a long chain on every reconcile would
	// cost more than verifying it.
	// Through the index: a namespace can hold the entries of many ledgers.
	if err := r.List(ctx, list, client.InNamespace(l.Namespace), client.MatchingFields{ledgerIndex: l.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list entries of ledger %s: %w", l.Name, err)
	}
	entries := list.Items
	slices.SortFunc(entries, func(a, b gdprv1alpha1.AuditEvent) int { return cmp.Compare(a.Spec.Sequence, b.Spec.Sequence) })
	return entries, nil
}

// verify checks the entries not verified yet, or the whole chain when it is time to, when
// nothing was verified since start, or when entries already verified disappeared.
func (r *AuditLedgerReconciler) verify(l *gdprv1alpha1.AuditLedger, entries []gdprv1alpha1.AuditEvent, now time.Time) (report ledger.Report, full bool) {
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
	report = ledger.Verify(l.Namespace, l.Name, fresh, r.Keys, opts)
	if report.Problem != nil {
		r.forgetVerified(key)
		return report, opts.After == nil
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
	return report, opts.After == nil
}

func (r *AuditLedgerReconciler) forgetVerified(key types.NamespacedName) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.verified, key)
}

// expire deletes the entries past the ledger's retention that a checkpoint covers: every
// entry before the newest checkpoint whose covered entry is older than the retention. That
// checkpoint stays, and anchors verification of what is left. It returns how many leading
// entries it removed.
func (r *AuditLedgerReconciler) expire(ctx context.Context, l *gdprv1alpha1.AuditLedger, entries []gdprv1alpha1.AuditEvent, now time.Time) (int, error) {
	if l.Spec.Retention == nil || len(entries) < 2 {
		return 0, nil
	}
	cutoff := now.Add(-l.Spec.Retention.Duration)
	keepFrom := 0
	for i := 1; i < len(entries); i++ {
		// A checkpoint records nothing but the chain's state: a recent one between expired
		// entries goes with them once a later checkpoint covers it too.
		if previous := &entries[i-1]; previous.Spec.Type != gdprv1alpha1.AuditCheckpoint && !previous.Spec.Time.Time.Before(cutoff) {
			break
		}
		if entries[i].Spec.Type == gdprv1alpha1.AuditCheckpoint {
			keepFrom = i
		}
	}
	for i := range keepFrom {
		e := &entries[i]
		if err := r.Delete(ctx, e, client.Preconditions{UID: &e.UID}); err != nil && !apierrors.IsNotFound(err) {
			return i, fmt.Errorf("expire entry %d of ledger %s: %w", e.Spec.Sequence, l.Name, err)
		}
	}
	if keepFrom > 0 {
		key := types.NamespacedName{Namespace: l.Namespace, Name: l.Name}
		r.mu.Lock()
		if state, ok := r.verified[key]; ok {
			state.entries -= keepFrom
			r.verified[key] = state
		}
		r.mu.Unlock()
	}
	return keepFrom, nil
}

func (r *AuditLedgerReconciler) summarize(l *gdprv1alpha1.AuditLedger, entries []gdprv1alpha1.AuditEvent, report ledger.Report, full bool, now time.Time) {
	status := &l.Status
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
	// lastVerified moves when verification found something new sound: the whole chain, or
	// entries past the verified head. Stamping every reconcile would make each one a status
	// write, for every ledger, all the time; a broken chain, verified in full on every
	// reconcile, keeps the time it last verified.
	if report.Problem == nil && (full || status.LastVerified == nil || report.Head != status.VerifiedSequence) {
		status.LastVerified = &metav1.Time{Time: now.Truncate(time.Second)}
	}

	condition := metav1.Condition{Type: VerifiedCondition, ObservedGeneration: l.Generation}
	if p := report.Problem; p != nil {
		condition.Status, condition.Reason = metav1.ConditionFalse, ReasonChainBroken
		condition.Message = p.Error()
		if meta.IsStatusConditionTrue(status.Conditions, VerifiedCondition) || meta.FindStatusCondition(status.Conditions, VerifiedCondition) == nil {
			r.Recorder.Eventf(l, nil, corev1.EventTypeWarning, EventLedgerTampered, "Verify", "The audit chain does not verify: %s", p.Error())
		}
	} else {
		status.VerifiedSequence = report.Head
		condition.Status, condition.Reason = metav1.ConditionTrue, ReasonChainVerified
		condition.Message = fmt.Sprintf("Entries %d to %d verified; %d not yet covered by a signed checkpoint", status.FirstSequence, report.Head, report.Unsigned)
	}
	meta.SetStatusCondition(&status.Conditions, condition)
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
