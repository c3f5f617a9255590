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
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
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
	"github.com/amber-gdpr/amber/internal/kstatus"
	"github.com/amber-gdpr/amber/internal/retire"
)

// quarantinePodIndex indexes Quarantines by spec.pod, so that a pod's change wakes the
// Quarantines that name it.
const quarantinePodIndex = "spec.pod"

// replacementRecheck is how soon a Quarantine is looked at again when its pod left service
// but the PodReplaced entry that says so is not in the ledger yet: the workload reconciler
// writes it right after releasing the pod, and no event tells this controller it did.
const replacementRecheck = time.Second

// QuarantineReconciler carries a Quarantine through its steps. It finds the pod and records
// that a quarantine was asked for (PodQuarantined Requested); the workload reconciler then
// makes a fresh pod and releases the suspect one from service (internal/retire, with its
// PodReplaced entry); this controller then isolates it behind a NetworkPolicy that denies all
// its traffic (PodQuarantined Isolated) and sets when it is deleted; at that time, or when the
// Quarantine is deleted, the workload reconciler deletes the pod (PodDeleted QuarantineEnded)
// and this controller deletes the NetworkPolicy and marks the Quarantine Released. Pod entries
// come from the reconciler that acts on the pods, so that each is written once, in order,
// and recovered after a crash as every pod entry is.
type QuarantineReconciler struct {
	client.Client
	Scheme *runtime.Scheme
	// APIReader reads pods around the cache, which holds only the pods of workloads: a pod
	// named by a Quarantine may be no workload's.
	APIReader client.Reader
	Recorder  recorder.EventRecorder
	// Ledger is the workloads' audit ledger writer, shared with the workload reconciler.
	Ledger *audit.Writer
	// Actors says how the creator of a Quarantine appears in the ledger.
	Actors audit.Actors
}

// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=quarantines,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=quarantines/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=quarantines/finalizers,verbs=update
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch;create;delete

// Reconcile takes one Quarantine a step further.
func (r *QuarantineReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	q := &gdprv1alpha1.Quarantine{}
	if err := r.Get(ctx, req.NamespacedName, q); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	// The finalizer goes on first: without it the Quarantine could be gone before its pod and
	// NetworkPolicy are, and nothing would delete the pod kept for examination.
	if q.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(q, gdprv1alpha1.QuarantineFinalizer) {
		patch := client.MergeFrom(q.DeepCopy())
		controllerutil.AddFinalizer(q, gdprv1alpha1.QuarantineFinalizer)
		if err := r.Patch(ctx, q, patch); err != nil {
			return ctrl.Result{}, client.IgnoreNotFound(err)
		}
	}
	base := q.DeepCopy()
	defer func() {
		if equality.Semantic.DeepEqual(base.Status, q.Status) {
			return
		}
		if err := r.Status().Patch(ctx, q, client.MergeFrom(base)); err != nil && !apierrors.IsNotFound(err) {
			retErr = errors.Join(retErr, fmt.Errorf("patch status: %w", err))
		}
	}()
	ctx = ctrl.LoggerInto(ctx, ctrl.LoggerFrom(ctx).WithValues("pod", q.Spec.Pod))
	now := time.Now()
	// Gather, then decide (retire.NextQuarantineStep), then act.
	found := retire.QuarantineFound{Phase: q.Status.Phase, Deleting: !q.DeletionTimestamp.IsZero(), Requested: q.Status.PodUID != ""}
	var pod *corev1.Pod
	if found.Requested && found.Phase != gdprv1alpha1.QuarantineReleased {
		var err error
		if pod, err = r.quarantinedPod(ctx, q); err != nil {
			return ctrl.Result{}, err
		}
		found.PodExists = pod != nil
		found.Released = pod != nil && pod.Labels[gdprv1alpha1.QuarantinedLabel] == q.Name
		if found.Released {
			// The ledger says the pod left service (PodReplaced) before it says isolated.
			if found.ReplacementRecorded, err = r.Ledger.Recorded(ctx, q.Namespace, q.Status.Workload, q.Status.PodUID+"/PodReplaced"); err != nil {
				return ctrl.Result{}, err
			}
		}
	}
	switch retire.NextQuarantineStep(found) {
	case retire.StepRequest:
		return r.request(ctx, q)
	case retire.StepAwaitRelease:
		return ctrl.Result{}, r.awaitRelease(ctx, q)
	case retire.StepAwaitEntry:
		return ctrl.Result{RequeueAfter: replacementRecheck}, nil
	case retire.StepIsolate:
		return r.isolate(ctx, q, pod, now)
	case retire.StepRelease:
		return ctrl.Result{}, r.released(ctx, q, now)
	case retire.StepAwaitDeletion:
		// Its deletion wakes this one; the requeue covers a workload that is gone.
		setQuarantineProgress(q, gdprv1alpha1.ReasonReleased, fmt.Sprintf("the Quarantine is being deleted: pod %s is deleted", q.Spec.Pod))
		return ctrl.Result{RequeueAfter: pendingRecheck}, nil
	case retire.StepFinalize:
		return ctrl.Result{}, r.finalize(ctx, q, now)
	}
	return ctrl.Result{}, nil // released, kept as the record
}

// request finds the pod and its workload and records that its quarantine was asked for.
func (r *QuarantineReconciler) request(ctx context.Context, q *gdprv1alpha1.Quarantine) (ctrl.Result, error) {
	pod := &corev1.Pod{}
	err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: q.Namespace, Name: q.Spec.Pod}, pod)
	switch {
	case apierrors.IsNotFound(err):
		return r.stall(q, gdprv1alpha1.ReasonPodNotFound, fmt.Sprintf("spec.pod: pod %s does not exist in namespace %s; name a running pod of a GDPRWorkload", q.Spec.Pod, q.Namespace))
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("get pod %s: %w", q.Spec.Pod, err)
	}
	name, ok := pod.Labels[gdprv1alpha1.WorkloadLabel]
	if !ok {
		return r.stall(q, gdprv1alpha1.ReasonPodNotFound, fmt.Sprintf("spec.pod: pod %s carries no %s label: only a pod of a GDPRWorkload can be quarantined", q.Spec.Pod, gdprv1alpha1.WorkloadLabel))
	}
	w := &gdprv1alpha1.GDPRWorkload{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: q.Namespace, Name: name}, w); err != nil {
		if apierrors.IsNotFound(err) {
			return r.stall(q, gdprv1alpha1.ReasonWorkloadNotFound, fmt.Sprintf("spec.pod: pod %s names GDPRWorkload %s, which does not exist", q.Spec.Pod, name))
		}
		return ctrl.Result{}, fmt.Errorf("get workload %s: %w", name, err)
	}
	if !ownedBy(pod, w) {
		return r.stall(q, gdprv1alpha1.ReasonPodNotFound, fmt.Sprintf("spec.pod: pod %s is labelled for GDPRWorkload %s but not controlled by it: only a pod of a GDPRWorkload can be quarantined", q.Spec.Pod, name))
	}
	if pod.DeletionTimestamp != nil {
		return r.stall(q, gdprv1alpha1.ReasonPodNotFound, fmt.Sprintf("spec.pod: pod %s is being deleted: there is nothing left to keep", q.Spec.Pod))
	}
	ledger := &workloadLedger{writer: r.Ledger, namespace: q.Namespace, name: w.Name}
	// The person who asked is known to admission, not to a controller: the entry names the
	// field manager that created the Quarantine (kubectl-amber, kubectl-create, …),
	// pseudonymised as drift entries name who changed a pod.
	if _, err := ledger.appendLabelled(ctx, gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditPodQuarantined,
		Reason:         string(gdprv1alpha1.AuditReasonRequested),
		Subject:        podSubject(pod),
		Actor:          r.Actors.Record(creatorOf(q)),
		Message:        fmt.Sprintf("Quarantine %s asked for: a fresh pod is made, then the pod leaves service and is kept %s for examination", q.Name, q.Spec.Keep.Duration),
		IdempotencyKey: string(q.UID) + "/PodQuarantined/Requested",
	}, map[string]string{gdprv1alpha1.AuditQuarantineLabel: q.Name}); err != nil {
		return ctrl.Result{}, err
	}
	ctrl.LoggerFrom(ctx).Info("Quarantine requested", "workload", klog.KObj(w))
	q.Status.Workload, q.Status.PodUID, q.Status.Phase = w.Name, string(pod.UID), gdprv1alpha1.QuarantineReplacing
	setQuarantineProgress(q, gdprv1alpha1.ReasonReplacing, fmt.Sprintf("making a fresh pod to take the place of pod %s; it serves until the fresh pod is Ready", q.Spec.Pod))
	return ctrl.Result{}, nil
}

// quarantinedPod returns the Quarantine's pod, nil once it is gone (a pod of the same name
// and another UID is not it).
func (r *QuarantineReconciler) quarantinedPod(ctx context.Context, q *gdprv1alpha1.Quarantine) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: q.Namespace, Name: q.Spec.Pod}, pod)
	switch {
	case apierrors.IsNotFound(err) || (err == nil && string(pod.UID) != q.Status.PodUID):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("get pod %s: %w", q.Spec.Pod, err)
	}
	return pod, nil
}

// awaitRelease shows the Quarantine waiting for the fresh pod to be Ready, naming it once
// made.
func (r *QuarantineReconciler) awaitRelease(ctx context.Context, q *gdprv1alpha1.Quarantine) error {
	if err := r.findReplacement(ctx, q); err != nil {
		return err
	}
	q.Status.Phase = gdprv1alpha1.QuarantineReplacing
	message := fmt.Sprintf("making a fresh pod to take the place of pod %s; it serves until the fresh pod is Ready", q.Spec.Pod)
	if q.Status.Replacement != "" {
		message = fmt.Sprintf("pod %s serves until fresh pod %s is Ready", q.Spec.Pod, q.Status.Replacement)
	}
	setQuarantineProgress(q, gdprv1alpha1.ReasonReplacing, message)
	return nil
}

// isolate puts the pod the workload reconciler released from service behind a NetworkPolicy
// that denies all its traffic, records it, and sets when the pod is deleted.
func (r *QuarantineReconciler) isolate(ctx context.Context, q *gdprv1alpha1.Quarantine, pod *corev1.Pod, now time.Time) (ctrl.Result, error) {
	if err := r.findReplacement(ctx, q); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.ensureNetworkPolicy(ctx, q); err != nil {
		return ctrl.Result{}, err
	}
	// isolatedAt is fixed once written; a crash between the entry and the status write only
	// moves it (and deleteAfter) later, never earlier.
	if q.Status.IsolatedAt == nil {
		q.Status.IsolatedAt = &metav1.Time{Time: now.UTC().Truncate(time.Second)}
	}
	deleteAfter := q.Status.IsolatedAt.Add(keepOf(q))
	q.Status.DeleteAfter = &metav1.Time{Time: deleteAfter}
	q.Status.NetworkPolicy = q.Name
	q.Status.Phase = gdprv1alpha1.QuarantineIsolated
	ledger := &workloadLedger{writer: r.Ledger, namespace: q.Namespace, name: q.Status.Workload}
	wrote, err := ledger.appendLabelled(ctx, gdprv1alpha1.AuditEventSpec{
		Type:    gdprv1alpha1.AuditPodQuarantined,
		Reason:  string(gdprv1alpha1.AuditReasonIsolated),
		Subject: podSubject(pod),
		Actor:   ownActor,
		Message: fmt.Sprintf("Pod out of every Service and behind NetworkPolicy %s, which denies all its ingress and egress; kept for examination until %s (Quarantine %s)",
			q.Name, deleteAfter.UTC().Format(time.RFC3339), q.Name),
		IdempotencyKey: string(q.UID) + "/PodQuarantined/Isolated",
	}, map[string]string{gdprv1alpha1.AuditQuarantineLabel: q.Name})
	if err != nil {
		return ctrl.Result{}, err
	}
	message := fmt.Sprintf("pod %s is out of service and isolated; fresh pod %s took its place; it is deleted at %s", q.Spec.Pod, q.Status.Replacement, deleteAfter.UTC().Format(time.RFC3339))
	if wrote {
		ctrl.LoggerFrom(ctx).Info("Pod quarantined", "deleteAfter", deleteAfter)
		r.event(ctx, q, corev1.EventTypeWarning, gdprv1alpha1.EventPodQuarantined, "Pod %s quarantined: %s", q.Spec.Pod, message)
	}
	setQuarantineReady(q, gdprv1alpha1.ReasonIsolated, message)
	// The workload reconciler deletes the pod at deleteAfter; its deletion wakes this one.
	if wait := deleteAfter.Sub(now); wait > 0 {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	return ctrl.Result{}, nil
}

// released ends a Quarantine whose pod is gone: its NetworkPolicy goes, and it stays as the
// record.
func (r *QuarantineReconciler) released(ctx context.Context, q *gdprv1alpha1.Quarantine, now time.Time) error {
	if err := r.deleteNetworkPolicy(ctx, q); err != nil {
		return err
	}
	if q.Status.Phase == gdprv1alpha1.QuarantineReleased {
		return nil
	}
	q.Status.Phase = gdprv1alpha1.QuarantineReleased
	message := fmt.Sprintf("pod %s was deleted at %s", q.Spec.Pod, now.UTC().Format(time.RFC3339))
	setQuarantineReady(q, gdprv1alpha1.ReasonReleased, message)
	ctrl.LoggerFrom(ctx).Info("Quarantine ended")
	r.event(ctx, q, corev1.EventTypeNormal, gdprv1alpha1.EventQuarantineEnded, "Quarantine of pod %s ended: %s", q.Spec.Pod, message)
	return nil
}

// finalize lets a deleted Quarantine go once its pod is gone: the workload reconciler deletes
// the pod (early) when it sees the Quarantine deleted.
func (r *QuarantineReconciler) finalize(ctx context.Context, q *gdprv1alpha1.Quarantine, now time.Time) error {
	if !controllerutil.ContainsFinalizer(q, gdprv1alpha1.QuarantineFinalizer) {
		return nil
	}
	if q.Status.PodUID != "" {
		if err := r.released(ctx, q, now); err != nil {
			return err
		}
	} else if err := r.deleteNetworkPolicy(ctx, q); err != nil {
		return err
	}
	patch := client.MergeFrom(q.DeepCopy())
	controllerutil.RemoveFinalizer(q, gdprv1alpha1.QuarantineFinalizer)
	return client.IgnoreNotFound(r.Patch(ctx, q, patch))
}

// findReplacement sets status.replacement to the fresh pod made to take the Quarantine's
// pod's place, once there is one.
func (r *QuarantineReconciler) findReplacement(ctx context.Context, q *gdprv1alpha1.Quarantine) error {
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.InNamespace(q.Namespace), client.MatchingFields{workloadIndex: q.Status.Workload}); err != nil {
		return fmt.Errorf("list pods of workload %s: %w", q.Status.Workload, err)
	}
	for i := range pods.Items {
		if pods.Items[i].Annotations[ReplacesAnnotation] == q.Spec.Pod {
			q.Status.Replacement = pods.Items[i].Name
		}
	}
	return nil
}

// networkPolicyOf is the NetworkPolicy that isolates the Quarantine's pod: it selects the
// pod by QuarantinedLabel and, naming both policy types with no rule, denies all ingress and
// all egress. Enforcing it needs a network plugin that implements NetworkPolicy.
func networkPolicyOf(q *gdprv1alpha1.Quarantine) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: q.Name, Namespace: q.Namespace, Labels: map[string]string{gdprv1alpha1.QuarantinedLabel: q.Name}},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{gdprv1alpha1.QuarantinedLabel: q.Name}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
}

func (r *QuarantineReconciler) ensureNetworkPolicy(ctx context.Context, q *gdprv1alpha1.Quarantine) error {
	np := networkPolicyOf(q)
	if err := controllerutil.SetControllerReference(q, np, r.Scheme); err != nil {
		return fmt.Errorf("own NetworkPolicy %s: %w", np.Name, err)
	}
	if err := r.Create(ctx, np); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create NetworkPolicy %s: %w", np.Name, err)
	}
	return nil
}

func (r *QuarantineReconciler) deleteNetworkPolicy(ctx context.Context, q *gdprv1alpha1.Quarantine) error {
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: q.Name, Namespace: q.Namespace}}
	if err := r.Delete(ctx, np); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("delete NetworkPolicy %s: %w", np.Name, err)
	}
	return nil
}

// event tells of a step on the Quarantine and, when known, on its workload.
func (r *QuarantineReconciler) event(ctx context.Context, q *gdprv1alpha1.Quarantine, eventType, reason, format string, args ...any) {
	r.Recorder.Eventf(q, nil, eventType, reason, "Quarantine", format, args...)
	if q.Status.Workload == "" {
		return
	}
	w := &gdprv1alpha1.GDPRWorkload{}
	if err := r.Get(ctx, types.NamespacedName{Namespace: q.Namespace, Name: q.Status.Workload}, w); err == nil {
		r.Recorder.Eventf(w, q, eventType, reason, "Quarantine", format, args...)
	}
}

// stall marks a Quarantine that cannot go on until a person acts.
func (r *QuarantineReconciler) stall(q *gdprv1alpha1.Quarantine, reason, message string) (ctrl.Result, error) {
	summarizeQuarantine(q, kstatus.Summary{State: kstatus.Failed, Reason: reason, Message: message})
	return ctrl.Result{}, reconcile.TerminalError(errors.New(message))
}

// setQuarantineProgress: a step of the Quarantine (a fresh pod, the deletion) is under way.
func setQuarantineProgress(q *gdprv1alpha1.Quarantine, reason, message string) {
	summarizeQuarantine(q, kstatus.Summary{State: kstatus.InProgress, Reason: reason, Message: message})
}

// setQuarantineReady: the Quarantine is where it should be (Isolated, or Released).
func setQuarantineReady(q *gdprv1alpha1.Quarantine, reason, message string) {
	summarizeQuarantine(q, kstatus.Summary{State: kstatus.Current, Reason: reason, Message: message})
}

func summarizeQuarantine(q *gdprv1alpha1.Quarantine, s kstatus.Summary) {
	kstatus.Summarize(&q.Status.Conditions, &q.Status.ObservedGeneration, q.Generation, s)
}

// keepOf is spec.keep, or its default should an object reach Amber without it.
func keepOf(q *gdprv1alpha1.Quarantine) time.Duration {
	if q.Spec.Keep.Duration > 0 {
		return q.Spec.Keep.Duration
	}
	return 24 * time.Hour
}

// creatorOf names the field manager that created the Quarantine: the one that owns its spec
// (immutable, so only its creator wrote it; the oldest such entry should several share it).
// Amber's own finalizer and status writes never touch the spec.
func creatorOf(q *gdprv1alpha1.Quarantine) string {
	var first *metav1.ManagedFieldsEntry
	for i := range q.ManagedFields {
		m := &q.ManagedFields[i]
		if m.Subresource != "" || m.FieldsV1 == nil || !bytes.Contains(m.FieldsV1.GetRawBytes(), []byte(`"f:spec"`)) {
			continue
		}
		if first == nil || (m.Time != nil && first.Time != nil && m.Time.Before(first.Time)) {
			first = m
		}
	}
	if first == nil {
		return ""
	}
	return first.Manager
}

// quarantinesOfPod maps a pod to the Quarantines that name it.
func (r *QuarantineReconciler) quarantinesOfPod(ctx context.Context, o client.Object) []ctrl.Request {
	list := &gdprv1alpha1.QuarantineList{}
	if err := r.List(ctx, list, client.InNamespace(o.GetNamespace()), client.MatchingFields{quarantinePodIndex: o.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "List the Quarantines of a pod", "pod", klog.KObj(o))
		return nil
	}
	requests := make([]ctrl.Request, 0, len(list.Items))
	for i := range list.Items {
		requests = append(requests, ctrl.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return requests
}

// SetupWithManager registers the Quarantine controller: it runs on changes to Quarantines, to
// the pods they name and to the NetworkPolicies they own.
func (r *QuarantineReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &gdprv1alpha1.Quarantine{}, quarantinePodIndex, func(o client.Object) []string {
		return []string{o.(*gdprv1alpha1.Quarantine).Spec.Pod}
	}); err != nil {
		return fmt.Errorf("index Quarantines by pod: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&gdprv1alpha1.Quarantine{}).
		Owns(&networkingv1.NetworkPolicy{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.quarantinesOfPod), builder.WithPredicates(predicate.Or(predicate.LabelChangedPredicate{}, deletionChanged{}))).
		Named("quarantine").
		Complete(r)
}

// deletionChanged passes pod creations, deletions and updates that set a deletion timestamp.
type deletionChanged struct{ predicate.Funcs }

func (deletionChanged) Update(e event.UpdateEvent) bool {
	return e.ObjectOld.GetDeletionTimestamp().IsZero() != e.ObjectNew.GetDeletionTimestamp().IsZero()
}
