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
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/drift"
	"github.com/amber-gdpr/amber/internal/podplan"
	"github.com/amber-gdpr/amber/internal/revision"
)

// workloadScope is what one reconcile of one workload reads and decides, grouped by concern.
// Each phase fills in its own group; the status is summarised from the groups at the end.
type workloadScope struct {
	workload *gdprv1alpha1.GDPRWorkload
	// now is the reconcile's time, taken once: every decision of the reconcile sees the same.
	now time.Time
	// templateHash identifies the template as the user wrote it.
	templateHash string
	// revisions is the workload's history.
	revisions []revision.Revision
	// ledger is the only way the reconcile writes to the workload's ledger.
	ledger *workloadLedger

	pin    pinScope
	pods   podScope
	drift  driftScope
	retire retireScope

	// requeueAfter is when to look at the workload again, 0 for no particular time.
	requeueAfter time.Duration
}

// pinScope is what the pinning phase decided: the revision pods are made from.
type pinScope struct {
	// choice is revision.Choose's answer: Run (or Create, then Run) or Hold, and why.
	choice revision.Choice
	// run is the revision pods are made from: the template's, or while that cannot run the
	// one the workload last fully ran; its ID is "" when there is none.
	run revision.Revision
}

// decided reports whether the pinning phase ran.
func (p *pinScope) decided() bool { return p.choice.Action != "" }

// held reports whether the pods are kept as they are, the template's revision not running.
func (p *pinScope) held() bool { return p.choice.Action == revision.Hold }

// podScope is what the pod phases observed and planned.
type podScope struct {
	// owned are the workload's pods, as the cache shows them.
	owned []corev1.Pod
	// planned is what the planner knows of each owned pod, in the same order.
	planned []podplan.Pod
	plan    podplan.Plan
	// escaped are pods Amber created that lost their workload label or controller reference:
	// the cache no longer shows them as the workload's, but they still run.
	escaped []corev1.Pod
	// released are pods released from service for a Quarantine (retire.Keep, retire.Delete):
	// still the workload's, but no longer counted, planned for or checked for drift.
	released []corev1.Pod
	// pending is true while created or deleted pods have not shown up in the cache.
	pending bool
	// unschedulable counts the pods the scheduler found no node for; schedulerSays is its
	// message for the first of them.
	unschedulable int
	schedulerSays string
}

// driftScope is what the drift phase found and decided.
type driftScope struct {
	// looked is true once drift was looked at in this reconcile.
	looked bool
	// found holds what changed on each drifted pod, by UID, for pods and escaped pods.
	found map[types.UID]driftedPod
	// paths holds the changed fields of pods found drifted in this reconcile, by name.
	paths map[string][]string
	// replacedBy names, by drifted pod, the fresh pod made in this reconcile to replace it.
	replacedBy map[string]string
	// awaiting names gone drifted pods whose repair the ledger does not record and whose
	// replacement is yet to be made (drift.UnrecordedRepairs): the next pods made name them.
	awaiting []string
	// rateLimited is set when a drifted pod waits for the workload's replacement budget.
	rateLimited bool
	// repeated and loopPaths are the drifts in a row on replacement pods, and their fields.
	repeated  int
	loopPaths []string
	// looping is true when repeated makes a drift loop: drifted pods are kept.
	looping bool
}

// driftedPod is what was found on one drifted pod, and what becomes of it.
type driftedPod struct {
	findings    []drift.Finding
	disposition drift.Disposition
	// replace is true when Amber replaces the pod now (within the replacement budget).
	replace bool
}

// requeue asks for the workload to be reconciled again after d at the latest.
func (s *workloadScope) requeue(d time.Duration) {
	if d > 0 && (s.requeueAfter == 0 || d < s.requeueAfter) {
		s.requeueAfter = d
	}
}

// revisionID is the ID of the revision pods are made from, "" when there is none.
func (s *workloadScope) revisionID() string { return s.pin.run.ID }
