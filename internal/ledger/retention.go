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
