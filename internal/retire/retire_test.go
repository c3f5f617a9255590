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

package retire

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(seconds int) time.Time { return epoch.Add(time.Duration(seconds) * time.Second) }

// window builds a BreakGlass admitted at epoch for duration seconds that touched pods (by UID,
// named after them); deletedAt > 0 deletes it then.
func window(name string, duration, deletedAt int, touched ...string) gdprv1alpha1.BreakGlass {
	bg := gdprv1alpha1.BreakGlass{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(epoch)},
		Spec:       gdprv1alpha1.BreakGlassSpec{Duration: metav1.Duration{Duration: time.Duration(duration) * time.Second}},
	}
	if deletedAt > 0 {
		bg.DeletionTimestamp = &metav1.Time{Time: at(deletedAt)}
	}
	for _, uid := range touched {
		bg.Status.TouchedPods = append(bg.Status.TouchedPods, gdprv1alpha1.BreakGlassTouchedPod{Name: "pod-" + uid, UID: uid, FirstUsed: metav1.NewTime(epoch)})
	}
	return bg
}

// quarantine builds a Quarantine of the pod with uid, found by its controller.
func quarantine(name, uid string, opts ...func(*gdprv1alpha1.Quarantine)) gdprv1alpha1.Quarantine {
	q := gdprv1alpha1.Quarantine{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       gdprv1alpha1.QuarantineSpec{Pod: "pod-" + uid},
		Status:     gdprv1alpha1.QuarantineStatus{PodUID: uid, Phase: gdprv1alpha1.QuarantineReplacing},
	}
	for _, o := range opts {
		o(&q)
	}
	return q
}

func deleteAfter(seconds int) func(*gdprv1alpha1.Quarantine) {
	return func(q *gdprv1alpha1.Quarantine) {
		q.Status.Phase, q.Status.DeleteAfter = gdprv1alpha1.QuarantineIsolated, &metav1.Time{Time: at(seconds)}
	}
}
func deleting(q *gdprv1alpha1.Quarantine)  { q.DeletionTimestamp = &metav1.Time{Time: epoch} }
func unfound(q *gdprv1alpha1.Quarantine)   { q.Status.PodUID = "" }
func otherName(q *gdprv1alpha1.Quarantine) { q.Spec.Pod = "another" }

func pod(uid string) Pod { return Pod{Name: "pod-" + uid, UID: uid} }
func released(uid, by string) Pod {
	p := pod(uid)
	p.Quarantined = by
	return p
}

func touchedReplace(uid, bg string) Retirement {
	return Retirement{Pod: "pod-" + uid, UID: uid, Action: Replace, Replaced: gdprv1alpha1.AuditReasonBreakGlassEnded, Deleted: gdprv1alpha1.AuditReasonDrifted, BreakGlass: bg}
}
func quarantined(uid, q string, action Action) Retirement {
	return Retirement{Pod: "pod-" + uid, UID: uid, Action: action, Replaced: gdprv1alpha1.AuditReasonQuarantined, Deleted: gdprv1alpha1.AuditReasonQuarantineEnded, Quarantine: q}
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name         string
		pods         []Pod
		breakGlasses []gdprv1alpha1.BreakGlass
		quarantines  []gdprv1alpha1.Quarantine
		now          time.Time
		want         Decision
	}{
		{
			name: "a workload with no incident retires nothing",
			pods: []Pod{pod("a")},
			now:  at(10),
			want: Decision{Retired: map[string]Retirement{}},
		},
		{
			name:         "a pod touched under an open window is left alone until the window closes",
			pods:         []Pod{pod("a"), pod("b")},
			breakGlasses: []gdprv1alpha1.BreakGlass{window("bg", 60, 0, "a")},
			now:          at(10),
			want:         Decision{Retired: map[string]Retirement{}, RecheckAfter: 50 * time.Second},
		},
		{
			name:         "a pod touched under a window that expired is replaced and deleted",
			pods:         []Pod{pod("a"), pod("b")},
			breakGlasses: []gdprv1alpha1.BreakGlass{window("bg", 60, 0, "a")},
			now:          at(60),
			want:         Decision{Retired: map[string]Retirement{"a": touchedReplace("a", "bg")}},
		},
		{
			name:         "a pod touched under a BreakGlass deleted before its window closed is replaced at once",
			pods:         []Pod{pod("a")},
			breakGlasses: []gdprv1alpha1.BreakGlass{window("bg", 3600, 30, "a")},
			now:          at(31),
			want:         Decision{Retired: map[string]Retirement{"a": touchedReplace("a", "bg")}},
		},
		{
			name:         "a pod touched under two windows is replaced once the first closes, though the other is open",
			pods:         []Pod{pod("a")},
			breakGlasses: []gdprv1alpha1.BreakGlass{window("long", 3600, 0, "a"), window("short", 60, 0, "a")},
			now:          at(100),
			want:         Decision{Retired: map[string]Retirement{"a": touchedReplace("a", "short")}, RecheckAfter: 3500 * time.Second},
		},
		{
			name:         "a touched pod already being deleted needs nothing more",
			pods:         []Pod{{Name: "pod-a", UID: "a", Terminating: true}},
			breakGlasses: []gdprv1alpha1.BreakGlass{window("bg", 60, 0, "a")},
			now:          at(100),
			want:         Decision{Retired: map[string]Retirement{}},
		},
		{
			name:         "a touched pod that is gone is listed so that a lost PodReplaced entry can be written",
			pods:         []Pod{pod("b")},
			breakGlasses: []gdprv1alpha1.BreakGlass{window("bg", 60, 0, "a")},
			now:          at(100),
			want: Decision{Retired: map[string]Retirement{}, Gone: []Retirement{
				{Pod: "pod-a", UID: "a", Replaced: gdprv1alpha1.AuditReasonBreakGlassEnded, BreakGlass: "bg"},
			}},
		},
		{
			name:        "the pod of a new Quarantine is replaced first and then released",
			pods:        []Pod{pod("a"), pod("b")},
			quarantines: []gdprv1alpha1.Quarantine{quarantine("q", "a")},
			now:         at(10),
			want:        Decision{Retired: map[string]Retirement{"a": quarantined("a", "q", Release)}},
		},
		{
			name:        "a Quarantine its controller has not found the pod of yet does nothing",
			pods:        []Pod{pod("a")},
			quarantines: []gdprv1alpha1.Quarantine{quarantine("q", "a", unfound)},
			now:         at(10),
			want:        Decision{Retired: map[string]Retirement{}},
		},
		{
			name:        "a later pod of the same name is not the quarantined one",
			pods:        []Pod{{Name: "pod-a", UID: "a2"}},
			quarantines: []gdprv1alpha1.Quarantine{quarantine("q", "a")},
			now:         at(10),
			want: Decision{Retired: map[string]Retirement{}, Gone: []Retirement{
				{Pod: "pod-a", UID: "a", Replaced: gdprv1alpha1.AuditReasonQuarantined, Quarantine: "q"},
			}},
		},
		{
			name:        "a Quarantine naming another pod than its UID's is not acted on",
			pods:        []Pod{pod("a")},
			quarantines: []gdprv1alpha1.Quarantine{quarantine("q", "a", otherName)},
			now:         at(10),
			want:        Decision{Retired: map[string]Retirement{}},
		},
		{
			name:        "a released pod is kept until deleteAfter, which is when to look again",
			pods:        []Pod{released("a", "q"), pod("b")},
			quarantines: []gdprv1alpha1.Quarantine{quarantine("q", "a", deleteAfter(100))},
			now:         at(40),
			want:        Decision{Retired: map[string]Retirement{"a": quarantined("a", "q", Keep)}, RecheckAfter: 60 * time.Second},
		},
		{
			name:        "a released pod is deleted at deleteAfter exactly",
			pods:        []Pod{released("a", "q")},
			quarantines: []gdprv1alpha1.Quarantine{quarantine("q", "a", deleteAfter(100))},
			now:         at(100),
			want:        Decision{Retired: map[string]Retirement{"a": quarantined("a", "q", Delete)}},
		},
		{
			name:        "deleting the Quarantine deletes its released pod early",
			pods:        []Pod{released("a", "q")},
			quarantines: []gdprv1alpha1.Quarantine{quarantine("q", "a", deleteAfter(100), deleting)},
			now:         at(40),
			want:        Decision{Retired: map[string]Retirement{"a": quarantined("a", "q", Delete)}},
		},
		{
			name:        "a Quarantine deleted before its pod left service has the pod replaced and deleted, not put back",
			pods:        []Pod{pod("a")},
			quarantines: []gdprv1alpha1.Quarantine{quarantine("q", "a", deleting)},
			now:         at(40),
			want:        Decision{Retired: map[string]Retirement{"a": quarantined("a", "q", Replace)}},
		},
		{
			name:        "a pod labelled quarantined for another Quarantine than the one naming it is released anew",
			pods:        []Pod{released("a", "forged")},
			quarantines: []gdprv1alpha1.Quarantine{quarantine("q", "a")},
			now:         at(40),
			want:        Decision{Retired: map[string]Retirement{"a": quarantined("a", "q", Release)}},
		},
		{
			name:         "a pod both touched under an ended window and quarantined is kept as the Quarantine's evidence",
			pods:         []Pod{released("a", "q")},
			breakGlasses: []gdprv1alpha1.BreakGlass{window("bg", 60, 0, "a")},
			quarantines:  []gdprv1alpha1.Quarantine{quarantine("q", "a", deleteAfter(1000))},
			now:          at(100),
			want:         Decision{Retired: map[string]Retirement{"a": quarantined("a", "q", Keep)}, RecheckAfter: 900 * time.Second},
		},
		{
			name:        "two Quarantines of one pod act as the first by name",
			pods:        []Pod{pod("a")},
			quarantines: []gdprv1alpha1.Quarantine{quarantine("q2", "a"), quarantine("q1", "a")},
			now:         at(10),
			want:        Decision{Retired: map[string]Retirement{"a": quarantined("a", "q1", Release)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.pods, tt.breakGlasses, tt.quarantines, tt.now)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Decide() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCountedAndReplacing(t *testing.T) {
	d := Decision{Retired: map[string]Retirement{
		"replace": {Action: Replace}, "release": {Action: Release}, "keep": {Action: Keep}, "delete": {Action: Delete},
	}}
	tests := []struct {
		name               string
		uid                string
		counted, replacing bool
	}{
		{"a pod not retired counts and waits for nothing", "other", true, false},
		{"a pod being replaced still counts until it goes", "replace", true, true},
		{"a pod to be released still counts until it leaves service", "release", true, true},
		{"a kept pod no longer counts", "keep", false, false},
		{"a released pod being deleted no longer counts", "delete", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := d.Counted(tt.uid); got != tt.counted {
				t.Errorf("Counted(%q) = %v, want %v", tt.uid, got, tt.counted)
			}
			if got := d.Replacing(tt.uid); got != tt.replacing {
				t.Errorf("Replacing(%q) = %v, want %v", tt.uid, got, tt.replacing)
			}
		})
	}
}

func TestReleasedLabels(t *testing.T) {
	tests := []struct {
		name      string
		labels    map[string]string
		templates []map[string]string
		want      map[string]string
	}{
		{
			name:      "the template's labels go, Amber's own stay and the Quarantine is named",
			labels:    map[string]string{"app": "web", "tier": "front", gdprv1alpha1.WorkloadLabel: "web", gdprv1alpha1.RevisionLabel: "r1"},
			templates: []map[string]string{{"app": "web", "tier": "front"}},
			want:      map[string]string{gdprv1alpha1.WorkloadLabel: "web", gdprv1alpha1.RevisionLabel: "r1", gdprv1alpha1.QuarantinedLabel: "q"},
		},
		{
			name:      "labels of the revision's template and of the current one both go",
			labels:    map[string]string{"app": "web", "version": "1", gdprv1alpha1.WorkloadLabel: "web"},
			templates: []map[string]string{{"app": "web", "version": "1"}, {"app": "web", "version": "2"}},
			want:      map[string]string{gdprv1alpha1.WorkloadLabel: "web", gdprv1alpha1.QuarantinedLabel: "q"},
		},
		{
			name:      "labels no template sets stay",
			labels:    map[string]string{"app": "web", "topology.kubernetes.io/zone": "a", gdprv1alpha1.WorkloadLabel: "web"},
			templates: []map[string]string{{"app": "web"}},
			want:      map[string]string{"topology.kubernetes.io/zone": "a", gdprv1alpha1.WorkloadLabel: "web", gdprv1alpha1.QuarantinedLabel: "q"},
		},
		{
			name:      "a template that sets Amber's own labels does not take them away",
			labels:    map[string]string{gdprv1alpha1.WorkloadLabel: "web", gdprv1alpha1.RevisionLabel: "r1"},
			templates: []map[string]string{{gdprv1alpha1.WorkloadLabel: "web", gdprv1alpha1.RevisionLabel: "r1"}},
			want:      map[string]string{gdprv1alpha1.WorkloadLabel: "web", gdprv1alpha1.RevisionLabel: "r1", gdprv1alpha1.QuarantinedLabel: "q"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := map[string]string{}
			for k, v := range tt.labels {
				before[k] = v
			}
			got := ReleasedLabels(tt.labels, "q", tt.templates...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ReleasedLabels() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, tt.labels); diff != "" {
				t.Errorf("ReleasedLabels changed its input (-before +after):\n%s", diff)
			}
		})
	}
}

func TestNextQuarantineStep(t *testing.T) {
	const (
		replacing = gdprv1alpha1.QuarantineReplacing
		isolated  = gdprv1alpha1.QuarantineIsolated
		done      = gdprv1alpha1.QuarantineReleased
	)
	tests := []struct {
		name  string
		found QuarantineFound
		want  QuarantineStep
	}{
		{"a new Quarantine finds its pod and records the request", QuarantineFound{}, StepRequest},
		{"a requested pod still in service waits for its replacement", QuarantineFound{Phase: replacing, Requested: true, PodExists: true}, StepAwaitRelease},
		{"a pod out of service waits for its PodReplaced entry before it is isolated", QuarantineFound{Phase: replacing, Requested: true, PodExists: true, Released: true}, StepAwaitEntry},
		{"a pod out of service, its replacement recorded, is isolated", QuarantineFound{Phase: replacing, Requested: true, PodExists: true, Released: true, ReplacementRecorded: true}, StepIsolate},
		{"an isolated pod stays isolated until it is gone", QuarantineFound{Phase: isolated, Requested: true, PodExists: true, Released: true, ReplacementRecorded: true}, StepIsolate},
		{"a pod gone after its keep releases the Quarantine", QuarantineFound{Phase: isolated, Requested: true}, StepRelease},
		{"a pod deleted by someone else before it left service also releases it", QuarantineFound{Phase: replacing, Requested: true}, StepRelease},
		{"a released Quarantine is kept as the record and does nothing", QuarantineFound{Phase: done, Requested: true}, StepNone},
		{"a deleted Quarantine whose pod still exists waits for the workload to delete it", QuarantineFound{Phase: isolated, Deleting: true, Requested: true, PodExists: true, Released: true}, StepAwaitDeletion},
		{"a deleted Quarantine whose pod is gone is finalized", QuarantineFound{Phase: isolated, Deleting: true, Requested: true}, StepFinalize},
		{"a deleted Quarantine that never found its pod is finalized at once", QuarantineFound{Deleting: true}, StepFinalize},
		{"a deleted Quarantine released before is finalized at once", QuarantineFound{Phase: done, Deleting: true, Requested: true, PodExists: true}, StepFinalize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextQuarantineStep(tt.found); got != tt.want {
				t.Errorf("NextQuarantineStep(%+v) = %s, want %s", tt.found, got, tt.want)
			}
		})
	}
}
