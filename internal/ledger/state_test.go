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

package ledger_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// foldEpoch is the time of the entry before the first: entry n is n seconds after it.
var foldEpoch = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// at is the time of entry n of a chain made by chainOf.
func at(n int64) time.Time { return foldEpoch.Add(time.Duration(n) * time.Second) }

// chainOf numbers entries as a writer would: sequence 1 on, a second apart, each hash
// naming its sequence. Fold does not check hashes, so they need not be real.
func chainOf(specs ...gdprv1alpha1.AuditEventSpec) []gdprv1alpha1.AuditEvent {
	chain := make([]gdprv1alpha1.AuditEvent, len(specs))
	for i, spec := range specs {
		seq := int64(i + 1)
		spec.Ledger, spec.Sequence, spec.Time = testLedger, seq, metav1.NewTime(at(seq))
		spec.Hash = hashOf(seq)
		if seq > 1 {
			spec.PreviousHash = hashOf(seq - 1)
		}
		chain[i] = gdprv1alpha1.AuditEvent{Spec: spec}
	}
	return chain
}

func hashOf(seq int64) string { return fmt.Sprintf("hash-%d", seq) }

// recorded maps the idempotency keys of a chain, in order, to sequences 1 on.
func recorded(keys ...string) map[string]int64 {
	m := make(map[string]int64, len(keys))
	for i, k := range keys {
		m[k] = int64(i + 1)
	}
	return m
}

func podCreated(uid, baseline string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp",
		Subject:        gdprv1alpha1.AuditSubject{Pod: "payments-" + uid, PodUID: uid},
		Fingerprints:   gdprv1alpha1.AuditFingerprints{After: baseline},
		IdempotencyKey: uid + "/PodCreated",
	}
}

func podDeleted(uid string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditPodDeleted, Reason: "ScalingDown",
		Subject:        gdprv1alpha1.AuditSubject{Pod: "payments-" + uid, PodUID: uid},
		IdempotencyKey: uid + "/PodDeleted",
	}
}

func workloadCreated(uid string, generation int64, fingerprint string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditWorkloadCreated, Reason: "Created",
		Subject:        gdprv1alpha1.AuditSubject{Workload: "payments", WorkloadUID: uid, Generation: generation},
		Fingerprints:   gdprv1alpha1.AuditFingerprints{After: fingerprint},
		IdempotencyKey: uid + "/WorkloadCreated",
	}
}

func specChanged(uid string, generation int64, fingerprint string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditWorkloadSpecChanged, Reason: "SpecChanged",
		Subject:        gdprv1alpha1.AuditSubject{Workload: "payments", WorkloadUID: uid, Generation: generation},
		Fingerprints:   gdprv1alpha1.AuditFingerprints{After: fingerprint},
		IdempotencyKey: fmt.Sprintf("%s/spec/%d", uid, generation),
	}
}

func withMessage(entry gdprv1alpha1.AuditEventSpec, message string) gdprv1alpha1.AuditEventSpec {
	entry.Message = message
	return entry
}

func workloadDeleted(uid string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditWorkloadDeleted, Reason: "Deleted",
		Subject:        gdprv1alpha1.AuditSubject{Workload: "payments", WorkloadUID: uid},
		IdempotencyKey: uid + "/WorkloadDeleted",
	}
}

func driftDetected(uid, reason string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditDriftDetected, Reason: reason,
		Subject:        gdprv1alpha1.AuditSubject{Pod: "payments-" + uid, PodUID: uid},
		IdempotencyKey: uid + "/drift/" + reason,
	}
}

func podReplaced(uid string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditPodReplaced, Reason: "DriftRepaired",
		Subject:        gdprv1alpha1.AuditSubject{Pod: "payments-" + uid, PodUID: uid},
		IdempotencyKey: uid + "/PodReplaced",
	}
}

// retired gives a PodReplaced entry the reason of a pod retired for an incident.
func retired(e gdprv1alpha1.AuditEventSpec, reason gdprv1alpha1.AuditReason) gdprv1alpha1.AuditEventSpec {
	e.Reason = string(reason)
	return e
}

func checkpoint(seq int) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{
		Type: gdprv1alpha1.AuditCheckpoint, Reason: "Signed",
		IdempotencyKey: fmt.Sprintf("checkpoint/%d", seq),
	}
}

func TestFold(t *testing.T) {
	tests := []struct {
		name    string
		entries []gdprv1alpha1.AuditEventSpec
		want    ledger.State
	}{
		{
			name: "an empty chain records nothing",
			want: ledger.State{},
		},
		{
			name:    "a created pod is open, with the baseline its entry records",
			entries: []gdprv1alpha1.AuditEventSpec{podCreated("a", "sha256:a")},
			want: ledger.State{
				Head: 1, HeadHash: "hash-1", Unsigned: 1, FirstUnsigned: at(1),
				Recorded:  recorded("a/PodCreated"),
				OpenPods:  map[string]string{"a": "payments-a"},
				Baselines: map[string]string{"a": "sha256:a"},
			},
		},
		{
			name:    "a pod created without a baseline is open with none",
			entries: []gdprv1alpha1.AuditEventSpec{podCreated("a", "")},
			want: ledger.State{
				Head: 1, HeadHash: "hash-1", Unsigned: 1, FirstUnsigned: at(1),
				Recorded: recorded("a/PodCreated"),
				OpenPods: map[string]string{"a": "payments-a"},
			},
		},
		{
			name:    "a pod deleted after it was created is no longer open",
			entries: []gdprv1alpha1.AuditEventSpec{podCreated("a", "sha256:a"), podCreated("b", "sha256:b"), podDeleted("a")},
			want: ledger.State{
				Head: 3, HeadHash: "hash-3", Unsigned: 3, FirstUnsigned: at(1),
				Recorded:  recorded("a/PodCreated", "b/PodCreated", "a/PodDeleted"),
				OpenPods:  map[string]string{"b": "payments-b"},
				Baselines: map[string]string{"b": "sha256:b"},
			},
		},
		{
			name:    "a pod deleted without a PodCreated entry leaves the open pods as they were",
			entries: []gdprv1alpha1.AuditEventSpec{podCreated("a", ""), podDeleted("gone")},
			want: ledger.State{
				Head: 2, HeadHash: "hash-2", Unsigned: 2, FirstUnsigned: at(1),
				Recorded: recorded("a/PodCreated", "gone/PodDeleted"),
				OpenPods: map[string]string{"a": "payments-a"},
			},
		},
		{
			name:    "a created workload records its generation and fingerprint",
			entries: []gdprv1alpha1.AuditEventSpec{workloadCreated("w", 1, "spec-1")},
			want: ledger.State{
				Head: 1, HeadHash: "hash-1", Unsigned: 1, FirstUnsigned: at(1),
				Recorded:  recorded("w/WorkloadCreated"),
				Workloads: map[string]ledger.WorkloadRecord{"w": {Generation: 1, Fingerprint: "spec-1"}},
			},
		},
		{
			name:    "a spec change of a newer generation replaces the recorded spec",
			entries: []gdprv1alpha1.AuditEventSpec{workloadCreated("w", 1, "spec-1"), specChanged("w", 3, "spec-3")},
			want: ledger.State{
				Head: 2, HeadHash: "hash-2", Unsigned: 2, FirstUnsigned: at(1),
				Recorded:  recorded("w/WorkloadCreated", "w/spec/3"),
				Workloads: map[string]ledger.WorkloadRecord{"w": {Generation: 3, Fingerprint: "spec-3"}},
			},
		},
		{
			name:    "a spec change of an older generation does not replace a newer one",
			entries: []gdprv1alpha1.AuditEventSpec{workloadCreated("w", 1, "spec-1"), specChanged("w", 3, "spec-3"), specChanged("w", 2, "spec-2")},
			want: ledger.State{
				Head: 3, HeadHash: "hash-3", Unsigned: 3, FirstUnsigned: at(1),
				Recorded:  recorded("w/WorkloadCreated", "w/spec/3", "w/spec/2"),
				Workloads: map[string]ledger.WorkloadRecord{"w": {Generation: 3, Fingerprint: "spec-3"}},
			},
		},
		{
			name: "the hardening profile a generation's entry names is recorded with it, none when it names none",
			entries: []gdprv1alpha1.AuditEventSpec{
				withMessage(workloadCreated("w", 1, "spec-1"), "Workload created. Generation 1: 3 replicas of template abc. "+ledger.HardeningNote(gdprv1alpha1.HardeningBaseline)),
				withMessage(specChanged("w", 2, "spec-2"), "Workload spec changed: spec.hardening.profile Baseline to Immutable. Generation 2. "+ledger.HardeningNote(gdprv1alpha1.HardeningImmutable)),
				withMessage(workloadCreated("v", 1, "spec-1"), "Workload created (before Amber recorded profiles)."),
			},
			want: ledger.State{
				Head: 3, HeadHash: "hash-3", Unsigned: 3, FirstUnsigned: at(1),
				Recorded: recorded("w/WorkloadCreated", "w/spec/2", "v/WorkloadCreated"),
				Workloads: map[string]ledger.WorkloadRecord{
					"w": {Generation: 2, Fingerprint: "spec-2", Hardening: gdprv1alpha1.HardeningImmutable},
					"v": {Generation: 1, Fingerprint: "spec-1"},
				},
			},
		},
		{
			name:    "the specs of workloads with different UIDs are recorded apart",
			entries: []gdprv1alpha1.AuditEventSpec{workloadCreated("w", 4, "spec-4"), workloadDeleted("w"), workloadCreated("v", 1, "spec-1")},
			want: ledger.State{
				Head: 3, HeadHash: "hash-3", Unsigned: 3, FirstUnsigned: at(1),
				Recorded: recorded("w/WorkloadCreated", "w/WorkloadDeleted", "v/WorkloadCreated"),
				Workloads: map[string]ledger.WorkloadRecord{
					"w": {Generation: 4, Fingerprint: "spec-4", Deleted: true},
					"v": {Generation: 1, Fingerprint: "spec-1"},
				},
			},
		},
		{
			name:    "drift is counted by reason and the newest detection is the last drift",
			entries: []gdprv1alpha1.AuditEventSpec{driftDetected("a", "ImageChanged"), driftDetected("b", "ImageChanged"), driftDetected("c", "EnvChanged")},
			want: ledger.State{
				Head: 3, HeadHash: "hash-3", Unsigned: 3, FirstUnsigned: at(1),
				Recorded: recorded("a/drift/ImageChanged", "b/drift/ImageChanged", "c/drift/EnvChanged"),
				Drift: ledger.DriftTally{
					Detected: map[string]int64{"ImageChanged": 2, "EnvChanged": 1},
					Last:     &ledger.LastDrift{Pod: "payments-c", PodUID: "c", Reason: "EnvChanged", DetectedAt: at(3)},
				},
				Unrepaired: map[string]ledger.DriftedPod{"a": {Name: "payments-a"}, "b": {Name: "payments-b"}, "c": {Name: "payments-c"}},
			},
		},
		{
			name:    "a PodReplaced entry marks the last drift of the same pod repaired",
			entries: []gdprv1alpha1.AuditEventSpec{driftDetected("a", "ImageChanged"), podReplaced("a")},
			want: ledger.State{
				Head: 2, HeadHash: "hash-2", Unsigned: 2, FirstUnsigned: at(1),
				Recorded: recorded("a/drift/ImageChanged", "a/PodReplaced"),
				Drift: ledger.DriftTally{
					Detected: map[string]int64{"ImageChanged": 1},
					Replaced: 1,
					Last:     &ledger.LastDrift{Pod: "payments-a", PodUID: "a", Reason: "ImageChanged", DetectedAt: at(1), RepairedAt: at(2)},
				},
			},
		},
		{
			name: "a pod retired for an incident that never drifted is no drift repair; one that drifted is",
			entries: []gdprv1alpha1.AuditEventSpec{
				driftDetected("a", "EphemeralContainerAdded"),
				retired(podReplaced("a"), gdprv1alpha1.AuditReasonBreakGlassEnded),
				retired(podReplaced("b"), gdprv1alpha1.AuditReasonQuarantined),
			},
			want: ledger.State{
				Head: 3, HeadHash: "hash-3", Unsigned: 3, FirstUnsigned: at(1),
				Recorded: recorded("a/drift/EphemeralContainerAdded", "a/PodReplaced", "b/PodReplaced"),
				Drift: ledger.DriftTally{
					Detected: map[string]int64{"EphemeralContainerAdded": 1},
					Replaced: 1,
					Last:     &ledger.LastDrift{Pod: "payments-a", PodUID: "a", Reason: "EphemeralContainerAdded", DetectedAt: at(1), RepairedAt: at(2)},
				},
			},
		},
		{
			name:    "a PodReplaced entry of another pod is counted but leaves the last drift unrepaired",
			entries: []gdprv1alpha1.AuditEventSpec{driftDetected("a", "ImageChanged"), driftDetected("b", "EnvChanged"), podReplaced("a")},
			want: ledger.State{
				Head: 3, HeadHash: "hash-3", Unsigned: 3, FirstUnsigned: at(1),
				Recorded: recorded("a/drift/ImageChanged", "b/drift/EnvChanged", "a/PodReplaced"),
				Drift: ledger.DriftTally{
					Detected: map[string]int64{"ImageChanged": 1, "EnvChanged": 1},
					Replaced: 1,
					Last:     &ledger.LastDrift{Pod: "payments-b", PodUID: "b", Reason: "EnvChanged", DetectedAt: at(2)},
				},
				Unrepaired: map[string]ledger.DriftedPod{"b": {Name: "payments-b"}},
			},
		},
		{
			name:    "a drift detected after a repair is the last drift, not yet repaired",
			entries: []gdprv1alpha1.AuditEventSpec{driftDetected("a", "ImageChanged"), podReplaced("a"), driftDetected("b", "ImageChanged")},
			want: ledger.State{
				Head: 3, HeadHash: "hash-3", Unsigned: 3, FirstUnsigned: at(1),
				Recorded: recorded("a/drift/ImageChanged", "a/PodReplaced", "b/drift/ImageChanged"),
				Drift: ledger.DriftTally{
					Detected: map[string]int64{"ImageChanged": 2},
					Replaced: 1,
					Last:     &ledger.LastDrift{Pod: "payments-b", PodUID: "b", Reason: "ImageChanged", DetectedAt: at(3)},
				},
				Unrepaired: map[string]ledger.DriftedPod{"b": {Name: "payments-b"}},
			},
		},
		{
			name:    "a drifted pod deleted with no PodReplaced entry stays unrepaired, as a crash between the two leaves it",
			entries: []gdprv1alpha1.AuditEventSpec{podCreated("a", ""), driftDetected("a", "ImageChanged"), podDeleted("a")},
			want: ledger.State{
				Head: 3, HeadHash: "hash-3", Unsigned: 3, FirstUnsigned: at(1),
				Recorded: recorded("a/PodCreated", "a/drift/ImageChanged", "a/PodDeleted"),
				Drift: ledger.DriftTally{
					Detected: map[string]int64{"ImageChanged": 1},
					Last:     &ledger.LastDrift{Pod: "payments-a", PodUID: "a", Reason: "ImageChanged", DetectedAt: at(2)},
				},
				Unrepaired: map[string]ledger.DriftedPod{"a": {Name: "payments-a"}},
			},
		},
		{
			name:    "a workload's deletion leaves none of its drifted pods unrepaired: nothing replaces them",
			entries: []gdprv1alpha1.AuditEventSpec{workloadCreated("w", 1, "spec-1"), driftDetected("a", "ImageChanged"), workloadDeleted("w")},
			want: ledger.State{
				Head: 3, HeadHash: "hash-3", Unsigned: 3, FirstUnsigned: at(1),
				Recorded:  recorded("w/WorkloadCreated", "a/drift/ImageChanged", "w/WorkloadDeleted"),
				Workloads: map[string]ledger.WorkloadRecord{"w": {Generation: 1, Fingerprint: "spec-1", Deleted: true}},
				Drift: ledger.DriftTally{
					Detected: map[string]int64{"ImageChanged": 1},
					Last:     &ledger.LastDrift{Pod: "payments-a", PodUID: "a", Reason: "ImageChanged", DetectedAt: at(2)},
				},
			},
		},
		{
			name:    "a checkpoint resets the unsigned run",
			entries: []gdprv1alpha1.AuditEventSpec{podCreated("a", ""), podCreated("b", ""), checkpoint(2)},
			want: ledger.State{
				Head: 3, HeadHash: "hash-3",
				Recorded: recorded("a/PodCreated", "b/PodCreated", "checkpoint/2"),
				OpenPods: map[string]string{"a": "payments-a", "b": "payments-b"},
			},
		},
		{
			name:    "the unsigned run after a checkpoint starts at the entry after it",
			entries: []gdprv1alpha1.AuditEventSpec{podCreated("a", ""), checkpoint(1), podDeleted("a"), podCreated("b", "")},
			want: ledger.State{
				Head: 4, HeadHash: "hash-4", Unsigned: 2, FirstUnsigned: at(3),
				Recorded: recorded("a/PodCreated", "checkpoint/1", "a/PodDeleted", "b/PodCreated"),
				OpenPods: map[string]string{"b": "payments-b"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// An empty map and none say the same: nothing recorded.
			if diff := cmp.Diff(tt.want, ledger.Fold(chainOf(tt.entries...)), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Fold() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyContinuesAFold(t *testing.T) {
	chain := chainOf(
		workloadCreated("w", 1, "spec-1"), podCreated("a", "sha256:a"), driftDetected("a", "ImageChanged"),
		checkpoint(3), podReplaced("a"), podDeleted("a"), podCreated("b", "sha256:b"), specChanged("w", 2, "spec-2"),
	)
	whole := ledger.Fold(chain)
	for split := range chain {
		state := ledger.Fold(chain[:split])
		for i := split; i < len(chain); i++ {
			state.Apply(&chain[i].Spec)
		}
		if diff := cmp.Diff(whole, state, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("folding %d entries, then applying the rest, differs from folding the chain (-fold +apply):\n%s", split, diff)
		}
	}
}

func TestDriftTallyCloneSharesNothing(t *testing.T) {
	chain := chainOf(driftDetected("a", "ImageChanged"), podReplaced("a"), driftDetected("b", "ImageChanged"))
	state := ledger.Fold(chain[:1])
	clone := state.Drift.Clone()
	// The repair changes the last drift in place and the second detection the counts: a
	// clone sharing either would change with them.
	state.Apply(&chain[1].Spec)
	state.Apply(&chain[2].Spec)
	want := ledger.DriftTally{
		Detected: map[string]int64{"ImageChanged": 1},
		Last:     &ledger.LastDrift{Pod: "payments-a", PodUID: "a", Reason: "ImageChanged", DetectedAt: at(1)},
	}
	if diff := cmp.Diff(want, clone); diff != "" {
		t.Errorf("a clone changed as the state folded more entries (-want +got):\n%s", diff)
	}
}
