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
	"strings"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Loop counts, for one workload and generation, drifts in a row on pods that replaced
// drifted pods, with the same changes: something that edits every new pod.
type Loop struct {
	// Generation is the workload generation counted: a new spec starts afresh.
	Generation int64
	// Changes identifies the last drift counted: its first reason and its paths.
	Changes string
	// Repeated is how many drifts in a row had those changes on replacement pods.
	Repeated int
	// Paths are the last drift's changed fields.
	Paths []string
}

// Count folds one drift found on a pod of the workload at generation into the loop;
// replacement says whether the pod replaced a drifted pod.
func (l Loop) Count(generation int64, replacement bool, reason Reason, paths []string) Loop {
	if l.Generation != generation {
		l = Loop{Generation: generation}
	}
	changes := string(reason) + ":" + strings.Join(paths, ",")
	switch {
	case !replacement:
	case changes == l.Changes:
		l.Repeated++
	default:
		l.Repeated = 1
	}
	l.Changes, l.Paths = changes, paths
	return l
}

// At returns how many drifts in a row the loop counted at generation, and their paths:
// nothing for another generation.
func (l Loop) At(generation int64) (int, []string) {
	if l.Generation != generation {
		return 0, nil
	}
	return l.Repeated, l.Paths
}

// Disposition says what becomes of a drifted pod.
type Disposition string

const (
	// Replace: the pod is replaced now, a fresh pod first (or deleted first under
	// ReplaceImmediately), if the workload's replacement budget allows.
	Replace Disposition = "Replace"
	// KeepReported: the pod is kept, as spec.driftPolicy.action is Report.
	KeepReported Disposition = "KeepReported"
	// KeepLooping: the pod is kept, because replacing it again would feed a drift loop.
	KeepLooping Disposition = "KeepLooping"
)

// Dispose decides what becomes of a drifted pod of a workload whose policy says action,
// after repeated drifts in a row on replacement pods, with maxRepeats making a loop.
func Dispose(action gdprv1alpha1.DriftAction, repeated, maxRepeats int) Disposition {
	switch {
	case action == gdprv1alpha1.DriftReport:
		return KeepReported
	case InLoop(repeated, maxRepeats):
		return KeepLooping
	default:
		return Replace
	}
}

// InLoop reports whether repeated drifts in a row on replacement pods make a drift loop.
func InLoop(repeated, maxRepeats int) bool { return repeated >= maxRepeats }

// Urgent reports whether a drifted pod with these findings must go without waiting for the
// workload's replacement budget, which otherwise spreads a storm of replacements over time:
// a pod out of its region goes at once, as processing abroad must stop.
func Urgent(findings []Finding) bool {
	for _, f := range findings {
		if f.Reason == OutOfRegion {
			return true
		}
	}
	return false
}

// Replacement says how the planner replaces a drifted pod with these findings under action:
// a fresh pod first (drifted), or deleted at once (discard). A pod out of its region is
// deleted at once whatever the action: processing stops rather than go on abroad while a
// replacement is made, and there may be no allowed node for one at all.
func Replacement(action gdprv1alpha1.DriftAction, findings []Finding) (drifted, discard bool) {
	immediately := action == gdprv1alpha1.DriftReplaceImmediately || Urgent(findings)
	return !immediately, immediately
}
