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
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
	"github.com/amber-gdpr/amber/internal/pin"
	"github.com/amber-gdpr/amber/internal/revision"
)

func TestRolloutBounds(t *testing.T) {
	tests := []struct {
		name                string
		surge, unavailable  *intstr.IntOrString
		replicas            int
		wantSurge, wantUnav int
	}{
		{"defaults", nil, nil, 3, 1, 0},
		{"numbers", ptr.To(intstr.FromInt32(2)), ptr.To(intstr.FromInt32(1)), 5, 2, 1},
		{"percentages: surge rounds up, unavailable down", ptr.To(intstr.FromString("25%")), ptr.To(intstr.FromString("25%")), 10, 3, 2},
		{"percentages of few pods that round to nothing still move", ptr.To(intstr.FromString("10%")), ptr.To(intstr.FromString("0%")), 0, 1, 0},
		{"unavailable only", ptr.To(intstr.FromInt32(0)), ptr.To(intstr.FromInt32(1)), 3, 0, 1},
	}
	for _, tt := range tests {
		w := &gdprv1alpha1.GDPRWorkload{}
		w.Spec.Strategy = gdprv1alpha1.RolloutStrategy{MaxSurge: tt.surge, MaxUnavailable: tt.unavailable}
		surge, unavailable := rolloutBounds(w, tt.replicas)
		if surge != tt.wantSurge || unavailable != tt.wantUnav {
			t.Errorf("%s: rolloutBounds = %d, %d; want %d, %d", tt.name, surge, unavailable, tt.wantSurge, tt.wantUnav)
		}
	}
}

func TestPinBackoff(t *testing.T) {
	p := newImagePinner(nil)
	w := types.NamespacedName{Namespace: "ns", Name: "w"}
	unavailable := &pin.Error{Reason: pin.RegistryUnavailable, Err: errors.New("down")}

	var delays []time.Duration
	for range 7 {
		delays = append(delays, p.failed(w, unavailable, true).retryAfter)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, pinRetryMax, pinRetryMax}
	for i := range want {
		if delays[i] != want[i] {
			t.Fatalf("delays %v, want %v", delays, want)
		}
	}

	p.result(w, nil, nil, true)
	if d := p.failed(w, unavailable, false).retryAfter; d != time.Second {
		t.Errorf("after a success the backoff starts again: %v", d)
	}
	if d := p.failed(w, unavailable, false).retryAfter; d != time.Second {
		t.Errorf("an answer from the cache counted as a request to the registry: %v", d)
	}

	limited := &pin.Error{Reason: pin.RegistryRateLimited, RetryAfter: time.Minute, Err: errors.New("429")}
	if d := p.failed(w, limited, true).retryAfter; d != time.Minute {
		t.Errorf("a registry's Retry-After is honoured: %v", d)
	}
}

func TestRecentRevisionsOverlay(t *testing.T) {
	var recent recentRevisions
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	uid := types.UID("w1")
	recent.wrote(uid, revision.Revision{ID: "b", Number: 2}, now)
	recent.wrote(uid, revision.Revision{ID: "a", Number: 3}, now) // restored

	stale := []revision.Revision{{ID: "a", Number: 1}}
	got := recent.overlay(uid, stale, now)
	numbers := map[string]int64{}
	for _, r := range got {
		numbers[r.ID] = r.Number
	}
	if numbers["a"] != 3 || numbers["b"] != 2 {
		t.Errorf("overlay of a stale cache = %v, want a=3 (restored) and b=2 (created)", numbers)
	}

	caughtUp := []revision.Revision{{ID: "a", Number: 3}, {ID: "b", Number: 2}}
	recent.overlay(uid, caughtUp, now)
	if len(recent.written) != 0 {
		t.Errorf("revisions the cache shows are still remembered: %v", recent.written)
	}

	recent.wrote(uid, revision.Revision{ID: "c", Number: 4}, now)
	if got := recent.overlay(uid, nil, now.Add(expectationTTL+time.Second)); len(got) != 0 {
		t.Errorf("a revision never seen is remembered past expectationTTL: %v", got)
	}
}

func TestPodChangeMatters(t *testing.T) {
	base := func() *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: map[string]string{"app": "a"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "r/app@sha256:1"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "app", ImageID: "r/app@sha256:1"}}},
		}
	}
	tests := []struct {
		name   string
		change func(*corev1.Pod)
		want   bool
	}{
		{"a condition's timestamp", func(p *corev1.Pod) { p.Status.Conditions[0].LastProbeTime = metav1.Now() }, false},
		{"another condition added on the way to Ready", func(p *corev1.Pod) {
			p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodInitialized, Status: corev1.ConditionTrue})
		}, false},
		{"readiness lost", func(p *corev1.Pod) { p.Status.Conditions[0].Status = corev1.ConditionFalse }, true},
		{"the phase", func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }, true},
		{"an image edited", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "r/evil" }, true},
		{"a label edited", func(p *corev1.Pod) { p.Labels["app"] = "b" }, true},
		{"an annotation added", func(p *corev1.Pod) { p.Annotations = map[string]string{"x": "y"} }, true},
		{"the owner removed", func(p *corev1.Pod) { p.OwnerReferences = []metav1.OwnerReference{{Name: "x"}} }, true},
		{"the runtime's digest", func(p *corev1.Pod) { p.Status.ContainerStatuses[0].ImageID = "r/app@sha256:2" }, true},
		{"deletion", func(p *corev1.Pod) { now := metav1.Now(); p.DeletionTimestamp = &now }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := base()
			tt.change(changed)
			if got := podChangeMatters(base(), changed); got != tt.want {
				t.Errorf("podChangeMatters() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLedgerLastVerifiedMovesOnlyForSomethingNew(t *testing.T) {
	earlier := metav1.NewTime(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC))
	now := time.Date(2026, 11, 1, 10, 5, 30, 123, time.UTC)
	entries := []gdprv1alpha1.AuditEvent{{Spec: gdprv1alpha1.AuditEventSpec{Sequence: 1}}, {Spec: gdprv1alpha1.AuditEventSpec{Sequence: 2}}}
	tests := []struct {
		name         string
		lastVerified *metav1.Time
		verifiedHead int64
		reportHead   int64
		full, broken bool
		want         time.Time
	}{
		{"nothing new keeps the time, so the status is not rewritten", &earlier, 2, 2, false, false, earlier.Time},
		{"new entries move it", &earlier, 1, 2, false, false, now.Truncate(time.Second)},
		{"a full verification moves it", &earlier, 2, 2, true, false, now.Truncate(time.Second)},
		{"a ledger never verified gets one", nil, 0, 2, false, false, now.Truncate(time.Second)},
		{"a broken chain, verified in full each time, keeps the time it last verified", &earlier, 2, 2, true, true, earlier.Time},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &gdprv1alpha1.AuditLedger{Status: gdprv1alpha1.AuditLedgerStatus{LastVerified: tt.lastVerified, VerifiedSequence: tt.verifiedHead}}
			report := ledger.Report{Head: tt.reportHead}
			if tt.broken { // and already reported so: the case that recurs
				report.Problem = &ledger.Problem{Sequence: 2, What: "is missing"}
				l.Status.Conditions = []metav1.Condition{{Type: gdprv1alpha1.VerifiedCondition, Status: metav1.ConditionFalse, Reason: gdprv1alpha1.ReasonChainBroken, Message: report.Problem.Error()}}
			}
			summarizeLedger(&ledgerScope{ledger: l, now: now, entries: entries, listed: true, report: &report, full: tt.full}, nil)
			if got := l.Status.LastVerified; got == nil || !got.Time.Equal(tt.want) {
				t.Errorf("lastVerified = %v, want %v", got, tt.want)
			}
			if report.Problem == nil && l.Status.VerifiedSequence != tt.reportHead {
				t.Errorf("verifiedSequence = %d, want %d", l.Status.VerifiedSequence, tt.reportHead)
			}
		})
	}
}
