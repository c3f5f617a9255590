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
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/breakglass"
)

// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=breakglasses,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=breakglasses/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=breakglasses/finalizers,verbs=update

// BreakGlassReconciler keeps a BreakGlass's status (its fixed window, phase, which touched
// pods are gone, kstatus conditions), records its BreakGlassEnded entry once the window is
// no longer open, and holds a deleted BreakGlass until no pod touched under it exists. The
// touched pods themselves are replaced by the GDPRWorkload reconciler, which reads
// status.touchedPods once breakglass.Phase is no longer Active.
type BreakGlassReconciler struct {
	Client client.Client
	// APIReader reads touched pods around the label-selected cache: a pod is judged gone
	// only when the API server has no pod of its UID.
	APIReader client.Reader
	Ledger    *audit.Writer
	Recorder  recorder.EventRecorder
	// Clock is the reconcile's time; tests leave it nil (time.Now).
	Clock func() time.Time
}

// SetupWithManager registers the reconciler: every change to a BreakGlass (admission adds
// touched pods through the status subresource, so the generation is not enough), and the
// deletion of a pod of a workload with BreakGlasses, which may be the touched pod a closed
// BreakGlass waits for.
func (r *BreakGlassReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("breakglass").
		For(&gdprv1alpha1.BreakGlass{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.breakGlassesOfPod), builder.WithPredicates(predicate.Funcs{
			CreateFunc:  func(event.CreateEvent) bool { return false },
			UpdateFunc:  func(e event.UpdateEvent) bool { return e.ObjectNew.GetDeletionTimestamp() != nil },
			DeleteFunc:  func(event.DeleteEvent) bool { return true },
			GenericFunc: func(event.GenericEvent) bool { return false },
		})).
		Complete(r)
}

// breakGlassesOfPod maps a pod going away to the BreakGlasses that touched it. They are
// listed by namespace (few live in one) so that this controller needs no index of its own.
func (r *BreakGlassReconciler) breakGlassesOfPod(ctx context.Context, o client.Object) []reconcile.Request {
	workload := o.GetLabels()[gdprv1alpha1.WorkloadLabel]
	if workload == "" {
		return nil
	}
	var list gdprv1alpha1.BreakGlassList
	if err := r.Client.List(ctx, &list, client.InNamespace(o.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Unable to list the BreakGlasses of a pod's workload", "pod", klog.KObj(o))
		return nil
	}
	var requests []reconcile.Request
	for _, bg := range list.Items {
		if bg.Spec.Workload == workload && breakglass.Touched(&bg, string(o.GetUID())) {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&bg)})
		}
	}
	return requests
}

func (r *BreakGlassReconciler) now() time.Time {
	if r.Clock != nil {
		return r.Clock()
	}
	return time.Now()
}

// Reconcile brings one BreakGlass's status up to date.
func (r *BreakGlassReconciler) Reconcile(ctx context.Context, req reconcile.Request) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	bg := &gdprv1alpha1.BreakGlass{}
	if err := r.Client.Get(ctx, req.NamespacedName, bg); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	log = log.WithValues("GDPRWorkload", klog.KRef(bg.Namespace, bg.Spec.Workload))
	ctx = ctrl.LoggerInto(ctx, log)

	// The finalizer first, before anything that deletion would have to undo: without it a
	// BreakGlass deleted inside its window would be gone before the pods touched under it
	// were replaced, and nothing would remember them.
	if bg.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(bg, gdprv1alpha1.BreakGlassFinalizer) {
		// A patch of the finalizers alone: an update would send back the spec as Go writes it
		// (spec.duration "10m" as "10m0s"), which the immutability rule refuses as a change.
		patch := client.MergeFrom(bg.DeepCopy())
		controllerutil.AddFinalizer(bg, gdprv1alpha1.BreakGlassFinalizer)
		if err := r.Client.Patch(ctx, bg, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("add finalizer: %w", err)
		}
		// The first sight of it: admission raised the grant's event on the workload, before
		// the BreakGlass existed; its own carries the same words.
		_, notAfter := breakglass.Window(bg)
		r.Recorder.Eventf(bg, nil, corev1.EventTypeWarning, gdprv1alpha1.EventBreakGlassGranted, "Open", "%s until %s",
			breakglass.Describe(bg), notAfter.Format(time.RFC3339))
		return ctrl.Result{}, nil // the update wakes the reconciler again
	}

	now := r.now()
	w := &gdprv1alpha1.GDPRWorkload{}
	workloadFound := true
	if err := r.Client.Get(ctx, types.NamespacedName{Namespace: bg.Namespace, Name: bg.Spec.Workload}, w); apierrors.IsNotFound(err) {
		workloadFound = false
	} else if err != nil {
		return ctrl.Result{}, fmt.Errorf("read GDPRWorkload %s: %w", bg.Spec.Workload, err)
	}
	remaining, err := r.remainingPods(ctx, bg)
	if err != nil {
		return ctrl.Result{}, err
	}

	before := bg.DeepCopy()
	stillTouched := breakglass.Summarize(bg, now, breakglass.Observed{WorkloadFound: workloadFound, Remaining: remaining})

	// The end is recorded once, whoever notices it: this process, or another after a restart
	// (the idempotency key is the BreakGlass's UID).
	// A workload already gone has no ledger to write into (a new one would start a chain
	// nothing else continues); its pods went with it.
	if entry, ended := breakglass.EndedEntry(bg, string(w.UID), now); ended && workloadFound {
		wrote, err := newWorkloadLedger(r.Ledger, w).appendLabelled(ctx, entry, map[string]string{gdprv1alpha1.AuditBreakGlassLabel: bg.Name})
		if err != nil {
			return ctrl.Result{}, fmt.Errorf("record the end of BreakGlass %s: %w", bg.Name, err)
		}
		if wrote {
			log.Info("BreakGlass window closed", "phase", bg.Status.Phase, "touchedPods", len(bg.Status.TouchedPods))
			r.Recorder.Eventf(bg, nil, corev1.EventTypeNormal, gdprv1alpha1.EventBreakGlassEnded, "Close", "%s", entry.Message)
			r.Recorder.Eventf(w, nil, corev1.EventTypeNormal, gdprv1alpha1.EventBreakGlassEnded, "Close", "%s", entry.Message)
		}
	}

	if !equality.Semantic.DeepEqual(before.Status, bg.Status) {
		// The patch carries the resourceVersion: admission adds touched pods through the same
		// status, and a merge patch without it would put back the list this reconcile read,
		// losing a pod touched meanwhile.
		if err := r.Client.Status().Patch(ctx, bg, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return ctrl.Result{}, fmt.Errorf("update the status of BreakGlass %s: %w", bg.Name, err)
		}
	}

	if !bg.DeletionTimestamp.IsZero() {
		if stillTouched {
			log.Info("Holding a deleted BreakGlass until the pods touched under it are replaced")
			return ctrl.Result{}, nil // their deletion wakes the reconciler
		}
		controllerutil.RemoveFinalizer(bg, gdprv1alpha1.BreakGlassFinalizer)
		if err := r.Client.Update(ctx, bg); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
		return ctrl.Result{}, nil
	}
	if bg.Status.Phase == gdprv1alpha1.BreakGlassActive {
		// Wake exactly when the window closes: the phase, the conditions and the Ended entry
		// change then, and the GDPRWorkload reconciler replaces the touched pods.
		return ctrl.Result{RequeueAfter: bg.Status.NotAfter.Sub(now)}, nil
	}
	return ctrl.Result{}, nil
}

// remainingPods returns the UIDs of the touched pods that still exist, read from the API
// server (a touched pod is few, and the cache holds only labelled pods).
func (r *BreakGlassReconciler) remainingPods(ctx context.Context, bg *gdprv1alpha1.BreakGlass) (map[string]bool, error) {
	remaining := map[string]bool{}
	for _, p := range bg.Status.TouchedPods {
		pod := &corev1.Pod{}
		err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: bg.Namespace, Name: p.Name}, pod)
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return nil, fmt.Errorf("read touched pod %s: %w", p.Name, err)
		case string(pod.UID) == p.UID:
			remaining[p.UID] = true
		}
	}
	return remaining, nil
}
