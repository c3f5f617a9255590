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

package revision

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

func pinnedImage(container, image, digest string) gdprv1alpha1.PinnedImage {
	return gdprv1alpha1.PinnedImage{Container: container, Image: image, Digest: digest, Pinned: image + "@" + digest}
}

func TestID(t *testing.T) {
	a := []gdprv1alpha1.PinnedImage{pinnedImage("app", "r.example/app:1", "sha256:aa")}
	b := []gdprv1alpha1.PinnedImage{pinnedImage("app", "r.example/app:1", "sha256:bb")}
	if got := ID("0123456789", a, true); got != "0123456789" {
		t.Errorf("first revision of a template: ID = %q, want the template hash", got)
	}
	if ID("0123456789", a, false) == ID("0123456789", b, false) {
		t.Error("refreshed revisions with different digests share an ID")
	}
	if again := append([]gdprv1alpha1.PinnedImage(nil), a...); ID("0123456789", a, false) != ID("0123456789", again, false) {
		t.Error("ID is not a function of its inputs")
	}
	if len(ID("0123456789", a, false)) != idLength {
		t.Errorf("refreshed ID %q is not %d hex digits", ID("0123456789", a, false), idLength)
	}
}

func TestSameDigests(t *testing.T) {
	one := []gdprv1alpha1.PinnedImage{pinnedImage("a", "x:1", "sha256:1"), pinnedImage("b", "y:1", "sha256:2")}
	reordered := []gdprv1alpha1.PinnedImage{pinnedImage("b", "y:1", "sha256:2"), pinnedImage("a", "x:1", "sha256:1")}
	moved := []gdprv1alpha1.PinnedImage{pinnedImage("a", "x:1", "sha256:1"), pinnedImage("b", "y:1", "sha256:3")}
	if !SameDigests(one, reordered) {
		t.Error("order of pins changes the fingerprint")
	}
	if SameDigests(one, moved) {
		t.Error("a moved digest keeps the fingerprint")
	}
}

func TestLatestAndNextNumber(t *testing.T) {
	revs := []Revision{
		{ID: "aaa", TemplateHash: "aaa", Number: 1},
		{ID: "bbb", TemplateHash: "bbb", Number: 2},
		{ID: "ccc", TemplateHash: "aaa", Number: 3},
	}
	tests := []struct {
		hash   string
		wantID string
		wantOK bool
	}{
		{"aaa", "ccc", true},
		{"bbb", "bbb", true},
		{"zzz", "", false},
	}
	for _, tt := range tests {
		got, ok := Latest(revs, tt.hash)
		if ok != tt.wantOK || got.ID != tt.wantID {
			t.Errorf("Latest(%s) = %q, %v; want %q, %v", tt.hash, got.ID, ok, tt.wantID, tt.wantOK)
		}
	}
	if n := NextNumber(revs); n != 4 {
		t.Errorf("NextNumber = %d, want 4", n)
	}
	if n := NextNumber(nil); n != 1 {
		t.Errorf("NextNumber of no history = %d, want 1", n)
	}
}

func TestRefreshDue(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	rev := Revision{CheckedAt: now.Add(-time.Hour)}
	tests := []struct {
		name     string
		interval time.Duration
		want     bool
	}{
		{"unset: pinned until the template changes", 0, false},
		{"not yet", 2 * time.Hour, false},
		{"exactly due", time.Hour, true},
		{"overdue", time.Minute, true},
	}
	for _, tt := range tests {
		if got := RefreshDue(rev, tt.interval, now); got != tt.want {
			t.Errorf("%s: RefreshDue = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestToPrune(t *testing.T) {
	revs := []Revision{
		{ID: "r1", Name: "w-r1", Number: 1},
		{ID: "r2", Name: "w-r2", Number: 2},
		{ID: "r3", Name: "w-r3", Number: 3},
		{ID: "r4", Name: "w-r4", Number: 4},
		{ID: "r5", Name: "w-r5", Number: 5},
	}
	tests := []struct {
		name  string
		inUse map[string]bool
		limit int
		want  []string
	}{
		{"within the limit", map[string]bool{"r5": true}, 10, nil},
		{"oldest unused go first", map[string]bool{"r5": true}, 2, []string{"w-r1", "w-r2"}},
		{"a revision in use is kept whatever its age", map[string]bool{"r1": true, "r5": true}, 1, []string{"w-r2", "w-r3"}},
		{"limit 0 keeps only those in use", map[string]bool{"r4": true}, 0, []string{"w-r1", "w-r2", "w-r3", "w-r5"}},
	}
	for _, tt := range tests {
		if got := ToPrune(revs, tt.inUse, tt.limit); !slices.Equal(got, tt.want) {
			t.Errorf("%s: ToPrune = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestPodSpec(t *testing.T) {
	template := &corev1.PodTemplateSpec{Spec: corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "migrate", Image: "r.example/migrate:2"}},
		Containers:     []corev1.Container{{Name: "app", Image: "r.example/app:1"}},
	}}
	pins := []gdprv1alpha1.PinnedImage{
		{Container: "migrate", Image: "r.example/migrate:2", Pinned: "r.example/migrate:2@sha256:22"},
		{Container: "app", Image: "r.example/app:1", Pinned: "r.example/app:1@sha256:11"},
	}
	spec, err := PodSpec(template, pins)
	if err != nil {
		t.Fatal(err)
	}
	if spec.InitContainers[0].Image != "r.example/migrate:2@sha256:22" || spec.Containers[0].Image != "r.example/app:1@sha256:11" {
		t.Errorf("images not pinned: %q, %q", spec.InitContainers[0].Image, spec.Containers[0].Image)
	}
	if template.Spec.Containers[0].Image != "r.example/app:1" {
		t.Error("PodSpec rewrote the workload's own template")
	}

	for name, pins := range map[string][]gdprv1alpha1.PinnedImage{
		"a container without a pin":        pins[1:],
		"a pin recorded for another image": {pins[0], {Container: "app", Image: "r.example/app:2", Pinned: "r.example/app:2@sha256:33"}},
		"no pins at all":                   nil,
	} {
		if _, err := PodSpec(template, pins); err == nil {
			t.Errorf("%s: PodSpec made a pod spec with an unpinned image", name)
		}
	}
	if got := Images(template); !slices.Equal(got, []Image{{"app", "r.example/app:1"}, {"migrate", "r.example/migrate:2"}}) {
		t.Errorf("Images = %v", got)
	}
}

func TestNewAndDecode(t *testing.T) {
	w := &gdprv1alpha1.GDPRWorkload{ObjectMeta: metav1.ObjectMeta{Name: "payments", Namespace: "ns", UID: "u1"}}
	w.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: "r.example/app:1"}}
	w.Spec.Hardening.Profile = gdprv1alpha1.HardeningBaseline
	resolved := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	pins := []gdprv1alpha1.PinnedImage{{Container: "app", Image: "r.example/app:1", Pinned: "r.example/app:1@sha256:11", Digest: "sha256:11", ResolvedAt: resolved}}
	cr, err := New(w, "abc", "abc", 3, pins)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Name != "payments-abc" || cr.Labels[gdprv1alpha1.WorkloadLabel] != "payments" || !metav1.IsControlledBy(cr, w) {
		t.Errorf("ControllerRevision metadata: %+v", cr.ObjectMeta)
	}
	rev, err := Decode(cr)
	if err != nil {
		t.Fatal(err)
	}
	if rev.ID != "abc" || rev.Number != 3 || !SameDigests(rev.Pins, pins) || !rev.CheckedAt.Equal(resolved.Time) || rev.Hardening != gdprv1alpha1.HardeningBaseline {
		t.Errorf("Decode = %+v", rev)
	}
	if rev.PinnedAs != 3 || rev.Restored() {
		t.Errorf("a new revision: PinnedAs %d, Restored %v", rev.PinnedAs, rev.Restored())
	}
	cr.Revision = 5
	if rev, _ := Decode(cr); rev.PinnedAs != 3 || !rev.Restored() {
		t.Errorf("a restored revision: PinnedAs %d, Restored %v", rev.PinnedAs, rev.Restored())
	}
	later := resolved.Add(time.Hour)
	cr.Annotations = map[string]string{RefreshedAtAnnotation: later.Format(time.RFC3339)}
	if rev, _ := Decode(cr); !rev.CheckedAt.Equal(later) {
		t.Errorf("a refresh that found the tags in place does not count: CheckedAt = %v", rev.CheckedAt)
	}
}

func TestFindPinned(t *testing.T) {
	d1 := []gdprv1alpha1.PinnedImage{pinnedImage("app", "r.example/app:1", "sha256:11")}
	d2 := []gdprv1alpha1.PinnedImage{pinnedImage("app", "r.example/app:1", "sha256:22")}
	revs := []Revision{
		{ID: "t1", TemplateHash: "t1", Number: 1, Pins: d1},
		{ID: "t1-moved", TemplateHash: "t1", Number: 2, Pins: d2},
		{ID: "t2", TemplateHash: "t2", Number: 3, Pins: d1},
	}
	if got, ok := FindPinned(revs, "t1", d1); !ok || got.ID != "t1" {
		t.Errorf("a tag that moved back finds its first revision: %q, %v", got.ID, ok)
	}
	if _, ok := FindPinned(revs, "t3", d1); ok {
		t.Error("another template's revision with the same digests was found")
	}
}
