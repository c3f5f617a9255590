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

package podplan

import (
	"cmp"
	"slices"
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Pod is what a plan needs to know of one observed pod.
type Pod struct {
	// Name is the pod's name.
	Name string
	// Revision is the value of the pod's revision label.
	Revision string
	// Ready is true when the pod's Ready condition is True.
	Ready bool
	// Scheduled is true once the pod is bound to a node.
	Scheduled bool
	// Terminating is true once the pod has a deletion timestamp.
	Terminating bool
	// Finished is true when every container has exited for good (phase Succeeded or Failed):
	// such a pod no longer runs the workload and is replaced.
	Finished bool
	// Created is the pod's creation time; younger pods are deleted first.
	Created time.Time
	// Drifted is true when the pod was changed in place and is to be replaced: it is
	// replaced as a pod of an older revision is, a fresh pod first and within the rollout
	// bounds, whatever its revision label says.
	Drifted bool
	// Discard is true when the pod is to be deleted at once, before its replacement exists
	// (a drifted pod under the ReplaceImmediately action).
	Discard bool
}

// Desired is the state a workload asks for.
type Desired struct {
	// Replicas is the number of pods to keep.
	Replicas int
	// Revision is the revision new pods are made from.
	Revision string
	// MaxSurge is how many pods above Replicas may exist while a rollout replaces pods of an
	// older revision.
	MaxSurge int
	// MaxUnavailable is how many of Replicas pods may be not Ready while a rollout deletes
	// pods of an older revision: Ready old pods go only while Replicas-MaxUnavailable pods
	// stay Ready without them.
	MaxUnavailable int
	// Hold keeps every pod's revision as it is: Revision cannot be rolled out yet (its images
	// are not pinned), so missing pods are made from Revision, a revision known to work,
	// and no pod is replaced.
	Hold bool
}

// Phase says what a plan is doing, for conditions and events. Every phase but Converged is
// the Reconciling condition's reason, and the reason of the PodCreated entries it makes:
// one vocabulary, defined in api/v1alpha1.
type Phase string

// The phases a plan can be in.
const (
	// Converged: the right pods exist and are Ready; nothing to do.
	Converged Phase = "Converged"
	// ScalingUp: pods are missing.
	ScalingUp Phase = gdprv1alpha1.ReasonScalingUp
	// ScalingDown: there are more pods of the current revision than desired.
	ScalingDown Phase = gdprv1alpha1.ReasonScalingDown
	// RollingOut: pods of an older revision are being replaced.
	RollingOut Phase = gdprv1alpha1.ReasonRollingOut
	// WaitingForPods: the right pods exist but are not all Ready.
	WaitingForPods Phase = gdprv1alpha1.ReasonWaitingForPods
	// Repairing: pods changed in place are being replaced by fresh pods of their revision.
	Repairing Phase = gdprv1alpha1.ReasonRepairing
)

// Plan is what to do next.
type Plan struct {
	// Create is how many pods of the desired revision to create.
	Create int
	// Delete names the pods to delete, in the order to delete them.
	Delete []string
	// Phase summarises the plan.
	Phase Phase
}

// Decide plans the next step towards desired from the observed pods. It creates missing pods
// first (up to MaxSurge above Replicas) and deletes a Ready pod of an older revision only
// while Replicas-MaxUnavailable pods stay Ready without it: with the defaults (surge 1,
// unavailable 0) a rollout never lowers the number of Ready pods.
func Decide(desired Desired, pods []Pod) Plan {
	var updated, outdated, finished []Pod
	ready, drifted, otherRevision := 0, 0, 0
	for _, p := range pods {
		switch {
		case p.Terminating:
			continue
		case p.Finished, p.Discard:
			finished = append(finished, p)
			continue
		case p.Drifted:
			outdated = append(outdated, p)
			drifted++
		case p.Revision == desired.Revision, desired.Hold:
			updated = append(updated, p)
		default:
			outdated = append(outdated, p)
			otherRevision++
		}
		if p.Ready {
			ready++
		}
	}

	var plan Plan
	for _, p := range finished {
		plan.Delete = append(plan.Delete, p.Name)
	}

	// Surplus pods of the desired revision go first (the least useful of them first); pods of
	// an older revision then go within the same bounds as in a rollout, so that scaling down
	// in the middle of one never takes away the Ready pods that still serve.
	scaledDown := false
	if surplus := len(updated) - desired.Replicas; surplus > 0 {
		sortForDeletion(updated)
		for _, p := range updated[:surplus] {
			plan.Delete = append(plan.Delete, p.Name)
			if p.Ready {
				ready--
			}
		}
		updated = updated[surplus:]
		scaledDown = true
	}

	// Outdated pods that are not Ready serve nobody: replace them at once. Ready ones go only
	// while more than the desired number of pods are Ready.
	sortForDeletion(outdated)
	deletableReady := max(ready-(desired.Replicas-desired.MaxUnavailable), 0)
	deletedOutdated := 0
	for _, p := range outdated {
		if p.Ready {
			if deletableReady == 0 {
				continue
			}
			deletableReady--
		}
		plan.Delete = append(plan.Delete, p.Name)
		deletedOutdated++
	}

	remaining := len(updated) + len(outdated) - deletedOutdated
	room := desired.Replicas - remaining
	if len(outdated) > 0 {
		room += desired.MaxSurge
	}
	plan.Create = max(min(desired.Replicas-len(updated), room), 0)

	switch {
	case scaledDown && len(outdated) == deletedOutdated, desired.Replicas == 0 && len(plan.Delete) > 0:
		plan.Phase = ScalingDown
	case otherRevision > 0 && desired.Replicas > 0:
		plan.Phase = RollingOut
	case drifted > 0 || len(finished) > 0 && anyDiscarded(finished):
		plan.Phase = Repairing
	case plan.Create > 0:
		plan.Phase = ScalingUp
	case len(plan.Delete) > 0:
		plan.Phase = ScalingDown
	case ready < desired.Replicas:
		plan.Phase = WaitingForPods
	default:
		plan.Phase = Converged
	}
	return plan
}

func anyDiscarded(pods []Pod) bool {
	for _, p := range pods {
		if p.Discard {
			return true
		}
	}
	return false
}

// sortForDeletion orders pods so that the ones whose loss hurts least come first: pods not
// yet scheduled, then pods not Ready, then the youngest; ties go by name so the order is stable.
func sortForDeletion(pods []Pod) {
	slices.SortFunc(pods, func(a, b Pod) int {
		if a.Scheduled != b.Scheduled {
			return boolOrder(a.Scheduled)
		}
		if a.Ready != b.Ready {
			return boolOrder(a.Ready)
		}
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// boolOrder sorts false before true.
func boolOrder(b bool) int {
	if b {
		return 1
	}
	return -1
}
