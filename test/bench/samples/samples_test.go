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

package samples

import "testing"

func TestSummarise(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []float64
		want   Summary
	}{
		{"no values give a zero summary", nil, Summary{}},
		{"an odd count takes the middle value", []float64{3, 1, 2}, Summary{N: 3, Min: 1, Median: 2, Max: 3}},
		{"an even count takes the mean of the middle two", []float64{4, 1, 3, 2}, Summary{N: 4, Min: 1, Median: 2.5, Max: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Summarise(tc.values); got != tc.want {
				t.Errorf("Summarise(%v) = %+v, want %+v", tc.values, got, tc.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100 … 1, unsorted on purpose
	}
	for _, tc := range []struct {
		name   string
		values []float64
		p      float64
		want   float64
	}{
		{"no values give zero", nil, 50, 0},
		{"the median of 1 to 100 is 50", hundred, 50, 50},
		{"the 99th percentile of 1 to 100 is 99", hundred, 99, 99},
		{"the 100th percentile is the largest", hundred, 100, 100},
		{"one value is every percentile", []float64{7}, 1, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.values, tc.p); got != tc.want {
				t.Errorf("Percentile(p%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	for _, tc := range []struct {
		name    string
		value   float64
		target  float64
		atLeast bool
		want    string
	}{
		{"a rate at its floor meets it", 100, 100, true, "meets"},
		{"a rate under its floor misses it", 99, 100, true, "MISSED"},
		{"a size at its ceiling meets it", 1536, 1536, false, "meets"},
		{"a size over its ceiling misses it", 1537, 1536, false, "MISSED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Verdict(tc.value, tc.target, tc.atLeast); got != tc.want {
				t.Errorf("Verdict(%v, %v, %v) = %q, want %q", tc.value, tc.target, tc.atLeast, got, tc.want)
			}
		})
	}
}
