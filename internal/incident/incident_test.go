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
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// e is an entry of a hand-made ledger: sequence, time of day, type, reason and pod.
func e(seq int64, clock string, typ gdprv1alpha1.AuditEventType, reason, pod string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{Sequence: seq, Time: metav1.NewTime(at(clock)), Type: typ, Reason: reason,
		Subject: gdprv1alpha1.AuditSubject{Pod: pod}, Message: "m"}
}

// cp is a Checkpoint entry covering the entry before it.
func cp(seq int64, clock string) gdprv1alpha1.AuditEventSpec {
	s := e(seq, clock, gdprv1alpha1.AuditCheckpoint, string(gdprv1alpha1.AuditReasonSigned), "")
	s.Checkpoint = &gdprv1alpha1.AuditCheckpointSignature{Sequence: seq - 1, KeyID: "k1"}
	return s
}

// verified is a ledger whose chain verifies.
func verified(name string, entries ...gdprv1alpha1.AuditEventSpec) Ledger {
	return Ledger{Namespace: "shop", Name: name, Entries: entries,
		Verification: ledger.Report{Namespace: "shop", Ledger: name, Entries: len(entries), First: 1, Head: int64(len(entries))}}
}

// broken is a ledger whose chain fails at firstBad.
func broken(name string, firstBad int64, entries ...gdprv1alpha1.AuditEventSpec) Ledger {
	l := verified(name, entries...)
	l.Verification.Problem = &ledger.Problem{Sequence: firstBad, What: "its content does not match its hash (the entry was modified)"}
	return l
}

// input is a report over 09:00 to 13:00, made at 13:00, with the ledgers given and
// shop/payments declaring its processing.
func input(ledgers ...Ledger) Input {
	return Input{GeneratedAt: reportAt, Since: windowBeg, Until: reportAt, Ledgers: ledgers, DeclarationsRead: true,
		Workloads: []Workload{{Namespace: "shop", Name: "payments", Processing: paymentsProcessing()}}}
}

func TestFirstDetectionAndDeadline(t *testing.T) {
	for _, tc := range []struct {
		name         string
		in           Input
		wantFirst    string // type/reason of the first detection, "" for none
		wantTime     string
		wantDeadline string
		wantPassed   bool
	}{
		{
			name:      "nothing abnormal in the window gives no detection and no deadline",
			in:        input(verified("payments", e(1, "10:00:00", gdprv1alpha1.AuditPodCreated, "ScalingUp", "p1"), e(2, "10:05:00", gdprv1alpha1.AuditPodReplaced, "Drifted", "p1"))),
			wantFirst: "",
		},
		{
			name: "the first detection is the earliest abnormal entry, and the deadline is 72 hours after it",
			in: input(verified("payments",
				e(1, "09:10:00", gdprv1alpha1.AuditBreakGlassGranted, "Granted", ""),
				e(2, "09:20:00", gdprv1alpha1.AuditBreakGlassUsed, "Exec", "p1"),
				e(3, "09:40:00", gdprv1alpha1.AuditDriftDetected, "ImageChanged", "p2"))),
			wantFirst: "BreakGlassUsed/Exec", wantTime: "09:20:00", wantDeadline: "2026-11-27T09:20:00Z",
		},
		{
			name: "an abnormal entry before the window does not start the deadline",
			in: input(verified("payments",
				e(1, "08:59:59", gdprv1alpha1.AuditAccessDenied, "Exec", "p1"),
				e(2, "12:00:00", gdprv1alpha1.AuditAdmissionWouldDeny, "Attach", "p1"))),
			wantFirst: "AdmissionWouldDeny/Attach", wantTime: "12:00:00", wantDeadline: "2026-11-27T12:00:00Z",
		},
		{
			name:      "an abnormal entry after the window is left out",
			in:        input(verified("payments", e(1, "13:00:01", gdprv1alpha1.AuditDriftDetected, "Escaped", "p1"))),
			wantFirst: "",
		},
		{
			name: "the window's bounds are both included",
			in: input(verified("payments",
				e(1, "09:00:00", gdprv1alpha1.AuditAdmissionConfigTampered, "ConfigDeleted", ""),
				e(2, "13:00:00", gdprv1alpha1.AuditDriftDetected, "Escaped", "p1"))),
			wantFirst: "AdmissionConfigTampered/ConfigDeleted", wantTime: "09:00:00", wantDeadline: "2026-11-27T09:00:00Z",
		},
		{
			name: "a ledger that does not verify is detected when Amber found it broken",
			in: func() Input {
				l := broken("web", 2, e(1, "07:00:00", gdprv1alpha1.AuditWorkloadCreated, "Created", ""), e(2, "11:00:00", gdprv1alpha1.AuditPodCreated, "ScalingUp", "w1"))
				l.BrokenSince = at("09:30:00")
				return input(l, verified("payments", e(1, "10:00:00", gdprv1alpha1.AuditDriftDetected, "ImageChanged", "p1")))
			}(),
			wantFirst: "LedgerTampered/ChainBroken", wantTime: "09:30:00", wantDeadline: "2026-11-27T09:30:00Z",
		},
		{
			name:      "a ledger that does not verify, with no known time of discovery, is detected at the report's time",
			in:        input(broken("web", 1, e(1, "07:00:00", gdprv1alpha1.AuditWorkloadCreated, "Created", ""))),
			wantFirst: "LedgerTampered/ChainBroken", wantTime: "13:00:00", wantDeadline: "2026-11-27T13:00:00Z",
		},
		{
			name: "a deadline before the report's time has passed",
			in: func() Input {
				in := input(verified("payments", e(1, "09:30:00", gdprv1alpha1.AuditDriftDetected, "ImageChanged", "p1")))
				in.GeneratedAt = at("09:30:00").Add(NotificationPeriod + time.Second)
				return in
			}(),
			wantFirst: "DriftDetected/ImageChanged", wantTime: "09:30:00", wantDeadline: "2026-11-27T09:30:00Z", wantPassed: true,
		},
		{
			name: "detections at the same time are ordered by ledger, then sequence",
			in: input(
				verified("web", e(1, "11:40:00", gdprv1alpha1.AuditAdmissionConfigTampered, "ConfigChanged", "")),
				verified("payments", e(7, "11:40:00", gdprv1alpha1.AuditAdmissionConfigTampered, "ConfigDeleted", ""), e(6, "11:40:00", gdprv1alpha1.AuditAdmissionConfigTampered, "ConfigChanged", ""))),
			wantFirst: "AdmissionConfigTampered/ConfigChanged", wantTime: "11:40:00", wantDeadline: "2026-11-27T11:40:00Z",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Build(tc.in)
			if tc.wantFirst == "" {
				if r.FirstDetection != nil || r.NotificationDeadline != nil {
					t.Errorf("first detection %+v, deadline %v; want none", r.FirstDetection, r.NotificationDeadline)
				}
				return
			}
			if r.FirstDetection == nil || r.NotificationDeadline == nil {
				t.Fatalf("no first detection, want %s at %s", tc.wantFirst, tc.wantTime)
			}
			d := r.FirstDetection
			if got := d.Type + "/" + d.Reason; got != tc.wantFirst || !d.Time.Equal(at(tc.wantTime)) {
				t.Errorf("first detection %s at %s, want %s at %s", got, formatTime(d.Time), tc.wantFirst, formatTime(at(tc.wantTime)))
			}
			if got := formatTime(*r.NotificationDeadline); got != tc.wantDeadline || r.DeadlinePassed != tc.wantPassed {
				t.Errorf("deadline %s (passed %v), want %s (passed %v)", got, r.DeadlinePassed, tc.wantDeadline, tc.wantPassed)
			}
		})
	}
}

// The same-time case must pick the first ledger, then its lowest sequence.
func TestTiesAreBrokenByLedgerThenSequence(t *testing.T) {
	r := Build(input(
		verified("web", e(1, "11:40:00", gdprv1alpha1.AuditAdmissionConfigTampered, "ConfigChanged", "")),
		verified("payments", e(7, "11:40:00", gdprv1alpha1.AuditAdmissionConfigTampered, "ConfigDeleted", ""), e(6, "11:40:00", gdprv1alpha1.AuditAdmissionConfigTampered, "ConfigChanged", ""))))
	var got []string
	for _, ev := range r.Timeline {
		got = append(got, ev.Workload+"#"+strconv.FormatInt(ev.Sequence, 10))
	}
	if want := []string{"payments#6", "payments#7", "web#1"}; !cmp.Equal(got, want) {
		t.Errorf("timeline order %v, want %v", got, want)
	}
}

func TestWhatEachEntryCountsAs(t *testing.T) {
	for _, tc := range []struct {
		name                      string
		entry                     gdprv1alpha1.AuditEventSpec
		abnormal, measure, inLine bool
		what                      string
	}{
		{"drift is abnormal", e(1, "10:00:00", gdprv1alpha1.AuditDriftDetected, "ImageChanged", "p"), true, false, true, ""},
		{"an access denied is abnormal", e(1, "10:00:00", gdprv1alpha1.AuditAccessDenied, "Exec", "p"), true, false, true, ""},
		{"a request admission would have denied is abnormal", e(1, "10:00:00", gdprv1alpha1.AuditAdmissionWouldDeny, "Exec", "p"), true, false, true, ""},
		{"break-glass use is abnormal", e(1, "10:00:00", gdprv1alpha1.AuditBreakGlassUsed, "Exec", "p"), true, false, true, ""},
		{"admission configuration tampered is abnormal and Amber's restoring it a measure", e(1, "10:00:00", gdprv1alpha1.AuditAdmissionConfigTampered, "ConfigDeleted", ""), true, true, true, "Admission configuration put back by Amber"},
		{"a drifted pod's replacement is a measure", e(1, "10:00:00", gdprv1alpha1.AuditPodReplaced, "Drifted", "p"), false, true, true, "Drifted pod replaced by a fresh pod of its revision"},
		{"a touched pod's replacement after break-glass is a measure", e(1, "10:00:00", gdprv1alpha1.AuditPodReplaced, "BreakGlassEnded", "p"), false, true, true, "Pod touched under a break-glass replaced by a fresh pod of its revision"},
		{"a quarantined pod's replacement is a measure", e(1, "10:00:00", gdprv1alpha1.AuditPodReplaced, "Quarantined", "p"), false, true, true, "Fresh pod made to take the quarantined pod's place"},
		{"a quarantine asked for is a measure", e(1, "10:00:00", gdprv1alpha1.AuditPodQuarantined, "Requested", "p"), false, true, true, "Quarantine of the pod requested"},
		{"a pod isolated is a measure", e(1, "10:00:00", gdprv1alpha1.AuditPodQuarantined, "Isolated", "p"), false, true, true, "Pod taken out of service and kept for examination"},
		{"a quarantined pod deleted is a measure", e(1, "10:00:00", gdprv1alpha1.AuditPodDeleted, "QuarantineEnded", "p"), false, true, true, "Quarantined pod deleted"},
		{"a rollback is a measure", e(1, "10:00:00", gdprv1alpha1.AuditRevisionRestored, "Rollback", ""), false, true, true, "Workload rolled back to an earlier revision with its recorded digests"},
		{"a break-glass expiring is a measure", e(1, "10:00:00", gdprv1alpha1.AuditBreakGlassEnded, "Expired", ""), false, true, true, "Break-glass window closed: it expired"},
		{"a break-glass deleted is a measure", e(1, "10:00:00", gdprv1alpha1.AuditBreakGlassEnded, "Deleted", ""), false, true, true, "Break-glass window closed: the BreakGlass was deleted"},
		{"a break-glass granted is context", e(1, "10:00:00", gdprv1alpha1.AuditBreakGlassGranted, "Granted", ""), false, false, true, ""},
		{"a spec change is context", e(1, "10:00:00", gdprv1alpha1.AuditWorkloadSpecChanged, "SpecChanged", ""), false, false, true, ""},
		{"a workload deleted is context", e(1, "10:00:00", gdprv1alpha1.AuditWorkloadDeleted, "Deleted", ""), false, false, true, ""},
		{"a tag that moved is context", e(1, "10:00:00", gdprv1alpha1.AuditRevisionPinned, "TagMoved", ""), false, false, true, ""},
		{"a drifted pod's deletion is context", e(1, "10:00:00", gdprv1alpha1.AuditPodDeleted, "Drifted", "p"), false, false, true, ""},
		{"a pod scaled down is not in the timeline", e(1, "10:00:00", gdprv1alpha1.AuditPodDeleted, "ScalingDown", "p"), false, false, false, ""},
		{"a first pin is not in the timeline", e(1, "10:00:00", gdprv1alpha1.AuditRevisionPinned, "Pinned", ""), false, false, false, ""},
		{"a pod created is not in the timeline", e(1, "10:00:00", gdprv1alpha1.AuditPodCreated, "ScalingUp", "p"), false, false, false, ""},
		{"a checkpoint is not in the timeline", cp(1, "10:00:00"), false, false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Build(input(verified("payments", tc.entry)))
			if !tc.inLine {
				if len(r.Timeline) != 0 {
					t.Errorf("timeline %+v, want it empty", r.Timeline)
				}
				return
			}
			if len(r.Timeline) != 1 {
				t.Fatalf("timeline has %d entries, want 1", len(r.Timeline))
			}
			ev := r.Timeline[0]
			if ev.Abnormal != tc.abnormal || ev.Measure != tc.measure {
				t.Errorf("abnormal %v, measure %v; want %v, %v", ev.Abnormal, ev.Measure, tc.abnormal, tc.measure)
			}
			var what string
			if len(r.Measures) == 1 {
				what = r.Measures[0].What
			}
			if what != tc.what {
				t.Errorf("measure %q, want %q", what, tc.what)
			}
		})
	}
}

func TestWhatVouchesForAnEntry(t *testing.T) {
	for _, tc := range []struct {
		name        string
		ledger      Ledger
		want        map[int64]Proof // by sequence
		wantCovered map[int64]int64 // checkpoint signing each signed entry
		wantRelied  []int64         // checkpoints relied on
	}{
		{
			name: "an entry is signed by the first checkpoint after it, and one after the last checkpoint is only chained",
			ledger: verified("payments",
				e(1, "09:10:00", gdprv1alpha1.AuditDriftDetected, "ImageChanged", "p1"), cp(2, "09:15:00"),
				e(3, "09:20:00", gdprv1alpha1.AuditAccessDenied, "Exec", "p1"), e(4, "09:25:00", gdprv1alpha1.AuditPodCreated, "Repairing", "p2"), cp(5, "09:30:00"),
				e(6, "09:40:00", gdprv1alpha1.AuditAccessDenied, "Attach", "p2")),
			want:        map[int64]Proof{1: ProofSigned, 3: ProofSigned, 6: ProofChained},
			wantCovered: map[int64]int64{1: 2, 3: 5},
			wantRelied:  []int64{2, 5},
		},
		{
			name: "the checkpoint that signs the window's last entry is relied on though it signs no timeline entry",
			ledger: verified("payments",
				e(1, "09:10:00", gdprv1alpha1.AuditDriftDetected, "ImageChanged", "p1"), cp(2, "09:15:00"),
				e(3, "09:20:00", gdprv1alpha1.AuditPodCreated, "Repairing", "p2"), cp(4, "09:30:00")),
			want:        map[int64]Proof{1: ProofSigned},
			wantCovered: map[int64]int64{1: 2},
			wantRelied:  []int64{2, 4},
		},
		{
			name: "in a chain that does not verify, entries from the first bad one are untrusted and later checkpoints are not relied on",
			ledger: broken("payments", 3,
				e(1, "09:10:00", gdprv1alpha1.AuditDriftDetected, "ImageChanged", "p1"), cp(2, "09:15:00"),
				e(3, "09:20:00", gdprv1alpha1.AuditAccessDenied, "Exec", "p1"), cp(4, "09:30:00"),
				e(5, "09:40:00", gdprv1alpha1.AuditAccessDenied, "Attach", "p2")),
			want:        map[int64]Proof{1: ProofSigned, 3: ProofUntrusted, 5: ProofUntrusted},
			wantCovered: map[int64]int64{1: 2},
			wantRelied:  []int64{2},
		},
		{
			name: "entries before a bad checkpoint are only chained",
			ledger: broken("payments", 2,
				e(1, "09:10:00", gdprv1alpha1.AuditDriftDetected, "ImageChanged", "p1"), cp(2, "09:15:00")),
			want:       map[int64]Proof{1: ProofChained},
			wantRelied: nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := Build(input(tc.ledger))
			got, covered := map[int64]Proof{}, map[int64]int64{}
			for _, ev := range r.Timeline {
				if ev.Type == LedgerTampered {
					continue
				}
				got[ev.Sequence] = ev.Proof
				if ev.Checkpoint != 0 {
					covered[ev.Sequence] = ev.Checkpoint
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("proofs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantCovered, covered, cmpEmptyMap); diff != "" {
				t.Errorf("checkpoints signing entries (-want +got):\n%s", diff)
			}
			var relied []int64
			for _, c := range r.Verification.CheckpointsReliedOn {
				relied = append(relied, c.Sequence)
				if c.Covers != c.Sequence-1 || c.KeyID != "k1" || c.Ledger != "payments" || c.Namespace != "shop" {
					t.Errorf("checkpoint relied on %+v, want it to name its ledger, the entry it covers and its key", c)
				}
			}
			if diff := cmp.Diff(tc.wantRelied, relied); diff != "" {
				t.Errorf("checkpoints relied on (-want +got):\n%s", diff)
			}
		})
	}
}

var cmpEmptyMap = cmp.FilterValues(func(a, b map[int64]int64) bool { return len(a) == 0 && len(b) == 0 }, cmp.Ignore())

func TestWorkloadsAffected(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Input
		want []AffectedWorkload
	}{
		{
			name: "a workload's declaration is the union of its purposes, and each pod touched counts once",
			in: input(verified("payments",
				e(1, "09:10:00", gdprv1alpha1.AuditDriftDetected, "ImageChanged", "p1"),
				e(2, "09:11:00", gdprv1alpha1.AuditPodReplaced, "Drifted", "p1"),
				e(3, "09:20:00", gdprv1alpha1.AuditAccessDenied, "Exec", "p2"),
				e(4, "09:21:00", gdprv1alpha1.AuditPodCreated, "Repairing", "p3"))),
			want: []AffectedWorkload{{Namespace: "shop", Name: "payments", Declaration: DeclarationDeclared,
				Purposes:          []string{"essential.fraud_detection", "essential.service.payment_processing"},
				DataCategories:    []string{"user.contact.email", "user.device.ip_address", "user.financial.bank_account"},
				DataSubjects:      []string{"customer", "prospect"},
				SpecialCategories: []string{"Biometric"},
				PodsTouched:       2, Pods: []string{"p1", "p2"}, Detections: 2, Measures: 1, Verified: true}},
		},
		{
			name: "a workload that is gone has an unknown declaration",
			in:   input(verified("web", e(1, "09:10:00", gdprv1alpha1.AuditAdmissionConfigTampered, "ConfigDeleted", ""))),
			want: []AffectedWorkload{{Namespace: "shop", Name: "web", Declaration: DeclarationUnknownWorkloadGone, Purposes: []string{},
				DataCategories: []string{}, DataSubjects: []string{}, SpecialCategories: []string{}, Pods: []string{}, Detections: 1, Measures: 1, Verified: true}},
		},
		{
			name: "a workload created again after the incident does not lend the earlier one its declaration",
			in: func() Input {
				earlier := e(1, "07:00:00", gdprv1alpha1.AuditWorkloadCreated, "Created", "")
				earlier.Subject.WorkloadUID = "uid-1"
				again := e(4, "11:00:00", gdprv1alpha1.AuditWorkloadCreated, "Created", "")
				again.Subject.WorkloadUID = "uid-2"
				in := input(verified("payments", earlier, e(2, "09:10:00", gdprv1alpha1.AuditDriftDetected, "ImageChanged", "p1"),
					e(3, "10:00:00", gdprv1alpha1.AuditWorkloadDeleted, "Deleted", ""), again))
				in.Workloads[0].UID = "uid-2"
				return in
			}(),
			want: []AffectedWorkload{{Namespace: "shop", Name: "payments", Declaration: DeclarationUnknownEarlierWorkload, Purposes: []string{},
				DataCategories: []string{}, DataSubjects: []string{}, SpecialCategories: []string{}, PodsTouched: 1, Pods: []string{"p1"}, Detections: 1, Verified: true}},
		},
		{
			name: "a workload's own entries after it was created again carry its declaration",
			in: func() Input {
				again := e(1, "08:00:00", gdprv1alpha1.AuditWorkloadCreated, "Created", "")
				again.Subject.WorkloadUID = "uid-2"
				in := input(verified("payments", again, e(2, "09:10:00", gdprv1alpha1.AuditAccessDenied, "Attach", "p2")))
				in.Workloads[0].UID = "uid-2"
				return in
			}(),
			want: []AffectedWorkload{{Namespace: "shop", Name: "payments", Declaration: DeclarationDeclared,
				Purposes:          []string{"essential.fraud_detection", "essential.service.payment_processing"},
				DataCategories:    []string{"user.contact.email", "user.device.ip_address", "user.financial.bank_account"},
				DataSubjects:      []string{"customer", "prospect"},
				SpecialCategories: []string{"Biometric"}, PodsTouched: 1, Pods: []string{"p2"}, Detections: 1, Verified: true}},
		},
		{
			name: "a workload that declares no processing says so",
			in: func() Input {
				in := input(verified("batch", e(1, "09:10:00", gdprv1alpha1.AuditBreakGlassUsed, "Attach", "b1")))
				in.Workloads = append(in.Workloads, Workload{Namespace: "shop", Name: "batch"})
				return in
			}(),
			want: []AffectedWorkload{{Namespace: "shop", Name: "batch", Declaration: DeclarationNone, Purposes: []string{},
				DataCategories: []string{}, DataSubjects: []string{}, SpecialCategories: []string{}, PodsTouched: 1, Pods: []string{"b1"}, Detections: 1, Verified: true}},
		},
		{
			name: "without the workloads read, no declaration is known",
			in: func() Input {
				in := input(verified("payments", e(1, "09:10:00", gdprv1alpha1.AuditDriftDetected, "Escaped", "p1")))
				in.DeclarationsRead, in.Workloads = false, nil
				return in
			}(),
			want: []AffectedWorkload{{Namespace: "shop", Name: "payments", Declaration: DeclarationNotRead, Purposes: []string{},
				DataCategories: []string{}, DataSubjects: []string{}, SpecialCategories: []string{}, PodsTouched: 1, Pods: []string{"p1"}, Detections: 1, Verified: true}},
		},
		{
			name: "a ledger with only context in the window does not make its workload affected",
			in:   input(verified("payments", e(1, "09:10:00", gdprv1alpha1.AuditWorkloadSpecChanged, "SpecChanged", ""))),
			want: []AffectedWorkload{},
		},
		{
			name: "a ledger that does not verify makes its workload affected and unverified",
			in:   input(broken("payments", 1, e(1, "07:10:00", gdprv1alpha1.AuditWorkloadCreated, "Created", ""))),
			want: []AffectedWorkload{{Namespace: "shop", Name: "payments", Declaration: DeclarationDeclared,
				Purposes:          []string{"essential.fraud_detection", "essential.service.payment_processing"},
				DataCategories:    []string{"user.contact.email", "user.device.ip_address", "user.financial.bank_account"},
				DataSubjects:      []string{"customer", "prospect"},
				SpecialCategories: []string{"Biometric"}, Pods: []string{}, Detections: 1}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Build(tc.in).Workloads); diff != "" {
				t.Errorf("workloads affected (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerificationSummary(t *testing.T) {
	l := broken("web", 2, e(1, "07:00:00", gdprv1alpha1.AuditWorkloadCreated, "Created", ""), e(2, "10:00:00", gdprv1alpha1.AuditDriftDetected, "Escaped", "w1"))
	l.BrokenSince = at("10:30:00")
	r := Build(input(verified("payments", e(1, "10:00:00", gdprv1alpha1.AuditDriftDetected, "Escaped", "p1")), l))
	since := at("10:30:00")
	want := Verification{
		AllVerified: false,
		Ledgers: []LedgerVerification{
			{Namespace: "shop", Ledger: "payments", Verified: true, Entries: 1, First: 1, Head: 1},
			{Namespace: "shop", Ledger: "web", Entries: 2, First: 1, Head: 2, FirstBadSequence: 2,
				Problem: "its content does not match its hash (the entry was modified)", BrokenSince: &since},
		},
		CheckpointsReliedOn: []Checkpoint{},
		Chained:             1,
		Untrusted:           1,
	}
	if diff := cmp.Diff(want, r.Verification); diff != "" {
		t.Errorf("verification (-want +got):\n%s", diff)
	}
	last := r.Timeline[len(r.Timeline)-1]
	if last.Type != LedgerTampered || last.Message != "FAILED at entry 2: its content does not match its hash (the entry was modified)" || last.Proof != ProofVerification {
		t.Errorf("last timeline entry %+v, want the tampered ledger at 10:30 naming entry 2", last)
	}
}

func TestFromVerifiedGroupsEntriesByLedger(t *testing.T) {
	entry := func(namespace, name string, seq int64) gdprv1alpha1.AuditEvent {
		return gdprv1alpha1.AuditEvent{ObjectMeta: metav1.ObjectMeta{Namespace: namespace}, Spec: gdprv1alpha1.AuditEventSpec{Ledger: name, Sequence: seq}}
	}
	entries := []gdprv1alpha1.AuditEvent{entry("shop", "payments", 1), entry("other", "payments", 1), entry("shop", "payments", 2), entry("shop", "web", 1)}
	reports := []ledger.Report{{Namespace: "other", Ledger: "payments"}, {Namespace: "shop", Ledger: "payments"}}
	got := FromVerified(entries, reports)
	want := []Ledger{
		{Namespace: "other", Name: "payments", Entries: []gdprv1alpha1.AuditEventSpec{entries[1].Spec}, Verification: reports[0]},
		{Namespace: "shop", Name: "payments", Entries: []gdprv1alpha1.AuditEventSpec{entries[0].Spec, entries[2].Spec}, Verification: reports[1]},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromVerified (-want +got; a ledger without a report is left out):\n%s", diff)
	}
}

func TestWindow(t *testing.T) {
	now := reportAt
	for _, tc := range []struct {
		name, since, until string
		wantSince          string
		wantUntil          string
		wantErr            string
	}{
		{"without flags the window is the last 30 days", "", "", "2026-10-25T13:00:00Z", "2026-11-24T13:00:00Z", ""},
		{"a duration counts back from now", "72h", "90m", "2026-11-21T13:00:00Z", "2026-11-24T11:30:00Z", ""},
		{"days count back from now", "7d", "", "2026-11-17T13:00:00Z", "2026-11-24T13:00:00Z", ""},
		{"an RFC 3339 time is taken as it is, in UTC", "2026-11-24T10:00:00+01:00", "2026-11-24T12:00:00Z", "2026-11-24T09:00:00Z", "2026-11-24T12:00:00Z", ""},
		{"a date alone is refused, naming the forms allowed", "2026-11-24", "", "", "", `--since "2026-11-24": want a time in RFC 3339 (such as 2026-11-24T09:00:00Z) or a duration back from now (such as 72h, 90m or 7d), not negative`},
		{"a negative duration is refused", "", "-1h", "", "", `--until "-1h": want a time in RFC 3339`},
		{"weeks are refused", "2w", "", "", "", `--since "2w": want`},
		{"a window that ends before it starts is refused", "1h", "2h", "", "", "--since 2026-11-24T12:00:00Z is after --until 2026-11-24T11:00:00Z: the window must start before it ends"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			since, until, err := Window(tc.since, tc.until, now)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if formatTime(since) != tc.wantSince || formatTime(until) != tc.wantUntil {
				t.Errorf("window %s to %s, want %s to %s", formatTime(since), formatTime(until), tc.wantSince, tc.wantUntil)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	if f, err := ParseFormat("json"); err != nil || f != FormatJSON {
		t.Errorf("ParseFormat(json) = %q, %v", f, err)
	}
	if _, err := ParseFormat("yaml"); err == nil || err.Error() != `-o "yaml": want one of markdown, json` {
		t.Errorf("ParseFormat(yaml) error %v, want it to name the formats", err)
	}
}
