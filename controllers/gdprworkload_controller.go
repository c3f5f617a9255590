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
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/source"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/failure"
	"github.com/amber-gdpr/amber/internal/pin"
	"github.com/amber-gdpr/amber/internal/podplan"
	"github.com/amber-gdpr/amber/internal/residency"
	"github.com/amber-gdpr/amber/internal/revision"
)

// pendingRecheck is how soon a workload is looked at again while pods it created or deleted
// have not shown up in the cache: normally the watch event arrives first.
const pendingRecheck = 5 * time.Second

// unschedulableRecheck is how often a workload whose pods find no node is looked at again.
// Long: nothing Amber does helps them, and the pod's binding wakes the workload anyway.
const unschedulableRecheck = 5 * time.Minute

// reconcileTimeout bounds one reconcile, API calls included.
const reconcileTimeout = time.Minute

// statusConflictRecheck is how soon a workload whose status write met a newer version is
// reconciled again: the cache is normally that little behind.
const statusConflictRecheck = 100 * time.Millisecond

// GDPRWorkloadReconciler keeps the pods of each GDPRWorkload as declared: it creates missing
// pods, deletes surplus ones and replaces pods of an older template revision or that drifted.
type GDPRWorkloadReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder recorder.EventRecorder
	// APIReader reads around the cache, to confirm that a pod the cache no longer shows is gone.
	APIReader client.Reader
	// Ledger records what happens to each workload and its pods in the workload's audit
	// ledger. A reconcile appends only through its scope's workloadLedger, which keeps order.
	Ledger *audit.Writer
	// Actors says how the people and tools that change workloads appear in the ledger.
	Actors audit.Actors
	// MaxConcurrentReconciles is how many workloads are reconciled at once.
	MaxConcurrentReconciles int
	// Images resolves image tags to digests, caching what registries answered.
	Images *pin.Cache

	// MaxDriftRepeats is how many times in a row pods that replaced drifted pods may drift
	// again in the same way before Amber stops replacing them (Stalled, DriftLoop).
	MaxDriftRepeats int
	// Residency names the node labels that spec.residency is matched against; the zero
	// value means the well-known topology labels.
	Residency residency.Keys
	// Admission, when set, is the guard of Amber's admission configuration: every workload
	// carries its AdmissionGuarded condition and is reconciled when it changes.
	Admission *AdmissionGuard

	expectations    *podExpectations
	pinner          *imagePinner
	recentRevisions recentRevisions
	drift           *driftTracker
	statusWrites    statusWrites
}

// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=gdprworkloads,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=gdprworkloads/finalizers,verbs=update
// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=gdprworkloads/status,verbs=get;update;patch
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",namespace=system,resources=secrets,verbs=get;create
// +kubebuilder:rbac:groups="",namespace=system,resources=configmaps,verbs=get;create;update

// Reconcile brings one workload's pods to its spec and reports on them in its status.
func (r *GDPRWorkloadReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	workload := &gdprv1alpha1.GDPRWorkload{}
	if err := r.Get(ctx, req.NamespacedName, workload); err != nil {
		if apierrors.IsNotFound(err) {
			r.forgetWorkload(req.NamespacedName, "")
			workloadConditions.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	now := time.Now()
	if !workload.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, workload, now)
	}
	// The finalizer goes on before anything else happens: without it the workload could be
	// gone before its deletion, the last entry of its history, is recorded.
	if !controllerutil.ContainsFinalizer(workload, gdprv1alpha1.LedgerFinalizer) {
		patch := client.MergeFrom(workload.DeepCopy())
		controllerutil.AddFinalizer(workload, gdprv1alpha1.LedgerFinalizer)
		if err := r.Patch(ctx, workload, patch); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}

	scope := &workloadScope{workload: workload, now: now, ledger: newWorkloadLedger(r.Ledger, workload)}
	base := workload.DeepCopy()
	var outcome error
	defer func() {
		summarizeStatus(scope, outcome)
		setAdmissionGuardedCondition(workload, r.Admission)
		workloadConditions.record(workload)
		if equality.Semantic.DeepEqual(base.Status, workload.Status) && r.statusWrites.skippable(workload) {
			return // nothing to write: every write costs the API server, and there are many reconciles
		}
		// The optimistic lock matters: a merge patch computed from a cached copy that lags our
		// own last write would leave out fields that only look unchanged, and they would stay wrong.
		err := r.Status().Patch(ctx, workload, client.MergeFromWithOptions(base, client.MergeFromWithOptimisticLock{}))
		switch {
		case err == nil:
			r.statusWrites.wrote(workload)
		case apierrors.IsNotFound(err):
		case apierrors.IsConflict(err) && (retErr == nil || errors.Is(retErr, reconcile.TerminalError(nil))):
			// The cache has not caught up with our last status write yet; look again shortly,
			// even after a terminal error, so that the status still tells why.
			result, retErr = ctrl.Result{RequeueAfter: statusConflictRecheck}, nil
		default:
			retErr = errors.Join(retErr, fmt.Errorf("patch status: %w", err))
		}
	}()

	err := r.reconcilePhases(ctx, scope)
	// Nothing the reconcile started outlives it.
	err = errors.Join(err, scope.ledger.wait())
	outcome = outcomeOf(scope, err)
	return resultOf(scope, err, outcome)
}

// reconcilePhases runs the phases of a reconcile in order, until the first error.
func (r *GDPRWorkloadReconciler) reconcilePhases(ctx context.Context, scope *workloadScope) error {
	for _, phase := range []func(context.Context, *workloadScope) error{
		r.hashTemplate,
		r.recordWorkload,
		r.observePods,
		r.observeRetirements,
		r.pinRevision,
		r.recordObservedPods,
		r.recordRecoveredRepairs,
		r.detectDrift,
		r.retirePods,
		r.planPods,
		r.reconcilePods,
		r.endRetirements,
		r.repairEscaped,
		r.tallyDrift,
		r.recordRollout,
		r.pruneRevisions,
	} {
		if err := phase(ctx, scope); err != nil {
			return err
		}
	}
	if scope.pods.pending {
		scope.requeue(pendingRecheck)
	}
	if scope.pods.unschedulable > 0 {
		// The scheduler retries by itself, and a pod it binds wakes the workload; this only
		// keeps the status from telling an old story should that wake-up be missed.
		scope.requeue(unschedulableRecheck)
	}
	return nil
}

// outcomeOf classifies how the reconcile ended, for the conditions: a stalling failure (the
// API server refused the template's pods, a drift loop, a pin only a person can unblock) wins
// over any other error; then an error that is retried; then a pin that waits for a registry.
func outcomeOf(scope *workloadScope, err error) error {
	if failure.StallingOf(err) != nil {
		return err
	}
	if scope.drift.looping {
		// The error of a step that failed stays in: it is still retried (resultOf).
		return errors.Join(failure.Stall(gdprv1alpha1.ReasonDriftLoop, errors.New(driftLoopMessage(scope.drift.repeated, scope.drift.loopPaths))), err)
	}
	if err != nil {
		return err
	}
	if blocked := scope.pin.choice.Blocked; blocked != nil && scope.pin.held() {
		reason := string(revision.ReasonOf(blocked))
		message := fmt.Sprintf("no pod of the new template is made until its images are pinned; pods already running are kept: %v", blocked)
		if revision.Stalls(blocked) {
			return failure.Stall(reason, errors.New(message)) // only a change to the workload helps
		}
		return failure.Wait(reason, errors.New(message+" (retrying)"), scope.pin.choice.RecheckAfter)
	}
	return nil
}

// resultOf says when the workload is reconciled again, from the phases' error and the
// outcome. A step that failed is retried with backoff, whatever else holds: it must still
// happen. A stall a step returned (the API server refused the template's pods) ends the
// reconcile. A stalled workload is not looked at again either, unless the reconcile asked
// for a recheck of its own (pods still on the way, a replacement waiting for the budget):
// retrying would meet the same wall, once a second for every such workload. Its spec
// changing, a pod of its changing, or a pull secret or service account it uses changing,
// wakes it.
func resultOf(scope *workloadScope, err, outcome error) (ctrl.Result, error) {
	if err != nil && failure.StallingOf(err) == nil {
		return ctrl.Result{}, err
	}
	if failure.StallingOf(err) != nil {
		return ctrl.Result{}, reconcile.TerminalError(err)
	}
	if waiting := failure.WaitingOf(outcome); waiting != nil {
		scope.requeue(waiting.RetryAfter)
		return ctrl.Result{RequeueAfter: scope.requeueAfter}, nil
	}
	if failure.StallingOf(outcome) != nil {
		if scope.requeueAfter > 0 {
			return ctrl.Result{RequeueAfter: scope.requeueAfter}, nil
		}
		return ctrl.Result{}, reconcile.TerminalError(outcome)
	}
	return ctrl.Result{RequeueAfter: scope.requeueAfter}, nil
}

func (r *GDPRWorkloadReconciler) hashTemplate(_ context.Context, scope *workloadScope) error {
	hash, err := podplan.TemplateHash(&scope.workload.Spec.Template, scope.workload.Spec.Hardening.Profile)
	if err != nil {
		return fmt.Errorf("hash pod template: %w", err)
	}
	scope.templateHash = hash
	return nil
}

// forgetWorkload drops what this process keeps in memory of a workload that is gone. uid is
// "" when only the name is known (the workload was not found): its UID-keyed state went
// when its deletion was handled, as the finalizer makes sure.
func (r *GDPRWorkloadReconciler) forgetWorkload(key types.NamespacedName, uid types.UID) {
	r.expectations.forget(key)
	r.pinner.forget(key)
	if uid != "" {
		r.drift.forgetWorkload(uid)
		r.statusWrites.forget(uid)
		r.recentRevisions.forget(uid)
	}
}

// rollbackAsked passes a workload update whose gdpr.amber.dev/rollback-to annotation changed.
func rollbackAsked() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetAnnotations()[gdprv1alpha1.RollbackToAnnotation] != e.ObjectNew.GetAnnotations()[gdprv1alpha1.RollbackToAnnotation]
	}}
}

// workloadIndex indexes cached pods and ControllerRevisions by the workload label's value.
// Listing by label alone would match every cached object against the selector: with
// thousands of pods that was most of the manager's CPU.
const workloadIndex = "metadata.labels.workload"

func indexByWorkloadLabel(o client.Object) []string {
	if name, ok := o.GetLabels()[gdprv1alpha1.WorkloadLabel]; ok {
		return []string{name}
	}
	return nil
}

// ofWorkload selects the cached objects labelled for workload w (its pods, its revisions),
// through workloadIndex, plus any further labels. Ownership is still for the caller to check:
// the label is a claim anyone can write.
func ofWorkload(w *gdprv1alpha1.GDPRWorkload, labels ...client.MatchingLabels) []client.ListOption {
	opts := []client.ListOption{client.InNamespace(w.Namespace), client.MatchingFields{workloadIndex: w.Name}}
	for _, l := range labels {
		opts = append(opts, l)
	}
	return opts
}

// CacheOptions narrows the manager's cache to what Amber manages: it holds only pods and
// ControllerRevisions that carry the workload label, so clusters with many other pods cost
// it nothing, and the data of pull secrets only.
func CacheOptions() cache.Options {
	managed, err := labels.Parse(gdprv1alpha1.WorkloadLabel)
	if err != nil {
		panic(fmt.Sprintf("parse pod label selector: %v", err))
	}
	// Of NetworkPolicies only Amber's own, the ones that isolate quarantined pods.
	quarantines, err := labels.Parse(gdprv1alpha1.QuarantinedLabel)
	if err != nil {
		panic(fmt.Sprintf("parse NetworkPolicy label selector: %v", err))
	}
	// Managed fields are kept only where Amber reads them (who changed a pod, or a workload's
	// spec), and of a pod only who wrote it: the audit entries alone number one per action.
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Pod{}:                {Label: managed, Transform: keepPodAttribution},
		&appsv1.ControllerRevision{}: {Label: managed, Transform: cache.TransformStripManagedFields()},
		&corev1.Secret{}:             {Transform: keepOnlyPullSecretData},
		&gdprv1alpha1.AuditEvent{}:   {Transform: cache.TransformStripManagedFields()},
		&gdprv1alpha1.AuditLedger{}:  {Transform: cache.TransformStripManagedFields()},
		// Of a node only its name and labels are read (where it is, for residency): its
		// status, images and conditions would cost memory on every node update.
		&corev1.Node{}:                {Transform: keepNodeLabels},
		&networkingv1.NetworkPolicy{}: {Label: quarantines, Transform: cache.TransformStripManagedFields()},
	}}
}

// SetupWithManager registers the reconciler: it runs on changes to a workload's spec and
// on any change to the pods it controls.
func (r *GDPRWorkloadReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return r.setupWithManager(mgr, r)
}

// setupWithManager registers the reconciler with do as what the controller calls: the suite
// wraps the reconciler to count its reconciles.
func (r *GDPRWorkloadReconciler) setupWithManager(mgr ctrl.Manager, do reconcile.Reconciler) error {
	for _, obj := range []client.Object{&corev1.Pod{}, &appsv1.ControllerRevision{}} {
		if err := mgr.GetFieldIndexer().IndexField(context.Background(), obj, workloadIndex, indexByWorkloadLabel); err != nil {
			return fmt.Errorf("index %T by workload: %w", obj, err)
		}
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &gdprv1alpha1.GDPRWorkload{}, pullInputIndex, pullInputsOf); err != nil {
		return fmt.Errorf("index workloads by pull inputs: %w", err)
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &corev1.Pod{}, nodeIndex, podNode); err != nil {
		return fmt.Errorf("index pods by node: %w", err)
	}
	if err := indexIncidents(context.Background(), mgr.GetFieldIndexer()); err != nil {
		return err
	}
	r.expectations = newPodExpectations()
	r.pinner = newImagePinner(r.Images)
	r.drift = newDriftTracker()
	b := ctrl.NewControllerManagedBy(mgr)
	if r.Admission != nil {
		// The guard's AdmissionGuarded condition changed: every workload carries it.
		b = b.WatchesRawSource(source.Channel(r.Admission.workloadEvents(), &handler.EnqueueRequestForObject{}))
	}
	return b.
		// The rollback annotation is metadata, which moves no generation: `kubectl amber
		// rollback` to another revision of the same template changes nothing else.
		For(&gdprv1alpha1.GDPRWorkload{}, builder.WithPredicates(predicate.Or[client.Object](predicate.GenerationChangedPredicate{}, rollbackAsked()))).
		Watches(&corev1.Pod{}, podEventHandler{
			EventHandler: handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &gdprv1alpha1.GDPRWorkload{}, handler.OnlyControllerOwner()),
			expectations: r.expectations,
		}, builder.WithPredicates(predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
			return podChangeMatters(e.ObjectOld, e.ObjectNew)
		}})).
		Owns(&appsv1.ControllerRevision{}).
		// A BreakGlass whose touched pods or deletion change, or a Quarantine whose status
		// or deletion change, retires pods (gdprworkload_retire.go); a window closing by
		// time alone is a requeue of its own.
		Watches(&gdprv1alpha1.BreakGlass{}, handler.EnqueueRequestsFromMapFunc(breakGlassWorkload)).
		Watches(&gdprv1alpha1.Quarantine{}, handler.EnqueueRequestsFromMapFunc(quarantineWorkload)).
		// A pull secret or service account that changes wakes the workloads whose pins depend
		// on it: with those, a stalled or waiting workload needs no timer.
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.workloadsUsing)).
		Watches(&corev1.ServiceAccount{}, handler.EnqueueRequestsFromMapFunc(r.workloadsUsing)).
		// A node relabelled to another region wakes the workloads with pods on it at once.
		Watches(&corev1.Node{}, handler.EnqueueRequestsFromMapFunc(r.workloadsOnNode), builder.WithPredicates(predicate.LabelChangedPredicate{})).
		// A workload whose images were resolved in the background is reconciled again.
		WatchesRawSource(source.Channel(r.pinner.wake, &handler.EnqueueRequestForObject{})).
		// A reconcile that waits on an API call that never answers would hold the workload
		// (and its ledger) forever; the timeout turns that into an error that is retried.
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrentReconciles, ReconciliationTimeout: reconcileTimeout}).
		Named("gdprworkload").
		Complete(do)
}
