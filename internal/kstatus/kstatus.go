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

// Package kstatus turns what a kind's controller decided about one of its objects into the
// three conditions every tool reads the same way: Ready, Reconciling and Stalled, as kstatus
// (sigs.k8s.io/cli-utils/pkg/kstatus, the library Flux and kpt use) defines them, and
// status.observedGeneration beside them. Every Amber kind with a status summarises through
// Summarize, so the contract Argo CD's health script and Flux's health checks rely on is
// written once: a kind decides only which State it is in and why.
package kstatus

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// State is where an object stands, in kstatus' three words.
type State int

const (
	// Current: the object is as its spec asks; Ready is True.
	Current State = iota
	// InProgress: work is under way (or a step failed and is retried); Ready is False and
	// Reconciling True.
	InProgress
	// Failed: the object cannot make progress until a person acts; Ready is False and Stalled
	// True.
	Failed
)

// String names the state as kstatus does.
func (s State) String() string {
	switch s {
	case Current:
		return "Current"
	case InProgress:
		return "InProgress"
	case Failed:
		return "Failed"
	}
	return "Unknown"
}

// Summary is a kind's verdict on one of its objects.
type Summary struct {
	State State
	// Reason and Message go into Ready and into Reconciling or Stalled alike, so whichever a
	// tool shows tells the same story. Reason is a constant of api/v1alpha1.
	Reason  string
	Message string
	// Retrying holds status.observedGeneration back: a step failed and is retried, so the
	// status may not yet show all the spec asks for. Only an InProgress summary holds it
	// back; Current and Failed mean the generation was fully handled.
	Retrying bool
}

// Summarize sets Ready, Reconciling and Stalled in conditions from s, and observedGeneration
// to generation unless s is retrying. Ready is always present; Reconciling and Stalled are
// present only while True (kstatus reads an absent one as False, and a stale False one only
// confuses people), so they are never True together. Other conditions are left alone.
func Summarize(conditions *[]metav1.Condition, observedGeneration *int64, generation int64, s Summary) {
	set := func(conditionType string, status metav1.ConditionStatus) {
		meta.SetStatusCondition(conditions, metav1.Condition{
			Type: conditionType, Status: status, Reason: s.Reason, Message: s.Message, ObservedGeneration: generation,
		})
	}
	switch s.State {
	case Current:
		set(gdprv1alpha1.ReadyCondition, metav1.ConditionTrue)
		meta.RemoveStatusCondition(conditions, gdprv1alpha1.ReconcilingCondition)
		meta.RemoveStatusCondition(conditions, gdprv1alpha1.StalledCondition)
	case InProgress:
		set(gdprv1alpha1.ReadyCondition, metav1.ConditionFalse)
		set(gdprv1alpha1.ReconcilingCondition, metav1.ConditionTrue)
		meta.RemoveStatusCondition(conditions, gdprv1alpha1.StalledCondition)
	case Failed:
		set(gdprv1alpha1.ReadyCondition, metav1.ConditionFalse)
		set(gdprv1alpha1.StalledCondition, metav1.ConditionTrue)
		meta.RemoveStatusCondition(conditions, gdprv1alpha1.ReconcilingCondition)
	}
	if s.State != InProgress || !s.Retrying {
		*observedGeneration = generation
	}
}
