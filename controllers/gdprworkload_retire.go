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
	"encoding/json"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/failpoint"
	"github.com/amber-gdpr/amber/internal/retire"
	"github.com/amber-gdpr/amber/internal/revision"
)

// Retirement: pods that leave service for an incident (internal/retire decides which). A pod
// touched under a BreakGlass whose window closed, and the pod of a Quarantine, are replaced
// by the drift-repair machinery (podplan.Pod.Drifted, ReplacesAnnotation): a fresh pod first,
// within spec.strategy. Where the planner would then delete a quarantined pod, it is released
// from service instead (its template labels removed, QuarantinedLabel set) and kept; a
// released pod no longer counts among the workload's pods (scope.pods.released) until its
// Quarantine ends and it is deleted here. Every pod entry (PodReplaced, PodDeleted) is
// written by this reconciler, which acts on the pods; the Quarantine controller writes the
// PodQuarantined entries and owns the NetworkPolicy.

// Indexes of the incident-response objects by the workload they concern.
const (
	breakGlassWorkloadIndex = "spec.workload"
	quarantineWorkloadIndex = "status.workload"
)

// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=breakglasses;quarantines,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=pods,verbs=patch

// indexIncidents indexes BreakGlasses by spec.workload and Quarantines by status.workload
// (set by the Quarantine controller once it found the pod and its workload).
func indexIncidents(ctx context.Context, indexer client.FieldIndexer) error {
	if err := indexer.IndexField(ctx, &gdprv1alpha1.BreakGlass{}, breakGlassWorkloadIndex, func(o client.Object) []string {
		return []string{o.(*gdprv1alpha1.BreakGlass).Spec.Workload}
	}); err != nil {
		return fmt.Errorf("index BreakGlasses by workload: %w", err)
	}
	if err := indexer.IndexField(ctx, &gdprv1alpha1.Quarantine{}, quarantineWorkloadIndex, func(o client.Object) []string {
		if w := o.(*gdprv1alpha1.Quarantine).Status.Workload; w != "" {
			return []string{w}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("index Quarantines by workload: %w", err)
	}
	return nil
}

// breakGlassWorkload maps a BreakGlass to its workload.
func breakGlassWorkload(_ context.Context, o client.Object) []ctrl.Request {
	bg := o.(*gdprv1alpha1.BreakGlass)
	return []ctrl.Request{{NamespacedName: types.NamespacedName{Namespace: bg.Namespace, Name: bg.Spec.Workload}}}
}

// quarantineWorkload maps a Quarantine to its workload, once its controller named it.
func quarantineWorkload(_ context.Context, o client.Object) []ctrl.Request {
	q := o.(*gdprv1alpha1.Quarantine)
	if q.Status.Workload == "" {
		return nil
	}
	return []ctrl.Request{{NamespacedName: types.NamespacedName{Namespace: q.Namespace, Name: q.Status.Workload}}}
}

// retireScope is what the retirement phases decided.
type retireScope struct {
	decision retire.Decision
}

// observeRetirements decides which pods leave service for an incident, and takes the pods
// released from service out of those the workload counts: the planner, drift detection and
// the status see them no more. It runs right after observePods.
func (r *GDPRWorkloadReconciler) observeRetirements(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	bgs := &gdprv1alpha1.BreakGlassList{}
	if err := r.List(ctx, bgs, client.InNamespace(w.Namespace), client.MatchingFields{breakGlassWorkloadIndex: w.Name}); err != nil {
		return fmt.Errorf("list BreakGlasses: %w", err)
	}
	qs := &gdprv1alpha1.QuarantineList{}
	if err := r.List(ctx, qs, client.InNamespace(w.Namespace), client.MatchingFields{quarantineWorkloadIndex: w.Name}); err != nil {
		return fmt.Errorf("list Quarantines: %w", err)
	}
	pods := make([]retire.Pod, 0, len(scope.pods.owned))
	for i := range scope.pods.owned {
		p := &scope.pods.owned[i]
		pods = append(pods, retire.Pod{Name: p.Name, UID: string(p.UID), Quarantined: p.Labels[gdprv1alpha1.QuarantinedLabel], Terminating: p.DeletionTimestamp != nil})
	}
	d := retire.Decide(pods, bgs.Items, qs.Items, scope.now)
	scope.retire.decision = d
	scope.requeue(d.RecheckAfter)
	// planned holds the owned pods first, in the same order, then pods created and not yet
	// cached: both lose the released pods at the same places.
	kept := 0
	for i := range scope.pods.owned {
		if d.Counted(string(scope.pods.owned[i].UID)) {
			scope.pods.owned[kept], scope.pods.planned[kept] = scope.pods.owned[i], scope.pods.planned[i]
			kept++
			continue
		}
		scope.pods.released = append(scope.pods.released, scope.pods.owned[i])
	}
	if dropped := len(scope.pods.owned) - kept; dropped > 0 {
		scope.pods.planned = slices.Delete(scope.pods.planned, kept, kept+dropped)
		scope.pods.owned = scope.pods.owned[:kept]
	}
	return nil
}

// retirePods is the retire hook of drift repair: a pod retired for an incident is planned as
// a drifted pod is, so that a fresh pod of its revision is made first and it goes within
// spec.strategy. It runs after detectDrift, which may already have marked it.
func (r *GDPRWorkloadReconciler) retirePods(_ context.Context, scope *workloadScope) error {
	for i := range scope.pods.owned {
		if scope.retire.decision.Replacing(string(scope.pods.owned[i].UID)) && !scope.pods.planned[i].Discard {
			scope.pods.planned[i].Drifted = true
		}
	}
	return nil
}

// retirementOf returns the retirement of a pod the planner deletes, if it is retired.
func (scope *workloadScope) retirementOf(pod *corev1.Pod) (retire.Retirement, bool) {
	ret, ok := scope.retire.decision.Retired[string(pod.UID)]
	return ret, ok && (ret.Action == retire.Replace || ret.Action == retire.Release)
}

// releasePod takes a quarantined pod out of service where the planner would delete it: only
// once a fresh pod that replaces it is Ready, whatever spec.strategy allows, since a
// Quarantine promises a replacement first. It reports whether the pod was released.
func (r *GDPRWorkloadReconciler) releasePod(ctx context.Context, scope *workloadScope, pod *corev1.Pod, ret retire.Retirement) (bool, error) {
	replacement := ""
	for i := range scope.pods.owned {
		if p := &scope.pods.owned[i]; p.Annotations[ReplacesAnnotation] == pod.Name && p.DeletionTimestamp == nil && podReady(p) {
			replacement = p.Name
		}
	}
	if replacement == "" {
		return false, nil // its replacement's readiness wakes the workload
	}
	templates := []map[string]string{scope.workload.Spec.Template.Labels}
	if rev, ok := revision.Find(scope.revisions, pod.Labels[gdprv1alpha1.RevisionLabel]); ok {
		templates = append(templates, rev.Template.Labels)
	}
	released := retire.ReleasedLabels(pod.Labels, ret.Quarantine, templates...)
	// A merge patch that names the pod's UID: it applies to this pod only, never to a later
	// pod of the same name. Removed labels are set to null.
	labels := map[string]any{}
	for k, v := range released {
		if pod.Labels[k] != v {
			labels[k] = v
		}
	}
	for k := range pod.Labels {
		if _, ok := released[k]; !ok {
			labels[k] = nil
		}
	}
	body, err := json.Marshal(map[string]any{"metadata": map[string]any{"uid": pod.UID, "labels": labels}})
	if err != nil {
		return false, fmt.Errorf("encode release of pod %s: %w", pod.Name, err)
	}
	ctrl.LoggerFrom(ctx).Info("Releasing quarantined pod from service", "pod", klog.KObj(pod), "quarantine", ret.Quarantine, "replacement", replacement)
	if err := r.Patch(ctx, pod, client.RawPatch(types.MergePatchType, body), client.FieldOwner(fieldOwner)); err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return false, nil // gone, or another pod of that name: the next reconcile sees which
		}
		return false, fmt.Errorf("release pod %s from service: %w", pod.Name, err)
	}
	scope.pods.pending = true
	return true, r.recordRetired(ctx, scope, pod, ret, replacement, false)
}

// replacementOf names the workload's pod that replaces the pod named old, "" when none does.
func (scope *workloadScope) replacementOf(old string) string {
	if name := scope.drift.replacedBy[old]; name != "" {
		return name
	}
	for i := range scope.pods.owned {
		if scope.pods.owned[i].Annotations[ReplacesAnnotation] == old {
			return scope.pods.owned[i].Name
		}
	}
	return ""
}

// recordRetired writes the PodReplaced entry of a retired pod, naming its replacement, with
// the label of the BreakGlass or Quarantine it was retired for. Its key is the one a drift
// repair of the pod would use: a pod is replaced once, whatever for.
func (r *GDPRWorkloadReconciler) recordRetired(ctx context.Context, scope *workloadScope, old *corev1.Pod, ret retire.Retirement, replacement string, recovered bool) error {
	w := scope.workload
	rev := old.Labels[gdprv1alpha1.RevisionLabel]
	var message string
	labels := map[string]string{}
	switch {
	case ret.Quarantine != "" && ret.Action != retire.Replace:
		message = fmt.Sprintf("Released pod %s from service for Quarantine %s; fresh pod %s of revision %s took its place", old.Name, ret.Quarantine, replacement, rev)
	case ret.Quarantine != "":
		message = fmt.Sprintf("Replaced pod %s of Quarantine %s, which ended before the pod left service, by fresh pod %s of revision %s", old.Name, ret.Quarantine, replacement, rev)
	default:
		message = fmt.Sprintf("Replaced pod %s, touched under BreakGlass %s whose window closed, by fresh pod %s of revision %s", old.Name, ret.BreakGlass, replacement, rev)
	}
	if recovered {
		message = "Found the replacement unrecorded: " + message
	}
	if ret.Quarantine != "" {
		labels[gdprv1alpha1.AuditQuarantineLabel] = ret.Quarantine
	}
	if ret.BreakGlass != "" {
		labels[gdprv1alpha1.AuditBreakGlassLabel] = ret.BreakGlass
	}
	wrote, err := scope.ledger.appendLabelled(ctx, gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditPodReplaced,
		Reason:         string(ret.Replaced),
		Subject:        podSubject(old),
		Actor:          ownActor,
		Message:        message,
		IdempotencyKey: string(old.UID) + "/PodReplaced",
		Recovered:      recovered,
	}, labels)
	if err != nil || !wrote {
		return err
	}
	r.Recorder.Eventf(w, old, corev1.EventTypeNormal, gdprv1alpha1.EventPodReplaced, "ReplacePod", "%s", message)
	return nil
}

// retiredDeletedEntry is the PodDeleted entry of a retired pod Amber deleted, and the labels
// naming its BreakGlass or Quarantine; the pod's baseline is forgotten.
func (r *GDPRWorkloadReconciler) retiredDeletedEntry(pod *corev1.Pod, ret retire.Retirement) (gdprv1alpha1.AuditEventSpec, map[string]string) {
	r.drift.forget(pod.UID)
	labels := map[string]string{}
	message := "Deleted the pod"
	if ret.Quarantine != "" {
		labels[gdprv1alpha1.AuditQuarantineLabel] = ret.Quarantine
		message = fmt.Sprintf("Deleted the pod: Quarantine %s ended", ret.Quarantine)
	}
	if ret.BreakGlass != "" {
		labels[gdprv1alpha1.AuditBreakGlassLabel] = ret.BreakGlass
		message = fmt.Sprintf("Deleted the pod, touched under BreakGlass %s whose window closed", ret.BreakGlass)
	}
	return gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditPodDeleted,
		Reason:         string(ret.Deleted),
		Subject:        podSubject(pod),
		Actor:          ownActor,
		Message:        message,
		IdempotencyKey: string(pod.UID) + "/PodDeleted",
	}, labels
}

// recordRetiredDeleted writes the PodDeleted entry of a retired pod Amber deleted.
func (r *GDPRWorkloadReconciler) recordRetiredDeleted(ctx context.Context, scope *workloadScope, pod *corev1.Pod, ret retire.Retirement) error {
	entry, labels := r.retiredDeletedEntry(pod, ret)
	_, err := scope.ledger.appendLabelled(ctx, entry, labels)
	return err
}

// endRetirements finishes what the planner does not see: released pods whose Quarantine
// ended are deleted, and PodReplaced entries a crash lost are written (of a released pod, or
// of a retired pod found gone that a fresh pod names as the pod it replaces).
func (r *GDPRWorkloadReconciler) endRetirements(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	d := scope.retire.decision
	for i := range scope.pods.released {
		pod := &scope.pods.released[i]
		ret := d.Retired[string(pod.UID)]
		if pod.DeletionTimestamp != nil {
			continue
		}
		if err := r.recordLateReplacement(ctx, scope, pod, ret); err != nil {
			return err
		}
		if ret.Action != retire.Delete {
			continue
		}
		ctrl.LoggerFrom(ctx).Info("Deleting quarantined pod", "pod", klog.KObj(pod), "quarantine", ret.Quarantine)
		if err := r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); err != nil {
			if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
				continue
			}
			return fmt.Errorf("delete quarantined pod %s: %w", pod.Name, err)
		}
		failpoint.Crash(failpoint.AfterPodDelete, w.Namespace, w.Name)
		if err := r.recordRetiredDeleted(ctx, scope, pod, ret); err != nil {
			return err
		}
		r.Recorder.Eventf(w, pod, corev1.EventTypeNormal, gdprv1alpha1.EventPodDeleted, "DeletePod", "Deleted pod %s (%s)", pod.Name, ret.Deleted)
	}
	for _, ret := range d.Gone {
		replacement := scope.replacementOf(ret.Pod)
		if replacement == "" {
			continue // no fresh pod was made for it: it went for another reason
		}
		gone := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: ret.Pod, Namespace: w.Namespace, UID: types.UID(ret.UID)}}
		if err := r.recordLateReplacement(ctx, scope, gone, ret); err != nil {
			return err
		}
	}
	return nil
}

// recordLateReplacement writes, marked recovered, the PodReplaced entry of a retired pod
// whose replacement is done but unrecorded: a crash came between the act and its entry.
func (r *GDPRWorkloadReconciler) recordLateReplacement(ctx context.Context, scope *workloadScope, pod *corev1.Pod, ret retire.Retirement) error {
	w := scope.workload
	done, err := r.Ledger.Recorded(ctx, w.Namespace, w.Name, string(pod.UID)+"/PodReplaced")
	if err != nil || done {
		return err
	}
	if ret.Quarantine != "" && ret.Action == "" {
		ret.Action = retire.Replace // gone before it left service, or after: the entry says replaced
	}
	return r.recordRetired(ctx, scope, pod, ret, scope.replacementOf(pod.Name), true)
}
