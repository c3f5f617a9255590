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

package controllers

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
)

func TestTamperEntry(t *testing.T) {
	w := &gdprv1alpha1.GDPRWorkload{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "payments", UID: "w-1"}}
	actors := audit.Actors{Mode: audit.ActorPseudonymous, Key: []byte("key")}
	for _, tc := range []struct {
		name      string
		tampering tampering
		wantActor string
		wantKey   string
		wantMsg   string
	}{
		{"a deletion names nobody: the API server does not say who deletes",
			tampering{kind: "ValidatingWebhookConfiguration", name: "amber-admission", reason: gdprv1alpha1.AuditReasonConfigDeleted, incident: "uid-1"},
			"", "admission/ConfigDeleted/ValidatingWebhookConfiguration/amber-admission/uid-1",
			"ValidatingWebhookConfiguration amber-admission was deleted; Amber created it again. The API server does not say who deletes an object"},
		{"a change names the field manager, pseudonymised like every actor",
			tampering{kind: "ValidatingAdmissionPolicyBinding", name: "amber-impostor-pods", reason: gdprv1alpha1.AuditReasonConfigChanged, actor: "kubectl-edit", incident: "42"},
			actors.Record("kubectl-edit"), "admission/ConfigChanged/ValidatingAdmissionPolicyBinding/amber-impostor-pods/42",
			"ValidatingAdmissionPolicyBinding amber-impostor-pods was changed by someone else; Amber put its own version back"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := tamperEntry(w, tc.tampering, actors)
			if e.Type != gdprv1alpha1.AuditAdmissionConfigTampered || e.Reason != string(tc.tampering.reason) || !e.Recovered {
				t.Errorf("entry %s/%s recovered=%v", e.Type, e.Reason, e.Recovered)
			}
			if e.Actor != tc.wantActor || e.IdempotencyKey != tc.wantKey || e.Message != tc.wantMsg {
				t.Errorf("actor %q key %q message %q", e.Actor, e.IdempotencyKey, e.Message)
			}
			if e.Subject.Workload != "payments" || e.Subject.WorkloadUID != "w-1" {
				t.Errorf("subject %+v", e.Subject)
			}
		})
	}
}

func TestAdmissionGuardedCondition(t *testing.T) {
	w := &gdprv1alpha1.GDPRWorkload{}
	setAdmissionGuardedCondition(w, nil)
	if len(w.Status.Conditions) != 0 {
		t.Fatalf("a manager without a guard sets %v", w.Status.Conditions)
	}
	g := &AdmissionGuard{}
	meta.SetStatusCondition(&w.Status.Conditions, metav1.Condition{Type: gdprv1alpha1.AdmissionGuardedCondition, Status: metav1.ConditionTrue, Reason: "Old"})
	setAdmissionGuardedCondition(w, g)
	if meta.FindStatusCondition(w.Status.Conditions, gdprv1alpha1.AdmissionGuardedCondition) != nil {
		t.Error("a guard that has not looked yet leaves a condition from an earlier manager")
	}
	g.guarded = guardState{known: true, status: metav1.ConditionFalse, reason: gdprv1alpha1.ReasonConfigTampered, message: "ValidatingWebhookConfiguration amber-admission was deleted; Amber put it back"}
	setAdmissionGuardedCondition(w, g)
	c := meta.FindStatusCondition(w.Status.Conditions, gdprv1alpha1.AdmissionGuardedCondition)
	if c == nil || c.Status != metav1.ConditionFalse || c.Reason != gdprv1alpha1.ReasonConfigTampered || c.Message != g.guarded.message {
		t.Errorf("condition %+v", c)
	}
}
