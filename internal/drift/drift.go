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

// Package drift decides whether a running pod still is what the API server admitted when
// Amber created it, and if not, how it changed. Everything here is a plain function of the
// pod and its baseline; where the baseline is kept, and what to do about drift, is the
// caller's business.
package drift

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/residency"
)

// Reason names a kind of drift; the values are API constants (api/v1alpha1 DriftReason),
// stable for conditions, ledger entries, events and metrics.
type Reason = gdprv1alpha1.DriftReason

// The kinds of drift, in the order they are reported.
const (
	OutOfRegion             = gdprv1alpha1.DriftOutOfRegion
	Escaped                 = gdprv1alpha1.DriftEscaped
	ImageChanged            = gdprv1alpha1.DriftImageChanged
	EphemeralContainerAdded = gdprv1alpha1.DriftEphemeralContainerAdded
	ResourcesResized        = gdprv1alpha1.DriftResourcesResized
	SpecMutated             = gdprv1alpha1.DriftSpecMutated
	MetadataChanged         = gdprv1alpha1.DriftMetadataChanged
	DigestMismatch          = gdprv1alpha1.DriftDigestMismatch
)

// Finding is one kind of drift found on a pod, with the field paths that changed.
type Finding struct {
	Reason Reason
	Paths  []string
}

// Baseline is a pod as the API server admitted it: its spec (mutating admission included),
// labels and annotations. The scheduler's binding is not part of it.
type Baseline struct {
	Spec        corev1.PodSpec    `json:"spec"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// bindingLabels are the labels the API server copies from the node onto a pod when the
// scheduler binds it (the PodTopologyLabels admission): part of the binding, never drift.
var bindingLabels = []string{"topology.kubernetes.io/region", "topology.kubernetes.io/zone"}

// BaselineOf takes the baseline of a pod as the API server returned it on creation.
func BaselineOf(pod *corev1.Pod) Baseline {
	b := Baseline{Spec: *pod.Spec.DeepCopy(), Labels: maps.Clone(pod.Labels), Annotations: maps.Clone(pod.Annotations)}
	b.Spec.NodeName = "" // set by the scheduler's binding, never drift
	for _, k := range bindingLabels {
		delete(b.Labels, k)
	}
	return b
}

// Fingerprint is the hex SHA-256 of a baseline's JSON encoding. Recorded in the ledger when
// a pod is created, it lets Amber tell after a restart whether a pod still is what was
// admitted, and whether a baseline it holds is the one recorded.
func Fingerprint(b Baseline) string {
	encoded, _ := json.Marshal(b) // a Baseline always encodes; maps encode with sorted keys
	sum := sha256.Sum256(encoded)
	return hex.EncodeToString(sum[:])
}

// Expected is what the pod must carry to belong to its workload, and what it must run.
type Expected struct {
	// WorkloadLabel and Workload: the label key and value that tie the pod to its workload.
	WorkloadLabel, Workload string
	// ControllerUID is the workload's UID, the pod's controller reference.
	ControllerUID string
	// Digests maps a container name to the digests it may run: the pinned one and, for a
	// multi-architecture index, its platforms' manifests.
	Digests map[string][]string
	// IgnoreMetadata lists label and annotation key globs (path.Match) that other tools may
	// write without it counting as drift.
	IgnoreMetadata []string
	// Residency is where the pod may run, read from the node labels ResidencyKeys names.
	Residency     gdprv1alpha1.Residency
	ResidencyKeys residency.Keys
	// Node holds the labels of the node the pod is bound to; NodeKnown is false while the
	// pod is not bound or its node cannot be read, and then residency is not judged.
	Node      map[string]string
	NodeKnown bool
	// BreakGlassOpen is true while the pod was touched under a BreakGlass whose window is
	// still open: an ephemeral container added under it (kubectl debug) is what the
	// BreakGlass allowed, and replacing the pod at once would end the debugging session it
	// was opened for. Once the window closes the pod is replaced anyway.
	BreakGlassOpen bool
}

// Detect compares a pod with its baseline and returns what drifted, in a stable order.
func Detect(baseline Baseline, pod *corev1.Pod, expected Expected) []Finding {
	var findings []Finding
	add := func(r Reason, paths []string) {
		if len(paths) > 0 {
			findings = append(findings, Finding{Reason: r, Paths: paths})
		}
	}
	add(OutOfRegion, outOfRegion(pod, expected))
	add(Escaped, escaped(pod, expected))
	add(ImageChanged, changedImages(baseline.Spec, pod.Spec))
	if !expected.BreakGlassOpen {
		add(EphemeralContainerAdded, addedEphemeral(baseline.Spec, pod.Spec))
	}
	add(ResourcesResized, resized(baseline.Spec, pod.Spec))
	add(SpecMutated, mutatedSpec(baseline.Spec, pod.Spec))
	add(MetadataChanged, changedMetadata(baseline, pod, expected))
	add(DigestMismatch, mismatchedDigests(pod, expected))
	return findings
}

// outOfRegion names the pod's node when it lies outside the residency.
func outOfRegion(pod *corev1.Pod, expected Expected) []string {
	if pod.Spec.NodeName == "" || !expected.NodeKnown || residency.Allows(expected.Node, expected.ResidencyKeys, expected.Residency) {
		return nil
	}
	return []string{"spec.nodeName"}
}

func escaped(pod *corev1.Pod, expected Expected) []string {
	var paths []string
	if pod.Labels[expected.WorkloadLabel] != expected.Workload {
		paths = append(paths, "metadata.labels."+expected.WorkloadLabel)
	}
	controlled := false
	for _, ref := range pod.OwnerReferences {
		if ref.Controller != nil && *ref.Controller && string(ref.UID) == expected.ControllerUID {
			controlled = true
		}
	}
	if !controlled {
		paths = append(paths, "metadata.ownerReferences")
	}
	return paths
}

// containerLists pairs the container lists of two specs with their field names.
func containerLists(a, b *corev1.PodSpec) []struct {
	field string
	a, b  []corev1.Container
} {
	return []struct {
		field string
		a, b  []corev1.Container
	}{
		{"spec.initContainers", a.InitContainers, b.InitContainers},
		{"spec.containers", a.Containers, b.Containers},
	}
}

func changedImages(baseline, current corev1.PodSpec) []string {
	var paths []string
	for _, l := range containerLists(&baseline, &current) {
		for i := range min(len(l.a), len(l.b)) {
			if l.a[i].Image != l.b[i].Image {
				paths = append(paths, fmt.Sprintf("%s[%d].image", l.field, i))
			}
		}
	}
	return paths
}

func addedEphemeral(baseline, current corev1.PodSpec) []string {
	known := map[string]bool{}
	for _, c := range baseline.EphemeralContainers {
		known[c.Name] = true
	}
	var paths []string
	for _, c := range current.EphemeralContainers {
		if !known[c.Name] {
			paths = append(paths, fmt.Sprintf("spec.ephemeralContainers[%s]", c.Name))
		}
	}
	return paths
}

func resized(baseline, current corev1.PodSpec) []string {
	var paths []string
	for _, l := range containerLists(&baseline, &current) {
		for i := range min(len(l.a), len(l.b)) {
			if !equality.Semantic.DeepEqual(l.a[i].Resources, l.b[i].Resources) {
				paths = append(paths, fmt.Sprintf("%s[%d].resources", l.field, i))
			}
		}
	}
	if !equality.Semantic.DeepEqual(baseline.Resources, current.Resources) {
		paths = append(paths, "spec.resources")
	}
	return paths
}

// mutatedSpec compares every top-level spec field except those the other reasons cover and
// the scheduler's binding.
func mutatedSpec(baseline, current corev1.PodSpec) []string {
	strip := func(s corev1.PodSpec) corev1.PodSpec {
		s.NodeName, s.EphemeralContainers, s.Resources = "", nil, nil
		s.InitContainers, s.Containers = slices.Clone(s.InitContainers), slices.Clone(s.Containers)
		for _, l := range [][]corev1.Container{s.InitContainers, s.Containers} {
			for i := range l {
				l[i].Image, l[i].Resources = "", corev1.ResourceRequirements{}
			}
		}
		return s
	}
	return SpecFieldsChanged(strip(baseline), strip(current))
}

func changedMetadata(baseline Baseline, pod *corev1.Pod, expected Expected) []string {
	ignored := func(key string) bool {
		if key == expected.WorkloadLabel {
			return true // reported as Escaped
		}
		if slices.Contains(bindingLabels, key) {
			return true
		}
		for _, glob := range expected.IgnoreMetadata {
			if ok, _ := path.Match(glob, key); ok {
				return true
			}
		}
		return false
	}
	var paths []string
	for _, m := range []struct {
		field         string
		before, after map[string]string
	}{
		{"metadata.labels", baseline.Labels, pod.Labels},
		{"metadata.annotations", baseline.Annotations, pod.Annotations},
	} {
		keys := map[string]bool{}
		for k := range m.before {
			keys[k] = true
		}
		for k := range m.after {
			keys[k] = true
		}
		for k := range keys {
			before, had := m.before[k]
			after, has := m.after[k]
			if (had != has || before != after) && !ignored(k) {
				paths = append(paths, m.field+"."+k)
			}
		}
	}
	slices.Sort(paths)
	return paths
}

func mismatchedDigests(pod *corev1.Pod, expected Expected) []string {
	var paths []string
	for _, l := range []struct {
		field    string
		statuses []corev1.ContainerStatus
	}{
		{"status.initContainerStatuses", pod.Status.InitContainerStatuses},
		{"status.containerStatuses", pod.Status.ContainerStatuses},
	} {
		for _, s := range l.statuses {
			allowed, pinned := expected.Digests[s.Name]
			if !pinned || s.ImageID == "" {
				continue // not started yet, or a runtime (such as kwok) that reports none
			}
			_, digest, found := strings.Cut(s.ImageID, "@")
			if !found {
				digest = s.ImageID
			}
			if !slices.Contains(allowed, digest) {
				paths = append(paths, fmt.Sprintf("%s[%s].imageID", l.field, s.Name))
			}
		}
	}
	return paths
}

// ChangedBy names the field manager that last wrote the pod's spec or metadata other than
// the pod's creator (own) and the kubelet and scheduler's own subresources (status,
// binding), from the pod's managedFields: who made the change, as far as the API server
// recorded it. It returns "" when the managed fields name nobody else (they can be cleared
// by whoever can update the pod).
func ChangedBy(pod *corev1.Pod, own string) string {
	var newest *metav1.ManagedFieldsEntry
	for i := range pod.ManagedFields {
		m := &pod.ManagedFields[i]
		if m.Manager == own || !attributable(m) {
			continue
		}
		if newest == nil || (m.Time != nil && newest.Time != nil && newest.Time.Before(m.Time)) {
			newest = m
		}
	}
	if newest == nil {
		return ""
	}
	return newest.Manager
}

// attributable reports whether a managed fields entry can name who changed a pod: the
// kubelet's and the scheduler's own subresources never do.
func attributable(m *metav1.ManagedFieldsEntry) bool {
	return m.Subresource != "status" && m.Subresource != "binding"
}

// KeepAttribution trims a pod's managed fields to what ChangedBy reads: the entries that can
// name who changed the pod, without their field sets. The field sets (the kubelet's status
// entry above all) are most of a pod's size, and a manager holding thousands of pods in
// memory has no use for them.
func KeepAttribution(pod *corev1.Pod) {
	kept := pod.ManagedFields[:0]
	for _, m := range pod.ManagedFields {
		if attributable(&m) {
			m.FieldsV1 = nil
			kept = append(kept, m)
		}
	}
	clear(pod.ManagedFields[len(kept):])
	pod.ManagedFields = kept
	if len(kept) == 0 {
		pod.ManagedFields = nil
	}
}

// SpecFieldsChanged lists, as "spec.<json name>" and sorted, the top-level fields of a pod
// spec whose encodings differ between old and updated: how drift and admission name what
// changed. Fields equal once encoded (a quantity written two ways) are not a change.
func SpecFieldsChanged(old, updated corev1.PodSpec) []string {
	encode := func(s corev1.PodSpec) map[string]json.RawMessage {
		encoded, _ := json.Marshal(s) // a PodSpec always encodes
		fields := map[string]json.RawMessage{}
		_ = json.Unmarshal(encoded, &fields)
		return fields
	}
	a, b := encode(old), encode(updated)
	var paths []string
	for k := range a {
		if !bytes.Equal(a[k], b[k]) {
			paths = append(paths, "spec."+k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			paths = append(paths, "spec."+k)
		}
	}
	slices.Sort(paths)
	return paths
}
