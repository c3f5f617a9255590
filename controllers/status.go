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
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/podplan"
)

// summarizeStatus writes what one reconcile learnt into the workload's status. It runs even
// when a phase failed, so that the conditions always say why the workload is not Ready.
func summarizeStatus(scope *workloadScope, reconcileErr error) {
	w := scope.workload
	status := &w.Status
	status.Selector = fmt.Sprintf("%s=%s", gdprv1alpha1.WorkloadLabel, w.Name)
	summarizeDrift(scope)
	pinned := scope.pinning == nil && !scope.hold && scope.revision != ""
	if scope.templateHash != "" && (pinned || scope.pinning != nil) {
		// Until the template's images are pinned, its revision has no ID yet: the template
		// hash stands for it, and no image is shown as pinned.
		status.UpdateRevision, status.PinnedImages = scope.templateHash, nil
		if pinned {
			status.UpdateRevision, status.PinnedImages = scope.revision, scope.current.Pins
		}
		summarizeReplicas(scope)
	}
	if pinned {
		message := fmt.Sprintf("%d images of revision %s pinned to digests", len(scope.current.Pins), scope.revision)
		if scope.refreshErr != nil {
			message += fmt.Sprintf("; refreshing them failed, will retry: %v", scope.refreshErr)
		}
		setCondition(w, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonPinned, message)
	}

	var pinMessage string
	switch {
	case scope.pinning != nil && scope.pinning.err != nil:
		pinMessage = fmt.Sprintf("no pod of the new template is made until its images are pinned; pods already running are kept: %v", scope.pinning.err)
		setCondition(w, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionFalse, string(pinReason(scope.pinning.err)), pinMessage)
	case scope.pinning != nil:
		pinMessage = fmt.Sprintf("resolving the images of the new template (%s) to digests", scope.templateHash)
		setCondition(w, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionUnknown, gdprv1alpha1.ReasonResolving, pinMessage)
	}

	switch {
	case scope.stalled != nil:
		setStalled(w, scope.stalled.reason, scope.stalled.message)
	case reconcileErr != nil:
		// A failure that may pass: Amber retries with backoff, the workload stays Reconciling.
		setProgressing(w, gdprv1alpha1.ReasonReconcileFailed, reconcileErr.Error())
		return // observedGeneration stays: this generation is not fully handled yet
	case scope.pinning != nil && scope.pinning.err != nil:
		reason := string(pinReason(scope.pinning.err))
		if reason == gdprv1alpha1.ReasonRegistryNotAllowed || reason == gdprv1alpha1.ReasonInvalidReference {
			setStalled(w, reason, pinMessage) // only a change to the workload helps
		} else {
			setProgressing(w, reason, pinMessage+" (retrying)")
		}
	case scope.pinning != nil:
		setProgressing(w, gdprv1alpha1.ReasonResolving, pinMessage)
	case scope.plan.Phase == podplan.Converged:
		setReady(w, fmt.Sprintf("%d/%d pods Ready at revision %s", status.ReadyReplicas, desiredReplicas(w), scope.revision))
	default:
		setProgressing(w, string(scope.plan.Phase), progressMessage(scope))
	}
	status.ObservedGeneration = w.Generation
}

// summarizeReplicas counts the workload's pods, and moves currentRevision forward once no
// pod of another revision is left.
func summarizeReplicas(scope *workloadScope) {
	status := &scope.workload.Status
	var replicas, ready, updated int32
	var oldest *corev1.Pod
	for i := range scope.pods {
		pod := &scope.pods[i]
		if pod.DeletionTimestamp != nil {
			continue
		}
		replicas++
		if podReady(pod) {
			ready++
		}
		if pod.Labels[gdprv1alpha1.RevisionLabel] == status.UpdateRevision {
			updated++
		} else if oldest == nil || pod.CreationTimestamp.Before(&oldest.CreationTimestamp) {
			oldest = pod
		}
	}
	status.Replicas, status.ReadyReplicas, status.UpdatedReplicas = replicas, ready, updated
	switch {
	case oldest == nil && !scope.hold:
		status.CurrentRevision = status.UpdateRevision
	case status.CurrentRevision == "" && oldest != nil:
		status.CurrentRevision = oldest.Labels[gdprv1alpha1.RevisionLabel]
	}
}

func progressMessage(scope *workloadScope) string {
	w := scope.workload
	msg := fmt.Sprintf("%d/%d pods Ready, %d at revision %s", w.Status.ReadyReplicas, desiredReplicas(w), w.Status.UpdatedReplicas, scope.revision)
	if n := scope.plan.Create; n > 0 {
		msg += fmt.Sprintf("; creating %d", n)
	}
	if n := len(scope.plan.Delete); n > 0 {
		msg += fmt.Sprintf("; deleting %d", n)
	}
	return msg
}

func desiredReplicas(w *gdprv1alpha1.GDPRWorkload) int32 {
	if w.Spec.Replicas == nil {
		return 1
	}
	return *w.Spec.Replicas
}

func setReady(w *gdprv1alpha1.GDPRWorkload, message string) {
	setCondition(w, gdprv1alpha1.ReadyCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonReplicasReady, message)
	meta.RemoveStatusCondition(&w.Status.Conditions, gdprv1alpha1.ReconcilingCondition)
	meta.RemoveStatusCondition(&w.Status.Conditions, gdprv1alpha1.StalledCondition)
}

func setProgressing(w *gdprv1alpha1.GDPRWorkload, reason, message string) {
	setCondition(w, gdprv1alpha1.ReadyCondition, metav1.ConditionFalse, reason, message)
	setCondition(w, gdprv1alpha1.ReconcilingCondition, metav1.ConditionTrue, reason, message)
	meta.RemoveStatusCondition(&w.Status.Conditions, gdprv1alpha1.StalledCondition)
}

func setStalled(w *gdprv1alpha1.GDPRWorkload, reason, message string) {
	setCondition(w, gdprv1alpha1.ReadyCondition, metav1.ConditionFalse, reason, message)
	setCondition(w, gdprv1alpha1.StalledCondition, metav1.ConditionTrue, reason, message)
	meta.RemoveStatusCondition(&w.Status.Conditions, gdprv1alpha1.ReconcilingCondition)
}

func setCondition(w *gdprv1alpha1.GDPRWorkload, conditionType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&w.Status.Conditions, metav1.Condition{
		Type:               conditionType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: w.Generation,
	})
}
