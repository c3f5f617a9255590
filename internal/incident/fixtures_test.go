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

package incident

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// signingKey is the fixtures' checkpoint key; its KeyID appears in the golden files.
var signingKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

// The scripted incident happens on 24 November 2026; the report is made at 13:00.
var (
	day       = time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	reportAt  = at("13:00:00")
	windowBeg = at("09:00:00")
)

// at is a time of day on the incident's day.
func at(clock string) time.Time {
	t, err := time.Parse("15:04:05", clock)
	if err != nil {
		panic(err)
	}
	return day.Add(time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second)
}

// step is one entry of a scripted ledger, or a signed checkpoint when checkpoint is set.
type step struct {
	at         string
	checkpoint bool
	spec       gdprv1alpha1.AuditEventSpec
}

func entry(clock string, typ gdprv1alpha1.AuditEventType, reason, pod, actor, message string) step {
	return step{at: clock, spec: gdprv1alpha1.AuditEventSpec{Type: typ, Reason: reason, Subject: gdprv1alpha1.AuditSubject{Pod: pod},
		Actor: actor, Message: message}}
}

func checkpoint(clock string) step { return step{at: clock, checkpoint: true} }

// seal writes a scripted ledger as Amber would: each entry sealed after the chain's head
// with internal/ledger, each checkpoint signed with signingKey over the entry before it.
func seal(t *testing.T, namespace, name string, steps []step) []gdprv1alpha1.AuditEvent {
	t.Helper()
	var (
		seq   int64
		hash  string
		chain []gdprv1alpha1.AuditEvent
	)
	for _, s := range steps {
		spec := s.spec
		if s.checkpoint {
			var err error
			if spec, err = ledger.CheckpointSpec(namespace, name, seq, hash, at(s.at), signingKey); err != nil {
				t.Fatal(err)
			}
		} else {
			spec.Ledger, spec.Time = name, metav1.NewTime(at(s.at))
			spec.IdempotencyKey = fmt.Sprintf("%s/%d", spec.Type, seq+1)
		}
		if err := ledger.Seal(namespace, &spec, seq, hash); err != nil {
			t.Fatal(err)
		}
		seq, hash = spec.Sequence, spec.Hash
		chain = append(chain, gdprv1alpha1.AuditEvent{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: ledger.EntryName(name, seq)}, Spec: spec})
	}
	return chain
}

// Pseudonyms as the manager records them.
const (
	ciDeployer  = "hmac-sha256:1f0c9a7e5b3d2c4a6e8f0b1d3c5e7a9b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c"
	intruder    = "hmac-sha256:9e8d7c6b5a4938271605f4e3d2c1b0a99e8d7c6b5a4938271605f4e3d2c1b0a9"
	responder   = "hmac-sha256:5a5b5c5d5e5f60616263646566676869707172737475767778797a7b7c7d7e7f"
	kubectlEdit = "hmac-sha256:c3b2a1908f7e6d5c4b3a29180f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"
)

// paymentsSteps is the scripted incident on shop/payments: before the window a normal
// start; in it drift, an access denial, a break-glass granted, used and ended with the
// touched pod replaced, a quarantine requested, replaced, isolated and ended, a rollback and
// the admission configuration tampered with; after the window an entry the report leaves out.
func paymentsSteps() []step {
	denied := entry("09:30:00", gdprv1alpha1.AuditAccessDenied, string(gdprv1alpha1.AdmissionExec), "payments-7d9f2", intruder,
		"Refused exec into pod payments-7d9f2: its pods are immutable")
	denied.spec.Request = &gdprv1alpha1.AuditRequest{Operation: "CONNECT", Subresource: "exec", Command: "sh",
		CommandHMAC: "hmac-sha256:0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c"}
	used := entry("10:05:00", gdprv1alpha1.AuditBreakGlassUsed, string(gdprv1alpha1.AdmissionExec), "payments-7d9f2", responder,
		"Exec into pod payments-7d9f2 let through under BreakGlass inc-42")
	used.spec.Request = &gdprv1alpha1.AuditRequest{Operation: "CONNECT", Subresource: "exec", Command: "cat",
		CommandHMAC: "hmac-sha256:3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b"}
	return []step{
		entry("08:00:00", gdprv1alpha1.AuditWorkloadCreated, string(gdprv1alpha1.AuditReasonCreated), "", ciDeployer, "Workload created"),
		entry("08:00:01", gdprv1alpha1.AuditRevisionPinned, string(gdprv1alpha1.AuditReasonPinned), "", "amber", "Revision 5d8f6c7b9 (#1) pinned"),
		entry("08:00:02", gdprv1alpha1.AuditPodCreated, "ScalingUp", "payments-4k2xq", "amber", "Created the pod"),
		entry("08:00:02", gdprv1alpha1.AuditPodCreated, "ScalingUp", "payments-8hz7w", "amber", "Created the pod"),
		checkpoint("08:05:00"),
		entry("09:12:00", gdprv1alpha1.AuditDriftDetected, string(gdprv1alpha1.DriftImageChanged), "payments-4k2xq", kubectlEdit,
			"Pod changed in place: spec.containers[app].image"),
		entry("09:12:01", gdprv1alpha1.AuditPodDeleted, string(gdprv1alpha1.AuditReasonDrifted), "payments-4k2xq", "amber", "Deleted the pod"),
		entry("09:12:02", gdprv1alpha1.AuditPodCreated, "Repairing", "payments-7d9f2", "amber", "Created the pod"),
		entry("09:12:03", gdprv1alpha1.AuditPodReplaced, string(gdprv1alpha1.AuditReasonDrifted), "payments-4k2xq", "amber",
			"Replaced drifted pod payments-4k2xq by fresh pod payments-7d9f2 of revision 5d8f6c7b9"),
		denied,
		checkpoint("09:35:00"),
		entry("10:00:00", gdprv1alpha1.AuditBreakGlassGranted, string(gdprv1alpha1.AuditReasonGranted), "", responder,
			"BreakGlass inc-42 grants exec on pod payments-7d9f2 from 2026-11-24T10:00:00Z to 2026-11-24T10:30:00Z"),
		used,
		entry("10:30:00", gdprv1alpha1.AuditBreakGlassEnded, string(gdprv1alpha1.AuditReasonExpired), "", "amber", "BreakGlass inc-42 expired"),
		entry("10:30:05", gdprv1alpha1.AuditPodReplaced, string(gdprv1alpha1.AuditReasonBreakGlassEnded), "payments-7d9f2", "amber",
			"Replaced pod payments-7d9f2, touched under BreakGlass inc-42, by fresh pod payments-q2m8c"),
		checkpoint("10:35:00"),
		entry("11:00:00", gdprv1alpha1.AuditPodQuarantined, string(gdprv1alpha1.AuditReasonRequested), "payments-8hz7w", responder,
			"Quarantine q-payments-8hz7w asked for, keep 24h"),
		entry("11:00:05", gdprv1alpha1.AuditPodReplaced, string(gdprv1alpha1.AuditReasonQuarantined), "payments-8hz7w", "amber",
			"Fresh pod payments-v5n3t made to take quarantined pod payments-8hz7w's place"),
		entry("11:00:10", gdprv1alpha1.AuditPodQuarantined, string(gdprv1alpha1.AuditReasonIsolated), "payments-8hz7w", "amber",
			"Pod payments-8hz7w left every Service; NetworkPolicy amber-quarantine-payments-8hz7w denies all its traffic"),
		entry("11:20:00", gdprv1alpha1.AuditWorkloadSpecChanged, string(gdprv1alpha1.AuditReasonSpecChanged), "", responder, "Generation 3"),
		entry("11:20:01", gdprv1alpha1.AuditRevisionRestored, string(gdprv1alpha1.AuditReasonRollback), "", "amber",
			"Revision 5d8f6c7b9 restored as #3 with the digests recorded when it was pinned"),
		checkpoint("11:25:00"),
		entry("11:40:00", gdprv1alpha1.AuditAdmissionConfigTampered, string(gdprv1alpha1.AuditReasonConfigChanged), "", kubectlEdit,
			"ValidatingWebhookConfiguration amber-pods was changed; Amber put its own version back"),
		entry("12:00:00", gdprv1alpha1.AuditPodDeleted, string(gdprv1alpha1.AuditReasonQuarantineEnded), "payments-8hz7w", "amber",
			"Deleted quarantined pod payments-8hz7w: its Quarantine was deleted"),
		entry("13:30:00", gdprv1alpha1.AuditDriftDetected, string(gdprv1alpha1.DriftMetadataChanged), "payments-v5n3t", kubectlEdit,
			"After the window: left out"),
	}
}

// webSteps is a second workload of the namespace, deleted during the incident: the
// admission configuration entry goes to its ledger too, and its declaration is unknown.
func webSteps() []step {
	return []step{
		entry("07:00:00", gdprv1alpha1.AuditWorkloadCreated, string(gdprv1alpha1.AuditReasonCreated), "", ciDeployer, "Workload created"),
		checkpoint("07:05:00"),
		entry("11:40:00", gdprv1alpha1.AuditAdmissionConfigTampered, string(gdprv1alpha1.AuditReasonConfigChanged), "", kubectlEdit,
			"ValidatingWebhookConfiguration amber-pods was changed; Amber put its own version back"),
		entry("11:50:00", gdprv1alpha1.AuditWorkloadDeleted, string(gdprv1alpha1.AuditReasonDeleted), "", ciDeployer, "Workload deleted"),
		checkpoint("11:55:00"),
	}
}

// paymentsProcessing is what shop/payments declares (Art. 30).
func paymentsProcessing() *gdprv1alpha1.Processing {
	return &gdprv1alpha1.Processing{
		Role:       gdprv1alpha1.RoleController,
		Controller: gdprv1alpha1.Party{Name: "Example Shop GmbH", Contact: "privacy@shop.example"},
		Purposes: []gdprv1alpha1.Purpose{
			{Name: "essential.service.payment_processing", Description: "Takes card payments for orders.", LawfulBasis: gdprv1alpha1.BasisContract,
				DataCategories: []string{"user.financial.bank_account", "user.contact.email"}, DataSubjects: []string{"customer"}, Retention: "P10Y"},
			{Name: "essential.fraud_detection", Description: "Scores payments for fraud.", LawfulBasis: gdprv1alpha1.BasisLegitimateInterests,
				LegitimateInterest: "preventing fraud on card payments", DataCategories: []string{"user.device.ip_address", "user.contact.email"},
				DataSubjects: []string{"customer", "prospect"}, SpecialCategories: []gdprv1alpha1.SpecialCategory{gdprv1alpha1.SpecialBiometric},
				SpecialCategoryCondition: gdprv1alpha1.ConditionExplicitConsent, Retention: "P13M"},
		},
	}
}

// scripted is the scripted incident's input, its entries verified with internal/ledger as
// the command verifies them; tamper, when given, changes the sealed entries first.
func scripted(t *testing.T, tamper func(payments []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent) Input {
	t.Helper()
	payments := seal(t, "shop", "payments", paymentsSteps())
	if tamper != nil {
		payments = tamper(payments)
	}
	entries := append(payments, seal(t, "shop", "web", webSteps())...)
	reports := ledger.VerifyAll(entries, ledger.NewKeys(signingKey.Public().(ed25519.PublicKey)), ledger.Options{MaxUnsigned: 100})
	return Input{
		GeneratedAt: reportAt, Since: windowBeg, Until: reportAt, Scope: "namespace shop",
		Ledgers:          FromVerified(entries, reports),
		DeclarationsRead: true,
		Workloads:        []Workload{{Namespace: "shop", Name: "payments", Processing: paymentsProcessing()}},
	}
}
