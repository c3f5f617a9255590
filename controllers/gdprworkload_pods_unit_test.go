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
	"slices"
	"sync"
	"testing"
)

func TestSlowStart(t *testing.T) {
	refused, lost := errors.New("refused"), errors.New("lost")
	for _, tc := range []struct {
		name string
		n    int
		// fail refuses these writes; readyFails makes ready fail before the batch with this index.
		fail       map[int]bool
		readyFails int
		want       [][]int // the writes of each batch, in index order
		wantDone   int
		wantErr    error
	}{
		{name: "nothing to write sends nothing", n: 0, readyFails: -1, want: nil},
		{name: "writes go in batches of 1, 2, 4, 8, the last one what is left", n: 10, readyFails: -1,
			want: [][]int{{0}, {1, 2}, {3, 4, 5, 6}, {7, 8, 9}}, wantDone: 10},
		{name: "a refused first write costs one write, not a batch", n: 25, readyFails: -1, fail: map[int]bool{0: true},
			want: [][]int{{0}}, wantDone: 0, wantErr: refused},
		{name: "the batch with a refused write is finished, the next is not sent", n: 25, readyFails: -1, fail: map[int]bool{4: true},
			want: [][]int{{0}, {1, 2}, {3, 4, 5, 6}}, wantDone: 6, wantErr: refused},
		{name: "a lost ledger entry stops the writes before the next batch", n: 25, readyFails: 2,
			want: [][]int{{0}, {1, 2}}, wantDone: 3, wantErr: lost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var batches [][]int
			readies := 0
			done, err := slowStart(tc.n, func() error {
				if readies == tc.readyFails {
					return lost
				}
				readies++
				batches = append(batches, nil)
				return nil
			}, func(i int) error {
				mu.Lock()
				defer mu.Unlock()
				batches[len(batches)-1] = append(batches[len(batches)-1], i)
				if tc.fail[i] {
					return refused
				}
				return nil
			})
			for _, b := range batches {
				slices.Sort(b)
			}
			if !slices.EqualFunc(batches, tc.want, slices.Equal) {
				t.Errorf("batches = %v, want %v", batches, tc.want)
			}
			if done != tc.wantDone || !errors.Is(err, tc.wantErr) {
				t.Errorf("slowStart = %d, %v; want %d, %v", done, err, tc.wantDone, tc.wantErr)
			}
			if tc.wantErr == lost && !errors.Is(err, errLedgerFailed) {
				t.Errorf("a stop for the ledger is not marked errLedgerFailed: %v", err)
			}
		})
	}
}
