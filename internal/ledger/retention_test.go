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
	"crypto/ed25519"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
	"github.com/amber-gdpr/amber/internal/ledger/ledgertest"
)

func TestKeepFrom(t *testing.T) {
	cutoff := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	expired, recent := cutoff.Add(-time.Hour), cutoff.Add(time.Hour)
	// chain numbers its steps from first: entries and checkpoints, each at its time.
	type step struct {
		checkpoint bool
		time       time.Time
	}
	entry := func(t time.Time) step { return step{time: t} }
	checkpoint := func(t time.Time) step { return step{checkpoint: true, time: t} }
	chain := func(first int64, steps ...step) []gdprv1alpha1.AuditEvent {
		out := make([]gdprv1alpha1.AuditEvent, len(steps))
		for i, s := range steps {
			out[i].Spec = gdprv1alpha1.AuditEventSpec{Sequence: first + int64(i), Type: gdprv1alpha1.AuditPodCreated, Time: metav1.NewTime(s.time)}
			if s.checkpoint {
				out[i].Spec.Type = gdprv1alpha1.AuditCheckpoint
			}
		}
		return out
	}

	tests := []struct {
		name    string
		entries []gdprv1alpha1.AuditEvent
		want    int
	}{
		{"an empty chain has nothing to remove", nil, 0},
		{"a chain of one expired entry keeps it: nothing would anchor an empty chain", chain(1, entry(expired)), 0},
		{"entries newer than the cutoff all stay", chain(1, entry(recent), entry(recent), checkpoint(recent), entry(recent)), 0},
		{"expired entries with no checkpoint after them stay: nothing would anchor what is left", chain(1, entry(expired), entry(expired), entry(expired)), 0},
		{"expired entries before a checkpoint go and the checkpoint stays to anchor the rest",
			chain(1, entry(expired), entry(expired), checkpoint(expired), entry(recent)), 2},
		{"a chain that expired entirely keeps its last checkpoint",
			chain(1, entry(expired), entry(expired), checkpoint(expired)), 2},
		{"expired entries after the newest checkpoint wait for the next one",
			chain(1, entry(expired), checkpoint(expired), entry(expired), entry(expired)), 1},
		{"a recent entry stops the removal at the checkpoint before it",
			chain(1, entry(expired), checkpoint(expired), entry(recent), checkpoint(recent), entry(expired)), 1},
		{"an entry exactly at the cutoff stays, and so does everything after it",
			chain(1, entry(expired), entry(cutoff), checkpoint(recent)), 0},
		{"a recent checkpoint between expired entries goes with them once a later checkpoint covers it too",
			chain(1, entry(expired), checkpoint(recent), entry(expired), checkpoint(recent), entry(recent)), 3},
		{"a chain already trimmed to a checkpoint moves on to the newest covering checkpoint",
			chain(9, checkpoint(expired), entry(expired), entry(expired), checkpoint(expired), entry(recent), checkpoint(recent)), 3},
		{"a chain already trimmed keeps its first checkpoint while the entries after it are recent",
			chain(9, checkpoint(expired), entry(recent), checkpoint(recent)), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ledger.KeepFrom(tt.entries, cutoff); got != tt.want {
				t.Errorf("KeepFrom() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestUnfinished(t *testing.T) {
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := ledger.NewKeys(key.Public().(ed25519.PublicKey))
	start := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	// 12 entries a second apart, a checkpoint after every 3: checkpoints are entries 4, 8 and 12.
	full, err := ledgertest.Chain("shop", "payments", 12, 3, key, start, func(i int) gdprv1alpha1.AuditEventSpec {
		return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", Subject: gdprv1alpha1.AuditSubject{Pod: fmt.Sprintf("p%d", i)}}
	})
	if err != nil {
		t.Fatal(err)
	}
	// from returns the chain from entry seq on, as a pass that removed the entries before it leaves it.
	from := func(seq int64) []gdprv1alpha1.AuditEvent { return slices.Clone(full[seq-1:]) }
	expiredUpTo := func(seq int64) time.Time { return start.Add(time.Duration(seq) * time.Second) }
	tampered := from(2)
	tampered[1].Spec.Reason = "Imported"
	unlinked := from(2)
	unlinked[0].Spec.PreviousHash = strings.Repeat("0", 64)
	forged := from(6)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	forgedCheckpoint, err := ledger.CheckpointSpec("shop", "payments", 7, full[6].Spec.Hash, full[7].Spec.Time.Time, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := ledger.Seal("shop", &forgedCheckpoint, 7, full[6].Spec.Hash); err != nil {
		t.Fatal(err)
	}
	forged[2].Spec = forgedCheckpoint

	tests := []struct {
		name    string
		entries []gdprv1alpha1.AuditEvent
		cutoff  time.Time
		want    int
	}{
		{"a chain from entry 1 has nothing left over", from(1), expiredUpTo(12), 0},
		{"a chain trimmed to a checkpoint has nothing left over", from(4), expiredUpTo(12), 0},
		{"a pass cut short after entry 1 left the rest of the run to the checkpoint", from(2), expiredUpTo(4), 2},
		{"a pass cut short on its way to a later checkpoint left the run to that checkpoint", from(6), expiredUpTo(12), 6},
		{"entries not yet expired are not a pass's leftover", from(2), expiredUpTo(2), 0},
		{"an empty chain has nothing left over", nil, expiredUpTo(12), 0},
		{"a run whose entry was changed is not removed: verification names it", tampered, expiredUpTo(4), 0},
		{"a run that does not link to the checkpoint is not removed", unlinked, expiredUpTo(4), 0},
		{"a run ending at a checkpoint signed with an unknown key is not removed", forged, expiredUpTo(8), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ledger.Unfinished("shop", "payments", tt.entries, tt.cutoff, keys); got != tt.want {
				t.Errorf("Unfinished() = %d, want %d", got, tt.want)
			}
		})
	}
}
