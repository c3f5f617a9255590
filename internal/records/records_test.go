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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

func build(w Workload) System {
	return Build(Input{Now: now, Window: DefaultWindow, Taxonomy: Fideslang, Workloads: []Workload{w}}).Systems[0]
}

func TestWorkloadFindings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(w *Workload)
		want   []Finding
	}{
		{"a workload whose evidence supports its declaration has no finding", func(*Workload) {}, nil},
		{"a workload that declares no processing has no entry in the record", func(w *Workload) { w.Spec.Processing = nil },
			[]Finding{{Kind: FindingNoProcessing, Message: "declares no processing (spec.processing is empty): a workload under Amber processes personal data, and this one has no entry in the record"}}},
		{"a workload with no pinned image cannot show what its pods run", func(w *Workload) { w.Status.PinnedImages = nil },
			[]Finding{{Kind: FindingImagesNotPinned, Message: "no image is pinned to a digest in status.pinnedImages: what the pods run cannot be shown"}}},
		{"a running pod that falls short of the profile is named with its violations", func(w *Workload) {
			w.Pods[1].Violations = []string{"containers[app].securityContext.privileged is true", "spec.hostNetwork is true"}
		}, []Finding{{Kind: FindingHardeningViolated, Message: "pod payments-q9d4s does not comply with the Immutable hardening profile: containers[app].securityContext.privileged is true; spec.hostNetwork is true"}}},
		{"the profile defaults to Immutable as the API defaults it", func(w *Workload) {
			w.Spec.Hardening.Profile = ""
			w.Pods[0].Violations = []string{"spec.hostPID is true"}
		}, []Finding{{Kind: FindingHardeningViolated, Message: "pod payments-7xk2p does not comply with the Immutable hardening profile: spec.hostPID is true"}}},
		{"a finished pod or one being deleted is not judged against the profile", func(w *Workload) {
			w.Pods[0].Phase, w.Pods[0].Violations = corev1.PodFailed, []string{"spec.hostPID is true"}
			w.Pods[1].Terminating, w.Pods[1].Violations = true, []string{"spec.hostPID is true"}
		}, nil},
		{"a pod placed outside the allowed regions during the window is a finding", func(w *Workload) {
			w.Entries = append(w.Entries, scheduled(18, 24*hour, "payments-us001", "uid-x", "us-east-1a-1", "us-east-1", "us-east-1a"))
		}, []Finding{{Kind: FindingOutsideResidency, Message: "pod payments-us001 was placed on node us-east-1a-1 in region us-east-1, zone us-east-1a at 2026-11-24T09:00:00Z, outside the allowed regions eu-central-1, eu-west-1"}}},
		{"a pod placed outside the allowed zones is a finding", func(w *Workload) {
			w.Spec.Residency.AllowedZones = []string{"eu-west-1a", "eu-west-1b", "eu-central-1a"}
			w.Entries = append(w.Entries, scheduled(18, 24*hour, "payments-z0001", "uid-x", "eu-west-1c-1", "eu-west-1", "eu-west-1c"))
		}, []Finding{{Kind: FindingOutsideResidency, Message: "pod payments-z0001 was placed on node eu-west-1c-1 in region eu-west-1, zone eu-west-1c at 2026-11-24T09:00:00Z, outside the allowed regions eu-central-1, eu-west-1 and zones eu-central-1a, eu-west-1a, eu-west-1b"}}},
		{"a node without a region label is outside a restricted residency, since where it is cannot be shown", func(w *Workload) {
			w.Entries = append(w.Entries, scheduled(18, 24*hour, "payments-nolab", "uid-x", "bare-1", "", ""))
		}, []Finding{{Kind: FindingOutsideResidency, Message: "pod payments-nolab was placed on node bare-1 in no region (the node had no region label) at 2026-11-24T09:00:00Z, outside the allowed regions eu-central-1, eu-west-1"}}},
		{"a pod placed abroad and deleted before the window began is not in the record", func(w *Workload) {
			w.Entries = append(w.Entries,
				scheduled(1, 50*24*hour, "payments-us001", "uid-x", "us-east-1a-1", "us-east-1", "us-east-1a"),
				deleted(2, 45*24*hour, "payments-us001", "uid-x"))
		}, nil},
		{"a pod placed abroad before the window that ran into it is a finding", func(w *Workload) {
			w.Entries = append(w.Entries,
				scheduled(1, 50*24*hour, "payments-us001", "uid-x", "us-east-1a-1", "us-east-1", "us-east-1a"),
				deleted(2, 20*24*hour, "payments-us001", "uid-x"))
		}, []Finding{{Kind: FindingOutsideResidency, Message: "pod payments-us001 was placed on node us-east-1a-1 in region us-east-1, zone us-east-1a at 2026-10-06T09:00:00Z, outside the allowed regions eu-central-1, eu-west-1"}}},
		{"a pod's deletion is matched by UID, not by a name a later pod reused", func(w *Workload) {
			w.Entries = append(w.Entries,
				scheduled(1, 50*24*hour, "payments-us001", "uid-x", "us-east-1a-1", "us-east-1", "us-east-1a"),
				deleted(2, 45*24*hour, "payments-us001", "uid-y"))
		}, []Finding{{Kind: FindingOutsideResidency, Message: "pod payments-us001 was placed on node us-east-1a-1 in region us-east-1, zone us-east-1a at 2026-10-06T09:00:00Z, outside the allowed regions eu-central-1, eu-west-1"}}},
		{"without residency a placement anywhere is allowed", func(w *Workload) {
			w.Spec.Residency = gdprv1alpha1.Residency{}
			w.Entries = append(w.Entries, scheduled(18, 24*hour, "payments-us001", "uid-x", "us-east-1a-1", "us-east-1", "us-east-1a"))
		}, nil},
		{"entries of an earlier workload of the same name are not this one's", func(w *Workload) {
			w.UID = "workload-2"
			w.Entries = append(w.Entries,
				scheduled(1, 20*24*hour, "payments-us001", "uid-x", "us-east-1a-1", "us-east-1", "us-east-1a"),
				gdprv1alpha1.AuditEventSpec{Sequence: 2, Time: ago(20 * 24 * hour), Type: gdprv1alpha1.AuditWorkloadCreated,
					Subject: gdprv1alpha1.AuditSubject{Workload: "payments", WorkloadUID: "workload-2"}})
		}, nil},
		{"without its WorkloadCreated entry every entry kept counts", func(w *Workload) {
			w.UID = "workload-2"
			w.Entries = append(w.Entries,
				scheduled(1, 20*24*hour, "payments-us001", "uid-x", "us-east-1a-1", "us-east-1", "us-east-1a"))
		}, []Finding{{Kind: FindingOutsideResidency, Message: "pod payments-us001 was placed on node us-east-1a-1 in region us-east-1, zone us-east-1a at 2026-11-05T09:00:00Z, outside the allowed regions eu-central-1, eu-west-1"}}},
		{"OutOfRegion drift in the window is a finding, whatever the placement said", func(w *Workload) {
			w.Entries = append(w.Entries, drift(18, 24*hour, "payments-7xk2p", string(gdprv1alpha1.DriftOutOfRegion)))
		}, []Finding{{Kind: FindingOutsideResidency, Message: "pod payments-7xk2p was found on a node outside the allowed regions eu-central-1, eu-west-1 at 2026-11-24T09:00:00Z (OutOfRegion drift, entry 18)"}}},
		{"OutOfRegion drift before the window is not in the record", func(w *Workload) {
			w.Entries = append(w.Entries, drift(1, 31*24*hour, "payments-7xk2p", string(gdprv1alpha1.DriftOutOfRegion)))
		}, nil},
		{"a running pod bound to a node without a PodScheduled entry has an unrecorded placement", func(w *Workload) {
			w.Pods = append(w.Pods, Pod{Name: "payments-new01", UID: "uid-n", Node: "eu-west-1a-2", Phase: corev1.PodRunning})
		}, []Finding{{Kind: FindingPlacementUnrecorded, Message: "pod payments-new01 runs on node eu-west-1a-2 but the ledger has no PodScheduled entry for it: where it runs is not recorded"}}},
		{"a pending pod not yet bound has no placement to record", func(w *Workload) {
			w.Pods = append(w.Pods, Pod{Name: "payments-new01", UID: "uid-n", Phase: corev1.PodPending})
		}, nil},
		{"a workload without an AuditLedger has no verified history", func(w *Workload) { w.Ledger = nil },
			[]Finding{{Kind: FindingLedgerUnverified, Message: "has no AuditLedger: there is no verified history of its pods"}}},
		{"a ledger whose Verified is False is named with its message", func(w *Workload) {
			w.Ledger.Conditions[0].Status, w.Ledger.Conditions[0].Message = metav1.ConditionFalse, "entry 4: previousHash does not match entry 3"
		}, []Finding{{Kind: FindingLedgerUnverified, Message: "its ledger does not verify: entry 4: previousHash does not match entry 3"}}},
		{"a ledger not yet verified is unverified", func(w *Workload) { w.Ledger.Conditions = nil },
			[]Finding{{Kind: FindingLedgerUnverified, Message: "its ledger has not been verified yet (no Verified condition True)"}}},
		{"a review more than a year old is overdue", func(w *Workload) {
			w.Spec.Processing.LastReviewed = &gdprv1alpha1.Review{Date: "2025-11-24", By: "Data Protection Office"}
		}, []Finding{{Kind: FindingReviewOverdue, Message: "last reviewed on 2025-11-24 by Data Protection Office, more than a year ago"}}},
		{"a review exactly a year old is not overdue yet", func(w *Workload) {
			w.Spec.Processing.LastReviewed = &gdprv1alpha1.Review{Date: "2025-11-25", By: "Data Protection Office"}
		}, nil},
		{"a record without a review date gets a note, not a finding", func(w *Workload) { w.Spec.Processing.LastReviewed = nil },
			[]Finding{{Kind: FindingNeverReviewed, Message: "spec.processing.lastReviewed is not set: when the record was last reviewed is not known", Note: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := payments()
			tc.change(&w)
			got := build(w).Findings
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPurposeKeyFindings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p *gdprv1alpha1.Purpose)
		want   []Finding
	}{
		{"fideslang keys have no finding", func(p *gdprv1alpha1.Purpose) {
			p.DataCategories = []string{"user.contact.email"}
		}, nil},
		{"a custom key under a taxonomy key is a note naming its parent", func(p *gdprv1alpha1.Purpose) {
			p.Name = "essential.service.payment_processing.refunds"
		}, []Finding{{Kind: FindingCustomKey, Message: `purpose "essential.service.payment_processing.refunds" is a custom key under "essential.service.payment_processing"`, Note: true}}},
		{"a custom key's parent is its nearest taxonomy ancestor", func(p *gdprv1alpha1.Purpose) {
			p.DataCategories = []string{"user.contact.email.work.primary"}
		}, []Finding{{Kind: FindingCustomKey, Message: `data category "user.contact.email.work.primary" is a custom key under "user.contact.email"`, Note: true}}},
		{"a key outside the taxonomy is a finding", func(p *gdprv1alpha1.Purpose) {
			p.DataSubjects = []string{"customer", "subscriber"}
		}, []Finding{{Kind: FindingUnknownKey, Message: `data subject "subscriber" is not in the fideslang 3.1.2 taxonomy, nor under any of its keys`}}},
		{"a key of another taxonomy is outside this one", func(p *gdprv1alpha1.Purpose) {
			p.DataCategories = []string{"customer"}
		}, []Finding{{Kind: FindingUnknownKey, Message: `data category "customer" is not in the fideslang 3.1.2 taxonomy, nor under any of its keys`}}},
		{"a deprecated key is a note naming its replacement", func(p *gdprv1alpha1.Purpose) {
			p.Name = "personalize.profiling"
		}, []Finding{{Kind: FindingDeprecatedKey, Message: `purpose "personalize.profiling" was deprecated in fideslang 2.1.1, replaced by "personalize.content.profiling"`, Note: true}}},
		{"findings come purpose first, then categories and subjects, each sorted", func(p *gdprv1alpha1.Purpose) {
			p.Name = "shop.checkout"
			p.DataCategories = []string{"user.z", "user.a"}
			p.DataSubjects = []string{"member"}
		}, []Finding{
			{Kind: FindingUnknownKey, Message: `purpose "shop.checkout" is not in the fideslang 3.1.2 taxonomy, nor under any of its keys`},
			{Kind: FindingCustomKey, Message: `data category "user.a" is a custom key under "user"`, Note: true},
			{Kind: FindingCustomKey, Message: `data category "user.z" is a custom key under "user"`, Note: true},
			{Kind: FindingUnknownKey, Message: `data subject "member" is not in the fideslang 3.1.2 taxonomy, nor under any of its keys`},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := gdprv1alpha1.Purpose{Name: "essential.service.payment_processing", LawfulBasis: gdprv1alpha1.BasisContract,
				DataCategories: []string{"user.financial.bank_account"}, DataSubjects: []string{"customer"}, Retention: "P10Y"}
			tc.change(&p)
			w := payments()
			w.Spec.Processing.Purposes = []gdprv1alpha1.Purpose{p}
			got := build(w).Purposes[0].Findings
			if len(got) == 0 {
				got = nil
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMeasures(t *testing.T) {
	got := build(payments()).Measures
	want := Measures{
		PinnedImages: []PinnedImage{{Container: "app", Pinned: "registry.example/shop/payments:1.4@" + digest("p"), Digest: digest("p")}},
		Hardening:    Hardening{Profile: gdprv1alpha1.HardeningImmutable, RunningPods: 2, CompliantPods: 2},
		// payments-old01 was placed 40 days ago, before the window, and deleted 2 days ago:
		// it ran in the window, so eu-west-1b counts.
		Residency: Residency{AllowedRegions: []string{"eu-central-1", "eu-west-1"}, AllowedZones: []string{},
			RegionsUsed: []string{"eu-central-1", "eu-west-1"}, ZonesUsed: []string{"eu-central-1a", "eu-west-1a", "eu-west-1b"}, Nodes: 3},
		Drift: Drift{Policy: gdprv1alpha1.DriftReplace, Detected: []DriftCount{{Reason: "ImageChanged", Count: 1}}},
		Ledger: Ledger{Found: true, Head: 17, HeadHash: hash('a'), LastCheckpoint: &Checkpoint{Entry: 16, Covers: 15, Time: now.Add(-2 * hour)},
			Verified: metav1.ConditionTrue, VerifiedMessage: "Entries 1 to 17 verify"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("measures (-want +got):\n%s", diff)
	}
}

func TestMeasuresDefaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check func(t *testing.T, m Measures)
	}{
		{"an unset drift policy is Replace, as the API defaults it", func(t *testing.T, m Measures) {
			if m.Drift.Policy != gdprv1alpha1.DriftReplace {
				t.Errorf("drift policy = %q, want Replace", m.Drift.Policy)
			}
		}},
		{"a workload without a ledger shows none, its Verified Unknown", func(t *testing.T, m Measures) {
			if m.Ledger.Found || m.Ledger.Verified != metav1.ConditionUnknown {
				t.Errorf("ledger = %+v, want not found and Unknown", m.Ledger)
			}
		}},
		{"a workload whose pods were never placed used no region", func(t *testing.T, m Measures) {
			if len(m.Residency.RegionsUsed) != 0 || m.Residency.Nodes != 0 {
				t.Errorf("residency = %+v, want no region used", m.Residency)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, build(batchExport()).Measures)
		})
	}
}

func TestBuildSortsWorkloadsAndPurposes(t *testing.T) {
	r := Build(realistic())
	var got []string
	for _, s := range r.Systems {
		got = append(got, s.Namespace+"/"+s.Name)
		for _, p := range s.Purposes {
			got = append(got, "  "+p.Name)
		}
	}
	want := []string{"clinic/records", "  essential.service.operations", "legacy/batch-export", "marketing/newsletter", "  personalize.profiling",
		"shop/payments", "  essential.fraud_detection", "  essential.service.payment_processing"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if r.WindowStart != now.Add(-30*24*time.Hour) || r.Window != "30d" || r.Taxonomy != "fideslang 3.1.2" {
		t.Errorf("window %s (%s), taxonomy %q", r.WindowStart, r.Window, r.Taxonomy)
	}
}

func TestCountLeavesNotesOut(t *testing.T) {
	findings, notes := Build(realistic()).Count()
	// clinic: hardening, 3 outside residency, ledger, review overdue, unknown category (7);
	// batch-export: no processing, not pinned, unrecorded placement, no ledger (4);
	// newsletter: unknown subject (1) and the notes never reviewed and deprecated key (2);
	// payments: the note custom key (1).
	if findings != 12 || notes != 3 {
		t.Errorf("Count() = %d findings, %d notes; want 12 and 3", findings, notes)
	}
}
