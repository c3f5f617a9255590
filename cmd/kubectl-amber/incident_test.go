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
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/incident"
	"github.com/amber-gdpr/amber/internal/ledger"
)

func TestIncidentUsage(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		wantStatus int
		want       string
	}{
		{"--help names report and its flags and succeeds", []string{"incident", "--help"}, 0, "kubectl amber incident report [--since T] [--until T] [-n NAMESPACE | -A] [--workload NAME]"},
		{"report --help prints the usage and the flags and succeeds", []string{"incident", "report", "--help"}, 0, "--since string"},
		{"incident without a subcommand is a usage error", []string{"incident"}, 2, "kubectl amber incident report [--since T]"},
		{"an unknown subcommand is refused, naming report", []string{"incident", "summary"}, 2, `unknown subcommand "summary": want report`},
		{"an unknown format is refused, naming the formats", []string{"incident", "report", "-o", "yaml"}, 2, `-o "yaml": want one of markdown, json`},
		{"a --since in weeks is refused, naming the forms allowed", []string{"incident", "report", "--since", "2w"}, 2,
			`--since "2w": want a time in RFC 3339 (such as 2026-11-24T09:00:00Z) or a duration back from now (such as 72h, 90m or 7d)`},
		{"a --until that is not a time is refused", []string{"incident", "report", "--until", "yesterday"}, 2, `--until "yesterday": want a time in RFC 3339`},
		{"a window that ends before it starts is refused", []string{"incident", "report", "--since", "2026-11-24T12:00:00Z", "--until", "2026-11-24T09:00:00Z"}, 2,
			"--since 2026-11-24T12:00:00Z is after --until 2026-11-24T09:00:00Z: the window must start before it ends"},
		{"-n and -A together are refused", []string{"incident", "report", "-n", "shop", "-A"}, 2, "-n and -A: give one namespace with -n, or every namespace with -A, not both"},
		{"-f without the public key is refused", []string{"incident", "report", "-f", "events.json"}, 2, "--public-key is required with -f"},
		{"a negative --max-unsigned is refused", []string{"incident", "report", "--max-unsigned", "-1"}, 2, "--max-unsigned -1: want 0 (no limit) or more"},
		{"report takes no argument", []string{"incident", "report", "payments"}, 2, `unexpected argument "payments": report takes flags only`},
		{"an unknown flag is refused", []string{"incident", "report", "--all"}, 2, "unknown flag: --all"},
		{"an unreadable file is an error, not an empty report", []string{"incident", "report", "-f", "/nonexistent/events.json", "--public-key", "/nonexistent/amber.pub"}, 2, "kubectl amber incident: open /nonexistent/amber.pub"},
		{"an unreachable cluster is an error, not an empty report", []string{"incident", "report", "-n", "shop", "--public-key", "/dev/null", "--server", "https://127.0.0.1:1", "--request-timeout", "5s", "--insecure-skip-tls-verify"}, 2, "kubectl amber incident: "},
		{"the plugin's usage names incident report", []string{"--help"}, 0, "kubectl amber incident report [--since T]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			checkUsage(t, status, &stdout, &stderr, tc.wantStatus, tc.want)
		})
	}
}

// TestIncidentReportOffline makes the report from saved entries, as an auditor would: the
// ledger of writeLedger has an access denial at 09:00:05, its fifth regular entry.
func TestIncidentReportOffline(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	window := []string{"--since", "2026-11-25T08:00:00Z", "--until", "2026-11-25T10:00:00Z"}
	// The window up to now, when a chain found broken by this verification is detected.
	untilNow := []string{"--since", "2026-11-25T08:00:00Z"}
	for _, tc := range []struct {
		name       string
		tamper     func([]gdprv1alpha1.AuditEvent)
		window     []string
		extra      []string
		wantStatus int
		wantOut    []string
	}{
		{
			name:       "an intact ledger gives the first detection, its deadline and every chain verified",
			wantStatus: 0,
			wantOut: []string{"# DRAFT: personal data breach timeline (GDPR Art. 33)", "not a notification", "**Every chain verified**, signed checkpoints included (1 ledger)",
				"| shop/payments | 10 | 9 | `fe812c12f3ab4ce6` | 2026-11-25T09:00:09Z |",
				"**First detection:** 2026-11-25T09:00:05Z, AccessDenied (Exec) on shop/payments, entry 6: Refused exec.", "**Notification deadline:** **2026-11-28T09:00:05Z**",
				"| shop/payments | **unknown**: not read (report made from saved entries) |"},
		},
		{
			name:       "a modified entry is named, and the ledger's timeline is not trusted past it",
			tamper:     func(items []gdprv1alpha1.AuditEvent) { items[2].Spec.Reason = "Nothing" },
			window:     untilNow,
			wantStatus: 1,
			wantOut: []string{"**NOT every chain verified: 1 of 1 ledger does not.**",
				"**shop/payments does not verify**: FAILED at entry 3: its content does not match its hash (the entry was modified). **The timeline for this ledger cannot be trusted from entry 3 on**",
				"| 6 | **!** | AccessDenied | Exec |  | hmac-sha256:aa | CONNECT pods/exec sh | Refused exec | **Untrusted** |",
				"| 3 | **!** | LedgerTampered | ChainBroken |  |  |  | FAILED at entry 3: its content does not match its hash (the entry was modified) | Verification |"},
		},
		{
			name:       "-n narrows a file to a namespace",
			extra:      []string{"-n", "elsewhere"},
			wantStatus: 0,
			wantOut:    []string{"(file ", ", namespace elsewhere)", "**No ledger was read**"},
		},
		{
			name:       "--workload narrows a file to a ledger",
			extra:      []string{"--workload", "payments"},
			wantStatus: 0,
			wantOut:    []string{", workload payments)", "**Every chain verified**, signed checkpoints included (1 ledger)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			events, pub := writeLedger(t, key, 12, tc.tamper)
			if tc.window == nil {
				tc.window = window
			}
			args := append(append([]string{"incident", "report", "-f", events, "--public-key", pub}, tc.window...), tc.extra...)
			var stdout, stderr bytes.Buffer
			status := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			if status != tc.wantStatus {
				t.Errorf("exit status %d, want %d; stderr %q", status, tc.wantStatus, stderr.String())
			}
			for _, want := range tc.wantOut {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout does not contain %q:\n%s", want, stdout.String())
				}
			}
		})
	}
}

func TestIncidentReportJSON(t *testing.T) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	events, pub := writeLedger(t, key, 12, nil)
	var stdout, stderr bytes.Buffer
	status := run(context.Background(), []string{"incident", "report", "-f", events, "--public-key", pub, "-o", "json",
		"--since", "2026-11-25T09:00:06Z", "--until", "2026-11-25T09:00:11Z"}, strings.NewReader(""), &stdout, &stderr)
	if status != 0 {
		t.Fatalf("exit status %d; stderr %q", status, stderr.String())
	}
	var r incident.Report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("-o json does not parse as incident.Report: %v\n%s", err, stdout.String())
	}
	// Only the second access denial (entry 12, 09:00:11) is inside the window.
	if !r.Verification.AllVerified || r.FirstDetection == nil || r.FirstDetection.Sequence != 12 || r.FirstDetection.Type != "AccessDenied" {
		t.Errorf("verified %v, first detection %+v; want verified and entry 12, AccessDenied", r.Verification.AllVerified, r.FirstDetection)
	}
	if r.Draft != incident.Draft {
		t.Errorf("draft %q, want the draft sentence", r.Draft)
	}
}

func TestIncidentInput(t *testing.T) {
	brokenAt := metav1.NewTime(time.Date(2026, 11, 24, 12, 10, 0, 0, time.UTC))
	entry := func(namespace, name string, seq int64) gdprv1alpha1.AuditEvent {
		return gdprv1alpha1.AuditEvent{ObjectMeta: metav1.ObjectMeta{Namespace: namespace}, Spec: gdprv1alpha1.AuditEventSpec{Ledger: name, Sequence: seq}}
	}
	entries := []gdprv1alpha1.AuditEvent{entry("shop", "payments", 1), entry("shop", "web", 1), entry("shop", "old", 1)}
	reports := []ledger.Report{
		{Namespace: "shop", Ledger: "old", Problem: &ledger.Problem{Sequence: 1, What: "x"}},
		{Namespace: "shop", Ledger: "payments"},
		{Namespace: "shop", Ledger: "web", Problem: &ledger.Problem{Sequence: 1, What: "x"}},
	}
	ledgerWith := func(name string, verified metav1.ConditionStatus) gdprv1alpha1.AuditLedger {
		return gdprv1alpha1.AuditLedger{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Status: gdprv1alpha1.AuditLedgerStatus{
			Conditions: []metav1.Condition{{Type: gdprv1alpha1.VerifiedCondition, Status: verified, LastTransitionTime: brokenAt}}}}
	}
	processing := &gdprv1alpha1.Processing{Role: gdprv1alpha1.RoleController}
	workloads := []gdprv1alpha1.GDPRWorkload{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "payments", UID: "w-1"}, Spec: gdprv1alpha1.GDPRWorkloadSpec{Processing: processing}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}},
	}
	// Amber found web broken at 12:10; old's AuditLedger says Verified True (Amber has not
	// yet seen what this verification found), so when it broke is not known.
	gotLedgers, gotWorkloads := incidentInput(entries, reports, workloads,
		[]gdprv1alpha1.AuditLedger{ledgerWith("web", metav1.ConditionFalse), ledgerWith("old", metav1.ConditionTrue), ledgerWith("payments", metav1.ConditionFalse)})
	wantLedgers := []incident.Ledger{
		{Namespace: "shop", Name: "old", Entries: []gdprv1alpha1.AuditEventSpec{entries[2].Spec}, Verification: reports[0]},
		{Namespace: "shop", Name: "payments", Entries: []gdprv1alpha1.AuditEventSpec{entries[0].Spec}, Verification: reports[1]},
		{Namespace: "shop", Name: "web", Entries: []gdprv1alpha1.AuditEventSpec{entries[1].Spec}, Verification: reports[2], BrokenSince: brokenAt.Time},
	}
	if diff := cmp.Diff(wantLedgers, gotLedgers); diff != "" {
		t.Errorf("ledgers (-want +got; a chain that verifies here has no BrokenSince whatever its AuditLedger says):\n%s", diff)
	}
	wantWorkloads := []incident.Workload{{Namespace: "shop", Name: "payments", UID: "w-1", Processing: processing}, {Namespace: "shop", Name: "web"}}
	if diff := cmp.Diff(wantWorkloads, gotWorkloads); diff != "" {
		t.Errorf("workloads (-want +got):\n%s", diff)
	}
}
