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

package admission

import (
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
)

const (
	manager = "system:serviceaccount:amber-system:amber-manager"
	person  = "alice@example.com"
)

// governedPod is a pod of workload "web" as Amber made it.
func governedPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-abc12", Namespace: "shop", UID: "pod-uid",
			Labels:      map[string]string{gdprv1alpha1.WorkloadLabel: "web", gdprv1alpha1.RevisionLabel: "5d7f9", "app": "web"},
			Annotations: map[string]string{"note": "as made"},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: "gdpr.amber.dev/v1alpha1", Kind: "GDPRWorkload", Name: "web", UID: "wl-uid", Controller: ptrTo(true),
			}},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app", Image: "registry.example/web@sha256:aaaa",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}},
		}}},
	}
}

func ptrTo[T any](v T) *T { return &v }

func changed(edit func(*corev1.Pod)) *corev1.Pod {
	p := governedPod()
	edit(p)
	return p
}

func governor(mode gdprv1alpha1.AdmissionMode, ignore ...string) *Governor {
	return &Governor{Name: "web", Mode: mode, IgnoreMetadata: ignore}
}

func update(sub string, edit func(*corev1.Pod)) Facts {
	return Facts{Operation: OperationUpdate, Subresource: sub, Username: person, ManagerUsername: manager,
		Pod: "web-abc12", Old: governedPod(), New: changed(edit), Governor: governor(gdprv1alpha1.AdmissionEnforce)}
}

func connect(sub string) Facts {
	return Facts{Operation: OperationConnect, Subresource: sub, Username: person, ManagerUsername: manager,
		Pod: "web-abc12", Old: governedPod(), Governor: governor(gdprv1alpha1.AdmissionEnforce)}
}

func create(labels map[string]string, g *Governor) Facts {
	p := governedPod()
	p.UID, p.Labels, p.OwnerReferences = "", labels, nil
	return Facts{Operation: OperationCreate, Username: person, ManagerUsername: manager, Pod: p.Name, New: p, Governor: g}
}

func with(f Facts, edit func(*Facts)) Facts {
	edit(&f)
	return f
}

const howIn = "The legitimate way: ask for a break-glass, or change the GDPRWorkload's spec and let Amber roll out fresh pods; deleting the pod is always allowed and gets a fresh one."

func TestDecide(t *testing.T) {
	image := func(p *corev1.Pod) { p.Spec.Containers[0].Image = "evil.example/web:latest" }
	tests := []struct {
		name   string
		facts  Facts
		want   Verdict
		reason gdprv1alpha1.AdmissionReason
		// message, when set, is the exact message; contains, a part of it.
		message, contains string
	}{
		{name: "an image set in place is refused, naming the pod, the workload and the way in",
			facts: update("", image), want: Deny, reason: gdprv1alpha1.AdmissionSpecChanged,
			message: "pod web-abc12 is governed by GDPRWorkload web: changing its spec (spec.containers) is refused and recorded. " + howIn},
		{name: "tolerations added in place are refused as a spec change",
			facts: update("", func(p *corev1.Pod) {
				p.Spec.Tolerations = []corev1.Toleration{{Key: "x", Operator: corev1.TolerationOpExists}}
			}), want: Deny, reason: gdprv1alpha1.AdmissionSpecChanged, contains: "(spec.tolerations)"},
		{name: "a label added is refused, naming the key but not its value",
			facts: update("", func(p *corev1.Pod) { p.Labels["team"] = "secret-value" }), want: Deny, reason: gdprv1alpha1.AdmissionMetadataChanged,
			contains: "changing its metadata (metadata.labels.team) is refused"},
		{name: "an annotation changed is refused",
			facts: update("", func(p *corev1.Pod) { p.Annotations["note"] = "edited" }), want: Deny, reason: gdprv1alpha1.AdmissionMetadataChanged,
			contains: "(metadata.annotations.note)"},
		{name: "a label removed is refused",
			facts: update("", func(p *corev1.Pod) { delete(p.Labels, "app") }), want: Deny, reason: gdprv1alpha1.AdmissionMetadataChanged,
			contains: "(metadata.labels.app)"},
		{name: "the workload label cut is refused even when ignoreMetadata matches every key",
			facts: with(update("", func(p *corev1.Pod) { delete(p.Labels, gdprv1alpha1.WorkloadLabel) }), func(f *Facts) {
				f.Governor = governor(gdprv1alpha1.AdmissionEnforce, "*", "*/*")
			}), want: Deny, reason: gdprv1alpha1.AdmissionMetadataChanged, contains: "(metadata.labels." + gdprv1alpha1.WorkloadLabel + ")"},
		{name: "labels and annotations under ignoreMetadata are allowed",
			facts: with(update("", func(p *corev1.Pod) {
				p.Labels["monitoring.example/scraped"] = "yes"
				p.Annotations["sidecar.istio.io/status"] = "{}"
			}), func(f *Facts) {
				f.Governor = governor(gdprv1alpha1.AdmissionEnforce, "monitoring.example/*", "sidecar.istio.io/status")
			}), want: Allow},
		{name: "a spec change and a metadata change are refused for the spec first",
			facts: update("", func(p *corev1.Pod) { image(p); p.Labels["team"] = "x" }), want: Deny, reason: gdprv1alpha1.AdmissionSpecChanged},
		{name: "finalizers may change, by anyone",
			facts: update("", func(p *corev1.Pod) { p.Finalizers = []string{"example.com/hold"} }), want: Allow},
		{name: "the garbage collector may change owner references",
			facts: with(update("", func(p *corev1.Pod) { p.OwnerReferences = nil }), func(f *Facts) {
				f.Username = "system:serviceaccount:kube-system:generic-garbage-collector"
			}), want: Allow},
		{name: "anyone else removing the controller reference is refused",
			facts: update("", func(p *corev1.Pod) { p.OwnerReferences = nil }), want: Deny, reason: gdprv1alpha1.AdmissionMetadataChanged,
			contains: "(metadata.ownerReferences)"},
		{name: "an update that changes nothing is allowed",
			facts: update("", func(*corev1.Pod) {}), want: Allow},
		{name: "status is not compared: the API server keeps it from a pod update anyway",
			facts: update("", func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }), want: Allow},
		{name: "an ephemeral container is refused",
			facts: update(SubresourceEphemeralContainers, func(p *corev1.Pod) {
				p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "busybox"}}}
			}), want: Deny, reason: gdprv1alpha1.AdmissionEphemeralContainers,
			message: "pod web-abc12 is governed by GDPRWorkload web: adding an ephemeral container to it (pods/ephemeralcontainers, kubectl debug) is refused and recorded. " + howIn},
		{name: "a resize is refused",
			facts: update(SubresourceResize, func(p *corev1.Pod) {
				p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("2")
			}), want: Deny, reason: gdprv1alpha1.AdmissionResize, contains: "resizing its containers (pods/resize) is refused"},
		{name: "a resize to the same resources changes nothing and is allowed",
			facts: update(SubresourceResize, func(p *corev1.Pod) {
				p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("0.1")
			}), want: Allow},
		{name: "exec is refused", facts: connect(SubresourceExec), want: Deny, reason: gdprv1alpha1.AdmissionExec,
			message: "pod web-abc12 is governed by GDPRWorkload web: running a command in it (pods/exec) is refused and recorded. " + howIn},
		{name: "attach is refused", facts: connect(SubresourceAttach), want: Deny, reason: gdprv1alpha1.AdmissionAttach, contains: "(pods/attach)"},
		{name: "port-forward is refused", facts: connect(SubresourcePortForward), want: Deny, reason: gdprv1alpha1.AdmissionPortForward, contains: "(pods/portforward)"},
		{name: "exec into a pod no workload governs, in a governed namespace, is allowed",
			facts: with(connect(SubresourceExec), func(f *Facts) { f.Old, f.Governor = nil, nil }), want: Allow},
		{name: "in Audit mode exec is allowed with a warning that says it would be refused",
			facts: with(connect(SubresourceExec), func(f *Facts) { f.Governor = governor(gdprv1alpha1.AdmissionAudit) }), want: Warn, reason: gdprv1alpha1.AdmissionExec,
			message: "pod web-abc12 is governed by GDPRWorkload web: running a command in it (pods/exec) would be refused; it is allowed and recorded because the workload's spec.admission.mode is Audit. " + howIn},
		{name: "in Audit mode an image change is allowed with a warning",
			facts: with(update("", image), func(f *Facts) { f.Governor = governor(gdprv1alpha1.AdmissionAudit) }), want: Warn, reason: gdprv1alpha1.AdmissionSpecChanged},
		{name: "in Off mode an image change is allowed and nothing is recorded",
			facts: with(update("", image), func(f *Facts) { f.Governor = governor(gdprv1alpha1.AdmissionOff) }), want: Allow},
		{name: "in Off mode exec is allowed",
			facts: with(connect(SubresourceExec), func(f *Facts) { f.Governor = governor(gdprv1alpha1.AdmissionOff) }), want: Allow},
		{name: "an empty mode reads as Enforce, the API's default",
			facts: with(update("", image), func(f *Facts) { f.Governor = governor("") }), want: Deny, reason: gdprv1alpha1.AdmissionSpecChanged},
		{name: "the manager itself is allowed, should the configuration stop exempting it",
			facts: with(update("", image), func(f *Facts) { f.Username = manager }), want: Allow},
		{name: "another user with the manager's groups is still refused",
			facts: with(update("", image), func(f *Facts) { f.ManagerUsername = "" }), want: Deny, reason: gdprv1alpha1.AdmissionSpecChanged},
		{name: "a status write is never refused",
			facts: update("status", func(p *corev1.Pod) { p.Status.Phase = corev1.PodRunning }), want: Allow},
		{name: "a binding is never refused",
			facts: with(create(map[string]string{gdprv1alpha1.WorkloadLabel: "web"}, governor(gdprv1alpha1.AdmissionEnforce)), func(f *Facts) { f.Subresource = "binding" }), want: Allow},
		{name: "an eviction is never refused",
			facts: with(create(nil, governor(gdprv1alpha1.AdmissionEnforce)), func(f *Facts) { f.Subresource = "eviction" }), want: Allow},
		{name: "a deletion is never refused",
			facts: with(connect(""), func(f *Facts) { f.Operation = OperationDelete }), want: Allow},
		{name: "a pod created with the workload label by someone else is an impostor",
			facts: create(map[string]string{gdprv1alpha1.WorkloadLabel: "web"}, governor(gdprv1alpha1.AdmissionEnforce)), want: Deny, reason: gdprv1alpha1.AdmissionImpostor,
			message: "pods labelled gdpr.amber.dev/workload=web are created and governed by Amber alone, for GDPRWorkload web: creating a pod that carries its workload label gdpr.amber.dev/workload is refused and recorded. The legitimate way: create the pod without that label, or change the GDPRWorkload's spec and let Amber make its pods."},
		{name: "an impostor naming no existing workload is refused all the same",
			facts: create(map[string]string{gdprv1alpha1.WorkloadLabel: "ghost"}, nil), want: Deny, reason: gdprv1alpha1.AdmissionImpostor,
			contains: "for GDPRWorkload ghost: creating a pod"},
		{name: "an impostor of an Audit workload is allowed with a warning",
			facts: create(map[string]string{gdprv1alpha1.WorkloadLabel: "web"}, governor(gdprv1alpha1.AdmissionAudit)), want: Warn, reason: gdprv1alpha1.AdmissionImpostor},
		{name: "an impostor of an Off workload is allowed",
			facts: create(map[string]string{gdprv1alpha1.WorkloadLabel: "web"}, governor(gdprv1alpha1.AdmissionOff)), want: Allow},
		{name: "the manager creating its pods is no impostor",
			facts: with(create(map[string]string{gdprv1alpha1.WorkloadLabel: "web"}, governor(gdprv1alpha1.AdmissionEnforce)), func(f *Facts) { f.Username = manager }), want: Allow},
		{name: "a pod created without the workload label is allowed",
			facts: create(map[string]string{"app": "web"}, nil), want: Allow},
		{name: "labelling an ungoverned pod with the workload label is an impostor adopting it",
			facts: Facts{Operation: OperationUpdate, Username: person, ManagerUsername: manager, Pod: "stray",
				Old:      &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "stray", Labels: map[string]string{"app": "x"}}},
				New:      &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "stray", Labels: map[string]string{"app": "x", gdprv1alpha1.WorkloadLabel: "web"}}},
				Governor: governor(gdprv1alpha1.AdmissionEnforce)},
			want: Deny, reason: gdprv1alpha1.AdmissionImpostor, contains: "giving an existing pod its workload label gdpr.amber.dev/workload is refused"},
		{name: "moving a pod to another workload by changing its label is an impostor for the workload it claims",
			facts: with(update("", func(p *corev1.Pod) { p.Labels[gdprv1alpha1.WorkloadLabel] = "other" }), func(f *Facts) {
				f.Governor = &Governor{Name: "other", Mode: gdprv1alpha1.AdmissionEnforce}
			}), want: Deny, reason: gdprv1alpha1.AdmissionImpostor, contains: "for GDPRWorkload other: giving an existing pod its workload label"},
		{name: "a labelled pod whose workload does not exist is not governed",
			facts: with(update("", image), func(f *Facts) { f.Governor = nil }), want: Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.facts)
			if got.Verdict != tt.want || got.Reason != tt.reason {
				t.Fatalf("Decide = %s %q (%s), want %s %q", got.Verdict, got.Reason, got.Message, tt.want, tt.reason)
			}
			if tt.message != "" && got.Message != tt.message {
				t.Errorf("message\n got: %s\nwant: %s", got.Message, tt.message)
			}
			if !strings.Contains(got.Message, tt.contains) {
				t.Errorf("message %q does not contain %q", got.Message, tt.contains)
			}
			if tt.want == Allow && got.Message != "" {
				t.Errorf("an allowed request has a message: %q", got.Message)
			}
			if strings.Contains(got.Message, person) || strings.Contains(got.Message, "secret-value") {
				t.Errorf("message %q holds personal data", got.Message)
			}
		})
	}
}

func TestEntry(t *testing.T) {
	actors := audit.Actors{Mode: audit.ActorPseudonymous, Key: []byte("0123456789abcdef0123456789abcdef")}
	who := Requester{UID: "req-1", Username: person, Groups: []string{"developers", "system:authenticated"},
		Command: []string{"sh", "-c", "cat /data/alice.csv"}}
	program, commandHMAC := actors.Command(who.Command)
	tests := []struct {
		name  string
		facts Facts
		want  gdprv1alpha1.AuditEventSpec
		ok    bool
	}{
		{name: "a refused exec is an AccessDenied entry with the user and groups pseudonymised and the command's program and HMAC",
			facts: connect(SubresourceExec), ok: true,
			want: gdprv1alpha1.AuditEventSpec{
				Type: gdprv1alpha1.AuditAccessDenied, Reason: string(gdprv1alpha1.AdmissionExec),
				Subject: gdprv1alpha1.AuditSubject{Workload: "web", WorkloadUID: "wl-uid", Pod: "web-abc12", PodUID: "pod-uid", Revision: "5d7f9"},
				Actor:   actors.Record(person), IdempotencyKey: "admission/req-1",
				Request: &gdprv1alpha1.AuditRequest{Operation: "CONNECT", Subresource: "exec", Groups: actors.Groups(who.Groups), Command: program, CommandHMAC: commandHMAC},
			}},
		{name: "a warned image change is an AdmissionWouldDeny entry with no command",
			facts: with(update("", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "x" }), func(f *Facts) { f.Governor = governor(gdprv1alpha1.AdmissionAudit) }), ok: true,
			want: gdprv1alpha1.AuditEventSpec{
				Type: gdprv1alpha1.AuditAdmissionWouldDeny, Reason: string(gdprv1alpha1.AdmissionSpecChanged),
				Subject: gdprv1alpha1.AuditSubject{Workload: "web", WorkloadUID: "wl-uid", Pod: "web-abc12", PodUID: "pod-uid", Revision: "5d7f9"},
				Actor:   actors.Record(person), IdempotencyKey: "admission/req-1",
				Request: &gdprv1alpha1.AuditRequest{Operation: "UPDATE", Groups: actors.Groups(who.Groups)},
			}},
		{name: "an impostor naming no existing workload has no ledger to go to",
			facts: create(map[string]string{gdprv1alpha1.WorkloadLabel: "ghost"}, nil)},
		{name: "an allowed request records nothing",
			facts: with(connect(SubresourceExec), func(f *Facts) { f.Governor = governor(gdprv1alpha1.AdmissionOff) })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.facts)
			got, ok := Entry(tt.facts, d, "wl-uid", who, actors)
			if ok != tt.ok {
				t.Fatalf("Entry ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			tt.want.Message = d.Message
			if gotJSON, wantJSON := jsonOf(t, got), jsonOf(t, tt.want); gotJSON != wantJSON {
				t.Errorf("entry\n got: %s\nwant: %s", gotJSON, wantJSON)
			}
			for _, clear := range []string{person, "developers", "alice.csv"} {
				if strings.Contains(jsonOf(t, got), clear) {
					t.Errorf("the entry holds %q in clear", clear)
				}
			}
		})
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
