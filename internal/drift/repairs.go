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
	"cmp"
	"slices"
)

// UnrepairedPod is a pod the ledger records as drifted and not yet replaced.
type UnrepairedPod struct {
	UID, Name string
}

// LivePod is a pod that runs and is not being deleted: one of the workload's, or one that
// escaped it.
type LivePod struct {
	UID, Name string
	// Replaces names the drifted pod it was made to replace (the replaces annotation).
	Replaces string
	// Owned is true for a pod of the workload; an escaped pod is not, and is itself replaced.
	Owned bool
}

// Repair is a drifted pod's replacement, to be recorded.
type Repair struct {
	Pod UnrepairedPod
	// Replacement names the fresh pod that took its place; "" when the workload needed none
	// (it was scaled down since, say).
	Replacement string
}

// UnrecordedRepairs decides, for the drifted pods whose replacement the ledger does not
// record, which are gone and replaced: a crash between deleting a drifted pod and writing its
// PodReplaced entry leaves one, and the restarted manager no longer remembers the deletion was
// for drift. The chain of checks, for each such pod:
//
//   - it still runs: nothing, its repair is ahead (or the policy keeps it);
//   - a live pod's replaces annotation names it: that pod replaced it (ties broken by name);
//   - fewer live pods of the workload run than the desired replicas: it waits, and the pod
//     the workload makes next is its replacement (awaiting, for the caller to annotate);
//   - otherwise no pod will be made in its place: its repair is recorded naming none.
//
// It is gone, not running, whoever deleted it: after a restart a crash and someone else's
// deletion look the same, and either way a fresh pod of the workload now runs instead of the
// drifted one. Repairs and awaiting come ordered by name.
func UnrecordedRepairs(unrepaired []UnrepairedPod, live []LivePod, desired int) (repairs []Repair, awaiting []string) {
	running := make(map[string]bool, len(live))
	replacedBy := map[string]string{}
	owned := 0
	for _, p := range live {
		running[p.UID] = true
		if p.Owned {
			owned++
		}
		if p.Replaces == "" {
			continue
		}
		if by, ok := replacedBy[p.Replaces]; !ok || p.Name < by {
			replacedBy[p.Replaces] = p.Name
		}
	}
	sorted := slices.SortedFunc(slices.Values(unrepaired), func(a, b UnrepairedPod) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.UID, b.UID))
	})
	for _, pod := range sorted {
		switch by, named := replacedBy[pod.Name]; {
		case running[pod.UID]:
		case named:
			repairs = append(repairs, Repair{Pod: pod, Replacement: by})
		case owned < desired:
			awaiting = append(awaiting, pod.Name)
			owned++ // one pod to be made is this one's; the next awaiting pod needs another
		default:
			repairs = append(repairs, Repair{Pod: pod})
		}
	}
	return repairs, awaiting
}
