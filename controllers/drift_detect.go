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
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/breakglass"
	"github.com/amber-gdpr/amber/internal/drift"
	"github.com/amber-gdpr/amber/internal/residency"
	"github.com/amber-gdpr/amber/internal/revision"
)

// fieldOwner is the field manager Amber creates pods as: a pod's managed fields then tell
// Amber's own writes from everyone else's.
const fieldOwner = "amber"

// ReplacesAnnotation, on a pod Amber created to replace a drifted one, names that pod.
const ReplacesAnnotation = "gdpr.amber.dev/replaces"

// maxDriftPaths bounds the field paths shown in status and messages.
const maxDriftPaths = 16

// detectDrift compares each running pod, and each escaped pod, with its baseline, records
// what drifted (once per pod) and decides what becomes of each drifted pod: replaced now,
// after the workload's replacement budget allows, or kept (Report, or a drift loop).
func (r *GDPRWorkloadReconciler) detectDrift(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	scope.drift.looked = true
	scope.drift.found = map[types.UID]driftedPod{}
	scope.drift.paths = map[string][]string{}
	var unrecorded []gdprv1alpha1.AuditEventSpec
	var unrecordedPods []*corev1.Pod
	var unrecordedFindings [][]drift.Finding

	check := func(pod *corev1.Pod) ([]drift.Finding, error) {
		baseline, known, err := r.podBaseline(ctx, w, pod)
		if err != nil {
			return nil, err
		}
		expected, err := r.expectedOf(ctx, scope, pod)
		if err != nil {
			return nil, err
		}
		findings := detect(baseline, known, pod, expected)
		if len(findings) == 0 {
			return nil, nil
		}
		paths := allPaths(findings)
		scope.drift.paths[pod.Name] = paths
		if r.drift.found(pod.UID, scope.now) {
			// A replacement that drifts exactly as the pod it replaced did: something edits
			// every new pod, and replacing it again would only feed the loop. Counted here,
			// not once recorded, so that this very reconcile already holds back.
			repeated := r.drift.drifted(w, pod.Annotations[ReplacesAnnotation] != "", findings[0].Reason, paths)
			if repeated == r.maxDriftRepeats() {
				r.Recorder.Eventf(w, pod, corev1.EventTypeWarning, gdprv1alpha1.EventDriftLoop, "DetectDrift", "%s", driftLoopMessage(repeated, paths))
			}
		}
		unrecorded = append(unrecorded, driftDetectedEntry(pod, findings, baseline, r.Actors.Record(drift.ChangedBy(pod, fieldOwner))))
		unrecordedPods = append(unrecordedPods, pod.DeepCopy())
		unrecordedFindings = append(unrecordedFindings, findings)
		return findings, nil
	}

	// A pod released from service for a Quarantine is not among the owned pods
	// (observeRetirements): its labels were changed by Amber on purpose, and it is kept as
	// evidence, not repaired. A pod merely carrying the quarantined label, with no Quarantine
	// that names it by name and UID, is checked as any pod: the label is drift.
	for i := range scope.pods.owned {
		pod := &scope.pods.owned[i]
		if pod.DeletionTimestamp != nil {
			continue
		}
		findings, err := check(pod)
		if err != nil {
			return err
		}
		if len(findings) > 0 {
			scope.drift.found[pod.UID] = driftedPod{findings: findings}
		}
	}
	for i := range scope.pods.escaped {
		findings, err := check(&scope.pods.escaped[i])
		if err != nil {
			return err
		}
		scope.drift.found[scope.pods.escaped[i].UID] = driftedPod{findings: findings}
	}

	// The drift is recorded while the reconcile goes on to make the replacements; every
	// later append waits for it (workloadLedger).
	recorded := w.DeepCopy() // the reconcile goes on changing the status
	scope.ledger.appendInBackground(ctx, unrecorded, func(i int) {
		r.driftRecorded(ctx, recorded, unrecordedPods[i], unrecordedFindings[i])
	})

	scope.drift.repeated, scope.drift.loopPaths = r.drift.repeated(w)
	scope.drift.looping = drift.InLoop(scope.drift.repeated, r.maxDriftRepeats())
	action := w.Spec.DriftPolicy.Action
	replaceNow := func(pod types.UID, findings []drift.Finding) (drift.Disposition, bool) {
		disposition := drift.Dispose(action, scope.drift.repeated, r.maxDriftRepeats())
		if disposition != drift.Replace {
			return disposition, false
		}
		if drift.Urgent(findings) {
			return disposition, true
		}
		ok, wait := r.drift.approve(w.UID, pod, scope.now)
		if !ok {
			scope.drift.rateLimited = true
			scope.requeue(wait)
		}
		return disposition, ok
	}
	for i := range scope.pods.owned {
		found, ok := scope.drift.found[scope.pods.owned[i].UID]
		if !ok {
			continue
		}
		found.disposition, found.replace = replaceNow(scope.pods.owned[i].UID, found.findings)
		scope.drift.found[scope.pods.owned[i].UID] = found
		if found.replace {
			scope.pods.planned[i].Drifted, scope.pods.planned[i].Discard = drift.Replacement(action, found.findings)
		}
	}
	for i := range scope.pods.escaped {
		found := scope.drift.found[scope.pods.escaped[i].UID]
		found.disposition, found.replace = replaceNow(scope.pods.escaped[i].UID, found.findings)
		scope.drift.found[scope.pods.escaped[i].UID] = found
	}
	return nil
}

// detect finds the drift of a pod from its baseline. A pod with no known baseline no longer
// matches what was recorded at its creation, and this process never saw it as it was: it
// says what can be said.
func detect(baseline drift.Baseline, known bool, pod *corev1.Pod, expected drift.Expected) []drift.Finding {
	if known {
		return drift.Detect(baseline, pod, expected)
	}
	findings := drift.Detect(drift.BaselineOf(pod), pod, expected)
	return append(findings, drift.Finding{Reason: drift.SpecMutated, Paths: []string{"(the pod no longer matches the baseline fingerprint recorded at its creation)"}})
}

func (r *GDPRWorkloadReconciler) maxDriftRepeats() int {
	if r.MaxDriftRepeats > 0 {
		return r.MaxDriftRepeats
	}
	return defaultMaxDriftRepeats
}

// podBaseline returns what the API server admitted when the pod was created. known is false
// when Amber holds no baseline for the pod and its current state does not match the
// fingerprint recorded at its creation.
func (r *GDPRWorkloadReconciler) podBaseline(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, pod *corev1.Pod) (drift.Baseline, bool, error) {
	if b, ok := r.drift.baseline(pod.UID); ok {
		return b, true, nil
	}
	current := drift.BaselineOf(pod)
	recorded, ok, err := r.Ledger.PodBaseline(ctx, w.Namespace, w.Name, string(pod.UID))
	if err != nil {
		return drift.Baseline{}, false, err
	}
	if ok && recorded != drift.Fingerprint(current) {
		return drift.Baseline{}, false, nil
	}
	// As recorded (or, for a pod whose entry records no fingerprint, as first seen).
	r.drift.setBaseline(pod.UID, current)
	return current, true, nil
}

// expectedOf is what a pod of the workload must carry and run: the digests come from the
// revision it was made from.
func (r *GDPRWorkloadReconciler) expectedOf(ctx context.Context, scope *workloadScope, pod *corev1.Pod) (drift.Expected, error) {
	w := scope.workload
	expected := drift.Expected{
		WorkloadLabel:  gdprv1alpha1.WorkloadLabel,
		Workload:       w.Name,
		ControllerUID:  string(w.UID),
		IgnoreMetadata: w.Spec.DriftPolicy.IgnoreMetadata,
		Residency:      w.Spec.Residency,
		ResidencyKeys:  r.residencyKeys(),
	}
	if residency.Restricted(w.Spec.Residency) {
		var err error
		if expected.Node, expected.NodeKnown, err = r.nodeLabels(ctx, pod); err != nil {
			return drift.Expected{}, err
		}
	}
	// Break-glass (issue 13): a pod touched under an open BreakGlass keeps its debug container
	// until the window closes; the reconcile is woken then, and it is replaced.
	if until, open, err := r.breakGlassHolds(ctx, w, pod, scope.now); err != nil {
		return drift.Expected{}, err
	} else if open {
		expected.BreakGlassOpen = true
		scope.requeue(until.Sub(scope.now))
	}
	if rev, ok := revision.Find(scope.revisions, pod.Labels[gdprv1alpha1.RevisionLabel]); ok {
		expected.Digests = map[string][]string{}
		for _, p := range rev.Pins {
			expected.Digests[p.Container] = append([]string{p.Digest}, p.PlatformDigests...)
		}
	}
	return expected, nil
}

// breakGlassHolds reports whether an open BreakGlass of the workload touched the pod, and
// when the last such window closes (breakglass.HoldsOpen). Read from the API server, and only
// for a pod with ephemeral containers (rare): admission adds the pod to touchedPods before
// it lets the container in, but the BreakGlass watch may deliver that after the pod's, and a
// cache a moment behind would have the pod replaced at once.
func (r *GDPRWorkloadReconciler) breakGlassHolds(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, pod *corev1.Pod, now time.Time) (time.Time, bool, error) {
	if len(pod.Spec.EphemeralContainers) == 0 {
		return time.Time{}, false, nil // nothing a BreakGlass could be holding
	}
	var list gdprv1alpha1.BreakGlassList
	if err := r.APIReader.List(ctx, &list, client.InNamespace(w.Namespace)); err != nil {
		return time.Time{}, false, fmt.Errorf("list the BreakGlasses of namespace %s: %w", w.Namespace, err)
	}
	mine := slices.DeleteFunc(list.Items, func(bg gdprv1alpha1.BreakGlass) bool { return bg.Spec.Workload != w.Name })
	until, open := breakglass.HoldsOpen(mine, string(pod.UID), now)
	return until, open, nil
}

// driftDetectedEntry is the DriftDetected entry of a pod: what changed, who changed it, and
// the fingerprints before and after.
func driftDetectedEntry(pod *corev1.Pod, findings []drift.Finding, baseline drift.Baseline, actor string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditDriftDetected,
		Reason:         string(findings[0].Reason),
		Subject:        podSubject(pod),
		Actor:          actor,
		Fingerprints:   gdprv1alpha1.AuditFingerprints{Before: drift.Fingerprint(baseline), After: drift.Fingerprint(drift.BaselineOf(pod))},
		Message:        truncate("Changed in place: "+summarizeFindings(findings), 512),
		IdempotencyKey: string(pod.UID) + "/DriftDetected",
	}
}

// driftRecorded tells of a drift once its entry is first in the ledger: a log line, an event
// and the metric.
func (r *GDPRWorkloadReconciler) driftRecorded(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, pod *corev1.Pod, findings []drift.Finding) {
	summary := summarizeFindings(findings)
	ctrl.LoggerFrom(ctx).Info("Pod drifted", "pod", klog.KObj(pod), "reason", findings[0].Reason, "changes", summary)
	r.Recorder.Eventf(w, pod, corev1.EventTypeWarning, gdprv1alpha1.EventDriftDetected, "DetectDrift", "Pod %s was changed in place: %s", pod.Name, truncate(summary, 512))
	driftDetected.WithLabelValues(string(findings[0].Reason)).Inc()
}

func driftLoopMessage(repeated int, paths []string) string {
	return fmt.Sprintf("%d pods in a row that replaced drifted pods were changed the same way (%s): something edits every new pod; drifted pods are kept until the spec changes (exempt the fields with spec.driftPolicy.ignoreMetadata, or stop what edits them)", repeated, strings.Join(paths, ", "))
}

func allPaths(findings []drift.Finding) []string {
	var paths []string
	for _, f := range findings {
		paths = append(paths, f.Paths...)
	}
	if len(paths) > maxDriftPaths {
		paths = paths[:maxDriftPaths]
	}
	return paths
}

func summarizeFindings(findings []drift.Finding) string {
	parts := make([]string, 0, len(findings))
	for _, f := range findings {
		parts = append(parts, fmt.Sprintf("%s (%s)", f.Reason, strings.Join(f.Paths, ", ")))
	}
	return strings.Join(parts, "; ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
