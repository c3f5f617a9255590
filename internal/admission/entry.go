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
	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
)

// Requester is who asked, and what they asked to run, as the admission request tells it.
type Requester struct {
	// UID is the admission request's UID: the entry's idempotency key, so that a request the
	// API server retries is recorded once.
	UID      string
	Username string
	Groups   []string
	// Command is an exec's command, nil otherwise.
	Command []string
}

// Entry is the ledger entry a refusal (AccessDenied) or an Audit-mode warning
// (AdmissionWouldDeny) records, before the writer seals it. The user and groups are recorded
// as actors are (pseudonymised unless the manager is told otherwise); of a command only the
// program and an HMAC of the whole line. ok is false when the decision records nothing.
func Entry(f Facts, d Decision, workloadUID string, who Requester, actors audit.Actors) (entry gdprv1alpha1.AuditEventSpec, ok bool) {
	typ := d.EntryType()
	if typ == "" || f.Governor == nil {
		return gdprv1alpha1.AuditEventSpec{}, false
	}
	request := &gdprv1alpha1.AuditRequest{
		Operation:   f.Operation,
		Subresource: f.Subresource,
		Groups:      actors.Groups(who.Groups),
	}
	if f.Subresource == SubresourceExec {
		request.Command, request.CommandHMAC = actors.Command(who.Command)
	}
	subject := gdprv1alpha1.AuditSubject{Workload: f.Governor.Name, WorkloadUID: workloadUID, Pod: PodName(f)}
	if pod := f.Old; pod != nil {
		subject.PodUID = string(pod.UID)
		subject.Revision = pod.Labels[gdprv1alpha1.RevisionLabel]
	}
	return gdprv1alpha1.AuditEventSpec{
		Type:           typ,
		Reason:         string(d.Reason),
		Subject:        subject,
		Actor:          actors.Record(who.Username),
		Message:        d.Message,
		IdempotencyKey: "admission/" + who.UID,
		Request:        request,
	}, true
}
