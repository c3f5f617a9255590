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

package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger/ledgertest"
)

// writeLedger saves a ledger of n entries, a checkpoint after every 4, as 'kubectl get ae -o
// json' prints it, with tamper applied, and the public key beside it.
func writeLedger(t *testing.T, key ed25519.PrivateKey, n int, tamper func([]gdprv1alpha1.AuditEvent)) (events, pub string) {
	t.Helper()
	dir := t.TempDir()
	items, err := ledgertest.Chain("shop", "payments", n, 4, key, time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), func(i int) gdprv1alpha1.AuditEventSpec {
		if i%5 == 4 { // entries with a request, which only they encode
			return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditAccessDenied, Reason: "Exec", Message: "Refused exec", Actor: "hmac-sha256:aa",
				Request:        &gdprv1alpha1.AuditRequest{Operation: "CONNECT", Subresource: "exec", Groups: []string{"hmac-sha256:bb", "hmac-sha256:cc"}, Command: "sh", CommandHMAC: "hmac-sha256:dd"},
				IdempotencyKey: fmt.Sprintf("p%d/AccessDenied", i)}
		}
		if i%3 == 2 { // entries with a placement, which only they encode
			return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditPodScheduled, Reason: "Bound", Message: "Bound to node n1 in region eu-west-1, zone eu-west-1a",
				Placement: &gdprv1alpha1.AuditPlacement{Node: "n1", Region: "eu-west-1", Zone: "eu-west-1a"}, IdempotencyKey: fmt.Sprintf("p%d/PodScheduled", i)}
		}
		return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", Message: "Created a pod", IdempotencyKey: fmt.Sprintf("p%d", i)}
	})
	if err != nil {
		t.Fatal(err)
	}
	if tamper != nil {
		tamper(items)
	}
	list, err := json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	events = filepath.Join(dir, "events.json")
	if err := os.WriteFile(events, list, 0o600); err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	pub = filepath.Join(dir, "amber.pub")
	if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return events, pub
}

func TestVerifyOffline(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	otherKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
	_, otherPub := writeLedger(t, otherKey, 1, nil)

	tests := []struct {
		name       string
		tamper     func([]gdprv1alpha1.AuditEvent)
		args       func(events, pub string) []string
		wantStatus int
		wantOut    string
	}{
		{
			name: "an intact ledger verifies",
			args: func(events, pub string) []string {
				return []string{"verify", "-f", events, "--public-key", pub, "--max-unsigned", "4"}
			},
			wantStatus: 0,
			wantOut:    "shop/payments: OK: entries 1 to 12, 2 signed checkpoints, 2 entries after the last checkpoint",
		},
		{
			name:       "a modified entry is named",
			tamper:     func(items []gdprv1alpha1.AuditEvent) { items[2].Spec.Reason = "Nothing" },
			args:       func(events, pub string) []string { return []string{"verify", "-f", events, "--public-key", pub} },
			wantStatus: 1,
			wantOut:    "shop/payments: FAILED at entry 3: its content does not match its hash (the entry was modified)",
		},
		{
			name:       "a deleted entry is named",
			tamper:     func(items []gdprv1alpha1.AuditEvent) { items[6] = items[7] },
			args:       func(events, pub string) []string { return []string{"verify", "-f", events, "--public-key", pub} },
			wantStatus: 1,
			wantOut:    "FAILED at entry 7: is missing",
		},
		{
			name:       "checkpoints signed with another key do not verify",
			args:       func(events, _ string) []string { return []string{"verify", "-f", events, "--public-key", otherPub} },
			wantStatus: 1,
			wantOut:    "FAILED at entry 5: checkpoint is signed with key",
		},
		{
			name:       "a file without the public key is a usage error",
			args:       func(events, _ string) []string { return []string{"verify", "-f", events} },
			wantStatus: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, pub := writeLedger(t, key, 12, tt.tamper)
			var stdout, stderr bytes.Buffer
			status := run(context.Background(), tt.args(events, pub), strings.NewReader(""), &stdout, &stderr)
			if status != tt.wantStatus {
				t.Errorf("exit status %d, want %d; stdout %q, stderr %q", status, tt.wantStatus, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout %q, want it to contain %q", stdout.String(), tt.wantOut)
			}
		})
	}
}

func TestVerifyReadsTheExportFromStandardInput(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	events, pub := writeLedger(t, key, 6, nil)
	data, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Items []gdprv1alpha1.AuditEvent }
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	var lines strings.Builder
	// An at-least-once export repeats entries after a restart.
	for _, e := range append(list.Items, list.Items[:3]...) {
		line, _ := json.Marshal(map[string]any{"namespace": e.Namespace, "name": e.Name, "spec": e.Spec})
		lines.Write(append(line, '\n'))
	}
	var stdout, stderr bytes.Buffer
	if status := run(context.Background(), []string{"verify", "-f", "-", "--public-key", pub}, strings.NewReader(lines.String()), &stdout, &stderr); status != 0 {
		t.Fatalf("exit status %d; stdout %q, stderr %q", status, stdout.String(), stderr.String())
	}
}

// TestAnotherLanguageReproducesTheHashes runs hack/verify_ledger.py, a verifier written in
// Python from the README's description of the encoding, on a ledger this code wrote. python3
// is a prerequisite of `make test` (README): without it the test fails rather than skips, so
// that a run which never checked the format against a second implementation cannot pass.
func TestAnotherLanguageReproducesTheHashes(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is a prerequisite of make test (it runs hack/verify_ledger.py, the second verifier of the ledger format): %v", err)
	}
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	for _, tc := range []struct {
		name   string
		tamper func([]gdprv1alpha1.AuditEvent)
		want   string
	}{
		{"intact", nil, "shop/payments: hash chain OK: entries 1 to 12"},
		{"modified", func(items []gdprv1alpha1.AuditEvent) { items[3].Spec.Actor = "someone" }, "shop/payments: FAILED at entry 4"},
		{"a placement moved to another region", func(items []gdprv1alpha1.AuditEvent) {
			for i := range items {
				if items[i].Spec.Placement != nil {
					items[i].Spec.Placement.Region = "us-east-1"
					return
				}
			}
			t.Fatal("the chain has no entry with a placement")
		}, "shop/payments: FAILED at entry "},
		{"a group dropped from a request", func(items []gdprv1alpha1.AuditEvent) {
			for i := range items {
				if items[i].Spec.Request != nil {
					items[i].Spec.Request.Groups = items[i].Spec.Request.Groups[:1]
					return
				}
			}
			t.Fatal("the chain has no entry with a request")
		}, "shop/payments: FAILED at entry "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, _ := writeLedger(t, key, 12, tc.tamper)
			in, err := os.Open(events)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = in.Close() }()
			cmd := exec.Command(python, filepath.Join("..", "..", "hack", "verify_ledger.py"))
			cmd.Stdin = in
			out, _ := cmd.CombinedOutput()
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("verify_ledger.py said %q, want %q", out, tc.want)
			}
		})
	}
}
