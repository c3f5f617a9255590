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
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/klog/v2"
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
	"github.com/amber-gdpr/amber/internal/drift"
	"github.com/amber-gdpr/amber/internal/pin"
	"github.com/amber-gdpr/amber/internal/podplan"
	"github.com/amber-gdpr/amber/internal/revision"
)

// Event reasons; stable, so that users can filter on them.
const (
	EventPodCreated      = "PodCreated"
	EventPodDeleted      = "PodDeleted"
	EventPodRejected     = "PodRejected"
	EventPodCreateFailed = "PodCreateFailed"
	EventPodDeleteFailed = "PodDeleteFailed"
)

// rolloutBounds resolves spec.strategy against the desired number of pods: surge rounds up,
// unavailable down, as for Deployments.
func rolloutBounds(w *gdprv1alpha1.GDPRWorkload, replicas int) (surge, unavailable int) {
	one, zero := intstr.FromInt32(1), intstr.FromInt32(0)
	surgeValue, unavailableValue := &one, &zero
	if w.Spec.Strategy.MaxSurge != nil {
		surgeValue = w.Spec.Strategy.MaxSurge
	}
	if w.Spec.Strategy.MaxUnavailable != nil {
		unavailableValue = w.Spec.Strategy.MaxUnavailable
	}
	// The CRD's validation admits only numbers and percentages, so these cannot fail.
	surge, _ = intstr.GetScaledValueFromIntOrPercent(surgeValue, replicas, true)
	unavailable, _ = intstr.GetScaledValueFromIntOrPercent(unavailableValue, replicas, false)
	if surge == 0 && unavailable == 0 {
		surge = 1 // both rounded to 0 (percentages of few pods): still let the rollout move
	}
	return surge, unavailable
}

// pendingRecheck is how soon a workload is looked at again while pods it created or deleted
// have not shown up in the cache: normally the watch event arrives first.
const pendingRecheck = 5 * time.Second

// reconcileTimeout bounds one reconcile, API calls included.
const reconcileTimeout = time.Minute

// statusConflictRecheck is how soon a workload whose status write met a newer version is
// reconciled again: the cache is normally that little behind.
const statusConflictRecheck = 100 * time.Millisecond

// GDPRWorkloadReconciler keeps the pods of each GDPRWorkload as declared: it creates missing
// pods, deletes surplus ones and replaces pods of an older template revision.
type GDPRWorkloadReconciler struct {
	client.Client
	Scheme   *runtime.Scheme
	Recorder recorder.EventRecorder
	// APIReader reads around the cache, to confirm that a pod the cache no longer shows is gone.
	APIReader client.Reader
	// Ledger records what happens to each workload and its pods in the workload's audit ledger.
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

	expectations    *podExpectations
	pinner          *imagePinner
	recentRevisions recentRevisions
	drift           *driftTracker
	statusWrites    statusWrites
}

// workloadScope carries what one reconcile of one workload learns, from phase to phase.
type workloadScope struct {
	workload *gdprv1alpha1.GDPRWorkload
	// templateHash identifies the template as the user wrote it.
	templateHash string
	// revisions is the workload's history.
	revisions []revision.Revision
	// current is the revision pods are made from: the template's, or while that cannot be
	// pinned the one the workload last fully ran; revision is its ID, "" when there is none.
	current  revision.Revision
	revision string
	// pinning is set while the template's images are not pinned; hold keeps the pods as they
	// are meanwhile.
	pinning *pinning
	hold    bool
	// refreshErr is why a refresh of the pinned tags failed.
	refreshErr error
	// requeueAfter is when to look at the workload again, 0 for no particular time.
	requeueAfter time.Duration
	pods         []corev1.Pod
	planned      []podplan.Pod
	plan         podplan.Plan
	// escaped are pods Amber created that lost their workload label or controller reference:
	// the cache no longer shows them as the workload's, but they still run.
	escaped []corev1.Pod
	// drifted holds what changed on each drifted pod, by UID, for pods and escaped pods.
	drifted map[types.UID]driftedPod
	// replacedBy names, by drifted pod, the fresh pod made in this reconcile to replace it.
	replacedBy map[string]string
	// driftPaths holds the changed fields of pods found drifted in this reconcile, by name.
	driftPaths map[string][]string
	// driftRecords answers once the drift found in this reconcile is in the ledger.
	driftRecords chan error
	// rateLimited is set when a drifted pod waits for the workload's replacement budget.
	rateLimited bool
	// stalled is set when the workload cannot progress without a change by a person.
	stalled *stall
	// pending is true while created or deleted pods have not shown up in the cache.
	pending bool
}

// requeue asks for the workload to be reconciled again after d at the latest.
func (s *workloadScope) requeue(d time.Duration) {
	if d > 0 && (s.requeueAfter == 0 || d < s.requeueAfter) {
		s.requeueAfter = d
	}
}

type stall struct {
	reason  string
	message string
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
			r.expectations.forget(req.NamespacedName)
			r.pinner.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !workload.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, workload)
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

	scope := &workloadScope{workload: workload}
	base := workload.DeepCopy()
	defer func() {
		summarizeStatus(scope, retErr)
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

	for _, phase := range []func(context.Context, *workloadScope) error{
		r.hashTemplate,
		r.recordWorkload,
		r.pinRevision,
		r.observePods,
		r.recordObservedPods,
		r.detectDrift,
		r.planPods,
		r.reconcilePods,
		// Every phase after this one may write to the ledger: the drift found must be in first.
		func(_ context.Context, scope *workloadScope) error { return scope.awaitDriftRecords() },
		r.repairEscaped,
		r.tallyDrift,
		r.recordRollout,
		r.pruneRevisions,
	} {
		if err := phase(ctx, scope); err != nil {
			_ = scope.awaitDriftRecords() // nothing outlives the reconcile
			return ctrl.Result{}, err
		}
	}
	if scope.pending {
		scope.requeue(pendingRecheck)
	}
	return ctrl.Result{RequeueAfter: scope.requeueAfter}, nil
}

func (r *GDPRWorkloadReconciler) hashTemplate(_ context.Context, scope *workloadScope) error {
	hash, err := podplan.Revision(&scope.workload.Spec.Template)
	if err != nil {
		return fmt.Errorf("hash pod template: %w", err)
	}
	scope.templateHash = hash
	return nil
}

// observePods lists the workload's pods from the cache.
func (r *GDPRWorkloadReconciler) observePods(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	list := &corev1.PodList{}
	if err := r.List(ctx, list, ofWorkload(w)...); err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	scope.pods = scope.pods[:0]
	planned := make([]podplan.Pod, 0, len(list.Items))
	for i := range list.Items {
		if ownedBy(&list.Items[i], w) {
			scope.pods = append(scope.pods, list.Items[i])
			planned = append(planned, planPod(&list.Items[i]))
		}
	}
	scope.planned, scope.pending = r.expectations.reconcile(client.ObjectKeyFromObject(w), scope.pods, planned, time.Now())
	return nil
}

// planPods decides which pods to create and delete.
func (r *GDPRWorkloadReconciler) planPods(_ context.Context, scope *workloadScope) error {
	w := scope.workload
	replicas := int(desiredReplicas(w))
	surge, unavailable := rolloutBounds(w, replicas)
	scope.plan = podplan.Decide(podplan.Desired{Replicas: replicas, Revision: scope.revision, MaxSurge: surge, MaxUnavailable: unavailable, Hold: scope.hold}, scope.planned)
	if scope.revision == "" {
		scope.plan.Create = 0 // nothing is pinned yet: no pod can be made
	}
	return nil
}

// reconcilePods carries out the plan: deletions first, so that a pod being replaced frees its
// place (and its quota) for the new one.
func (r *GDPRWorkloadReconciler) reconcilePods(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	key := client.ObjectKeyFromObject(w)
	log := ctrl.LoggerFrom(ctx)
	// Drifted pods deleted here are recorded as replaced once their replacement exists:
	// under ReplaceImmediately it is made below.
	var replaced []*corev1.Pod
	byName := make(map[string]*corev1.Pod, len(scope.pods))
	for i := range scope.pods {
		byName[scope.pods[i].Name] = &scope.pods[i]
	}

	for _, name := range scope.plan.Delete {
		pod, ok := byName[name]
		if !ok {
			continue // created moments ago and not in the cache yet: the next reconcile sees it
		}
		log.Info("Deleting pod", "pod", klog.KObj(pod), "phase", scope.plan.Phase)
		err := r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			r.Recorder.Eventf(w, pod, corev1.EventTypeWarning, EventPodDeleteFailed, "DeletePod", "Deleting pod %s failed: %v", pod.Name, err)
			return fmt.Errorf("delete pod %s: %w", pod.Name, err)
		}
		r.expectations.deleted(key, pod.UID, time.Now())
		scope.pending = true
		if err == nil {
			if err := scope.awaitDriftRecords(); err != nil {
				return err
			}
			_, drifted := scope.drifted[pod.UID]
			reason := deletionReason(pod, scope.revision)
			if drifted {
				reason = ReasonDrifted
			}
			r.Recorder.Eventf(w, pod, corev1.EventTypeNormal, EventPodDeleted, "DeletePod", "Deleted pod %s (%s)", pod.Name, reason)
			if err := r.recordPodDeleted(ctx, w, pod, reason, false); err != nil {
				return err
			}
			if drifted {
				replaced = append(replaced, pod)
			}
		}
	}

	scope.replacedBy = map[string]string{}
	for range scope.plan.Create {
		pod, err := newPod(w, scope.current)
		if err != nil {
			return err
		}
		old := scope.replacementFor()
		if old != "" {
			if pod.Annotations == nil {
				pod.Annotations = map[string]string{}
			}
			pod.Annotations[ReplacesAnnotation] = old
		}
		log.Info("Creating pod", "revision", scope.revision, "phase", scope.plan.Phase)
		if err := r.Create(ctx, pod, client.FieldOwner(fieldOwner)); err != nil {
			return r.podCreateFailed(scope, err)
		}
		// What the API server admitted, its mutating admission included, is the baseline
		// drift is measured against.
		r.drift.setBaseline(pod.UID, drift.BaselineOf(pod))
		if old != "" {
			scope.replacedBy[old] = pod.Name
		}
		if err := scope.awaitDriftRecords(); err != nil {
			return err
		}
		r.expectations.created(key, pod.Name, scope.revision, time.Now())
		scope.pending = true
		r.Recorder.Eventf(w, pod, corev1.EventTypeNormal, EventPodCreated, "CreatePod", "Created pod %s (revision %s)", pod.Name, scope.revision)
		if err := r.recordPodCreated(ctx, w, pod, string(scope.plan.Phase), false); err != nil {
			return err
		}
	}
	for _, pod := range replaced {
		if err := r.recordReplaced(ctx, scope, pod); err != nil {
			return err
		}
	}
	return nil
}

// podCreateFailed classifies a refused pod: one the API server finds invalid will be refused
// again until the template changes, so the workload stalls instead of retrying in a loop.
func (r *GDPRWorkloadReconciler) podCreateFailed(scope *workloadScope, err error) error {
	w := scope.workload
	if apierrors.IsInvalid(err) {
		scope.stalled = &stall{reason: gdprv1alpha1.ReasonPodRejected, message: fmt.Sprintf("the API server refused a pod made from spec.template: %v", err)}
		r.Recorder.Eventf(w, nil, corev1.EventTypeWarning, EventPodRejected, "CreatePod", "The API server refused a pod made from spec.template: %v", err)
		return reconcile.TerminalError(fmt.Errorf("create pod: %w", err))
	}
	r.Recorder.Eventf(w, nil, corev1.EventTypeWarning, EventPodCreateFailed, "CreatePod", "Creating a pod failed: %v", err)
	return fmt.Errorf("create pod: %w", err)
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
	// Managed fields are kept only where Amber reads them (who changed a pod, or a workload's
	// spec), and of a pod only who wrote it: the audit entries alone number one per action.
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Pod{}:                {Label: managed, Transform: keepPodAttribution},
		&appsv1.ControllerRevision{}: {Label: managed, Transform: cache.TransformStripManagedFields()},
		&corev1.Secret{}:             {Transform: keepOnlyPullSecretData},
		&gdprv1alpha1.AuditEvent{}:   {Transform: cache.TransformStripManagedFields()},
		&gdprv1alpha1.AuditLedger{}:  {Transform: cache.TransformStripManagedFields()},
	}}
}

// SetupWithManager registers the reconciler: it runs on changes to a workload's spec and
// on any change to the pods it controls.
func (r *GDPRWorkloadReconciler) SetupWithManager(mgr ctrl.Manager) error {
	for _, obj := range []client.Object{&corev1.Pod{}, &appsv1.ControllerRevision{}} {
		if err := mgr.GetFieldIndexer().IndexField(context.Background(), obj, workloadIndex, indexByWorkloadLabel); err != nil {
			return fmt.Errorf("index %T by workload: %w", obj, err)
		}
	}
	r.expectations = newPodExpectations()
	r.pinner = newImagePinner(r.Images)
	r.drift = newDriftTracker()
	return ctrl.NewControllerManagedBy(mgr).
		For(&gdprv1alpha1.GDPRWorkload{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.Pod{}, podEventHandler{
			EventHandler: handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), &gdprv1alpha1.GDPRWorkload{}, handler.OnlyControllerOwner()),
			expectations: r.expectations,
		}, builder.WithPredicates(predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
			return podChangeMatters(e.ObjectOld, e.ObjectNew)
		}})).
		Owns(&appsv1.ControllerRevision{}).
		// A workload whose images were resolved in the background is reconciled again.
		WatchesRawSource(source.Channel(r.pinner.wake, &handler.EnqueueRequestForObject{})).
		// A reconcile that waits on an API call that never answers would hold the workload
		// (and its ledger) forever; the timeout turns that into an error that is retried.
		WithOptions(controller.Options{MaxConcurrentReconciles: r.MaxConcurrentReconciles, ReconciliationTimeout: reconcileTimeout}).
		Named("gdprworkload").
		Complete(r)
}
