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
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		want   time.Duration
	}{
		{"an odd number of rounds takes the middle one", []time.Duration{1, 5, 9}, 5},
		{"an even number takes the mean of the two middle ones", []time.Duration{1, 4, 6, 9}, 5},
		{"one round is its own median", []time.Duration{7}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := median(tc.sorted); got != tc.want {
				t.Errorf("median(%v) = %v, want %v", tc.sorted, got, tc.want)
			}
		})
	}
}

func TestSummarizePrintsEveryRoundAndTheRatios(t *testing.T) {
	load := [3]string{"1.00", "2.00", "3.00"}
	samples := []sample{
		{round: 1, order: 1, side: sideAmber, took: 8 * time.Second, load: load},
		{round: 1, order: 2, side: sideDeployment, took: 10 * time.Second, load: load},
		{round: 2, order: 1, side: sideDeployment, took: 12 * time.Second, load: load},
		{round: 2, order: 2, side: sideAmber, took: 9 * time.Second, load: load},
		{round: 3, order: 1, side: sideAmber, took: 12 * time.Second, load: load},
		{round: 3, order: 2, side: sideDeployment, took: 11 * time.Second, load: load},
	}
	var out bytes.Buffer
	summarize(&out, samples)
	got := out.Bytes()
	for _, want := range []string{
		"| 1 | 8000 ms | 10000 ms | 0.80 | Amber | 1.00 2.00 3.00, 1.00 2.00 3.00 |",
		"| 2 | 9000 ms | 12000 ms | 0.75 | Deployment |",
		"| 3 | 12000 ms | 11000 ms | 1.09 | Amber |",
		"Amber:      p50 9000 ms, max 12000 ms, range 8000 ms to 12000 ms (n = 3)",
		"Deployment: p50 11000 ms, max 12000 ms, range 10000 ms to 12000 ms (n = 3)",
		"Amber / Deployment: p50 0.82, max 1.00",
	} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(string(got), "\n| ") != 4 {
		t.Errorf("want a header and three rounds:\n%s", got)
	}
}
