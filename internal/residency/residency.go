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

// Package residency decides where a workload's pods may run: the node affinity that keeps
// them in their allowed regions and zones, and whether a node is allowed at all. It holds
// decisions only; the controllers apply them.
package residency

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Keys are the node labels that name a node's region and zone.
type Keys struct {
	Region string
	Zone   string
}

// DefaultKeys are the well-known topology labels. A kubelet may set them on its own node,
// so a cluster that must not trust its nodes' word labels them under
// node-restriction.kubernetes.io/, which kubelets cannot set, and names those keys instead.
var DefaultKeys = Keys{Region: corev1.LabelTopologyRegion, Zone: corev1.LabelTopologyZone}

// Restricted tells whether r restricts placement at all.
func Restricted(r gdprv1alpha1.Residency) bool {
	return len(r.AllowedRegions) > 0 || len(r.AllowedZones) > 0
}

// requirements are the node selector requirements r adds to every term.
func requirements(keys Keys, r gdprv1alpha1.Residency) []corev1.NodeSelectorRequirement {
	var reqs []corev1.NodeSelectorRequirement
	if len(r.AllowedRegions) > 0 {
		reqs = append(reqs, corev1.NodeSelectorRequirement{Key: keys.Region, Operator: corev1.NodeSelectorOpIn, Values: sorted(r.AllowedRegions)})
	}
	if len(r.AllowedZones) > 0 {
		reqs = append(reqs, corev1.NodeSelectorRequirement{Key: keys.Zone, Operator: corev1.NodeSelectorOpIn, Values: sorted(r.AllowedZones)})
	}
	return reqs
}

func sorted(values []string) []string {
	out := slices.Clone(values)
	slices.Sort(out)
	return out
}

// Constrain returns the affinity of a pod of a workload with residency r: the template's
// own affinity, with the residency's requirements ANDed into each of its required node
// selector terms (terms are ORed, so a term without them would let a pod escape), or one
// term of them alone when the template has none. Preferred terms and pod (anti-)affinity
// are kept as they are. The template's affinity is not changed.
func Constrain(affinity *corev1.Affinity, keys Keys, r gdprv1alpha1.Residency) *corev1.Affinity {
	if !Restricted(r) {
		return affinity
	}
	reqs := requirements(keys, r)
	out := affinity.DeepCopy()
	if out == nil {
		out = &corev1.Affinity{}
	}
	if out.NodeAffinity == nil {
		out.NodeAffinity = &corev1.NodeAffinity{}
	}
	required := out.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	if required == nil || len(required.NodeSelectorTerms) == 0 {
		out.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: reqs}},
		}
		return out
	}
	for i := range required.NodeSelectorTerms {
		term := &required.NodeSelectorTerms[i]
		term.MatchExpressions = append(term.MatchExpressions, slices.Clone(reqs)...)
	}
	return out
}

// Allows tells whether a node with these labels lies within r. A node that does not carry
// a label r needs is outside: where it is cannot be shown.
func Allows(nodeLabels map[string]string, keys Keys, r gdprv1alpha1.Residency) bool {
	if len(r.AllowedRegions) > 0 && !slices.Contains(r.AllowedRegions, nodeLabels[keys.Region]) {
		return false
	}
	if len(r.AllowedZones) > 0 && !slices.Contains(r.AllowedZones, nodeLabels[keys.Zone]) {
		return false
	}
	return true
}

// Placement is where a pod bound to node runs, as its PodScheduled entry records it: the
// node and the region and zone its labels give (empty when the node carries no such label,
// or is not known).
func Placement(keys Keys, node string, nodeLabels map[string]string) gdprv1alpha1.AuditPlacement {
	return gdprv1alpha1.AuditPlacement{Node: node, Region: nodeLabels[keys.Region], Zone: nodeLabels[keys.Zone]}
}

// PlacementMessage says where a pod was bound, in the words of its PodScheduled entry.
func PlacementMessage(p gdprv1alpha1.AuditPlacement, nodeKnown bool) string {
	if !nodeKnown {
		return fmt.Sprintf("Bound to node %s, which was gone before its labels were read: region and zone unknown", p.Node)
	}
	return fmt.Sprintf("Bound to node %s in region %s, zone %s", p.Node, orNone(p.Region), orNone(p.Zone))
}

func orNone(label string) string {
	if label == "" {
		return "(none)"
	}
	return label
}

// Unschedulable tells whether the scheduler found no node for a pod: it is not bound, not
// being deleted, and its PodScheduled condition is False with reason Unschedulable. The
// scheduler's message says why (which nodes failed which filter).
func Unschedulable(pod *corev1.Pod) (message string, ok bool) {
	if pod.Spec.NodeName != "" || pod.DeletionTimestamp != nil {
		return "", false
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return c.Message, true
		}
	}
	return "", false
}

// NoEligibleNodes is what the Ready condition says while pods of a workload with residency r
// cannot be scheduled: which regions (and zones) they are confined to, how many pods wait,
// and the scheduler's own words for one of them. Nothing is placed elsewhere to keep the
// workload running.
func NoEligibleNodes(r gdprv1alpha1.Residency, waiting int, scheduler string) string {
	where := "the allowed regions " + strings.Join(sorted(r.AllowedRegions), ", ")
	if len(r.AllowedRegions) == 0 {
		where = "the allowed zones " + strings.Join(sorted(r.AllowedZones), ", ")
	} else if len(r.AllowedZones) > 0 {
		where += " (zones " + strings.Join(sorted(r.AllowedZones), ", ") + ")"
	}
	pods := "1 pod stays"
	if waiting != 1 {
		pods = fmt.Sprintf("%d pods stay", waiting)
	}
	message := fmt.Sprintf("no schedulable node in %s: %s Pending, never placed elsewhere (spec.residency)", where, pods)
	if scheduler != "" {
		message += "; the scheduler says: " + scheduler
	}
	return message
}
