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
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/drift"
	"github.com/amber-gdpr/amber/internal/failure"
	"github.com/amber-gdpr/amber/internal/kstatus"
	"github.com/amber-gdpr/amber/internal/podplan"
	"github.com/amber-gdpr/amber/internal/residency"
	"github.com/amber-gdpr/amber/internal/revision"
)

// summarizeStatus writes what one reconcile learnt into the workload's status: it gathers
// plain values from the scope and hands each condition to its own function. It runs even
// when a phase failed, so that the conditions always say why the workload is not Ready.
func summarizeStatus(scope *workloadScope, outcome error) {
	w := scope.workload
	status := &w.Status
	status.Selector = fmt.Sprintf("%s=%s", gdprv1alpha1.WorkloadLabel, w.Name)
	if scope.drift.looked {
		drifted := driftedPods(scope)
		if len(drifted) == 0 && status.Drift != nil {
			status.Drift.DriftedPods = 0
		} else if len(drifted) > 0 {
			driftStatus(w).DriftedPods = int32(len(drifted))
		}
		setInSyncCondition(w, drifted, scope.drift.rateLimited)
	}
	pin := pinSummaryOf(scope)
	if scope.templateHash != "" && (pin.pinned || pin.held) {
		// Until the template's images are pinned, its revision has no ID yet: the template
		// hash stands for it, and no image is shown as pinned.
		status.UpdateRevision, status.PinnedImages = scope.templateHash, nil
		if pin.pinned {
			status.UpdateRevision, status.PinnedImages = scope.pin.run.ID, scope.pin.run.Pins
		}
		summarizeReplicas(status, scope.pods.owned, pin.held)
	}
	setImagesPinnedCondition(w, pin)
	setReadiness(w, readinessOf(outcome, pin, scope.pods.plan, progressOf(scope)))
}

// pinSummary is what the pinning phase decided, as the conditions need it.
type pinSummary struct {
	// pinned: the template's revision runs, every image pinned.
	pinned bool
	// held: the template's revision cannot run yet; resolving or blocked says why.
	held      bool
	resolving bool
	blocked   error
	// revision and images: the revision that runs when pinned, and how many images it pins.
	revision     string
	images       int
	refreshErr   error
	templateHash string
}

func pinSummaryOf(scope *workloadScope) pinSummary {
	held := scope.pin.held()
	return pinSummary{
		pinned:       scope.pin.decided() && !held && scope.pin.run.ID != "",
		held:         held,
		resolving:    held && scope.pin.choice.Resolving,
		blocked:      scope.pin.choice.Blocked,
		revision:     scope.pin.run.ID,
		images:       len(scope.pin.run.Pins),
		refreshErr:   scope.pin.choice.RefreshErr,
		templateHash: scope.templateHash,
	}
}

// setImagesPinnedCondition says whether the template's images are pinned: True once they are,
// Unknown while the registries are asked, False with the pinning failure's reason. It is left
// as it was when pinning was not decided in this reconcile.
func setImagesPinnedCondition(w *gdprv1alpha1.GDPRWorkload, pin pinSummary) {
	switch {
	case pin.pinned:
		message := fmt.Sprintf("%d images of revision %s pinned to digests", pin.images, pin.revision)
		if pin.refreshErr != nil {
			message += fmt.Sprintf("; refreshing them failed, will retry: %v", pin.refreshErr)
		}
		setCondition(w, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonPinned, message)
	case pin.held && pin.blocked != nil:
		setCondition(w, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionFalse, string(revision.ReasonOf(pin.blocked)),
			fmt.Sprintf("no pod of the new template is made until its images are pinned; pods already running are kept: %v", pin.blocked))
	case pin.resolving:
		setCondition(w, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionUnknown, gdprv1alpha1.ReasonResolving,
			fmt.Sprintf("resolving the images of the new template (%s) to digests", pin.templateHash))
	}
}

// driftedPodName is a drifted pod as the InSync condition names it.
type driftedPodName struct {
	name        string
	reason      drift.Reason
	disposition drift.Disposition
	replace     bool
}

// driftedPods lists the drifted pods of the reconcile, the workload's first, then escaped ones.
func driftedPods(scope *workloadScope) []driftedPodName {
	var names []driftedPodName
	for _, pods := range [][]corev1.Pod{scope.pods.owned, scope.pods.escaped} {
		for i := range pods {
			if d, ok := scope.drift.found[pods[i].UID]; ok && len(d.findings) > 0 {
				names = append(names, driftedPodName{name: pods[i].Name, reason: d.findings[0].Reason, disposition: d.disposition, replace: d.replace})
			}
		}
	}
	return names
}

// setInSyncCondition says whether every pod is as the API server admitted it, and if not
// what becomes of the drifted ones; its reason is the first pod's first kind of drift.
func setInSyncCondition(w *gdprv1alpha1.GDPRWorkload, drifted []driftedPodName, rateLimited bool) {
	if len(drifted) == 0 {
		setCondition(w, gdprv1alpha1.InSyncCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonNoDrift, "every pod is as the API server admitted it")
		return
	}
	first := drifted[0]
	what := "being replaced by fresh pods"
	switch {
	case !first.replace && first.disposition == drift.KeepReported:
		what = "kept, as spec.driftPolicy.action is Report"
	case rateLimited:
		what = fmt.Sprintf("replaced at most %d at once and then one every %s", driftReplacementBurst, driftReplacementInterval)
	case !first.replace:
		what = "kept: replacing them again would feed a drift loop"
	}
	names := make([]string, 0, len(drifted))
	for _, d := range drifted {
		names = append(names, fmt.Sprintf("%s (%s)", d.name, d.reason))
	}
	setCondition(w, gdprv1alpha1.InSyncCondition, metav1.ConditionFalse, string(first.reason),
		truncate(fmt.Sprintf("%d pods changed in place, %s: %s", len(drifted), what, strings.Join(names, ", ")), 1024))
}

// progress is where the pods stand, for the Ready and Reconciling messages.
type progress struct {
	ready, desired, updated int32
	revision                string
	create, delete          int
	// noEligibleNodes is set while pods of a workload confined by spec.residency find no node.
	noEligibleNodes string
}

func progressOf(scope *workloadScope) progress {
	w := scope.workload
	p := progress{ready: w.Status.ReadyReplicas, desired: desiredReplicas(w), updated: w.Status.UpdatedReplicas,
		revision: scope.revisionID(), create: scope.pods.plan.Create, delete: len(scope.pods.plan.Delete)}
	if residency.Restricted(w.Spec.Residency) && scope.pods.unschedulable > 0 {
		p.noEligibleNodes = residency.NoEligibleNodes(w.Spec.Residency, scope.pods.unschedulable, scope.pods.schedulerSays)
	}
	return p
}

// readinessOf decides where the workload stands in kstatus' terms (Current, InProgress or
// Failed) from how the reconcile ended, the pinning and the pod plan; kstatus.Summarize turns
// it into Ready, Reconciling and Stalled. ImagesPinned, InSync and AdmissionGuarded are
// reported beside Ready and reach it only through these inputs: a pinning failure or a drift
// loop ends the reconcile with a stalling or waiting error, images being resolved hold the
// plan.
func readinessOf(outcome error, pin pinSummary, plan podplan.Plan, p progress) kstatus.Summary {
	if stalling := failure.StallingOf(outcome); stalling != nil {
		return kstatus.Summary{State: kstatus.Failed, Reason: stalling.Reason, Message: stalling.Err.Error()}
	}
	if waiting := failure.WaitingOf(outcome); waiting != nil {
		return kstatus.Summary{State: kstatus.InProgress, Reason: waiting.Reason, Message: waiting.Err.Error()}
	}
	switch {
	case outcome != nil:
		// A failure that may pass: Amber retries with backoff, the workload stays Reconciling
		// and its generation is not observed until a reconcile gets through.
		return kstatus.Summary{State: kstatus.InProgress, Reason: gdprv1alpha1.ReasonReconcileFailed, Message: outcome.Error(), Retrying: true}
	case pin.resolving:
		return kstatus.Summary{State: kstatus.InProgress, Reason: gdprv1alpha1.ReasonResolving,
			Message: fmt.Sprintf("resolving the images of the new template (%s) to digests", pin.templateHash)}
	case plan.Phase == podplan.Converged:
		return kstatus.Summary{State: kstatus.Current, Reason: gdprv1alpha1.ReasonReplicasReady,
			Message: fmt.Sprintf("%d/%d pods Ready at revision %s", p.ready, p.desired, p.revision)}
	}
	if p.noEligibleNodes != "" {
		// Before the plan's phase: a rollout or a scale-up that cannot place its pods is
		// waiting for a node, and the regions are what a person needs to know.
		return kstatus.Summary{State: kstatus.InProgress, Reason: gdprv1alpha1.ReasonNoEligibleNodes,
			Message: truncate(fmt.Sprintf("%d/%d pods Ready at revision %s; %s", p.ready, p.desired, p.revision, p.noEligibleNodes), 1024)}
	}
	message := fmt.Sprintf("%d/%d pods Ready, %d at revision %s", p.ready, p.desired, p.updated, p.revision)
	if p.create > 0 {
		message += fmt.Sprintf("; creating %d", p.create)
	}
	if p.delete > 0 {
		message += fmt.Sprintf("; deleting %d", p.delete)
	}
	return kstatus.Summary{State: kstatus.InProgress, Reason: string(plan.Phase), Message: message}
}

// setReadiness writes the workload's Ready, Reconciling and Stalled conditions and its
// observedGeneration from s.
func setReadiness(w *gdprv1alpha1.GDPRWorkload, s kstatus.Summary) {
	kstatus.Summarize(&w.Status.Conditions, &w.Status.ObservedGeneration, w.Generation, s)
}

// summarizeReplicas counts the workload's pods, and moves currentRevision forward once no
// pod of another revision is left.
func summarizeReplicas(status *gdprv1alpha1.GDPRWorkloadStatus, pods []corev1.Pod, held bool) {
	var replicas, ready, updated int32
	var oldest *corev1.Pod
	for i := range pods {
		pod := &pods[i]
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
	case oldest == nil && !held:
		status.CurrentRevision = status.UpdateRevision
	case status.CurrentRevision == "" && oldest != nil:
		status.CurrentRevision = oldest.Labels[gdprv1alpha1.RevisionLabel]
	}
}

func desiredReplicas(w *gdprv1alpha1.GDPRWorkload) int32 {
	if w.Spec.Replicas == nil {
		return 1
	}
	return *w.Spec.Replicas
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

// driftStatus returns the workload's drift status, making it if absent.
func driftStatus(w *gdprv1alpha1.GDPRWorkload) *gdprv1alpha1.DriftStatus {
	if w.Status.Drift == nil {
		w.Status.Drift = &gdprv1alpha1.DriftStatus{}
	}
	return w.Status.Drift
}
