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

package drift

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/residency"
)

const pinnedDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func admitted() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:            "payments-abcde",
			Labels:          map[string]string{"gdpr.amber.dev/workload": "payments", "app": "payments"},
			Annotations:     map[string]string{"sidecar.example/injected": "true"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "GDPRWorkload", Name: "payments", UID: "w-uid", Controller: ptr.To(true)}},
		},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "migrate", Image: "r.example/migrate:1@" + pinnedDigest}},
			Containers: []corev1.Container{{
				Name: "app", Image: "r.example/app:1@" + pinnedDigest,
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}},
			}},
			Tolerations: []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists}},
		},
	}
}

var expected = Expected{
	WorkloadLabel: "gdpr.amber.dev/workload", Workload: "payments", ControllerUID: "w-uid",
	Digests:        map[string][]string{"app": {pinnedDigest}, "migrate": {pinnedDigest}},
	IgnoreMetadata: []string{"tools.example/*"},
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*corev1.Pod)
		want   []Finding
	}{
		{"an untouched pod", func(*corev1.Pod) {}, nil},
		{"the scheduler's binding and status are not drift", func(p *corev1.Pod) {
			p.Spec.NodeName = "kwok-eu-west-1a"
			p.Status.Phase = corev1.PodRunning
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", ImageID: "r.example/app@" + pinnedDigest}}
		}, nil},
		{"kubectl set image", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "r.example/app:evil" },
			[]Finding{{ImageChanged, []string{"spec.containers[0].image"}}}},
		{"an init container's image patched", func(p *corev1.Pod) { p.Spec.InitContainers[0].Image = "r.example/migrate:2" },
			[]Finding{{ImageChanged, []string{"spec.initContainers[0].image"}}}},
		{"kubectl debug", func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger-x", Image: "busybox"}}}
		}, []Finding{{EphemeralContainerAdded, []string{"spec.ephemeralContainers[debugger-x]"}}}},
		{"pods/resize", func(p *corev1.Pod) {
			p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("200m")
		}, []Finding{{ResourcesResized, []string{"spec.containers[0].resources"}}}},
		{"a toleration added and a deadline set", func(p *corev1.Pod) {
			p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "evil", Operator: corev1.TolerationOpExists})
			p.Spec.ActiveDeadlineSeconds = ptr.To[int64](30)
		}, []Finding{{SpecMutated, []string{"spec.activeDeadlineSeconds", "spec.tolerations"}}}},
		{"a security setting the hardening profile filled in, changed in place (by a write to etcd: the API server refuses it)", func(p *corev1.Pod) {
			p.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{ReadOnlyRootFilesystem: ptr.To(false)}
			p.Spec.AutomountServiceAccountToken = ptr.To(true)
		}, []Finding{{SpecMutated, []string{"spec.automountServiceAccountToken", "spec.containers"}}}},
		{"a label edited and an annotation added", func(p *corev1.Pod) {
			p.Labels["app"] = "other"
			p.Annotations["note"] = "hi"
		}, []Finding{{MetadataChanged, []string{"metadata.annotations.note", "metadata.labels.app"}}}},
		{"metadata that other tools may write is ignored", func(p *corev1.Pod) { p.Annotations["tools.example/scanned"] = "yes" }, nil},
		{"the workload label cut", func(p *corev1.Pod) { delete(p.Labels, "gdpr.amber.dev/workload") },
			[]Finding{{Escaped, []string{"metadata.labels.gdpr.amber.dev/workload"}}}},
		{"the owner reference removed", func(p *corev1.Pod) { p.OwnerReferences = nil },
			[]Finding{{Escaped, []string{"metadata.ownerReferences"}}}},
		{"a runtime reporting another digest", func(p *corev1.Pod) {
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", ImageID: "docker-pullable://r.example/app@sha256:2222"}}
		}, []Finding{{DigestMismatch, []string{"status.containerStatuses[app].imageID"}}}},
		{"several at once, in a stable order", func(p *corev1.Pod) {
			p.Spec.Containers[0].Image = "r.example/app:evil"
			p.Labels["app"] = "other"
		}, []Finding{{ImageChanged, []string{"spec.containers[0].image"}}, {MetadataChanged, []string{"metadata.labels.app"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			baseline := BaselineOf(admitted())
			pod := admitted()
			tt.mutate(pod)
			if diff := cmp.Diff(tt.want, Detect(baseline, pod, expected)); diff != "" {
				t.Errorf("Detect() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBaselineIgnoresBinding(t *testing.T) {
	bound := admitted()
	bound.Spec.NodeName = "kwok-eu-west-1a"
	if got := Detect(BaselineOf(bound), admitted(), expected); got != nil {
		t.Errorf("a baseline taken after binding differs from the pod before it: %v", got)
	}
}

func TestBindingLabelsAreNotDrift(t *testing.T) {
	pod := admitted()
	pod.Labels["topology.kubernetes.io/region"] = "eu-west-1"
	pod.Labels["topology.kubernetes.io/zone"] = "eu-west-1a"
	if got := Detect(BaselineOf(admitted()), pod, expected); got != nil {
		t.Errorf("the labels the API server copies from the node at binding were taken for drift: %v", got)
	}
	if Fingerprint(BaselineOf(pod)) != Fingerprint(BaselineOf(admitted())) {
		t.Error("a pod's fingerprint changed when it was bound")
	}
}

func TestFingerprint(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*corev1.Pod)
		same   bool
	}{
		{"the same pod", func(*corev1.Pod) {}, true},
		{"bound to a node and running", func(p *corev1.Pod) { p.Spec.NodeName = "n"; p.Status.Phase = corev1.PodRunning }, true},
		{"an image changed", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "r.example/app:evil" }, false},
		{"a label added", func(p *corev1.Pod) { p.Labels["x"] = "y" }, false},
		{"an annotation removed", func(p *corev1.Pod) { delete(p.Annotations, "sidecar.example/injected") }, false},
	}
	want := Fingerprint(BaselineOf(admitted()))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := admitted()
			tt.mutate(pod)
			if got := Fingerprint(BaselineOf(pod)) == want; got != tt.same {
				t.Errorf("same fingerprint = %v, want %v", got, tt.same)
			}
		})
	}
}

func TestChangedBy(t *testing.T) {
	at := func(sec int) *metav1.Time { return &metav1.Time{Time: metav1.Unix(int64(sec), 0).Time} }
	tests := []struct {
		name   string
		fields []metav1.ManagedFieldsEntry
		want   string
	}{
		{"only the creator", []metav1.ManagedFieldsEntry{{Manager: "amber", Time: at(1)}}, ""},
		{"the kubelet's status and the scheduler's binding are nobody's change", []metav1.ManagedFieldsEntry{
			{Manager: "amber", Time: at(1)}, {Manager: "kubelet", Subresource: "status", Time: at(2)}, {Manager: "kube-scheduler", Subresource: "binding", Time: at(3)},
		}, ""},
		{"kubectl set image", []metav1.ManagedFieldsEntry{{Manager: "amber", Time: at(1)}, {Manager: "kubectl-set", Time: at(5)}}, "kubectl-set"},
		{"the newest of two writers", []metav1.ManagedFieldsEntry{
			{Manager: "amber", Time: at(1)}, {Manager: "kubectl-debug", Subresource: "ephemeralcontainers", Time: at(7)}, {Manager: "kubectl-label", Time: at(4)},
		}, "kubectl-debug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := admitted()
			pod.ManagedFields = tt.fields
			if got := ChangedBy(pod, "amber"); got != tt.want {
				t.Errorf("ChangedBy() = %q, want %q", got, tt.want)
			}
			for i := range pod.ManagedFields {
				pod.ManagedFields[i].FieldsV1 = metav1.NewFieldsV1(`{"f:spec":{}}`)
			}
			KeepAttribution(pod)
			if got := ChangedBy(pod, "amber"); got != tt.want {
				t.Errorf("ChangedBy() after KeepAttribution = %q, want %q", got, tt.want)
			}
			for _, m := range pod.ManagedFields {
				if m.FieldsV1 != nil || m.Subresource == "status" || m.Subresource == "binding" {
					t.Errorf("KeepAttribution kept %+v", m)
				}
			}
		})
	}
}

func TestDetectOutOfRegion(t *testing.T) {
	inEU := gdprv1alpha1.Residency{AllowedRegions: []string{"eu-west-1"}}
	bound := func(p *corev1.Pod) { p.Spec.NodeName = "node-a" }
	for _, tc := range []struct {
		name      string
		bind      func(*corev1.Pod)
		residency gdprv1alpha1.Residency
		node      map[string]string
		known     bool
		want      []Finding
	}{
		{"a pod on a node in an allowed region is not drift", bound, inEU, map[string]string{corev1.LabelTopologyRegion: "eu-west-1"}, true, nil},
		{"a pod on a node relabelled to another region is out of region", bound, inEU, map[string]string{corev1.LabelTopologyRegion: "us-east-1"}, true,
			[]Finding{{OutOfRegion, []string{"spec.nodeName"}}}},
		{"a pod on a node that no longer says where it is, is out of region", bound, inEU, map[string]string{}, true,
			[]Finding{{OutOfRegion, []string{"spec.nodeName"}}}},
		{"a pod not yet bound is not judged", func(*corev1.Pod) {}, inEU, nil, false, nil},
		{"a pod whose node cannot be read is not judged", bound, inEU, nil, false, nil},
		{"without a residency any node will do", bound, gdprv1alpha1.Residency{}, map[string]string{corev1.LabelTopologyRegion: "us-east-1"}, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			baseline := BaselineOf(admitted())
			pod := admitted()
			tc.bind(pod)
			e := expected
			e.Residency, e.ResidencyKeys, e.Node, e.NodeKnown = tc.residency, residency.DefaultKeys, tc.node, tc.known
			if diff := cmp.Diff(tc.want, Detect(baseline, pod, e)); diff != "" {
				t.Errorf("Detect() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDetectUnderOpenBreakGlass(t *testing.T) {
	held := expected
	held.BreakGlassOpen = true
	for _, tt := range []struct {
		name   string
		mutate func(*corev1.Pod)
		want   []Finding
	}{
		{"a debug container added under an open BreakGlass is left alone until it closes", func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger-x", Image: "busybox"}}}
		}, nil},
		{"any other change is drift all the same", func(p *corev1.Pod) {
			p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger-x", Image: "busybox"}}}
			p.Spec.Containers[0].Image = "r.example/app:evil"
		}, []Finding{{ImageChanged, []string{"spec.containers[0].image"}}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pod := admitted()
			tt.mutate(pod)
			if diff := cmp.Diff(tt.want, Detect(BaselineOf(admitted()), pod, held)); diff != "" {
				t.Errorf("Detect() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
