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
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

func TestPhase(t *testing.T) {
	admitted := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	bg := func(d time.Duration, deleted *time.Time) *gdprv1alpha1.BreakGlass {
		b := &gdprv1alpha1.BreakGlass{}
		b.CreationTimestamp = metav1.NewTime(admitted)
		b.Spec.Duration = metav1.Duration{Duration: d}
		if deleted != nil {
			dt := metav1.NewTime(*deleted)
			b.DeletionTimestamp = &dt
		}
		return b
	}
	at := func(d time.Duration) *time.Time { t := admitted.Add(d); return &t }
	for _, tc := range []struct {
		name string
		bg   *gdprv1alpha1.BreakGlass
		now  time.Time
		open bool
		want gdprv1alpha1.BreakGlassPhase
	}{
		{"a window is open from the moment it is admitted", bg(time.Hour, nil), admitted, true, gdprv1alpha1.BreakGlassActive},
		{"a window is open one nanosecond before it closes", bg(time.Hour, nil), admitted.Add(time.Hour - 1), true, gdprv1alpha1.BreakGlassActive},
		{"a window is closed at notAfter", bg(time.Hour, nil), admitted.Add(time.Hour), false, gdprv1alpha1.BreakGlassExpired},
		{"a window is closed before it was admitted (a clock behind the API server's)", bg(time.Hour, nil), admitted.Add(-time.Second), false, gdprv1alpha1.BreakGlassExpired},
		{"a missing duration is the default 30 minutes", bg(0, nil), admitted.Add(29 * time.Minute), true, gdprv1alpha1.BreakGlassActive},
		{"a BreakGlass deleted inside its window has ended", bg(time.Hour, at(10*time.Minute)), admitted.Add(11 * time.Minute), false, gdprv1alpha1.BreakGlassEnded},
		{"a BreakGlass being deleted is closed at once, its window notwithstanding", bg(time.Hour, at(10*time.Minute)), admitted.Add(10 * time.Minute), false, gdprv1alpha1.BreakGlassEnded},
		{"a BreakGlass deleted after its window closed had expired", bg(time.Hour, at(2*time.Hour)), admitted.Add(2 * time.Hour), false, gdprv1alpha1.BreakGlassExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Open(tc.bg, tc.now); got != tc.open {
				t.Errorf("Open = %v, want %v", got, tc.open)
			}
			if got := Phase(tc.bg, tc.now); got != tc.want {
				t.Errorf("Phase = %s, want %s", got, tc.want)
			}
		})
	}
}
