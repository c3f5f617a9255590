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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DriftAction says what Amber does with a pod that was changed in place.
// +kubebuilder:validation:Enum=Replace;ReplaceImmediately;Report
type DriftAction string

const (
	// DriftReplace creates a fresh pod of the same revision, waits until it is Ready, then
	// deletes the drifted pod: availability is kept.
	DriftReplace DriftAction = "Replace"
	// DriftReplaceImmediately deletes the drifted pod first, then creates a fresh one: for
	// integrity drift, where a changed pod must not serve a moment longer than needed.
	DriftReplaceImmediately DriftAction = "ReplaceImmediately"
	// DriftReport records and shows drift and changes nothing: for adopting Amber on a
	// running system before letting it act.
	DriftReport DriftAction = "Report"
)

// DriftPolicy says what counts as drift on a workload's pods and what Amber does about it.
type DriftPolicy struct {
	// action is what Amber does with a drifted pod: Replace (the default: a fresh pod first,
	// the drifted one deleted once the fresh one is Ready), ReplaceImmediately (the drifted
	// pod deleted first) or Report (recorded and shown, nothing changed). A drifted pod is
	// never patched back.
	// +kubebuilder:default=Replace
	// +optional
	Action DriftAction `json:"action,omitempty"`

	// ignoreMetadata lists label and annotation keys, as globs ("example.com/*",
	// "sidecar.istio.io/status"), that other tools may write on running pods without it
	// counting as drift. The workload label can never be ignored.
	// Globs are read as Go's path.Match reads them: * matches any run of characters but /,
	// ? one character but /, [abc], [a-z] and [^a-z] one character of a non-empty class, and
	// \ makes the next character literal. A glob that cannot be read ("[[", "a[", "[]",
	// a trailing \) is refused.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=317
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:XValidation:rule=`self.matches(r'^(?:[^\\\[]|\\(?s:.)|\[(?:\^(?:(?:[^\\\]-]|\\(?s:.))(?:-(?:[^\\\]-]|\\(?s:.)))?)+|(?:[^\\\]^-]|\\(?s:.))(?:-(?:[^\\\]-]|\\(?s:.)))?(?:(?:[^\\\]-]|\\(?s:.))(?:-(?:[^\\\]-]|\\(?s:.)))?)*)\])*$')`,messageExpression=`'spec.driftPolicy.ignoreMetadata: "' + self + r'" is not a glob path.Match can read: * and ? match within one segment, [a-z] and [^a-z] are character classes that must be non-empty and closed, \ escapes the next character and cannot end the glob'`
	// +listType=set
	// +optional
	IgnoreMetadata []string `json:"ignoreMetadata,omitempty"`
}

// DriftStatus counts the pods found changed in place and tells of the last one.
type DriftStatus struct {
	// driftedPods is the number of the workload's pods that are drifted now (not yet replaced).
	// +optional
	DriftedPods int32 `json:"driftedPods"`

	// detected counts drifted pods found, by reason, since the workload was created.
	// +listType=map
	// +listMapKey=reason
	// +optional
	Detected []DriftCount `json:"detected,omitempty"`

	// replaced is the number of drifted pods Amber has replaced.
	// +optional
	Replaced int64 `json:"replaced"`

	// repeated counts drifts in a row found on pods that replaced drifted pods, with the same
	// changes: a sign that something edits every pod after it is created. Amber stops
	// replacing (Stalled, reason DriftLoop) when it reaches the limit, and starts again when
	// the spec changes.
	// +optional
	Repeated int32 `json:"repeated,omitempty"`

	// last is the most recent drift found.
	// +optional
	Last *DriftRecord `json:"last,omitempty"`
}

// DriftCount is how many drifted pods were found for one reason.
type DriftCount struct {
	// reason is the kind of drift: ImageChanged, EphemeralContainerAdded, ResourcesResized,
	// SpecMutated, MetadataChanged, Escaped or DigestMismatch.
	Reason string `json:"reason"`
	// count is how many pods drifted for that reason.
	Count int64 `json:"count"`
}

// DriftRecord describes one drifted pod.
type DriftRecord struct {
	// pod is the drifted pod's name.
	Pod string `json:"pod"`
	// reason is the first kind of drift found on it.
	Reason string `json:"reason"`
	// paths are the fields that changed (at most 16).
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Paths []string `json:"paths,omitempty"`
	// detectedAt is when Amber found the drift.
	DetectedAt metav1.Time `json:"detectedAt"`
	// repairedAt is when the drifted pod was deleted, its replacement made; unset until then
	// (and always, under the Report action).
	// +optional
	RepairedAt *metav1.Time `json:"repairedAt,omitempty"`
}
