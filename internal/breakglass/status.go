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

package breakglass

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Observed is what the BreakGlass controller read of the cluster.
type Observed struct {
	// WorkloadFound is false when spec.workload names no GDPRWorkload.
	WorkloadFound bool
	// Remaining holds the UIDs of the touched pods that still exist (by UID: a later pod of
	// the same name is not the one a person was inside).
	Remaining map[string]bool
}

// Summarize sets bg's status from its window and what was observed at now: notBefore and
// notAfter (Window), the phase (Phase), touchedPods[].replaced for the pods gone, and the
// kstatus conditions. Ready, Reconciling and Stalled are set or removed here only; other
// conditions are kept. It returns whether a touched pod still exists.
func Summarize(bg *gdprv1alpha1.BreakGlass, now time.Time, o Observed) (remaining bool) {
	notBefore, notAfter := Window(bg)
	bg.Status.NotBefore = &metav1.Time{Time: notBefore}
	bg.Status.NotAfter = &metav1.Time{Time: notAfter}
	bg.Status.Phase = Phase(bg, now)
	count := 0
	for i := range bg.Status.TouchedPods {
		p := &bg.Status.TouchedPods[i]
		p.Replaced = !o.Remaining[p.UID]
		if !p.Replaced {
			count++
		}
	}
	set := func(t string, status metav1.ConditionStatus, reason, message string) {
		meta.SetStatusCondition(&bg.Status.Conditions, metav1.Condition{
			Type: t, Status: status, Reason: reason, Message: message, ObservedGeneration: bg.Generation,
		})
	}
	closes := notAfter.Format(time.RFC3339)
	active := bg.Status.Phase == gdprv1alpha1.BreakGlassActive
	missing := fmt.Sprintf("GDPRWorkload %s does not exist in this namespace", bg.Spec.Workload)
	switch {
	case active && !o.WorkloadFound:
		set(gdprv1alpha1.ReadyCondition, metav1.ConditionFalse, gdprv1alpha1.ReasonWorkloadNotFound,
			fmt.Sprintf("%s: the BreakGlass opens nothing (its window closes at %s)", missing, closes))
	case active:
		set(gdprv1alpha1.ReadyCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonWindowOpen,
			fmt.Sprintf("the window is open until %s; %d pods touched so far", closes, len(bg.Status.TouchedPods)))
	case count > 0:
		msg := fmt.Sprintf("the window closed; %d of the %d pods touched under it are still to be replaced", count, len(bg.Status.TouchedPods))
		set(gdprv1alpha1.ReadyCondition, metav1.ConditionFalse, gdprv1alpha1.ReasonReplacingTouchedPods, msg)
		set(gdprv1alpha1.ReconcilingCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonReplacingTouchedPods, msg)
	default:
		set(gdprv1alpha1.ReadyCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonTouchedPodsReplaced,
			fmt.Sprintf("the window closed at %s; none of the %d pods touched under it is left in service", closes, len(bg.Status.TouchedPods)))
	}
	// kstatus: Reconciling and Stalled are present only while True.
	if active || count == 0 {
		meta.RemoveStatusCondition(&bg.Status.Conditions, gdprv1alpha1.ReconcilingCondition)
	}
	if o.WorkloadFound {
		meta.RemoveStatusCondition(&bg.Status.Conditions, gdprv1alpha1.StalledCondition)
	} else {
		set(gdprv1alpha1.StalledCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonWorkloadNotFound, missing)
	}
	return count > 0
}
