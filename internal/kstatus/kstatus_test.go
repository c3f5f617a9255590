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

package kstatus

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// condition is one kstatus condition before Summarize: absent (""), True or False.
type condition metav1.ConditionStatus

const absent condition = ""

func (c condition) String() string {
	if c == absent {
		return "absent"
	}
	return string(c)
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name                      string
		before                    []metav1.Condition
		summary                   Summary
		wantReady                 metav1.ConditionStatus
		wantReconciling, wantStal bool
		wantObserved              int64
	}{
		{"a Current object has Ready True and neither Reconciling nor Stalled",
			conditions(map[string]metav1.ConditionStatus{gdprv1alpha1.ReconcilingCondition: metav1.ConditionTrue}),
			Summary{State: Current, Reason: "Done", Message: "all done"}, metav1.ConditionTrue, false, false, 3},
		{"an object in progress has Ready False and Reconciling True, Stalled removed",
			conditions(map[string]metav1.ConditionStatus{gdprv1alpha1.StalledCondition: metav1.ConditionTrue}),
			Summary{State: InProgress, Reason: "Working", Message: "1/2"}, metav1.ConditionFalse, true, false, 3},
		{"an object retrying a failed step holds observedGeneration back",
			nil, Summary{State: InProgress, Reason: "ReconcileFailed", Message: "etcd timeout", Retrying: true}, metav1.ConditionFalse, true, false, 2},
		{"a failed object has Ready False and Stalled True, Reconciling removed",
			conditions(map[string]metav1.ConditionStatus{gdprv1alpha1.ReconcilingCondition: metav1.ConditionTrue}),
			Summary{State: Failed, Reason: "PodRejected", Message: "refused"}, metav1.ConditionFalse, false, true, 3},
		{"a failed object observes its generation even when told it retries: only a person helps",
			nil, Summary{State: Failed, Reason: "PodRejected", Message: "refused", Retrying: true}, metav1.ConditionFalse, false, true, 3},
		{"a Current object observes its generation even when told it retries",
			nil, Summary{State: Current, Reason: "Done", Message: "ok", Retrying: true}, metav1.ConditionTrue, false, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := append([]metav1.Condition(nil), tt.before...)
			observed := int64(2)
			Summarize(&got, &observed, 3, tt.summary)
			assertSummarized(t, got, observed, tt.summary)
			if c := meta.FindStatusCondition(got, gdprv1alpha1.ReadyCondition); c.Status != tt.wantReady {
				t.Errorf("Ready = %s, want %s", c.Status, tt.wantReady)
			}
			if has := meta.IsStatusConditionTrue(got, gdprv1alpha1.ReconcilingCondition); has != tt.wantReconciling {
				t.Errorf("Reconciling True = %t, want %t", has, tt.wantReconciling)
			}
			if has := meta.IsStatusConditionTrue(got, gdprv1alpha1.StalledCondition); has != tt.wantStal {
				t.Errorf("Stalled True = %t, want %t", has, tt.wantStal)
			}
			if observed != tt.wantObserved {
				t.Errorf("observedGeneration = %d, want %d", observed, tt.wantObserved)
			}
		})
	}
}

// TestSummarizeEveryCombination runs Summarize over every state, retrying or not, from every
// set of Ready, Reconciling and Stalled conditions an object may carry before (each absent,
// True or False, a feature condition beside them), and checks the kstatus rules hold after.
func TestSummarizeEveryCombination(t *testing.T) {
	values := []condition{absent, condition(metav1.ConditionTrue), condition(metav1.ConditionFalse)}
	count := 0
	for _, state := range []State{Current, InProgress, Failed} {
		for _, retrying := range []bool{false, true} {
			for _, ready := range values {
				for _, reconciling := range values {
					for _, stalled := range values {
						before := conditions(map[string]metav1.ConditionStatus{
							gdprv1alpha1.ReadyCondition:       metav1.ConditionStatus(ready),
							gdprv1alpha1.ReconcilingCondition: metav1.ConditionStatus(reconciling),
							gdprv1alpha1.StalledCondition:     metav1.ConditionStatus(stalled),
							gdprv1alpha1.InSyncCondition:      metav1.ConditionFalse,
						})
						name := fmt.Sprintf("%s retrying=%t from Ready %s, Reconciling %s, Stalled %s", state, retrying, ready, reconciling, stalled)
						t.Run(name, func(t *testing.T) {
							s := Summary{State: state, Reason: "SomeReason", Message: "what happened", Retrying: retrying}
							observed := int64(4)
							Summarize(&before, &observed, 5, s)
							assertSummarized(t, before, observed, s)
							if c := meta.FindStatusCondition(before, gdprv1alpha1.InSyncCondition); c == nil || c.Status != metav1.ConditionFalse {
								t.Errorf("the feature condition InSync was not kept: %v", c)
							}
						})
						count++
					}
				}
			}
		}
	}
	if count != 3*2*27 {
		t.Fatalf("ran %d combinations, want %d", count, 3*2*27)
	}
}

// assertSummarized checks the kstatus rules on conditions after Summarize(s) at generation
// observed+1 or observed.
func assertSummarized(t *testing.T, got []metav1.Condition, observed int64, s Summary) {
	t.Helper()
	ready := meta.FindStatusCondition(got, gdprv1alpha1.ReadyCondition)
	reconciling := meta.FindStatusCondition(got, gdprv1alpha1.ReconcilingCondition)
	stalled := meta.FindStatusCondition(got, gdprv1alpha1.StalledCondition)
	if ready == nil {
		t.Fatal("Ready is missing: it must always be present")
	}
	wantReady := metav1.ConditionFalse
	if s.State == Current {
		wantReady = metav1.ConditionTrue
	}
	if ready.Status != wantReady {
		t.Errorf("Ready = %s, want %s for %s", ready.Status, wantReady, s.State)
	}
	for _, c := range []*metav1.Condition{reconciling, stalled} {
		if c != nil && c.Status != metav1.ConditionTrue {
			t.Errorf("%s is present with status %s: kstatus wants it removed unless True", c.Type, c.Status)
		}
	}
	if (reconciling != nil) != (s.State == InProgress) {
		t.Errorf("Reconciling present = %t for %s", reconciling != nil, s.State)
	}
	if (stalled != nil) != (s.State == Failed) {
		t.Errorf("Stalled present = %t for %s", stalled != nil, s.State)
	}
	if reconciling != nil && stalled != nil {
		t.Error("Reconciling and Stalled are both True")
	}
	for _, c := range []*metav1.Condition{ready, reconciling, stalled} {
		if c != nil && (c.Reason != s.Reason || c.Message != s.Message) {
			t.Errorf("%s = %s: %q, want %s: %q", c.Type, c.Reason, c.Message, s.Reason, s.Message)
		}
	}
	generation := ready.ObservedGeneration
	if held := s.State == InProgress && s.Retrying; held != (observed != generation) {
		t.Errorf("observedGeneration = %d at generation %d; held back = %t, want %t", observed, generation, observed != generation, held)
	}
}

// conditions makes the conditions named, skipping those with an empty status.
func conditions(statuses map[string]metav1.ConditionStatus) []metav1.Condition {
	var out []metav1.Condition
	for _, t := range []string{gdprv1alpha1.ReadyCondition, gdprv1alpha1.ReconcilingCondition, gdprv1alpha1.StalledCondition, gdprv1alpha1.InSyncCondition} {
		if s := statuses[t]; s != "" {
			out = append(out, metav1.Condition{Type: t, Status: s, Reason: "Before", Message: "before", ObservedGeneration: 1})
		}
	}
	return out
}
