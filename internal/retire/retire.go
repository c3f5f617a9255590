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

package retire

import (
	"maps"
	"slices"
	"strings"
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/breakglass"
)

// Pod is what retirement needs to know of one of the workload's pods.
type Pod struct {
	Name, UID string
	// Quarantined is the value of the pod's QuarantinedLabel: the Quarantine it was released
	// for, "" when it carries none. The label alone proves nothing (anyone who can edit the
	// pod can write it): a pod is released only when a Quarantine of its name and UID says so.
	Quarantined string
	// Terminating is true once the pod has a deletion timestamp: nothing is left to decide.
	Terminating bool
}

// Action says what becomes of a retired pod.
type Action string

const (
	// Replace: a fresh pod of its revision is made first and the pod is then deleted, within
	// spec.strategy, as a drifted pod is.
	Replace Action = "Replace"
	// Release: a fresh pod of its revision is made first; once it is Ready the pod leaves
	// service (the template's labels removed, QuarantinedLabel set) but keeps running.
	Release Action = "Release"
	// Keep: the pod was released and is kept for examination; it no longer counts among the
	// workload's pods.
	Keep Action = "Keep"
	// Delete: the pod was released and its Quarantine ended (keep elapsed, or the Quarantine
	// was deleted): it is deleted now.
	Delete Action = "Delete"
)

// Retirement is what becomes of one pod, and why.
type Retirement struct {
	Pod, UID string
	Action   Action
	// Replaced is the reason of the pod's PodReplaced entry: BreakGlassEnded or Quarantined.
	Replaced gdprv1alpha1.AuditReason
	// Deleted is the reason of the pod's PodDeleted entry when Amber deletes it (Replace,
	// Delete): Drifted for a touched pod, as for any pod Amber replaces by a fresh pod of its
	// revision (the PodReplaced entry says why), QuarantineEnded for a quarantined one.
	Deleted gdprv1alpha1.AuditReason
	// BreakGlass or Quarantine names the object the pod is retired for; the other is "".
	BreakGlass, Quarantine string
}

// Decision is what becomes of a workload's pods.
type Decision struct {
	// Retired holds the pods that leave service, by UID; every other pod is left alone.
	Retired map[string]Retirement
	// Gone lists, by name, the pods retired for an ended BreakGlass or a Quarantine that no
	// longer exist: the caller writes a PodReplaced entry a crash may have lost, when a fresh
	// pod names one as the pod it replaces.
	Gone []Retirement
	// RecheckAfter is when the decision changes with time alone (a window with touched pods
	// closes, a kept pod's keep ends); 0 when nothing waits for a time.
	RecheckAfter time.Duration
}

// Decide says which of pods leave service at now for the workload's BreakGlasses and
// Quarantines. A Quarantine wins over a BreakGlass: its pod is kept as evidence either way,
// and deleting it would destroy what the Quarantine keeps. Only Quarantines that name a pod
// by name and UID count (status.podUID is set once the Quarantine controller found the pod):
// a later pod of the same name is not the suspect one.
func Decide(pods []Pod, breakGlasses []gdprv1alpha1.BreakGlass, quarantines []gdprv1alpha1.Quarantine, now time.Time) Decision {
	d := Decision{Retired: map[string]Retirement{}}
	recheck := func(at time.Time) {
		if wait := at.Sub(now); wait > 0 && (d.RecheckAfter == 0 || wait < d.RecheckAfter) {
			d.RecheckAfter = wait
		}
	}
	live := make(map[string]Pod, len(pods))
	for _, p := range pods {
		live[p.UID] = p
	}
	// Ties go by name: two Quarantines of one pod act as the first.
	quarantines = slices.SortedFunc(slices.Values(quarantines), func(a, b gdprv1alpha1.Quarantine) int { return strings.Compare(a.Name, b.Name) })
	breakGlasses = slices.SortedFunc(slices.Values(breakGlasses), func(a, b gdprv1alpha1.BreakGlass) int { return strings.Compare(a.Name, b.Name) })

	for i := range quarantines {
		q := &quarantines[i]
		if q.Status.PodUID == "" {
			continue // not yet found by the Quarantine controller, nor recorded as asked for
		}
		if _, taken := d.Retired[q.Status.PodUID]; taken {
			continue
		}
		p, ok := live[q.Status.PodUID]
		if !ok || p.Name != q.Spec.Pod {
			if !ok {
				d.Gone = append(d.Gone, Retirement{Pod: q.Spec.Pod, UID: q.Status.PodUID, Replaced: gdprv1alpha1.AuditReasonQuarantined, Quarantine: q.Name})
			}
			continue
		}
		if p.Terminating {
			continue
		}
		r := Retirement{Pod: p.Name, UID: p.UID, Replaced: gdprv1alpha1.AuditReasonQuarantined, Deleted: gdprv1alpha1.AuditReasonQuarantineEnded, Quarantine: q.Name}
		released := p.Quarantined == q.Name
		deleting := !q.DeletionTimestamp.IsZero() || q.Status.Phase == gdprv1alpha1.QuarantineReleased
		expired := q.Status.DeleteAfter != nil && !now.Before(q.Status.DeleteAfter.Time)
		switch {
		case released && (deleting || expired):
			r.Action = Delete
		case released:
			r.Action = Keep
			if q.Status.DeleteAfter != nil {
				recheck(q.Status.DeleteAfter.Time)
			}
		case deleting:
			// Ended before its pod left service: the pod is still suspect, so it is replaced
			// and deleted rather than put back as if nothing happened.
			r.Action = Replace
		default:
			r.Action = Release
		}
		d.Retired[p.UID] = r
	}

	for i := range breakGlasses {
		bg := &breakGlasses[i]
		open := breakglass.Phase(bg, now) == gdprv1alpha1.BreakGlassActive
		for _, t := range bg.Status.TouchedPods {
			p, ok := live[t.UID]
			switch {
			case open:
				if ok && !p.Terminating {
					_, notAfter := breakglass.Window(bg)
					recheck(notAfter)
				}
				continue
			case !ok:
				d.Gone = append(d.Gone, Retirement{Pod: t.Name, UID: t.UID, Replaced: gdprv1alpha1.AuditReasonBreakGlassEnded, BreakGlass: bg.Name})
				continue
			case p.Terminating:
				continue
			}
			if _, taken := d.Retired[t.UID]; taken {
				continue
			}
			d.Retired[t.UID] = Retirement{Pod: p.Name, UID: p.UID, Action: Replace, Replaced: gdprv1alpha1.AuditReasonBreakGlassEnded, Deleted: gdprv1alpha1.AuditReasonDrifted, BreakGlass: bg.Name}
		}
	}
	slices.SortFunc(d.Gone, func(a, b Retirement) int { return strings.Compare(a.Pod, b.Pod) })
	return d
}

// Counted reports whether a pod still counts among the workload's pods: a released pod (kept,
// or being deleted after its keep) is out of service and is neither planned for, nor checked
// for drift, nor counted in the status.
func (d Decision) Counted(uid string) bool {
	r, ok := d.Retired[uid]
	return !ok || (r.Action != Keep && r.Action != Delete)
}

// Replacing reports whether a pod waits for a fresh pod to take its place (Replace, Release).
func (d Decision) Replacing(uid string) bool {
	r, ok := d.Retired[uid]
	return ok && (r.Action == Replace || r.Action == Release)
}

// ReleasedLabels are the labels a pod keeps once released from service for the Quarantine
// named quarantine: every label the template sets is removed, so that no Service, no
// NetworkPolicy and no PodDisruptionBudget written for the workload selects it any more;
// Amber's own labels (workload, revision) stay, so that it remains governed and in the
// manager's cache, and QuarantinedLabel names the Quarantine. Labels the template does not
// set (a node's topology, another tool's) stay as they are. templates holds the label sets
// of the templates that may have made the pod: its revision's and the workload's current.
func ReleasedLabels(labels map[string]string, quarantine string, templates ...map[string]string) map[string]string {
	kept := maps.Clone(labels)
	if kept == nil {
		kept = map[string]string{}
	}
	for _, template := range templates {
		for k := range template {
			if k != gdprv1alpha1.WorkloadLabel && k != gdprv1alpha1.RevisionLabel {
				delete(kept, k)
			}
		}
	}
	kept[gdprv1alpha1.QuarantinedLabel] = quarantine
	return kept
}
