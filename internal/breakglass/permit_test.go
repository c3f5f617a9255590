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

package breakglass

import (
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/kstatus"
)

var admitted = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

// breakGlass builds a BreakGlass admitted at `admitted` for an hour, for alice, exec on
// payments-0 of workload payments, changed by the options.
func breakGlass(name string, opts ...func(*gdprv1alpha1.BreakGlass)) gdprv1alpha1.BreakGlass {
	bg := gdprv1alpha1.BreakGlass{}
	bg.Name = name
	bg.CreationTimestamp = metav1.NewTime(admitted)
	bg.Spec = gdprv1alpha1.BreakGlassSpec{
		Workload:   "payments",
		Pods:       []string{"payments-0"},
		Operations: []gdprv1alpha1.BreakGlassOperation{gdprv1alpha1.BreakGlassExec},
		Duration:   metav1.Duration{Duration: time.Hour},
		Users:      []string{"alice"},
	}
	for _, o := range opts {
		o(&bg)
	}
	return bg
}

func TestPermits(t *testing.T) {
	exec := Request{User: "alice", Operation: gdprv1alpha1.BreakGlassExec, Workload: "payments", Pod: "payments-0"}
	with := func(change func(*Request)) Request { r := exec; change(&r); return r }
	during := admitted.Add(time.Minute)
	for _, tc := range []struct {
		name string
		bg   gdprv1alpha1.BreakGlass
		req  Request
		now  time.Time
		want bool
	}{
		{"the named user may do the named operation on the named pod while the window is open", breakGlass("a"), exec, during, true},
		{"another user may not", breakGlass("a"), with(func(r *Request) { r.User = "bob" }), during, false},
		{"a user whose name only starts like the named one may not", breakGlass("a"), with(func(r *Request) { r.User = "alice2" }), during, false},
		{"a user named by case-folding may not", breakGlass("a"), with(func(r *Request) { r.User = "Alice" }), during, false},
		{"another pod of the workload may not be opened when pods are named", breakGlass("a"), with(func(r *Request) { r.Pod = "payments-1" }), during, false},
		{"every pod of the workload is opened when no pods are named", breakGlass("a", func(b *gdprv1alpha1.BreakGlass) { b.Spec.Pods = nil }), with(func(r *Request) { r.Pod = "payments-7" }), during, true},
		{"a pod of another workload is never opened", breakGlass("a", func(b *gdprv1alpha1.BreakGlass) { b.Spec.Pods = nil }), with(func(r *Request) { r.Workload = "orders" }), during, false},
		{"another operation may not", breakGlass("a"), with(func(r *Request) { r.Operation = gdprv1alpha1.BreakGlassAttach }), during, false},
		{"a member of a named group may", breakGlass("a", func(b *gdprv1alpha1.BreakGlass) { b.Spec.Users, b.Spec.Groups = nil, []string{"oncall"} }),
			with(func(r *Request) { r.User, r.Groups = "carol", []string{"system:authenticated", "oncall"} }), during, true},
		{"a user whose group is not named may not", breakGlass("a", func(b *gdprv1alpha1.BreakGlass) { b.Spec.Groups = []string{"oncall"} }),
			with(func(r *Request) { r.User, r.Groups = "carol", []string{"developers"} }), during, false},
		{"a user named as a group does not count as the user", breakGlass("a", func(b *gdprv1alpha1.BreakGlass) { b.Spec.Users, b.Spec.Groups = nil, []string{"alice"} }), exec, during, false},
		{"an anonymous request is never let through", breakGlass("a"), with(func(r *Request) { r.User = "" }), during, false},
		{"nothing is let through once the window has closed", breakGlass("a"), exec, admitted.Add(time.Hour), false},
		{"nothing is let through while the BreakGlass is being deleted", breakGlass("a", func(b *gdprv1alpha1.BreakGlass) {
			d := metav1.NewTime(during)
			b.DeletionTimestamp = &d
		}), exec, during, false},
		{"debug is let through when named", breakGlass("a", func(b *gdprv1alpha1.BreakGlass) {
			b.Spec.Operations = []gdprv1alpha1.BreakGlassOperation{gdprv1alpha1.BreakGlassDebug}
		}), with(func(r *Request) { r.Operation = gdprv1alpha1.BreakGlassDebug }), during, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Permits(&tc.bg, tc.req, tc.now); got != tc.want {
				t.Errorf("Permits = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOperationOf(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		operation, subresource string
		want                   gdprv1alpha1.BreakGlassOperation
		ok                     bool
	}{
		{"an exec is exec", "CONNECT", "exec", gdprv1alpha1.BreakGlassExec, true},
		{"an attach is attach", "CONNECT", "attach", gdprv1alpha1.BreakGlassAttach, true},
		{"a port-forward is portForward", "CONNECT", "portforward", gdprv1alpha1.BreakGlassPortForward, true},
		{"an ephemeral container update is debug", "UPDATE", "ephemeralcontainers", gdprv1alpha1.BreakGlassDebug, true},
		{"a resize is opened by no BreakGlass", "UPDATE", "resize", "", false},
		{"a spec update is opened by no BreakGlass", "UPDATE", "", "", false},
		{"a pod creation is opened by no BreakGlass", "CREATE", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := OperationOf(tc.operation, tc.subresource)
			if got != tc.want || ok != tc.ok {
				t.Errorf("OperationOf = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFind(t *testing.T) {
	exec := Request{User: "alice", Operation: gdprv1alpha1.BreakGlassExec, Workload: "payments", Pod: "payments-0"}
	during := admitted.Add(time.Minute)
	short := func(b *gdprv1alpha1.BreakGlass) { b.Spec.Duration = metav1.Duration{Duration: 10 * time.Minute} }
	for _, tc := range []struct {
		name string
		bgs  []gdprv1alpha1.BreakGlass
		want string
	}{
		{"none is found among none", nil, ""},
		{"none is found when none permits", []gdprv1alpha1.BreakGlass{breakGlass("a", func(b *gdprv1alpha1.BreakGlass) { b.Spec.Users = []string{"bob"} })}, ""},
		{"the one that permits is found among those that do not", []gdprv1alpha1.BreakGlass{
			breakGlass("a", func(b *gdprv1alpha1.BreakGlass) { b.Spec.Users = []string{"bob"} }), breakGlass("b")}, "b"},
		{"the one closing first is used", []gdprv1alpha1.BreakGlass{breakGlass("a"), breakGlass("b", short)}, "b"},
		{"of two closing together, the first by name is used", []gdprv1alpha1.BreakGlass{breakGlass("b"), breakGlass("a")}, "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Find(tc.bgs, exec, during)
			name := ""
			if got != nil {
				name = got.Name
			}
			if name != tc.want {
				t.Errorf("Find = %q, want %q", name, tc.want)
			}
		})
	}
}

func TestHoldsOpen(t *testing.T) {
	touched := func(b *gdprv1alpha1.BreakGlass) {
		b.Status.TouchedPods = []gdprv1alpha1.BreakGlassTouchedPod{{Name: "payments-0", UID: "uid-0"}}
	}
	longer := func(b *gdprv1alpha1.BreakGlass) { b.Spec.Duration = metav1.Duration{Duration: 2 * time.Hour} }
	during := admitted.Add(time.Minute)
	for _, tc := range []struct {
		name      string
		bgs       []gdprv1alpha1.BreakGlass
		uid       string
		now       time.Time
		wantOK    bool
		wantUntil time.Time
	}{
		{"a pod touched under an open window is held until it closes", []gdprv1alpha1.BreakGlass{breakGlass("a", touched)}, "uid-0", during, true, admitted.Add(time.Hour)},
		{"a pod touched under two open windows is held until the later closes", []gdprv1alpha1.BreakGlass{breakGlass("a", touched), breakGlass("b", touched, longer)}, "uid-0", during, true, admitted.Add(2 * time.Hour)},
		{"a pod not touched is not held", []gdprv1alpha1.BreakGlass{breakGlass("a", touched)}, "uid-1", during, false, time.Time{}},
		{"a pod touched under a closed window is not held", []gdprv1alpha1.BreakGlass{breakGlass("a", touched)}, "uid-0", admitted.Add(time.Hour), false, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			until, ok := HoldsOpen(tc.bgs, tc.uid, tc.now)
			if ok != tc.wantOK || !until.Equal(tc.wantUntil) {
				t.Errorf("HoldsOpen = %s, %v; want %s, %v", until, ok, tc.wantUntil, tc.wantOK)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	touched := func(b *gdprv1alpha1.BreakGlass) {
		b.Status.TouchedPods = []gdprv1alpha1.BreakGlassTouchedPod{{Name: "payments-0", UID: "uid-0"}, {Name: "payments-1", UID: "uid-1"}}
	}
	during, after := admitted.Add(time.Minute), admitted.Add(2*time.Hour)
	for _, tc := range []struct {
		name          string
		bg            gdprv1alpha1.BreakGlass
		now           time.Time
		observed      Observed
		wantPhase     gdprv1alpha1.BreakGlassPhase
		wantReady     metav1.ConditionStatus
		wantReason    string
		reconciling   bool
		stalled       bool
		wantRemaining bool
		wantReplaced  []bool
	}{
		{"an open window is Ready", breakGlass("a", touched), during, Observed{WorkloadFound: true, Remaining: map[string]bool{"uid-0": true, "uid-1": true}},
			gdprv1alpha1.BreakGlassActive, metav1.ConditionTrue, gdprv1alpha1.ReasonWindowOpen, false, false, true, []bool{false, false}},
		{"a closed window with a touched pod left is Reconciling", breakGlass("a", touched), after, Observed{WorkloadFound: true, Remaining: map[string]bool{"uid-1": true}},
			gdprv1alpha1.BreakGlassExpired, metav1.ConditionFalse, gdprv1alpha1.ReasonReplacingTouchedPods, true, false, true, []bool{true, false}},
		{"a closed window with every touched pod gone is Ready", breakGlass("a", touched), after, Observed{WorkloadFound: true},
			gdprv1alpha1.BreakGlassExpired, metav1.ConditionTrue, gdprv1alpha1.ReasonTouchedPodsReplaced, false, false, false, []bool{true, true}},
		{"an open window on a missing workload is Stalled", breakGlass("a"), during, Observed{},
			gdprv1alpha1.BreakGlassActive, metav1.ConditionFalse, gdprv1alpha1.ReasonWorkloadNotFound, false, true, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bg := tc.bg
			remaining := Summarize(&bg, tc.now, tc.observed)
			if remaining != tc.wantRemaining || bg.Status.Phase != tc.wantPhase {
				t.Errorf("remaining, phase = %v, %s; want %v, %s", remaining, bg.Status.Phase, tc.wantRemaining, tc.wantPhase)
			}
			if !bg.Status.NotAfter.Time.Equal(admitted.Add(time.Hour)) || !bg.Status.NotBefore.Time.Equal(admitted) {
				t.Errorf("window = %s..%s, want %s..%s", bg.Status.NotBefore, bg.Status.NotAfter, admitted, admitted.Add(time.Hour))
			}
			ready := meta.FindStatusCondition(bg.Status.Conditions, gdprv1alpha1.ReadyCondition)
			if ready == nil || ready.Status != tc.wantReady || ready.Reason != tc.wantReason {
				t.Errorf("Ready = %+v, want %s %s", ready, tc.wantReady, tc.wantReason)
			}
			if got := meta.IsStatusConditionTrue(bg.Status.Conditions, gdprv1alpha1.ReconcilingCondition); got != tc.reconciling {
				t.Errorf("Reconciling = %v, want %v", got, tc.reconciling)
			}
			if got := meta.IsStatusConditionTrue(bg.Status.Conditions, gdprv1alpha1.StalledCondition); got != tc.stalled {
				t.Errorf("Stalled = %v, want %v", got, tc.stalled)
			}
			for i, want := range tc.wantReplaced {
				if bg.Status.TouchedPods[i].Replaced != want {
					t.Errorf("touchedPods[%d].replaced = %v, want %v", i, bg.Status.TouchedPods[i].Replaced, want)
				}
			}
		})
	}
}

func TestEndedEntry(t *testing.T) {
	deleted := func(b *gdprv1alpha1.BreakGlass) {
		d := metav1.NewTime(admitted.Add(10 * time.Minute))
		b.DeletionTimestamp = &d
	}
	for _, tc := range []struct {
		name       string
		bg         gdprv1alpha1.BreakGlass
		now        time.Time
		ok         bool
		wantReason gdprv1alpha1.AuditReason
	}{
		{"nothing ends while the window is open", breakGlass("a"), admitted.Add(time.Minute), false, ""},
		{"a window past its notAfter expired", breakGlass("a"), admitted.Add(time.Hour), true, gdprv1alpha1.AuditReasonExpired},
		{"a BreakGlass deleted inside its window was deleted", breakGlass("a", deleted), admitted.Add(11 * time.Minute), true, gdprv1alpha1.AuditReasonBreakGlassDeleted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bg := tc.bg
			bg.UID = "uid-a"
			entry, ok := EndedEntry(&bg, "w-uid", tc.now)
			if ok != tc.ok || entry.Reason != string(tc.wantReason) {
				t.Fatalf("EndedEntry = %q, %v; want %q, %v", entry.Reason, ok, tc.wantReason, tc.ok)
			}
			if ok && (entry.Type != gdprv1alpha1.AuditBreakGlassEnded || entry.IdempotencyKey != "breakglass/uid-a/ended") {
				t.Errorf("entry = %s %s, want BreakGlassEnded breakglass/uid-a/ended", entry.Type, entry.IdempotencyKey)
			}
		})
	}
}

func TestGrantedEntry(t *testing.T) {
	bg := breakGlass("inc-1", func(b *gdprv1alpha1.BreakGlass) {
		b.UID = "bg-uid"
		b.Spec.Groups = []string{"oncall"}
	})
	actors := audit.Actors{Mode: audit.ActorPseudonymous, Key: []byte("k")}
	got := GrantedEntry(&bg, "w-uid", "carol", actors)
	if got.Type != gdprv1alpha1.AuditBreakGlassGranted || got.Reason != "Granted" || got.IdempotencyKey != "breakglass/bg-uid/granted" ||
		got.Actor != actors.Record("carol") || got.Subject.WorkloadUID != "w-uid" {
		t.Errorf("entry = %+v", got)
	}
	if want := []string{actors.Record("alice"), actors.Record("oncall")}; !slices.Equal(got.Request.Groups, want) {
		t.Errorf("request.groups = %v, want the users then the groups, pseudonymised: %v", got.Request.Groups, want)
	}
	wantMessage := "BreakGlass inc-1 opens exec on pods payments-0 of GDPRWorkload payments from 2026-11-30T10:00:00Z until 2026-11-30T11:00:00Z (1h0m0s), for 1 users and 1 groups (request.groups: the users, then the groups)"
	if got.Message != wantMessage {
		t.Errorf("message = %q, want %q", got.Message, wantMessage)
	}
	for _, clear := range []string{"alice", "carol", "oncall"} {
		if strings.Contains(got.Message, clear) {
			t.Errorf("the message names %q in clear", clear)
		}
	}
}

// TestReadinessEveryCombination: whether the window is open, whether the workload exists and
// whether a touched pod is left decide the BreakGlass's kstatus standing.
func TestReadinessEveryCombination(t *testing.T) {
	notAfter := admitted.Add(time.Hour)
	for _, tc := range []struct {
		name          string
		active, found bool
		left          int
		want          kstatus.State
		wantReason    string
	}{
		{"an open window on an existing workload is Current", true, true, 0, kstatus.Current, gdprv1alpha1.ReasonWindowOpen},
		{"an open window with touched pods is still Current: they are replaced after it closes", true, true, 2, kstatus.Current, gdprv1alpha1.ReasonWindowOpen},
		{"an open window on a missing workload is Failed: it opens nothing", true, false, 0, kstatus.Failed, gdprv1alpha1.ReasonWorkloadNotFound},
		{"an open window on a missing workload with touched pods is Failed", true, false, 1, kstatus.Failed, gdprv1alpha1.ReasonWorkloadNotFound},
		{"a closed window with touched pods left is InProgress", false, true, 1, kstatus.InProgress, gdprv1alpha1.ReasonReplacingTouchedPods},
		{"a closed window with every touched pod replaced is Current", false, true, 0, kstatus.Current, gdprv1alpha1.ReasonTouchedPodsReplaced},
		{"a closed window whose workload is gone, pods left, is InProgress: they go with it", false, false, 1, kstatus.InProgress, gdprv1alpha1.ReasonReplacingTouchedPods},
		{"a closed window whose workload is gone, no pod left, is Current", false, false, 0, kstatus.Current, gdprv1alpha1.ReasonTouchedPodsReplaced},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Readiness("payments", notAfter, tc.active, tc.found, tc.left, 2)
			if got.State != tc.want || got.Reason != tc.wantReason || got.Message == "" || got.Retrying {
				t.Errorf("Readiness = %+v, want %s %s with a message", got, tc.want, tc.wantReason)
			}
		})
	}
}
