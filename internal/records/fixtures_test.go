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

package records

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// now is when the tests' records are made.
var now = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(now.Add(-d)) }

const hour = time.Hour

// digest makes a recognisable sha256 digest from a seed.
func digest(seed string) string {
	return "sha256:" + strings.Repeat(fmt.Sprintf("%x", seed[0]), 32)
}

// hash makes a recognisable entry hash.
func hash(seed byte) string { return strings.Repeat(fmt.Sprintf("%02x", seed), 32) }

// paymentsProcessing is a controller's record with two purposes, one on legitimate
// interests, a custom key, and a transfer under standard contractual clauses.
func paymentsProcessing() *gdprv1alpha1.Processing {
	return &gdprv1alpha1.Processing{
		Role:                  gdprv1alpha1.RoleController,
		Controller:            gdprv1alpha1.Party{Name: "Example Shop GmbH", Contact: "privacy@shop.example"},
		Representative:        &gdprv1alpha1.Party{Name: "Example EU Representative SARL", Contact: "eu-rep@shop.example"},
		DataProtectionOfficer: &gdprv1alpha1.Party{Name: "Data Protection Office", Contact: "dpo@shop.example"},
		Purposes: []gdprv1alpha1.Purpose{
			{
				Name:           "essential.service.payment_processing",
				Description:    "Takes card and bank payments for orders.",
				LawfulBasis:    gdprv1alpha1.BasisContract,
				DataCategories: []string{"user.financial.bank_account", "user.contact.email", "user.financial.bank_account.iban"},
				DataSubjects:   []string{"customer"},
				Retention:      "P10Y",
				Source:         "collected from the customer at checkout",
				Recipients:     []string{"card networks", "tax authority"},
			},
			{
				Name:               "essential.fraud_detection",
				Description:        "Scores payments for fraud before they are accepted.",
				LawfulBasis:        gdprv1alpha1.BasisLegitimateInterests,
				LegitimateInterest: "preventing fraud on card payments",
				DataCategories:     []string{"user.device.ip_address", "user.behavior.purchase_history"},
				DataSubjects:       []string{"customer"},
				Retention:          "Deleted 13 months after the payment, the longest chargeback period.",
				Recipients:         []string{"Example Fraud Scoring Inc."},
			},
		},
		ThirdCountryTransfers: []gdprv1alpha1.ThirdCountryTransfer{
			{Country: "US", Recipient: "Example Fraud Scoring Inc.", Safeguard: gdprv1alpha1.SafeguardStandardContractualClauses},
		},
		LastReviewed: &gdprv1alpha1.Review{Date: "2026-09-01", By: "Data Protection Office"},
	}
}

// payments is a workload whose evidence supports its declaration in full.
func payments() Workload {
	return Workload{
		Namespace: "shop", Name: "payments",
		Spec: gdprv1alpha1.GDPRWorkloadSpec{
			Residency:   gdprv1alpha1.Residency{AllowedRegions: []string{"eu-west-1", "eu-central-1"}},
			Hardening:   gdprv1alpha1.Hardening{Profile: gdprv1alpha1.HardeningImmutable},
			DriftPolicy: gdprv1alpha1.DriftPolicy{Action: gdprv1alpha1.DriftReplace},
			Processing:  paymentsProcessing(),
		},
		Status: gdprv1alpha1.GDPRWorkloadStatus{PinnedImages: []gdprv1alpha1.PinnedImage{{
			Container: "app", Image: "registry.example/shop/payments:1.4",
			Pinned: "registry.example/shop/payments:1.4@" + digest("p"), Digest: digest("p"),
		}}},
		Pods: []Pod{
			{Name: "payments-7xk2p", UID: "uid-a", Node: "eu-west-1a-1", Phase: corev1.PodRunning},
			{Name: "payments-q9d4s", UID: "uid-b", Node: "eu-central-1a-1", Phase: corev1.PodRunning},
		},
		Entries: []gdprv1alpha1.AuditEventSpec{
			scheduled(3, 40*24*hour, "payments-old01", "uid-0", "eu-west-1b-1", "eu-west-1", "eu-west-1b"),
			scheduled(9, 3*24*hour, "payments-7xk2p", "uid-a", "eu-west-1a-1", "eu-west-1", "eu-west-1a"),
			drift(12, 2*24*hour, "payments-old01", string(gdprv1alpha1.DriftImageChanged)),
			deleted(14, 2*24*hour-hour, "payments-old01", "uid-0"),
			scheduled(16, 2*24*hour-2*hour, "payments-q9d4s", "uid-b", "eu-central-1a-1", "eu-central-1", "eu-central-1a"),
		},
		Ledger: verifiedLedger(17, 'a'),
	}
}

func scheduled(seq int64, age time.Duration, pod, uid, node, region, zone string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Sequence: seq, Time: ago(age), Type: gdprv1alpha1.AuditPodScheduled, Reason: string(gdprv1alpha1.AuditReasonBound),
		Subject:   gdprv1alpha1.AuditSubject{Pod: pod, PodUID: uid},
		Placement: &gdprv1alpha1.AuditPlacement{Node: node, Region: region, Zone: zone},
	}
}

func deleted(seq int64, age time.Duration, pod, uid string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Sequence: seq, Time: ago(age), Type: gdprv1alpha1.AuditPodDeleted, Reason: string(gdprv1alpha1.AuditReasonDrifted),
		Subject: gdprv1alpha1.AuditSubject{Pod: pod, PodUID: uid},
	}
}

func drift(seq int64, age time.Duration, pod, reason string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Sequence: seq, Time: ago(age), Type: gdprv1alpha1.AuditDriftDetected, Reason: reason,
		Subject: gdprv1alpha1.AuditSubject{Pod: pod},
	}
}

func verifiedLedger(head int64, seed byte) *gdprv1alpha1.AuditLedgerStatus {
	return &gdprv1alpha1.AuditLedgerStatus{
		Head: gdprv1alpha1.AuditLedgerHead{Sequence: head, Hash: hash(seed)},
		Checkpoints: []gdprv1alpha1.AuditLedgerCheckpoint{
			{Entry: head - 6, Time: ago(30 * hour), AuditCheckpointSignature: gdprv1alpha1.AuditCheckpointSignature{Sequence: head - 7}},
			{Entry: head - 1, Time: ago(2 * hour), AuditCheckpointSignature: gdprv1alpha1.AuditCheckpointSignature{Sequence: head - 2}},
		},
		Conditions: []metav1.Condition{{Type: gdprv1alpha1.VerifiedCondition, Status: metav1.ConditionTrue, Reason: gdprv1alpha1.ReasonChainVerified,
			Message: fmt.Sprintf("Entries 1 to %d verify", head)}},
	}
}

// clinic is a processor's workload with special categories whose evidence contradicts its
// declaration in every way a record can show.
func clinic() Workload {
	return Workload{
		Namespace: "clinic", Name: "records", UID: "3f1c9a52-clinic-records",
		Spec: gdprv1alpha1.GDPRWorkloadSpec{
			Residency:   gdprv1alpha1.Residency{AllowedRegions: []string{"eu-central-1"}, AllowedZones: []string{"eu-central-1a", "eu-central-1b"}},
			Hardening:   gdprv1alpha1.Hardening{Profile: gdprv1alpha1.HardeningImmutable},
			DriftPolicy: gdprv1alpha1.DriftPolicy{Action: gdprv1alpha1.DriftReplaceImmediately},
			Processing: &gdprv1alpha1.Processing{
				Role:       gdprv1alpha1.RoleProcessor,
				Controller: gdprv1alpha1.Party{Name: "Example Hospital Trust", Contact: "records-office@hospital.example"},
				Purposes: []gdprv1alpha1.Purpose{{
					Name:                     "essential.service.operations",
					Description:              "Stores and serves patients' treatment records for the hospital's clinicians.",
					LawfulBasis:              gdprv1alpha1.BasisPublicTask,
					DataCategories:           []string{"user.health_and_medical", "medical.imaging"},
					DataSubjects:             []string{"patient", "next_of_kin"},
					SpecialCategories:        []gdprv1alpha1.SpecialCategory{gdprv1alpha1.SpecialHealth, gdprv1alpha1.SpecialGenetic},
					SpecialCategoryCondition: gdprv1alpha1.ConditionHealthOrSocialCare,
					Retention:                "Kept 8 years after the last treatment, as national health records law requires.",
					Source:                   "the hospital's clinicians",
					Recipients:               []string{"the hospital"},
				}},
				LastReviewed: &gdprv1alpha1.Review{Date: "2025-06-30", By: "Information Governance"},
			},
		},
		Status: gdprv1alpha1.GDPRWorkloadStatus{PinnedImages: []gdprv1alpha1.PinnedImage{
			{Container: "api", Pinned: "registry.example/clinic/records:3.2@" + digest("r"), Digest: digest("r")},
			{Container: "migrate", Pinned: "registry.example/clinic/migrate:3.2@" + digest("m"), Digest: digest("m")},
		}},
		Pods: []Pod{
			{Name: "records-b8f2m", UID: "uid-c", Node: "eu-central-1a-2", Phase: corev1.PodRunning,
				Violations: []string{"containers[api].securityContext.readOnlyRootFilesystem is false, the Immutable profile requires true", "volumes[scratch].hostPath is set, no profile allows hostPath volumes"}},
			{Name: "records-zz9w1", UID: "uid-d", Node: "eu-central-1b-1", Phase: corev1.PodRunning},
			{Name: "records-done1", UID: "uid-e", Node: "eu-central-1b-1", Phase: corev1.PodSucceeded,
				Violations: []string{"containers[api].securityContext.privileged is true"}},
		},
		Entries: []gdprv1alpha1.AuditEventSpec{
			// An earlier workload of the same name ran in us-west-2; its ledger was taken over.
			scheduled(2, 25*24*hour, "records-prev1", "uid-p", "us-west-2a-1", "us-west-2", "us-west-2a"),
			{Sequence: 19, Time: ago(11 * 24 * hour), Type: gdprv1alpha1.AuditWorkloadCreated, Reason: string(gdprv1alpha1.AuditReasonCreated),
				Subject: gdprv1alpha1.AuditSubject{Workload: "records", WorkloadUID: "3f1c9a52-clinic-records"}},
			scheduled(20, 10*24*hour, "records-k2l9q", "uid-f", "us-east-1a-1", "us-east-1", "us-east-1a"),
			drift(21, 10*24*hour-hour, "records-k2l9q", string(gdprv1alpha1.DriftOutOfRegion)),
			deleted(22, 10*24*hour-hour, "records-k2l9q", "uid-f"),
			scheduled(23, 10*24*hour-2*hour, "records-b8f2m", "uid-c", "eu-central-1a-2", "eu-central-1", "eu-central-1a"),
			scheduled(25, 5*24*hour, "records-zz9w1", "uid-d", "eu-central-1c-1", "eu-central-1", "eu-central-1c"),
		},
		Ledger: &gdprv1alpha1.AuditLedgerStatus{
			Head:        gdprv1alpha1.AuditLedgerHead{Sequence: 31, Hash: hash('c')},
			Checkpoints: []gdprv1alpha1.AuditLedgerCheckpoint{{Entry: 28, Time: ago(20 * hour), AuditCheckpointSignature: gdprv1alpha1.AuditCheckpointSignature{Sequence: 27}}},
			Conditions: []metav1.Condition{{Type: gdprv1alpha1.VerifiedCondition, Status: metav1.ConditionFalse, Reason: gdprv1alpha1.ReasonChainBroken,
				Message: "entry 17: its hash does not match its content"}},
		},
	}
}

// newsletter is a consent-based workload on the Baseline profile with a deprecated
// purpose key, no residency and no review date.
func newsletter() Workload {
	return Workload{
		Namespace: "marketing", Name: "newsletter",
		Spec: gdprv1alpha1.GDPRWorkloadSpec{
			Hardening:   gdprv1alpha1.Hardening{Profile: gdprv1alpha1.HardeningBaseline},
			DriftPolicy: gdprv1alpha1.DriftPolicy{Action: gdprv1alpha1.DriftReport},
			Processing: &gdprv1alpha1.Processing{
				Role:       gdprv1alpha1.RoleController,
				Controller: gdprv1alpha1.Party{Name: "Example Shop GmbH", Contact: "privacy@shop.example"},
				Purposes: []gdprv1alpha1.Purpose{{
					Name:           "personalize.profiling",
					Description:    "Chooses which offers each subscriber's newsletter shows.",
					LawfulBasis:    gdprv1alpha1.BasisConsent,
					DataCategories: []string{"user.contact.email", "user.behavior.purchase_history"},
					DataSubjects:   []string{"customer", "subscriber"},
					Retention:      "Until the subscriber withdraws consent, then deleted within 30 days.",
				}},
			},
		},
		Status: gdprv1alpha1.GDPRWorkloadStatus{PinnedImages: []gdprv1alpha1.PinnedImage{
			{Container: "sender", Pinned: "registry.example/marketing/newsletter:2.0@" + digest("n"), Digest: digest("n")},
		}},
		Pods: []Pod{{Name: "newsletter-5tq7d", UID: "uid-g", Node: "us-east-1a-1", Phase: corev1.PodRunning}},
		Entries: []gdprv1alpha1.AuditEventSpec{
			scheduled(4, 12*24*hour, "newsletter-5tq7d", "uid-g", "us-east-1a-1", "us-east-1", "us-east-1a"),
			drift(7, 6*24*hour, "newsletter-5tq7d", string(gdprv1alpha1.DriftMetadataChanged)),
			drift(8, 5*24*hour, "newsletter-5tq7d", string(gdprv1alpha1.DriftMetadataChanged)),
		},
		Ledger: verifiedLedger(9, 'd'),
	}
}

// batchExport is a workload that declares nothing and was never pinned nor recorded.
func batchExport() Workload {
	return Workload{
		Namespace: "legacy", Name: "batch-export",
		Pods: []Pod{{Name: "batch-export-0aa1x", UID: "uid-h", Node: "eu-west-1a-1", Phase: corev1.PodRunning}},
	}
}

// realistic is the input of the golden files: four workloads in three states, and every
// finding a record can hold.
func realistic() Input {
	return Input{
		Now: now, Window: DefaultWindow, Taxonomy: Fideslang,
		Workloads: []Workload{newsletter(), clinic(), batchExport(), payments()},
	}
}
