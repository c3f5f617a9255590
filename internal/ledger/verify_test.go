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
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
	"github.com/amber-gdpr/amber/internal/ledger/ledgertest"
)

const testNamespace, testLedger = "shop", "payments"

var testKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// buildChain makes a ledger of n entries with a checkpoint after every `every` entries.
func buildChain(t *testing.T, n, every int) []gdprv1alpha1.AuditEvent {
	t.Helper()
	chain, err := ledgertest.Chain(testNamespace, testLedger, n, every, testKey, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), func(i int) gdprv1alpha1.AuditEventSpec {
		return gdprv1alpha1.AuditEventSpec{
			Type:           gdprv1alpha1.AuditPodCreated,
			Reason:         "ScalingUp",
			Subject:        gdprv1alpha1.AuditSubject{Pod: fmt.Sprintf("payments-%d", i)},
			Message:        "Created the pod",
			IdempotencyKey: fmt.Sprintf("pod-%d/PodCreated", i),
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

func verify(chain []gdprv1alpha1.AuditEvent, opts ledger.Options) ledger.Report {
	return ledger.Verify(testNamespace, testLedger, chain, ledger.NewKeys(testKey.Public().(ed25519.PublicKey)), opts)
}

func TestVerifyAcceptsAnIntactChain(t *testing.T) {
	chain := buildChain(t, 25, 5)
	r := verify(chain, ledger.Options{MaxUnsigned: 5})
	if r.Problem != nil {
		t.Fatalf("intact chain: %v", r.Problem)
	}
	if r.Entries != 25 || r.First != 1 || r.Head != 25 || r.Checkpoints != 4 || r.Unsigned != 1 {
		t.Errorf("report = %+v, want 25 entries 1..25, 4 checkpoints, 1 unsigned", r)
	}
}

func TestVerifyNamesTheFirstBadEntry(t *testing.T) {
	otherKey := ed25519.NewKeyFromSeed([]byte(strings.Repeat("x", ed25519.SeedSize)))
	tests := []struct {
		name    string
		tamper  func(t *testing.T, chain []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent
		opts    ledger.Options
		wantSeq int64
		want    string
	}{
		{
			name: "a modified entry",
			tamper: func(_ *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				c[6].Spec.Message = "nothing to see here"
				return c
			},
			wantSeq: 7, want: "does not match its hash (the entry was modified)",
		},
		{
			name: "a modified entry whose hash was recomputed",
			tamper: func(t *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				c[6].Spec.Message = "nothing to see here"
				reseal(t, &c[6])
				return c
			},
			wantSeq: 8, want: "previousHash does not match the hash of entry 7",
		},
		{
			name: "a deleted entry",
			tamper: func(_ *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				return append(c[:9:9], c[10:]...)
			},
			wantSeq: 10, want: "is missing: the chain jumps from 9 to 11 (an entry was deleted)",
		},
		{
			name: "an inserted entry",
			tamper: func(_ *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				forged := *c[3].DeepCopy()
				forged.Name = ""
				forged.Spec.Message = "inserted"
				forged.Spec.Hash, _ = ledger.Hash(testNamespace, &forged.Spec)
				return append(c, forged)
			},
			wantSeq: 4, want: "appears twice (an entry was inserted)",
		},
		{
			name: "two entries swapped",
			tamper: func(_ *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				c[12].Spec.Sequence, c[13].Spec.Sequence = c[13].Spec.Sequence, c[12].Spec.Sequence
				return c
			},
			wantSeq: 13, want: "is stored as payments-0000000014, want payments-0000000013",
		},
		{
			name: "two entries swapped with their hashes recomputed",
			tamper: func(t *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				c[12].Spec, c[13].Spec = c[13].Spec, c[12].Spec
				c[12].Spec.Sequence, c[13].Spec.Sequence = 13, 14
				reseal(t, &c[12])
				reseal(t, &c[13])
				return c
			},
			wantSeq: 13, want: "previousHash does not match the hash of entry 12",
		},
		{
			name: "a chain rewritten from scratch without the key",
			tamper: func(t *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				c[1].Spec.Message = "rewritten"
				prev := c[0].Spec.Hash
				for i := 1; i < len(c); i++ {
					c[i].Spec.PreviousHash = prev
					reseal(t, &c[i])
					prev = c[i].Spec.Hash
				}
				return c
			},
			wantSeq: 6, want: "checkpoint covers entry 5, not the entry before it",
		},
		{
			name: "a checkpoint re-signed with another key",
			tamper: func(t *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				cp, err := ledger.CheckpointSpec(testNamespace, testLedger, 5, c[4].Spec.Hash, c[5].Spec.Time.Time, otherKey)
				if err != nil {
					t.Fatal(err)
				}
				cp.Sequence, cp.PreviousHash, cp.Hash = 6, c[5].Spec.PreviousHash, c[5].Spec.Hash
				c[5].Spec = cp
				reseal(t, &c[5])
				return c
			},
			wantSeq: 6, want: "which is not a known public key",
		},
		{
			name: "a forged signature",
			tamper: func(t *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				c[5].Spec.Checkpoint.Signature = c[11].Spec.Checkpoint.Signature
				reseal(t, &c[5])
				return c
			},
			wantSeq: 6, want: "signature does not verify",
		},
		{
			name: "checkpoints removed and the chain relinked",
			tamper: func(t *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				var kept []gdprv1alpha1.AuditEvent
				for _, e := range c {
					if e.Spec.Type != gdprv1alpha1.AuditCheckpoint {
						kept = append(kept, e)
					}
				}
				prev := ""
				for i := range kept {
					kept[i].Name = ""
					kept[i].Spec.Sequence = int64(i + 1)
					kept[i].Spec.PreviousHash = prev
					reseal(t, &kept[i])
					prev = kept[i].Spec.Hash
				}
				return kept
			},
			opts:    ledger.Options{MaxUnsigned: 5},
			wantSeq: 6, want: "6 entries in a row without a signed checkpoint, at most 5 allowed",
		},
		{
			name: "old entries removed without a covering checkpoint",
			tamper: func(_ *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				return c[2:]
			},
			wantSeq: 3, want: "the oldest entry kept is neither entry 1 nor a signed checkpoint",
		},
		{
			name: "an entry renamed",
			tamper: func(_ *testing.T, c []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
				c[2].Name = "payments-x"
				return c
			},
			wantSeq: 3, want: "is stored as payments-x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := tt.tamper(t, buildChain(t, 25, 5))
			r := verify(chain, tt.opts)
			if r.Problem == nil {
				t.Fatalf("verification passed, want a problem at entry %d", tt.wantSeq)
			}
			if r.Problem.Sequence != tt.wantSeq || !strings.Contains(r.Problem.What, tt.want) {
				t.Errorf("problem = %v, want entry %d: …%s…", r.Problem, tt.wantSeq, tt.want)
			}
		})
	}
}

func TestVerifyAcceptsRetentionBehindACheckpoint(t *testing.T) {
	chain := buildChain(t, 25, 5)
	r := verify(chain[11:], ledger.Options{MaxUnsigned: 5}) // entry 12 is a checkpoint over 1..11
	if r.Problem != nil {
		t.Fatalf("chain kept from a checkpoint: %v", r.Problem)
	}
	if r.First != 12 || r.Head != 25 {
		t.Errorf("report = %+v, want entries 12..25", r)
	}
}

func TestVerifyContinuesFromAnAnchor(t *testing.T) {
	chain := buildChain(t, 25, 5)
	first := verify(chain[:20], ledger.Options{MaxUnsigned: 5})
	if first.Problem != nil {
		t.Fatal(first.Problem)
	}
	if r := verify(chain[20:], ledger.Options{MaxUnsigned: 5, After: first.Anchor()}); r.Problem != nil || r.Head != 25 {
		t.Fatalf("continued verification: %+v", r)
	}
	chain[21].Spec.Reason = "Edited"
	if r := verify(chain[20:], ledger.Options{MaxUnsigned: 5, After: first.Anchor()}); r.Problem == nil || r.Problem.Sequence != 22 {
		t.Fatalf("continued verification of a modified entry: %+v, want a problem at 22", r)
	}
	chain = buildChain(t, 25, 5)
	if r := verify(chain[21:], ledger.Options{MaxUnsigned: 5, After: first.Anchor()}); r.Problem == nil || r.Problem.Sequence != 21 {
		t.Fatalf("continued verification with entry 21 deleted: %+v, want a problem at 21", r)
	}
}

func TestCanonicalEncoding(t *testing.T) {
	spec := gdprv1alpha1.AuditEventSpec{
		Ledger:         "payments",
		Sequence:       1,
		Time:           metav1.NewTime(time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)),
		Type:           gdprv1alpha1.AuditPodCreated,
		Reason:         "ScaleUp",
		Subject:        gdprv1alpha1.AuditSubject{Workload: "payments", Pod: "payments-abc", Revision: "be6109dc29"},
		Actor:          "hmac-sha256:00ff",
		Message:        "Created pod payments-abc <ok> & done",
		IdempotencyKey: "uid-1/PodCreated",
	}
	got, err := ledger.Canonical("shop", &spec)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"actor":"hmac-sha256:00ff","checkpoint":null,"fingerprints":{"after":"","before":""},"idempotencyKey":"uid-1/PodCreated","ledger":"payments","message":"Created pod payments-abc <ok> & done","namespace":"shop","previousHash":"","reason":"ScaleUp","recovered":false,"sequence":1,"subject":{"generation":0,"pod":"payments-abc","podUID":"","revision":"be6109dc29","workload":"payments","workloadUID":""},"time":"2026-11-25T10:00:00Z","type":"PodCreated"}`
	if string(got) != want {
		t.Errorf("Canonical =\n%s\nwant\n%s", got, want)
	}
	// A placement is encoded where an entry has one, sorted among the keys, and left out
	// (not null) where it has none: the entry above keeps the hash it always had.
	placed := spec
	placed.Type, placed.Reason = gdprv1alpha1.AuditPodScheduled, "Bound"
	placed.Placement = &gdprv1alpha1.AuditPlacement{Node: "n1", Region: "eu-west-1"}
	got, err = ledger.Canonical("shop", &placed)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), `"namespace":"shop","placement":{"node":"n1","region":"eu-west-1","zone":""},"previousHash":""`) {
		t.Errorf("Canonical with a placement =\n%s\nwant it between namespace and previousHash", got)
	}
	asked := spec
	asked.Type, asked.Reason = gdprv1alpha1.AuditAccessDenied, "Exec"
	asked.Request = &gdprv1alpha1.AuditRequest{Operation: "CONNECT", Subresource: "exec", Command: "sh", CommandHMAC: "hmac-sha256:01"}
	got, err = ledger.Canonical("shop", &asked)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), `"recovered":false,"request":{"command":"sh","commandHMAC":"hmac-sha256:01","groups":[],"operation":"CONNECT","subresource":"exec"},"sequence":1`) {
		t.Errorf("Canonical with a request =\n%s\nwant it between recovered and sequence, groups as []", got)
	}
	asked.Request.Groups = []string{"ok", "bad\u2028"}
	if _, err := ledger.Canonical("shop", &asked); err == nil || !strings.Contains(err.Error(), "groups") {
		t.Errorf("a control character in a group: err = %v, want a refusal naming groups", err)
	}
	spec.Message = "line\nbreak"
	if _, err := ledger.Canonical("shop", &spec); err == nil || !strings.Contains(err.Error(), "message") {
		t.Errorf("a control character: err = %v, want a refusal naming message", err)
	}
}

func reseal(t *testing.T, e *gdprv1alpha1.AuditEvent) {
	t.Helper()
	e.Name = ""
	hash, err := ledger.Hash(e.Namespace, &e.Spec)
	if err != nil {
		t.Fatal(err)
	}
	e.Spec.Hash = hash
}
