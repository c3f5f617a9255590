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
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/drift"
	"github.com/amber-gdpr/amber/internal/revision"
)

// fieldOwner is the field manager Amber creates pods as: a pod's managed fields then tell
// Amber's own writes from everyone else's.
const fieldOwner = "amber"

// ReplacesAnnotation, on a pod Amber created to replace a drifted one, names that pod.
const ReplacesAnnotation = "gdpr.amber.dev/replaces"

// Event reasons for drift.
const (
	EventDriftDetected = "DriftDetected"
	EventPodReplaced   = "PodReplaced"
	EventDriftLoop     = "DriftLoop"
)

// Ledger reasons of pod deletions that repair drift.
const (
	ReasonDrifted = "Drifted"
)

// defaultMaxDriftRepeats is how many drifts in a row on replacement pods, with the same
// changes, are taken for a loop.
const defaultMaxDriftRepeats = 5

// maxDriftPaths bounds the field paths shown in status and messages.
const maxDriftPaths = 16

var (
	driftDetected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "amber_drift_detected_total",
		Help: "Pods found changed in place, by the first kind of drift found on them.",
	}, []string{"reason"})
	driftReplacements = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "amber_drift_replacements_total",
		Help: "Drifted pods deleted and replaced by fresh pods of their revision.",
	})
	driftRepairSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "amber_drift_repair_seconds",
		Help:    "Time from finding a pod drifted to deleting it, its replacement made (Ready, under the Replace action).",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60},
	})
)

func init() {
	metrics.Registry.MustRegister(driftDetected, driftReplacements, driftRepairSeconds)
}

// driftedPod is what was found on one drifted pod.
type driftedPod struct {
	findings []drift.Finding
	// replace is true when Amber replaces the pod (not under Report, nor in a drift loop).
	replace bool
}

// driftTracker remembers, in memory, each pod's baseline (what the API server admitted when
// Amber created it) and when drift was found on a pod. The baseline's fingerprint is also
// in the pod's PodCreated ledger entry, which nobody can edit: after a restart a pod whose
// current state still matches that fingerprint takes it as its baseline again.
type driftTracker struct {
	mu        sync.Mutex
	baselines map[types.UID]drift.Baseline
	detected  map[types.UID]time.Time
	loops     map[types.UID]driftLoop
	// limiters bound each workload's replacements; approved holds the drifted pods that got
	// a replacement from them.
	limiters map[types.UID]*rate.Limiter
	approved map[types.UID]bool
}

// Each workload replaces at most driftReplacementBurst drifted pods at once, then one every
// driftReplacementInterval: a storm of drift (or a bug) cannot churn every pod of the cluster.
const (
	driftReplacementBurst    = 10
	driftReplacementInterval = time.Second
)

// approve reports whether a drifted pod of the workload may be replaced now. A pod approved
// once stays approved; otherwise it returns how long until the workload may replace another.
func (t *driftTracker) approve(workload, pod types.UID) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.approved[pod] {
		return true, 0
	}
	l, ok := t.limiters[workload]
	if !ok {
		l = rate.NewLimiter(rate.Every(driftReplacementInterval), driftReplacementBurst)
		t.limiters[workload] = l
	}
	reservation := l.Reserve()
	if wait := reservation.Delay(); wait > 0 {
		reservation.Cancel()
		return false, wait
	}
	t.approved[pod] = true
	return true, 0
}

// driftLoop counts, for one workload and generation, drifts in a row on pods that replaced
// drifted pods, with the same changes.
type driftLoop struct {
	generation int64
	changes    string
	repeated   int
	paths      []string
}

func newDriftTracker() *driftTracker {
	return &driftTracker{baselines: map[types.UID]drift.Baseline{}, detected: map[types.UID]time.Time{}, loops: map[types.UID]driftLoop{},
		limiters: map[types.UID]*rate.Limiter{}, approved: map[types.UID]bool{}}
}

// repeated returns how many drifts in a row the workload's replacement pods had at its
// current generation, and their changes: a new spec gets a fresh start.
func (t *driftTracker) repeated(w *gdprv1alpha1.GDPRWorkload) (int, []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.loops[w.UID]
	if l.generation != w.Generation {
		return 0, nil
	}
	return l.repeated, l.paths
}

// drifted counts a drift found on a pod of the workload; replacement says whether the pod
// replaced a drifted pod. It returns the count of repeats.
func (t *driftTracker) drifted(w *gdprv1alpha1.GDPRWorkload, replacement bool, reason drift.Reason, paths []string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.loops[w.UID]
	if l.generation != w.Generation {
		l = driftLoop{generation: w.Generation}
	}
	changes := string(reason) + ":" + strings.Join(paths, ",")
	switch {
	case !replacement:
	case changes == l.changes:
		l.repeated++
	default:
		l.repeated = 1
	}
	l.changes, l.paths = changes, paths
	t.loops[w.UID] = l
	return l.repeated
}

// forgetWorkload drops what is known of a deleted workload.
func (t *driftTracker) forgetWorkload(uid types.UID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.loops, uid)
	delete(t.limiters, uid)
}

func (t *driftTracker) setBaseline(uid types.UID, b drift.Baseline) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.baselines[uid] = b
}

func (t *driftTracker) baseline(uid types.UID) (drift.Baseline, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.baselines[uid]
	return b, ok
}

// found remembers when drift was first found on a pod, and reports whether this is the first time.
func (t *driftTracker) found(uid types.UID, at time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.detected[uid]; ok {
		return false
	}
	t.detected[uid] = at
	return true
}

// forgetBaseline drops the baseline of a pod that is gone.
func (t *driftTracker) forgetBaseline(uid types.UID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.baselines, uid)
}

// forget drops what is known of a pod that is gone, and returns when drift was found on it.
func (t *driftTracker) forget(uid types.UID) (time.Time, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	at, ok := t.detected[uid]
	delete(t.detected, uid)
	delete(t.baselines, uid)
	delete(t.approved, uid)
	return at, ok
}

// detectDrift compares each running pod, and each escaped pod, with its baseline, records
// what drifted (once per pod) and marks drifted pods for the planner.
func (r *GDPRWorkloadReconciler) detectDrift(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	scope.drifted = map[types.UID]driftedPod{}
	scope.driftPaths = map[string][]string{}
	now := time.Now()
	var unrecorded []driftFound

	check := func(pod *corev1.Pod) (driftedPod, error) {
		baseline, known, err := r.podBaseline(ctx, w, pod)
		if err != nil {
			return driftedPod{}, err
		}
		expected := r.expectedOf(scope, pod)
		var findings []drift.Finding
		if known {
			findings = drift.Detect(baseline, pod, expected)
		} else {
			// It no longer matches what was recorded at its creation, and this process never
			// saw it as it was: say what can be said.
			findings = drift.Detect(drift.BaselineOf(pod), pod, expected)
			findings = append(findings, drift.Finding{Reason: drift.SpecMutated, Paths: []string{"(the pod no longer matches the baseline fingerprint recorded at its creation)"}})
		}
		if len(findings) == 0 {
			return driftedPod{}, nil
		}
		paths := allPaths(findings)
		scope.driftPaths[pod.Name] = paths
		if r.drift.found(pod.UID, now) {
			// A replacement that drifts exactly as the pod it replaced did: something edits
			// every new pod, and replacing it again would only feed the loop. Counted here,
			// not once recorded, so that this very reconcile already holds back.
			repeated := r.drift.drifted(w, pod.Annotations[ReplacesAnnotation] != "", findings[0].Reason, paths)
			if repeated == r.maxDriftRepeats() {
				r.Recorder.Eventf(w, pod, corev1.EventTypeWarning, EventDriftLoop, "DetectDrift", "%s", driftLoopMessage(repeated, paths))
			}
		}
		unrecorded = append(unrecorded, driftFound{pod: pod.DeepCopy(), findings: findings, baseline: baseline})
		return driftedPod{findings: findings}, nil
	}

	for i := range scope.pods {
		pod := &scope.pods[i]
		if pod.DeletionTimestamp != nil {
			continue
		}
		found, err := check(pod)
		if err != nil {
			return err
		}
		if len(found.findings) > 0 {
			scope.drifted[pod.UID] = found
		}
	}
	for i := range scope.escaped {
		found, err := check(&scope.escaped[i])
		if err != nil {
			return err
		}
		scope.drifted[scope.escaped[i].UID] = found
	}

	r.recordDriftInBackground(ctx, scope, unrecorded)

	repeated, paths := r.drift.repeated(w)
	loop := repeated >= r.maxDriftRepeats()
	if loop {
		scope.stalled = &stall{reason: gdprv1alpha1.ReasonDriftLoop, message: driftLoopMessage(repeated, paths)}
	}
	action := w.Spec.DriftPolicy.Action
	replaceable := func(pod types.UID) bool {
		if action == gdprv1alpha1.DriftReport || loop {
			return false
		}
		ok, wait := r.drift.approve(w.UID, pod)
		if !ok {
			scope.rateLimited = true
			scope.requeue(wait)
		}
		return ok
	}
	for i := range scope.pods {
		found, ok := scope.drifted[scope.pods[i].UID]
		if !ok || !replaceable(scope.pods[i].UID) {
			continue
		}
		found.replace = true
		scope.drifted[scope.pods[i].UID] = found
		scope.planned[i].Drifted = action != gdprv1alpha1.DriftReplaceImmediately
		scope.planned[i].Discard = action == gdprv1alpha1.DriftReplaceImmediately
	}
	for i := range scope.escaped {
		found := scope.drifted[scope.escaped[i].UID]
		found.replace = replaceable(scope.escaped[i].UID)
		scope.drifted[scope.escaped[i].UID] = found
	}
	return nil
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
func (r *GDPRWorkloadReconciler) expectedOf(scope *workloadScope, pod *corev1.Pod) drift.Expected {
	w := scope.workload
	expected := drift.Expected{
		WorkloadLabel:  gdprv1alpha1.WorkloadLabel,
		Workload:       w.Name,
		ControllerUID:  string(w.UID),
		IgnoreMetadata: w.Spec.DriftPolicy.IgnoreMetadata,
	}
	if rev, ok := revision.Find(scope.revisions, pod.Labels[gdprv1alpha1.RevisionLabel]); ok {
		expected.Digests = map[string][]string{}
		for _, p := range rev.Pins {
			expected.Digests[p.Container] = append([]string{p.Digest}, p.PlatformDigests...)
		}
	}
	return expected
}

// driftFound is a drifted pod whose drift is to be recorded.
type driftFound struct {
	pod      *corev1.Pod
	findings []drift.Finding
	baseline drift.Baseline
}

// recordDriftInBackground writes the DriftDetected entries of found while the reconcile goes
// on to make the replacements: a fresh pod then does not wait for the ledger. Every later
// ledger write of the reconcile waits for them first (awaitDriftRecords), so that the ledger
// still tells the drift before the repair.
func (r *GDPRWorkloadReconciler) recordDriftInBackground(ctx context.Context, scope *workloadScope, found []driftFound) {
	if len(found) == 0 {
		return
	}
	w := scope.workload.DeepCopy() // the reconcile goes on changing the status
	done := make(chan error, 1)
	scope.driftRecords = done
	go func() {
		for _, d := range found {
			if err := r.recordDrift(ctx, w, d.pod, d.findings, d.baseline); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
}

// awaitDriftRecords waits until the drift found in this reconcile is recorded.
func (s *workloadScope) awaitDriftRecords() error {
	if s.driftRecords == nil {
		return nil
	}
	err := <-s.driftRecords
	s.driftRecords = nil
	return err
}

// recordDrift writes a DriftDetected entry for the pod, once, and on that first time an
// event and the metric.
func (r *GDPRWorkloadReconciler) recordDrift(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, pod *corev1.Pod, findings []drift.Finding, baseline drift.Baseline) error {
	first := findings[0]
	changedBy := drift.ChangedBy(pod, fieldOwner)
	summary := summarizeFindings(findings)
	wrote, err := r.Ledger.Append(ctx, w.Namespace, w.Name, gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditDriftDetected,
		Reason:         string(first.Reason),
		Subject:        podSubject(pod),
		Actor:          r.Actors.Record(changedBy),
		Fingerprints:   gdprv1alpha1.AuditFingerprints{Before: drift.Fingerprint(baseline), After: drift.Fingerprint(drift.BaselineOf(pod))},
		Message:        truncate("Changed in place: "+summary, 512),
		IdempotencyKey: string(pod.UID) + "/DriftDetected",
	})
	if err != nil || !wrote {
		return err
	}
	ctrl.LoggerFrom(ctx).Info("Pod drifted", "pod", klog.KObj(pod), "reason", first.Reason, "changes", summary)
	r.Recorder.Eventf(w, pod, corev1.EventTypeWarning, EventDriftDetected, "DetectDrift", "Pod %s was changed in place: %s", pod.Name, truncate(summary, 512))
	driftDetected.WithLabelValues(string(first.Reason)).Inc()
	return nil
}

func driftLoopMessage(repeated int, paths []string) string {
	return fmt.Sprintf("%d pods in a row that replaced drifted pods were changed the same way (%s): something edits every new pod; drifted pods are kept until the spec changes (exempt the fields with spec.driftPolicy.ignoreMetadata, or stop what edits them)", repeated, strings.Join(paths, ", "))
}

// driftStatus returns the workload's drift status, making it if absent.
func driftStatus(w *gdprv1alpha1.GDPRWorkload) *gdprv1alpha1.DriftStatus {
	if w.Status.Drift == nil {
		w.Status.Drift = &gdprv1alpha1.DriftStatus{}
	}
	return w.Status.Drift
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

// replacementFor names the drifted pod a new pod replaces, if any drifted pod still waits for
// one (none of the workload's pods names it, and none made in this reconcile).
func (scope *workloadScope) replacementFor() string {
	replaced := map[string]bool{}
	for i := range scope.pods {
		if r := scope.pods[i].Annotations[ReplacesAnnotation]; r != "" {
			replaced[r] = true
		}
	}
	candidates := append(slices.Clone(scope.pods), scope.escaped...)
	for i := range candidates {
		pod := &candidates[i]
		_, taken := scope.replacedBy[pod.Name]
		if d, ok := scope.drifted[pod.UID]; ok && d.replace && !replaced[pod.Name] && !taken {
			return pod.Name
		}
	}
	return ""
}

// recordReplaced writes the PodReplaced entry of a drifted pod Amber just deleted, naming
// its replacement, and counts the repair.
func (r *GDPRWorkloadReconciler) recordReplaced(ctx context.Context, scope *workloadScope, old *corev1.Pod) error {
	w := scope.workload
	replacement := scope.replacedBy[old.Name]
	for i := range scope.pods {
		if scope.pods[i].Annotations[ReplacesAnnotation] == old.Name {
			replacement = scope.pods[i].Name
		}
	}
	message := fmt.Sprintf("Replaced drifted pod %s", old.Name)
	if replacement != "" {
		message += " by fresh pod " + replacement
	}
	message += " of revision " + old.Labels[gdprv1alpha1.RevisionLabel]
	wrote, err := r.Ledger.Append(ctx, w.Namespace, w.Name, gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditPodReplaced,
		Reason:         ReasonDrifted,
		Subject:        podSubject(old),
		Actor:          ownActor,
		Message:        message,
		IdempotencyKey: string(old.UID) + "/PodReplaced",
	})
	if err != nil || !wrote {
		return err
	}
	now := time.Now()
	if at, ok := r.drift.forget(old.UID); ok {
		driftRepairSeconds.Observe(now.Sub(at).Seconds())
	}
	driftReplacements.Inc()
	r.Recorder.Eventf(w, old, corev1.EventTypeNormal, EventPodReplaced, "ReplacePod", "%s", message)
	return nil
}

// tallyDrift copies what the ledger records of drift into the workload's status: the ledger,
// not a counter in the status, is the authority, so that a status write lost to a conflict
// or a restart cannot make the counts wrong.
func (r *GDPRWorkloadReconciler) tallyDrift(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	tally, err := r.Ledger.Drift(ctx, w.Namespace, w.Name)
	if err != nil {
		return err
	}
	if tally.Last == nil && w.Status.Drift == nil {
		return nil
	}
	status := driftStatus(w)
	status.Detected = status.Detected[:0]
	for reason, n := range tally.Detected {
		status.Detected = append(status.Detected, gdprv1alpha1.DriftCount{Reason: reason, Count: n})
	}
	slices.SortFunc(status.Detected, func(a, b gdprv1alpha1.DriftCount) int { return strings.Compare(a.Reason, b.Reason) })
	status.Replaced = tally.Replaced
	repeated, _ := r.drift.repeated(w)
	status.Repeated = int32(repeated)
	if last := tally.Last; last != nil {
		record := &gdprv1alpha1.DriftRecord{Pod: last.Pod, Reason: last.Reason, DetectedAt: metav1.NewTime(last.DetectedAt)}
		switch {
		case scope.driftPaths[last.Pod] != nil:
			record.Paths = scope.driftPaths[last.Pod]
		case status.Last != nil && status.Last.Pod == last.Pod:
			record.Paths = status.Last.Paths
		}
		if !last.RepairedAt.IsZero() {
			record.RepairedAt = &metav1.Time{Time: last.RepairedAt}
		}
		status.Last = record
	}
	return nil
}

// repairEscaped deletes escaped pods that are to be replaced: at once under
// ReplaceImmediately, otherwise once the workload's own pods are all Ready (the escaped pod
// no longer counts, so its replacement was made as soon as it escaped).
func (r *GDPRWorkloadReconciler) repairEscaped(ctx context.Context, scope *workloadScope) error {
	w := scope.workload
	immediately := w.Spec.DriftPolicy.Action == gdprv1alpha1.DriftReplaceImmediately
	for i := range scope.escaped {
		pod := &scope.escaped[i]
		if !scope.drifted[pod.UID].replace {
			continue
		}
		if !immediately && w.Status.ReadyReplicas < desiredReplicas(w) && readyOwned(scope) < int(desiredReplicas(w)) {
			scope.requeue(pendingRecheck)
			continue
		}
		ctrl.LoggerFrom(ctx).Info("Deleting escaped pod", "pod", klog.KObj(pod))
		if err := r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("delete escaped pod %s: %w", pod.Name, err)
		}
		if err := r.recordPodDeleted(ctx, w, pod, ReasonDrifted, false); err != nil {
			return err
		}
		if err := r.recordReplaced(ctx, scope, pod); err != nil {
			return err
		}
	}
	return nil
}

func readyOwned(scope *workloadScope) int {
	n := 0
	for i := range scope.pods {
		if scope.pods[i].DeletionTimestamp == nil && podReady(&scope.pods[i]) {
			if _, drifted := scope.drifted[scope.pods[i].UID]; !drifted {
				n++
			}
		}
	}
	return n
}

// summarizeDrift sets the InSync condition and the number of drifted pods.
func summarizeDrift(scope *workloadScope) {
	w := scope.workload
	if scope.drifted == nil {
		return // drift was not looked at in this reconcile
	}
	var first *driftedPod
	var names []string
	all := append(slices.Clone(scope.pods), scope.escaped...)
	for i := range all {
		if d, ok := scope.drifted[all[i].UID]; ok && len(d.findings) > 0 {
			if first == nil {
				first = &d
			}
			names = append(names, fmt.Sprintf("%s (%s)", all[i].Name, d.findings[0].Reason))
		}
	}
	if first == nil {
		if w.Status.Drift != nil {
			w.Status.Drift.DriftedPods = 0
		}
		setCondition(w, gdprv1alpha1.InSyncCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonNoDrift, "every pod is as the API server admitted it")
		return
	}
	driftStatus(w).DriftedPods = int32(len(names))
	what := "being replaced by fresh pods"
	switch {
	case !first.replace && w.Spec.DriftPolicy.Action == gdprv1alpha1.DriftReport:
		what = "kept, as spec.driftPolicy.action is Report"
	case scope.rateLimited:
		what = fmt.Sprintf("replaced at most %d at once and then one every %s", driftReplacementBurst, driftReplacementInterval)
	case !first.replace:
		what = "kept: replacing them again would feed a drift loop"
	}
	reason := string(first.findings[0].Reason)
	setCondition(w, gdprv1alpha1.InSyncCondition, metav1.ConditionFalse, reason,
		truncate(fmt.Sprintf("%d pods changed in place, %s: %s", len(names), what, strings.Join(names, ", ")), 1024))
}
