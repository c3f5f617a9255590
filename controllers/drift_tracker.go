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
	"sync"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/apimachinery/pkg/types"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/drift"
)

// defaultMaxDriftRepeats is how many drifts in a row on replacement pods, with the same
// changes, are taken for a loop.
const defaultMaxDriftRepeats = 5

// Each workload replaces at most driftReplacementBurst drifted pods at once, then one every
// driftReplacementInterval: a storm of drift (or a bug) cannot churn every pod of the cluster.
const (
	driftReplacementBurst    = 10
	driftReplacementInterval = time.Second
)

// driftTracker remembers, in memory, each pod's baseline (what the API server admitted when
// Amber created it) and when drift was found on a pod. The baseline's fingerprint is also
// in the pod's PodCreated ledger entry, which nobody can edit: after a restart a pod whose
// current state still matches that fingerprint takes it as its baseline again.
type driftTracker struct {
	mu        sync.Mutex
	baselines map[types.UID]drift.Baseline
	detected  map[types.UID]time.Time
	loops     map[types.UID]drift.Loop
	// limiters bound each workload's replacements; approved holds the drifted pods that got
	// a replacement from them.
	limiters map[types.UID]*rate.Limiter
	approved map[types.UID]bool
}

func newDriftTracker() *driftTracker {
	return &driftTracker{baselines: map[types.UID]drift.Baseline{}, detected: map[types.UID]time.Time{}, loops: map[types.UID]drift.Loop{},
		limiters: map[types.UID]*rate.Limiter{}, approved: map[types.UID]bool{}}
}

// approve reports whether a drifted pod of the workload may be replaced at now. A pod
// approved once stays approved; otherwise it returns how long until the workload may
// replace another.
func (t *driftTracker) approve(workload, pod types.UID, now time.Time) (bool, time.Duration) {
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
	reservation := l.ReserveN(now, 1)
	if wait := reservation.DelayFrom(now); wait > 0 {
		reservation.CancelAt(now)
		return false, wait
	}
	t.approved[pod] = true
	return true, 0
}

// repeated returns how many drifts in a row the workload's replacement pods had at its
// current generation, and their changes: a new spec gets a fresh start.
func (t *driftTracker) repeated(w *gdprv1alpha1.GDPRWorkload) (int, []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.loops[w.UID].At(w.Generation)
}

// drifted counts a drift found on a pod of the workload; replacement says whether the pod
// replaced a drifted pod. It returns the count of repeats.
func (t *driftTracker) drifted(w *gdprv1alpha1.GDPRWorkload, replacement bool, reason drift.Reason, paths []string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.loops[w.UID].Count(w.Generation, replacement, reason, paths)
	t.loops[w.UID] = l
	return l.Repeated
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
