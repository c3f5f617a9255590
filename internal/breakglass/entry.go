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

package breakglass

import (
	"fmt"
	"strings"
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
)

// Idempotency keys of a BreakGlass's own entries, on its UID: a name can be used once, but
// the UID is what tells one admitted object from another, across manager restarts.
func grantedKey(bg *gdprv1alpha1.BreakGlass) string {
	return "breakglass/" + string(bg.UID) + "/granted"
}
func endedKey(bg *gdprv1alpha1.BreakGlass) string { return "breakglass/" + string(bg.UID) + "/ended" }

// Describe words what a BreakGlass opens, for messages and the ledger: its name, the
// operations, the pods and the workload. It holds no subject: users and groups are personal
// data and go into the ledger pseudonymised only.
func Describe(bg *gdprv1alpha1.BreakGlass) string {
	ops := make([]string, len(bg.Spec.Operations))
	for i, op := range bg.Spec.Operations {
		ops[i] = string(op)
	}
	pods := "every pod"
	if len(bg.Spec.Pods) > 0 {
		pods = "pods " + strings.Join(bg.Spec.Pods, ", ")
	}
	return fmt.Sprintf("BreakGlass %s opens %s on %s of GDPRWorkload %s", bg.Name, strings.Join(ops, ", "), pods, bg.Spec.Workload)
}

// GrantedEntry is the BreakGlassGranted entry of a BreakGlass being admitted: the actor is
// its creator, request.groups the users it is for and then the groups, each recorded as an
// actor is (pseudonymised unless the manager is told otherwise).
func GrantedEntry(bg *gdprv1alpha1.BreakGlass, workloadUID, creator string, actors audit.Actors) gdprv1alpha1.AuditEventSpec {
	notBefore, notAfter := Window(bg)
	subjects := append(actors.Groups(bg.Spec.Users), actors.Groups(bg.Spec.Groups)...)
	return gdprv1alpha1.AuditEventSpec{
		Type:    gdprv1alpha1.AuditBreakGlassGranted,
		Reason:  string(gdprv1alpha1.AuditReasonGranted),
		Subject: gdprv1alpha1.AuditSubject{Workload: bg.Spec.Workload, WorkloadUID: workloadUID},
		Actor:   actors.Record(creator),
		Message: fmt.Sprintf("%s from %s until %s (%s), for %d users and %d groups (request.groups: the users, then the groups)",
			Describe(bg), notBefore.Format(time.RFC3339), notAfter.Format(time.RFC3339), notAfter.Sub(notBefore), len(bg.Spec.Users), len(bg.Spec.Groups)),
		IdempotencyKey: grantedKey(bg),
		Request:        &gdprv1alpha1.AuditRequest{Operation: "CREATE", Groups: subjects},
	}
}

// EndedEntry is the BreakGlassEnded entry of a BreakGlass whose window is no longer open:
// reason Expired once notAfter passed, Deleted when it was deleted before that. ok is false
// while the window is open.
func EndedEntry(bg *gdprv1alpha1.BreakGlass, workloadUID string, now time.Time) (entry gdprv1alpha1.AuditEventSpec, ok bool) {
	_, notAfter := Window(bg)
	var reason gdprv1alpha1.AuditReason
	var how string
	switch Phase(bg, now) {
	case gdprv1alpha1.BreakGlassActive:
		return gdprv1alpha1.AuditEventSpec{}, false
	case gdprv1alpha1.BreakGlassEnded:
		reason = gdprv1alpha1.AuditReasonBreakGlassDeleted
		how = fmt.Sprintf("was deleted at %s, before its window was to close at %s", bg.DeletionTimestamp.UTC().Format(time.RFC3339), notAfter.Format(time.RFC3339))
	default:
		reason = gdprv1alpha1.AuditReasonExpired
		how = fmt.Sprintf("closed at %s", notAfter.Format(time.RFC3339))
	}
	return gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditBreakGlassEnded,
		Reason:         string(reason),
		Subject:        gdprv1alpha1.AuditSubject{Workload: bg.Spec.Workload, WorkloadUID: workloadUID},
		Message:        fmt.Sprintf("the window of BreakGlass %s %s; the %d pods touched under it are replaced by fresh pods of their revision", bg.Name, how, len(bg.Status.TouchedPods)),
		IdempotencyKey: endedKey(bg),
	}, true
}
