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

package drift

import (
	"slices"
	"testing"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

func TestLoopCount(t *testing.T) {
	image := []string{"spec.containers[app].image"}
	label := []string{"metadata.labels[x]"}
	type drift struct {
		generation  int64
		replacement bool
		reason      Reason
		paths       []string
	}
	tests := []struct {
		name     string
		drifts   []drift
		want     int
		wantPath []string
	}{
		{"a drift on a pod that replaced none does not count", []drift{{1, false, ImageChanged, image}}, 0, image},
		{"a replacement that drifts starts a count of one", []drift{{1, false, ImageChanged, image}, {1, true, ImageChanged, image}}, 1, image},
		{"replacements drifting the same way count up", []drift{{1, true, ImageChanged, image}, {1, true, ImageChanged, image}, {1, true, ImageChanged, image}}, 3, image},
		{"a replacement drifting another way starts again", []drift{{1, true, ImageChanged, image}, {1, true, ImageChanged, image}, {1, true, MetadataChanged, label}}, 1, label},
		{"a drift on an original pod keeps the count", []drift{{1, true, ImageChanged, image}, {1, true, ImageChanged, image}, {1, false, ImageChanged, image}}, 2, image},
		{"a new generation starts afresh", []drift{{1, true, ImageChanged, image}, {1, true, ImageChanged, image}, {2, true, ImageChanged, image}}, 1, image},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Loop
			for _, d := range tt.drifts {
				l = l.Count(d.generation, d.replacement, d.reason, d.paths)
			}
			last := tt.drifts[len(tt.drifts)-1].generation
			got, paths := l.At(last)
			if got != tt.want || !slices.Equal(paths, tt.wantPath) {
				t.Errorf("At(%d) = %d, %v; want %d, %v", last, got, paths, tt.want, tt.wantPath)
			}
			if n, _ := l.At(last + 1); n != 0 {
				t.Errorf("At(another generation) = %d, want 0", n)
			}
		})
	}
}

func TestDispose(t *testing.T) {
	tests := []struct {
		name     string
		action   gdprv1alpha1.DriftAction
		repeated int
		want     Disposition
	}{
		{"a drifted pod is replaced under Replace", gdprv1alpha1.DriftReplace, 0, Replace},
		{"a drifted pod is replaced under ReplaceImmediately", gdprv1alpha1.DriftReplaceImmediately, 4, Replace},
		{"a drifted pod is kept under Report, loop or not", gdprv1alpha1.DriftReport, 9, KeepReported},
		{"a drifted pod is kept once replacements drifted the same way maxRepeats times", gdprv1alpha1.DriftReplace, 5, KeepLooping},
		{"one repeat short of the limit still replaces", gdprv1alpha1.DriftReplace, 4, Replace},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Dispose(tt.action, tt.repeated, 5); got != tt.want {
				t.Errorf("Dispose() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestReplacement(t *testing.T) {
	labels := []Finding{{Reason: MetadataChanged, Paths: []string{"metadata.labels.x"}}}
	abroad := []Finding{{Reason: OutOfRegion, Paths: []string{"spec.nodeName"}}, {Reason: MetadataChanged}}
	for _, tc := range []struct {
		name             string
		action           gdprv1alpha1.DriftAction
		findings         []Finding
		drifted, discard bool
	}{
		{"under Replace a drifted pod is replaced as an outdated one, a fresh pod first", gdprv1alpha1.DriftReplace, labels, true, false},
		{"under ReplaceImmediately a drifted pod is deleted at once", gdprv1alpha1.DriftReplaceImmediately, labels, false, true},
		{"a pod out of its region is deleted at once even under Replace: processing stops first", gdprv1alpha1.DriftReplace, abroad, false, true},
		{"a pod out of its region is deleted at once under ReplaceImmediately", gdprv1alpha1.DriftReplaceImmediately, abroad, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if drifted, discard := Replacement(tc.action, tc.findings); drifted != tc.drifted || discard != tc.discard {
				t.Errorf("Replacement = drifted %v, discard %v; want %v, %v", drifted, discard, tc.drifted, tc.discard)
			}
		})
	}
}

func TestUrgent(t *testing.T) {
	for _, tc := range []struct {
		name     string
		findings []Finding
		want     bool
	}{
		{"a pod out of its region goes without waiting for the replacement budget", []Finding{{Reason: OutOfRegion}}, true},
		{"also when it drifted in other ways too", []Finding{{Reason: ImageChanged}, {Reason: OutOfRegion}}, true},
		{"other drift waits its turn", []Finding{{Reason: ImageChanged}, {Reason: MetadataChanged}}, false},
		{"no findings, nothing urgent", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Urgent(tc.findings); got != tc.want {
				t.Errorf("Urgent = %v, want %v", got, tc.want)
			}
		})
	}
}
