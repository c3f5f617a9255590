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

package main

import (
	"testing"
	"time"
)

func TestMedianOfAnOddCountIsTheMiddleAndOfAnEvenCountTheMeanOfTheTwo(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{0.84}, 0.84},
		{[]float64{0.84, 0.92, 1.26}, 0.92},
		{[]float64{0.5, 1, 2, 8}, 1.5},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestPercentileIsTheNearestRankAndNeverPastTheEnd(t *testing.T) {
	d := make([]time.Duration, 300)
	for i := range d {
		d[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		p    int
		want time.Duration
	}{{50, 150 * time.Millisecond}, {99, 297 * time.Millisecond}, {100, 300 * time.Millisecond}} {
		if got := pct(d, tc.p); got != tc.want {
			t.Errorf("p%d = %s, want %s", tc.p, got, tc.want)
		}
	}
	if got := pct(nil, 99); got != 0 {
		t.Errorf("p99 of nothing = %s, want 0", got)
	}
}

func TestAFailedInjectionDropsEverySideOfItsTickAlike(t *testing.T) {
	r := newRecorder()
	amber := &sample{round: 1, tick: 7, side: sideAmber}
	other := &sample{round: 1, tick: 8, side: sideAmber, detected: time.Now(), repaired: time.Now()}
	r.samples = []*sample{amber, other}
	r.dropTick(1, 7)
	// The other sides of tick 7 arrive after the failure was noticed.
	rs := &sample{round: 1, tick: 7, side: sideReplicaSet}
	floor := &sample{round: 1, tick: 7, side: sideFloor}
	nextRound := &sample{round: 2, tick: 7, side: sideFloor}
	r.samples = append(r.samples, rs, floor, nextRound)
	r.dropTick(1, -1)
	for _, s := range []*sample{amber, rs, floor} {
		if !s.dropped {
			t.Errorf("the %s sample of the failed tick was kept", s.side)
		}
	}
	if other.dropped || nextRound.dropped {
		t.Error("a sample of another tick or round was dropped")
	}
	if !r.complete(1) {
		t.Error("dropped samples without an outcome keep the round from completing")
	}
}

func TestTheCSVGivesBackWhatTheRunMeasured(t *testing.T) {
	at := time.UnixMilli(1_796_000_000_000)
	r := newRecorder()
	r.samples = []*sample{
		{round: 1, tick: 0, side: sideAmber, kind: "ResourcesResized", pod: "w-0001-abc", at: at, detected: at.Add(52 * time.Millisecond), repaired: at.Add(97 * time.Millisecond)},
		{round: 1, tick: 0, side: sideReplicaSet, kind: "PodDeleted", pod: "rs-0001-xyz", at: at, repaired: at.Add(110 * time.Millisecond)},
		{round: 2, tick: 3, side: sideFloor, kind: "PodCreated", pod: "floor-2-0003", at: at, dropped: true},
	}
	path := t.TempDir() + "/samples.csv"
	if err := r.writeCSV(path); err != nil {
		t.Fatal(err)
	}
	back, err := readCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.samples) != len(r.samples) {
		t.Fatalf("read %d samples, wrote %d", len(back.samples), len(r.samples))
	}
	for i, want := range r.samples {
		if got := back.samples[i]; *got != *want {
			t.Errorf("sample %d: read %+v, wrote %+v", i, *got, *want)
		}
	}
	if got := back.report(1); got.repairP99 != 97*time.Millisecond || got.rsP99 != 110*time.Millisecond {
		t.Errorf("round 1 from the CSV: repair p99 %s, ReplicaSet p99 %s; want 97ms and 110ms", got.repairP99, got.rsP99)
	}
}
