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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/kstatus"
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
// kstatus conditions and observedGeneration (Readiness). Other conditions are kept. It
// returns whether a touched pod still exists.
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
	active := bg.Status.Phase == gdprv1alpha1.BreakGlassActive
	kstatus.Summarize(&bg.Status.Conditions, &bg.Status.ObservedGeneration, bg.Generation,
		Readiness(bg.Spec.Workload, notAfter, active, o.WorkloadFound, count, len(bg.Status.TouchedPods)))
	return count > 0
}

// Readiness is where a BreakGlass stands: Current while its window is open on an existing
// workload, and once closed with every pod touched under it replaced; InProgress while touched
// pods (left of them) are still to be replaced; Failed while its window is open on a workload
// that does not exist, since it then opens nothing and only a person can name the right one.
// A workload gone after the window closed is no failure: its pods went with it.
func Readiness(workload string, notAfter time.Time, active, workloadFound bool, left, touched int) kstatus.Summary {
	closes := notAfter.Format(time.RFC3339)
	switch {
	case active && !workloadFound:
		return kstatus.Summary{State: kstatus.Failed, Reason: gdprv1alpha1.ReasonWorkloadNotFound,
			Message: fmt.Sprintf("GDPRWorkload %s does not exist in this namespace: the BreakGlass opens nothing (its window closes at %s)", workload, closes)}
	case active:
		return kstatus.Summary{State: kstatus.Current, Reason: gdprv1alpha1.ReasonWindowOpen,
			Message: fmt.Sprintf("the window is open until %s; %d pods touched so far", closes, touched)}
	case left > 0:
		return kstatus.Summary{State: kstatus.InProgress, Reason: gdprv1alpha1.ReasonReplacingTouchedPods,
			Message: fmt.Sprintf("the window closed; %d of the %d pods touched under it are still to be replaced", left, touched)}
	}
	return kstatus.Summary{State: kstatus.Current, Reason: gdprv1alpha1.ReasonTouchedPodsReplaced,
		Message: fmt.Sprintf("the window closed at %s; none of the %d pods touched under it is left in service", closes, touched)}
}
