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

package residency

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

func in(key string, values ...string) corev1.NodeSelectorRequirement {
	return corev1.NodeSelectorRequirement{Key: key, Operator: corev1.NodeSelectorOpIn, Values: values}
}

func required(terms ...[]corev1.NodeSelectorRequirement) *corev1.Affinity {
	sel := &corev1.NodeSelector{}
	for _, t := range terms {
		sel.NodeSelectorTerms = append(sel.NodeSelectorTerms, corev1.NodeSelectorTerm{MatchExpressions: t})
	}
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: sel}}
}

const (
	region = corev1.LabelTopologyRegion
	zone   = corev1.LabelTopologyZone
)

func TestConstrain(t *testing.T) {
	eu := gdprv1alpha1.Residency{AllowedRegions: []string{"eu-west-1", "eu-central-1"}}
	disk := in("disk", "ssd")
	gpu := in("gpu", "yes")
	preferred := []corev1.PreferredSchedulingTerm{{Weight: 1, Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{disk}}}}
	for _, tc := range []struct {
		name     string
		affinity *corev1.Affinity
		keys     Keys
		r        gdprv1alpha1.Residency
		want     *corev1.Affinity
	}{
		{"no residency leaves the template's affinity as it is", required([]corev1.NodeSelectorRequirement{disk}), DefaultKeys, gdprv1alpha1.Residency{},
			required([]corev1.NodeSelectorRequirement{disk})},
		{"no residency and no affinity stays without affinity", nil, DefaultKeys, gdprv1alpha1.Residency{}, nil},
		{"a template without affinity gets one term of the allowed regions, sorted", nil, DefaultKeys, eu,
			required([]corev1.NodeSelectorRequirement{in(region, "eu-central-1", "eu-west-1")})},
		{"zones are required beside regions", nil, DefaultKeys, gdprv1alpha1.Residency{AllowedRegions: []string{"eu-west-1"}, AllowedZones: []string{"eu-west-1b", "eu-west-1a"}},
			required([]corev1.NodeSelectorRequirement{in(region, "eu-west-1"), in(zone, "eu-west-1a", "eu-west-1b")})},
		{"every one of the user's terms is ANDed with the regions, since terms are ORed", required([]corev1.NodeSelectorRequirement{disk}, []corev1.NodeSelectorRequirement{gpu}), DefaultKeys, eu,
			required([]corev1.NodeSelectorRequirement{disk, in(region, "eu-central-1", "eu-west-1")}, []corev1.NodeSelectorRequirement{gpu, in(region, "eu-central-1", "eu-west-1")})},
		{"preferred terms are kept and not constrained", &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{PreferredDuringSchedulingIgnoredDuringExecution: preferred}}, DefaultKeys, eu,
			&corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution:  &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{in(region, "eu-central-1", "eu-west-1")}}}},
				PreferredDuringSchedulingIgnoredDuringExecution: preferred,
			}}},
		{"the configured label keys are used", nil, Keys{Region: "node-restriction.kubernetes.io/region", Zone: "node-restriction.kubernetes.io/zone"}, eu,
			required([]corev1.NodeSelectorRequirement{in("node-restriction.kubernetes.io/region", "eu-central-1", "eu-west-1")})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.affinity.DeepCopy()
			got := Constrain(tc.affinity, tc.keys, tc.r)
			if !equality.Semantic.DeepEqual(got, tc.want) {
				t.Errorf("Constrain = %+v, want %+v", got, tc.want)
			}
			if !equality.Semantic.DeepEqual(tc.affinity, before) {
				t.Error("the template's affinity was changed")
			}
		})
	}
}

func TestAllows(t *testing.T) {
	euWest1a := map[string]string{region: "eu-west-1", zone: "eu-west-1a"}
	usEast := map[string]string{region: "us-east-1", zone: "us-east-1a"}
	for _, tc := range []struct {
		name  string
		node  map[string]string
		r     gdprv1alpha1.Residency
		allow bool
	}{
		{"any node is allowed without residency", usEast, gdprv1alpha1.Residency{}, true},
		{"a node in an allowed region is allowed", euWest1a, gdprv1alpha1.Residency{AllowedRegions: []string{"eu-west-1"}}, true},
		{"a node in another region is not", usEast, gdprv1alpha1.Residency{AllowedRegions: []string{"eu-west-1"}}, false},
		{"a node without a region label is not, where it is cannot be shown", map[string]string{}, gdprv1alpha1.Residency{AllowedRegions: []string{"eu-west-1"}}, false},
		{"a node in an allowed region but another zone is not", euWest1a, gdprv1alpha1.Residency{AllowedRegions: []string{"eu-west-1"}, AllowedZones: []string{"eu-west-1b"}}, false},
		{"a node in an allowed zone is allowed", euWest1a, gdprv1alpha1.Residency{AllowedZones: []string{"eu-west-1a"}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Allows(tc.node, DefaultKeys, tc.r); got != tc.allow {
				t.Errorf("Allows = %v, want %v", got, tc.allow)
			}
		})
	}
}

func TestPlacement(t *testing.T) {
	labels := map[string]string{region: "eu-west-1", zone: "eu-west-1a", "custom/region": "eu-de"}
	for _, tc := range []struct {
		name      string
		keys      Keys
		labels    map[string]string
		known     bool
		want      gdprv1alpha1.AuditPlacement
		wantWords string
	}{
		{"a node with both labels gives its region and zone", DefaultKeys, labels, true,
			gdprv1alpha1.AuditPlacement{Node: "n1", Region: "eu-west-1", Zone: "eu-west-1a"},
			"Bound to node n1 in region eu-west-1, zone eu-west-1a"},
		{"the configured keys are read, not the well-known ones", Keys{Region: "custom/region", Zone: "custom/zone"}, labels, true,
			gdprv1alpha1.AuditPlacement{Node: "n1", Region: "eu-de"},
			"Bound to node n1 in region eu-de, zone (none)"},
		{"a node gone before its labels were read is named, its place unknown", DefaultKeys, nil, false,
			gdprv1alpha1.AuditPlacement{Node: "n1"},
			"Bound to node n1, which was gone before its labels were read: region and zone unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Placement(tc.keys, "n1", tc.labels)
			if got != tc.want {
				t.Errorf("Placement = %+v, want %+v", got, tc.want)
			}
			if words := PlacementMessage(got, tc.known); words != tc.wantWords {
				t.Errorf("PlacementMessage = %q, want %q", words, tc.wantWords)
			}
		})
	}
}

func TestUnschedulable(t *testing.T) {
	unschedulable := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		Message: "0/4 nodes are available: 1 node(s) were unschedulable, 3 node(s) didn't match Pod's node affinity/selector."}
	for _, tc := range []struct {
		name    string
		pod     corev1.Pod
		want    bool
		message string
	}{
		{"a pod the scheduler found no node for is unschedulable, in the scheduler's words",
			corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{unschedulable}}}, true, unschedulable.Message},
		{"a pod not yet looked at by the scheduler is not",
			corev1.Pod{}, false, ""},
		{"a bound pod is not, whatever an old condition says",
			corev1.Pod{Spec: corev1.PodSpec{NodeName: "n1"}, Status: corev1.PodStatus{Conditions: []corev1.PodCondition{unschedulable}}}, false, ""},
		{"a pod waiting for a scheduling gate is not",
			corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated}}}}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			message, ok := Unschedulable(&tc.pod)
			if ok != tc.want || message != tc.message {
				t.Errorf("Unschedulable = %q, %v; want %q, %v", message, ok, tc.message, tc.want)
			}
		})
	}
}

func TestNoEligibleNodes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		r         gdprv1alpha1.Residency
		waiting   int
		scheduler string
		want      string
	}{
		{"names the allowed regions, sorted, and the scheduler's words",
			gdprv1alpha1.Residency{AllowedRegions: []string{"eu-west-1", "eu-central-1"}}, 2, "0/4 nodes are available",
			"no schedulable node in the allowed regions eu-central-1, eu-west-1: 2 pods stay Pending, never placed elsewhere (spec.residency); the scheduler says: 0/4 nodes are available"},
		{"names the zones beside the regions",
			gdprv1alpha1.Residency{AllowedRegions: []string{"eu-west-1"}, AllowedZones: []string{"eu-west-1b", "eu-west-1a"}}, 1, "",
			"no schedulable node in the allowed regions eu-west-1 (zones eu-west-1a, eu-west-1b): 1 pod stays Pending, never placed elsewhere (spec.residency)"},
		{"names the zones alone when no region is given",
			gdprv1alpha1.Residency{AllowedZones: []string{"eu-west-1a"}}, 1, "",
			"no schedulable node in the allowed zones eu-west-1a: 1 pod stays Pending, never placed elsewhere (spec.residency)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NoEligibleNodes(tc.r, tc.waiting, tc.scheduler); got != tc.want {
				t.Errorf("NoEligibleNodes =\n %q\nwant\n %q", got, tc.want)
			}
		})
	}
}
