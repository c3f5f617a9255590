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
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
)

var opened = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

// breakGlassFor opens ops on web-abc12 of workload web to person for an hour from `opened`.
func breakGlassFor(ops ...gdprv1alpha1.BreakGlassOperation) gdprv1alpha1.BreakGlass {
	bg := gdprv1alpha1.BreakGlass{}
	bg.Name, bg.UID = "incident-42", "bg-uid"
	bg.CreationTimestamp = metav1.NewTime(opened)
	bg.Spec = gdprv1alpha1.BreakGlassSpec{Workload: "web", Pods: []string{"web-abc12"}, Operations: ops,
		Duration: metav1.Duration{Duration: time.Hour}, Users: []string{person}}
	return bg
}

func underBreakGlass(f Facts, now time.Time, bgs ...gdprv1alpha1.BreakGlass) Facts {
	f.BreakGlasses, f.Now = bgs, now
	return f
}

func TestDecideUnderBreakGlass(t *testing.T) {
	during := opened.Add(time.Minute)
	exec := gdprv1alpha1.BreakGlassExec
	debugged := func(p *corev1.Pod) {
		p.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "busybox"}}}
	}
	for _, tt := range []struct {
		name        string
		facts       Facts
		wantVerdict Verdict
		wantReason  gdprv1alpha1.AdmissionReason
	}{
		{"an exec by the named user into the named pod is let through under the BreakGlass",
			underBreakGlass(connect(SubresourceExec), during, breakGlassFor(exec)), UnderBreakGlass, gdprv1alpha1.AdmissionExec},
		{"an exec by another user is refused",
			underBreakGlass(func() Facts { f := connect(SubresourceExec); f.Username = "bob"; return f }(), during, breakGlassFor(exec)), Deny, gdprv1alpha1.AdmissionExec},
		{"an exec into another pod is refused",
			underBreakGlass(func() Facts { f := connect(SubresourceExec); f.Pod = "web-zzz99"; return f }(), during, breakGlassFor(exec)), Deny, gdprv1alpha1.AdmissionExec},
		{"an attach under a BreakGlass for exec only is refused",
			underBreakGlass(connect(SubresourceAttach), during, breakGlassFor(exec)), Deny, gdprv1alpha1.AdmissionAttach},
		{"a port-forward under a BreakGlass for portForward is let through",
			underBreakGlass(connect(SubresourcePortForward), during, breakGlassFor(gdprv1alpha1.BreakGlassPortForward)), UnderBreakGlass, gdprv1alpha1.AdmissionPortForward},
		{"an exec after the window closed is refused",
			underBreakGlass(connect(SubresourceExec), opened.Add(time.Hour), breakGlassFor(exec)), Deny, gdprv1alpha1.AdmissionExec},
		{"an ephemeral container under a BreakGlass for debug is let through",
			underBreakGlass(update(SubresourceEphemeralContainers, debugged), during, breakGlassFor(gdprv1alpha1.BreakGlassDebug)), UnderBreakGlass, gdprv1alpha1.AdmissionEphemeralContainers},
		{"a spec change is refused whatever the BreakGlass opens",
			underBreakGlass(update("", func(p *corev1.Pod) { p.Spec.Containers[0].Image = "evil" }), during,
				breakGlassFor(exec, gdprv1alpha1.BreakGlassAttach, gdprv1alpha1.BreakGlassDebug, gdprv1alpha1.BreakGlassPortForward)), Deny, gdprv1alpha1.AdmissionSpecChanged},
		{"a resize is refused whatever the BreakGlass opens",
			underBreakGlass(update(SubresourceResize, func(p *corev1.Pod) { p.Spec.Containers[0].Resources.Requests = nil }), during,
				breakGlassFor(exec, gdprv1alpha1.BreakGlassDebug)), Deny, gdprv1alpha1.AdmissionResize},
		{"an exec in Audit mode under a BreakGlass is recorded as a use, not as a warning",
			underBreakGlass(func() Facts {
				f := connect(SubresourceExec)
				f.Governor = governor(gdprv1alpha1.AdmissionAudit)
				return f
			}(), during, breakGlassFor(exec)),
			UnderBreakGlass, gdprv1alpha1.AdmissionExec},
		{"an exec in Off mode is allowed and nothing is recorded",
			underBreakGlass(func() Facts {
				f := connect(SubresourceExec)
				f.Governor = governor(gdprv1alpha1.AdmissionOff)
				return f
			}(), during, breakGlassFor(exec)),
			Allow, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.facts)
			if d.Verdict != tt.wantVerdict || d.Reason != tt.wantReason {
				t.Fatalf("Decide = %s %s (%s), want %s %s", d.Verdict, d.Reason, d.Message, tt.wantVerdict, tt.wantReason)
			}
			if d.Verdict == UnderBreakGlass {
				want := "let through under BreakGlass incident-42 and recorded; its window closes at 2026-11-30T11:00:00Z"
				if !strings.Contains(d.Message, want) || d.BreakGlass == nil || d.BreakGlass.Name != "incident-42" {
					t.Errorf("message %q should contain %q and name the BreakGlass", d.Message, want)
				}
			}
		})
	}
}

func TestEntryUnderBreakGlass(t *testing.T) {
	f := underBreakGlass(connect(SubresourceExec), opened.Add(time.Minute), breakGlassFor(gdprv1alpha1.BreakGlassExec))
	d := Decide(f)
	actors := audit.Actors{Mode: audit.ActorPseudonymous, Key: []byte("k")}
	command := []string{"psql", "-c", "select * from customers where email='x@example.com'"}
	entry, ok := Entry(f, d, "wl-uid", Requester{UID: "req-1", Username: person, Groups: []string{"oncall"}, Command: command}, actors)
	if !ok {
		t.Fatal("a use under a BreakGlass records an entry")
	}
	first, mac := actors.Command(command)
	if entry.Type != gdprv1alpha1.AuditBreakGlassUsed || entry.Reason != "Exec" || entry.Actor != actors.Record(person) ||
		entry.Request.Command != first || entry.Request.CommandHMAC != mac || entry.Request.Groups[0] != actors.Record("oncall") {
		t.Errorf("entry = %+v, request %+v", entry, entry.Request)
	}
	for _, clear := range []string{person, "x@example.com", "oncall"} {
		if strings.Contains(entry.Message, clear) || strings.Contains(entry.Actor, clear) {
			t.Errorf("the entry holds %q in clear: %+v", clear, entry)
		}
	}
}
