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
	"slices"
	"testing"
)

func TestIsOdd(t *testing.T) {
	for _, tc := range []struct {
		name string
		n, k int
		want []int
	}{
		{"none of ten when none is asked for", 10, 0, nil},
		{"two of ten, one in each half", 10, 2, []int{4, 9}},
		{"every one of four when four are asked for", 4, 4, []int{0, 1, 2, 3}},
		{"one of three, the last", 3, 1, []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for i := range tc.n {
				if isOdd(i, tc.n, tc.k) {
					got = append(got, i)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("isOdd over %d with %d = %v, want %v", tc.n, tc.k, got, tc.want)
			}
		})
	}
}

func TestOddCountIsExact(t *testing.T) {
	count := 0
	for i := range 1000 {
		if isOdd(i, 1000, 100) {
			count++
		}
	}
	if count != 100 {
		t.Errorf("100 of 1000 asked for, %d chosen", count)
	}
}
