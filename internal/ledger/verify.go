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
	"cmp"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"slices"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Keys are the public keys checkpoints may be signed with, by KeyID.
type Keys map[string]ed25519.PublicKey

// NewKeys indexes public keys by their KeyID.
func NewKeys(public ...ed25519.PublicKey) Keys {
	keys := make(Keys, len(public))
	for _, k := range public {
		keys[KeyID(k)] = k
	}
	return keys
}

// Anchor is a point of a chain already verified, from which verification continues.
type Anchor struct {
	// Sequence and Hash are those of the last verified entry.
	Sequence int64
	Hash     string
	// Unsigned is how many entries since the last checkpoint up to and including Sequence.
	Unsigned int
}

// Options tune a verification.
type Options struct {
	// MaxUnsigned is how many entries in a row may go without a signed checkpoint; the
	// operator checkpoints at least that often. 0 means no limit.
	MaxUnsigned int
	// After continues a verification that already covered the chain up to an anchor; only
	// entries after it are given.
	After *Anchor
}

// Problem is the first thing wrong with a chain.
type Problem struct {
	// Sequence is the first bad sequence number.
	Sequence int64
	// What says what is wrong with it.
	What string
}

func (p *Problem) Error() string {
	return fmt.Sprintf("entry %d: %s", p.Sequence, p.What)
}

// Report is the outcome of verifying one ledger's chain.
type Report struct {
	Namespace string
	Ledger    string
	// Entries is how many entries were verified.
	Entries int
	// First and Head are the oldest and newest sequence numbers verified.
	First, Head int64
	// HeadHash is the newest entry's hash.
	HeadHash string
	// Checkpoints is how many signed checkpoints verified.
	Checkpoints int
	// Unsigned is how many entries at the end no checkpoint covers yet.
	Unsigned int
	// Problem is the first thing wrong, or nil when the chain verifies.
	Problem *Problem
}

// Anchor returns the point a later verification of new entries can continue from.
func (r *Report) Anchor() *Anchor {
	return &Anchor{Sequence: r.Head, Hash: r.HeadHash, Unsigned: r.Unsigned}
}

// Verify checks one ledger's chain: every entry's hash, that sequence numbers run without gap
// or repeat, that each previousHash is the hash of the entry before, that every checkpoint is
// signed by a known key over the entry before it, and that the oldest entry kept either starts
// the chain or is a checkpoint vouching for what retention removed. It names the first bad
// sequence number. Entries may come in any order.
func Verify(namespace, ledgerName string, entries []gdprv1alpha1.AuditEvent, keys Keys, opts Options) Report {
	report := Report{Namespace: namespace, Ledger: ledgerName}
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b gdprv1alpha1.AuditEvent) int { return cmp.Compare(a.Spec.Sequence, b.Spec.Sequence) })

	var prev *gdprv1alpha1.AuditEvent
	if opts.After != nil {
		report.Head, report.HeadHash, report.Unsigned = opts.After.Sequence, opts.After.Hash, opts.After.Unsigned
	}
	fail := func(seq int64, format string, args ...any) Report {
		report.Problem = &Problem{Sequence: seq, What: fmt.Sprintf(format, args...)}
		return report
	}
	for i := range sorted {
		e := &sorted[i]
		seq := e.Spec.Sequence
		if e.Spec.Ledger != ledgerName || e.Namespace != namespace {
			return fail(seq, "belongs to ledger %s/%s, not %s/%s", e.Namespace, e.Spec.Ledger, namespace, ledgerName)
		}
		if want := EntryName(ledgerName, seq); e.Name != "" && e.Name != want {
			return fail(seq, "is stored as %s, want %s (entries were renamed or moved)", e.Name, want)
		}
		hash, err := Hash(namespace, &e.Spec)
		if err != nil {
			return fail(seq, "cannot be encoded: %v", err)
		}
		if hash != e.Spec.Hash {
			return fail(seq, "its content does not match its hash (the entry was modified)")
		}

		switch {
		case prev != nil && seq == prev.Spec.Sequence:
			return fail(seq, "appears twice (an entry was inserted)")
		case prev != nil && seq != prev.Spec.Sequence+1:
			return fail(prev.Spec.Sequence+1, "is missing: the chain jumps from %d to %d (an entry was deleted)", prev.Spec.Sequence, seq)
		case prev != nil && e.Spec.PreviousHash != prev.Spec.Hash:
			return fail(seq, "previousHash does not match the hash of entry %d (an entry was inserted, replaced or reordered)", prev.Spec.Sequence)
		case prev == nil && opts.After != nil:
			if seq != opts.After.Sequence+1 {
				return fail(opts.After.Sequence+1, "is missing: the chain jumps from %d to %d (an entry was deleted)", opts.After.Sequence, seq)
			}
			if e.Spec.PreviousHash != opts.After.Hash {
				return fail(seq, "previousHash does not match the hash of entry %d verified before (an entry was replaced)", opts.After.Sequence)
			}
		case prev == nil && seq == 1:
			if e.Spec.PreviousHash != "" {
				return fail(seq, "the first entry has a previousHash")
			}
		case prev == nil:
			// Retention removed the entries before this one; only a signed checkpoint over the
			// last of them may start what is left.
			if e.Spec.Type != gdprv1alpha1.AuditCheckpoint {
				return fail(seq, "the oldest entry kept is neither entry 1 nor a signed checkpoint (entries before it were deleted)")
			}
		}

		if e.Spec.Type == gdprv1alpha1.AuditCheckpoint {
			if err := verifyCheckpoint(namespace, e, keys); err != nil {
				return fail(seq, "%v", err)
			}
			report.Checkpoints++
			report.Unsigned = 0
		} else {
			report.Unsigned++
			if opts.MaxUnsigned > 0 && report.Unsigned > opts.MaxUnsigned {
				return fail(seq, "%d entries in a row without a signed checkpoint, at most %d allowed (checkpoints were removed or the chain was rewritten)", report.Unsigned, opts.MaxUnsigned)
			}
		}

		if report.Entries == 0 {
			report.First = seq
		}
		report.Entries++
		report.Head, report.HeadHash = seq, e.Spec.Hash
		prev = e
	}
	return report
}

func verifyCheckpoint(namespace string, e *gdprv1alpha1.AuditEvent, keys Keys) error {
	cp := e.Spec.Checkpoint
	switch {
	case cp == nil:
		return fmt.Errorf("is a Checkpoint without a signature")
	case cp.Sequence != e.Spec.Sequence-1 || cp.Hash != e.Spec.PreviousHash:
		return fmt.Errorf("checkpoint covers entry %d, not the entry before it", cp.Sequence)
	}
	key, ok := keys[cp.KeyID]
	if !ok {
		return fmt.Errorf("checkpoint is signed with key %s, which is not a known public key", cp.KeyID)
	}
	signature, err := base64.StdEncoding.DecodeString(cp.Signature)
	if err != nil {
		return fmt.Errorf("checkpoint signature is not base64: %v", err)
	}
	statement, err := CheckpointStatement(namespace, e.Spec.Ledger, cp.Sequence, cp.Hash, e.Spec.Time.Time)
	if err != nil {
		return err
	}
	if !ed25519.Verify(key, statement, signature) {
		return fmt.Errorf("checkpoint signature does not verify with key %s (the checkpoint was forged or altered)", cp.KeyID)
	}
	return nil
}

// VerifyAll verifies every ledger whose entries are in entries, in namespace and ledger order.
func VerifyAll(entries []gdprv1alpha1.AuditEvent, keys Keys, opts Options) []Report {
	type ledgerKey struct{ namespace, ledger string }
	byLedger := map[ledgerKey][]gdprv1alpha1.AuditEvent{}
	var order []ledgerKey
	for _, e := range entries {
		k := ledgerKey{e.Namespace, e.Spec.Ledger}
		if _, seen := byLedger[k]; !seen {
			order = append(order, k)
		}
		byLedger[k] = append(byLedger[k], e)
	}
	slices.SortFunc(order, func(a, b ledgerKey) int {
		return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.ledger, b.ledger))
	})
	reports := make([]Report, 0, len(order))
	for _, k := range order {
		reports = append(reports, Verify(k.namespace, k.ledger, byLedger[k], keys, opts))
	}
	return reports
}
