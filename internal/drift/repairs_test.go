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
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestUnrecordedRepairs(t *testing.T) {
	a := UnrepairedPod{UID: "uid-a", Name: "pay-a"}
	b := UnrepairedPod{UID: "uid-b", Name: "pay-b"}
	pod := func(name, replaces string) LivePod {
		return LivePod{UID: "uid-" + name, Name: name, Replaces: replaces, Owned: true}
	}
	tests := []struct {
		name         string
		unrepaired   []UnrepairedPod
		live         []LivePod
		desired      int
		want         []Repair
		wantAwaiting []string
	}{
		{
			name: "nothing is unrepaired: nothing to record",
			live: []LivePod{pod("pay-c", "")}, desired: 1,
		},
		{
			name:       "a drifted pod that still runs waits for its repair",
			unrepaired: []UnrepairedPod{a},
			live:       []LivePod{{UID: "uid-a", Name: "pay-a", Owned: true}, pod("pay-c", "pay-a")}, desired: 1,
		},
		{
			name:       "a drifted escaped pod that still runs waits for its repair",
			unrepaired: []UnrepairedPod{a},
			live:       []LivePod{{UID: "uid-a", Name: "pay-a"}, pod("pay-c", "pay-a")}, desired: 1,
		},
		{
			name:       "a gone drifted pod is replaced by the pod that names it",
			unrepaired: []UnrepairedPod{a},
			live:       []LivePod{pod("pay-c", "pay-a"), pod("pay-d", "")}, desired: 2,
			want: []Repair{{Pod: a, Replacement: "pay-c"}},
		},
		{
			name:       "two pods naming the gone pod: the first by name replaced it",
			unrepaired: []UnrepairedPod{a},
			live:       []LivePod{pod("pay-e", "pay-a"), pod("pay-c", "pay-a")}, desired: 2,
			want: []Repair{{Pod: a, Replacement: "pay-c"}},
		},
		{
			name:       "a gone drifted pod no pod names, with a pod missing, awaits the pod the workload makes next",
			unrepaired: []UnrepairedPod{a},
			live:       []LivePod{pod("pay-d", "")}, desired: 2,
			wantAwaiting: []string{"pay-a"},
		},
		{
			name:       "a gone drifted pod no pod names, with every pod running, is recorded naming none",
			unrepaired: []UnrepairedPod{a},
			live:       []LivePod{pod("pay-d", "")}, desired: 1,
			want: []Repair{{Pod: a}},
		},
		{
			name:       "an escaped pod does not count among the workload's pods",
			unrepaired: []UnrepairedPod{a},
			live:       []LivePod{{UID: "uid-x", Name: "pay-x"}}, desired: 1,
			wantAwaiting: []string{"pay-a"},
		},
		{
			name:       "two gone drifted pods and one pod missing: the first by name awaits it, the other is recorded naming none",
			unrepaired: []UnrepairedPod{b, a},
			live:       []LivePod{pod("pay-d", "")}, desired: 2,
			want:         []Repair{{Pod: b}},
			wantAwaiting: []string{"pay-a"},
		},
		{
			name:       "repairs come in name order, whatever order the ledger gives",
			unrepaired: []UnrepairedPod{b, a},
			live:       []LivePod{pod("pay-c", "pay-b"), pod("pay-d", "pay-a")}, desired: 2,
			want: []Repair{{Pod: a, Replacement: "pay-d"}, {Pod: b, Replacement: "pay-c"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, awaiting := UnrecordedRepairs(tt.unrepaired, tt.live, tt.desired)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("repairs mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantAwaiting, awaiting, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("awaiting mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
