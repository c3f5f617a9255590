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

package ledger

import (
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// KeepFrom says which leading entries of a chain retention removes, given the cutoff before
// which an entry may go: it returns the index of the first entry kept, 0 when none goes.
// entries are in sequence order.
//
// Only a checkpoint can be the first entry kept: verification accepts a chain that starts at
// entry 1 or at a checkpoint, whose signature anchors what follows. So the entries that go are
// those before the newest checkpoint that has only expired entries before it; expired entries
// after it wait for the next checkpoint. A checkpoint records nothing but the chain's state,
// so its own time does not hold it back: a recent one between expired entries goes with them
// once a later checkpoint covers it too.
func KeepFrom(entries []gdprv1alpha1.AuditEvent, cutoff time.Time) int {
	keepFrom := 0
	for i := 1; i < len(entries); i++ {
		if previous := &entries[i-1]; previous.Spec.Type != gdprv1alpha1.AuditCheckpoint && !previous.Spec.Time.Time.Before(cutoff) {
			break
		}
		if entries[i].Spec.Type == gdprv1alpha1.AuditCheckpoint {
			keepFrom = i
		}
	}
	return keepFrom
}

// Unfinished says how many leading entries a retention pass that was cut short (a crash, a
// failed deletion) left behind, 0 when the chain starts where verification wants it: at
// entry 1 or at a checkpoint. A pass removes entries oldest first, up to the checkpoint
// KeepFrom chose, so what it leaves is a run of expired entries ending at that checkpoint,
// which KeepFrom finds again. Verification would take the run for entries deleted by
// someone, and retention removes nothing from a chain that does not verify: the pass could
// never finish. The run must still hold together up to the checkpoint (each entry's hash, its
// link to the next, the checkpoint's signature over the last); otherwise it is not what a
// pass leaves, and verification reports it.
//
// Someone who deletes the oldest entries of a run that retention is about to remove is not
// told apart from a pass that was cut short: what they removed was going anyway, and the
// checkpoint still vouches for the chain up to it.
func Unfinished(namespace, ledgerName string, entries []gdprv1alpha1.AuditEvent, cutoff time.Time, keys Keys) int {
	if len(entries) == 0 || entries[0].Spec.Sequence == 1 || entries[0].Spec.Type == gdprv1alpha1.AuditCheckpoint {
		return 0
	}
	n := KeepFrom(entries, cutoff)
	if n == 0 {
		return 0
	}
	first := &entries[0].Spec
	run := Verify(namespace, ledgerName, entries[:n+1], keys, Options{After: &Anchor{Sequence: first.Sequence - 1, Hash: first.PreviousHash}})
	if run.Problem != nil {
		return 0
	}
	return n
}
