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

package controllers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// describeConditions renders conditions as "Type=Status/Reason: message (generation)", sorted,
// so that a table can state them exactly, transition times aside.
func describeConditions(conditions []metav1.Condition) []string {
	out := make([]string, 0, len(conditions))
	for _, c := range conditions {
		out = append(out, fmt.Sprintf("%s=%s/%s: %s (%d)", c.Type, c.Status, c.Reason, c.Message, c.ObservedGeneration))
	}
	slices.Sort(out)
	return out
}

func ledgerCondition(conditionType string, status metav1.ConditionStatus, reason, message string) metav1.Condition {
	return metav1.Condition{Type: conditionType, Status: status, Reason: reason, Message: message, ObservedGeneration: 1}
}

var (
	verifiedTrue  = ledgerCondition(gdprv1alpha1.VerifiedCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonChainVerified, "Entries 1 to 7 verified; 0 not yet covered by a signed checkpoint")
	verifiedFalse = ledgerCondition(gdprv1alpha1.VerifiedCondition, metav1.ConditionFalse, gdprv1alpha1.ReasonChainBroken, "entry 2: is missing: the chain jumps from 1 to 3 (an entry was deleted)")
)

func TestSetVerifiedCondition(t *testing.T) {
	missing := &ledger.Problem{Sequence: 2, What: "is missing: the chain jumps from 1 to 3 (an entry was deleted)"}
	tests := []struct {
		name      string
		before    []metav1.Condition
		report    ledger.Report
		firstKept int64
		want      []string
	}{
		{"a sound chain is Verified, counted from the oldest entry kept",
			nil, ledger.Report{First: 5, Head: 12, Unsigned: 2}, 1,
			[]string{"Verified=True/ChainVerified: Entries 1 to 12 verified; 2 not yet covered by a signed checkpoint (2)"}},
		{"a chain trimmed by retention is counted from its first checkpoint",
			nil, ledger.Report{Head: 30}, 21,
			[]string{"Verified=True/ChainVerified: Entries 21 to 30 verified; 0 not yet covered by a signed checkpoint (2)"}},
		{"a chain that breaks is not Verified, and the message names the first bad entry",
			[]metav1.Condition{verifiedTrue}, ledger.Report{Head: 1, Problem: missing}, 1,
			[]string{"Verified=False/ChainBroken: entry 2: is missing: the chain jumps from 1 to 3 (an entry was deleted) (2)"}},
		{"a chain restored from an export verifies again",
			[]metav1.Condition{verifiedFalse}, ledger.Report{Head: 7}, 1,
			[]string{"Verified=True/ChainVerified: Entries 1 to 7 verified; 0 not yet covered by a signed checkpoint (2)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conditions := slices.Clone(tt.before)
			setVerifiedCondition(&conditions, 2, tt.report, tt.firstKept)
			if got := describeConditions(conditions); !slices.Equal(got, tt.want) {
				t.Errorf("conditions\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestSetReadyCondition(t *testing.T) {
	failed := errors.New("list entries of ledger payments: etcdserver: request timed out")
	reconciling := ledgerCondition(gdprv1alpha1.ReconcilingCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonReconcileFailed, "earlier failure")
	stalled := ledgerCondition(gdprv1alpha1.StalledCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonTampered, "earlier tampering")
	tests := []struct {
		name     string
		before   []metav1.Condition
		verified *metav1.Condition
		err      error
		want     []string
	}{
		{"a verified chain with every step done is Ready, and neither Reconciling nor Stalled is left",
			[]metav1.Condition{reconciling, stalled}, &verifiedTrue, nil,
			[]string{"Ready=True/ChainVerified: Entries 1 to 7 verified; 0 not yet covered by a signed checkpoint (2)"}},
		{"a step that failed leaves the ledger Reconciling, with the error, until a retry succeeds",
			[]metav1.Condition{stalled}, &verifiedTrue, failed,
			[]string{
				"Ready=False/ReconcileFailed: list entries of ledger payments: etcdserver: request timed out (2)",
				"Reconciling=True/ReconcileFailed: list entries of ledger payments: etcdserver: request timed out (2)",
			}},
		{"a ledger whose first reconcile failed before verifying is Reconciling",
			nil, nil, failed,
			[]string{
				"Ready=False/ReconcileFailed: list entries of ledger payments: etcdserver: request timed out (2)",
				"Reconciling=True/ReconcileFailed: list entries of ledger payments: etcdserver: request timed out (2)",
			}},
		{"a broken chain is Stalled, not Reconciling: only a person can deal with it",
			[]metav1.Condition{reconciling}, &verifiedFalse, nil,
			[]string{
				"Ready=False/Tampered: The audit chain does not verify: entry 2: is missing: the chain jumps from 1 to 3 (an entry was deleted) (2)",
				"Stalled=True/Tampered: The audit chain does not verify: entry 2: is missing: the chain jumps from 1 to 3 (an entry was deleted) (2)",
			}},
		{"a broken chain outranks a failed step: retrying cannot mend it",
			nil, &verifiedFalse, failed,
			[]string{
				"Ready=False/Tampered: The audit chain does not verify: entry 2: is missing: the chain jumps from 1 to 3 (an entry was deleted) (2)",
				"Stalled=True/Tampered: The audit chain does not verify: entry 2: is missing: the chain jumps from 1 to 3 (an entry was deleted) (2)",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conditions := slices.Clone(tt.before)
			observed := int64(1)
			setReadyCondition(&conditions, &observed, 2, tt.verified, tt.err)
			if held := observed != 2; held != (tt.err != nil && !(tt.verified != nil && tt.verified.Status == metav1.ConditionFalse)) {
				t.Errorf("observedGeneration = %d: held back only while a failed step is retried", observed)
			}
			if got := describeConditions(conditions); !slices.Equal(got, tt.want) {
				t.Errorf("conditions\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestChainBroke(t *testing.T) {
	tests := []struct {
		name          string
		before, after []metav1.Condition
		want          bool
	}{
		{"a chain that verified and no longer does broke", []metav1.Condition{verifiedTrue}, []metav1.Condition{verifiedFalse}, true},
		{"a chain found broken at its first verification broke", nil, []metav1.Condition{verifiedFalse}, true},
		{"a chain still broken did not break again", []metav1.Condition{verifiedFalse}, []metav1.Condition{verifiedFalse}, false},
		{"a chain that verifies again did not break", []metav1.Condition{verifiedFalse}, []metav1.Condition{verifiedTrue}, false},
		{"a chain that keeps verifying did not break", []metav1.Condition{verifiedTrue}, []metav1.Condition{verifiedTrue}, false},
		{"a ledger not verified yet did not break", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chainBroke(tt.before, tt.after); got != tt.want {
				t.Errorf("chainBroke() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSummarizeLedger(t *testing.T) {
	now := time.Date(2026, 11, 1, 10, 5, 0, 0, time.UTC)
	entries := []gdprv1alpha1.AuditEvent{
		{Spec: gdprv1alpha1.AuditEventSpec{Sequence: 1, Hash: "h1"}},
		{Spec: gdprv1alpha1.AuditEventSpec{Sequence: 2, Hash: "h2"}},
	}
	earlier := gdprv1alpha1.AuditLedgerStatus{
		ObservedGeneration: 1, Entries: 1, FirstSequence: 1, Head: gdprv1alpha1.AuditLedgerHead{Sequence: 1, Hash: "h1"},
		Conditions: []metav1.Condition{verifiedTrue},
	}
	failed := errors.New("sign checkpoint: the server is currently unable to handle the request")
	tests := []struct {
		name           string
		scope          ledgerScope
		err            error
		wantGeneration int64
		wantHead       int64
		wantConditions []string
	}{
		{"a generation fully handled is observed",
			ledgerScope{entries: entries, listed: true, report: &ledger.Report{Head: 2, Unsigned: 2}}, nil,
			2, 2, []string{
				"Ready=True/ChainVerified: Entries 1 to 2 verified; 2 not yet covered by a signed checkpoint (2)",
				"Verified=True/ChainVerified: Entries 1 to 2 verified; 2 not yet covered by a signed checkpoint (2)",
			}},
		{"a step failing before the entries were listed holds back observedGeneration and keeps what was known",
			ledgerScope{}, failed,
			1, 1, []string{
				"Ready=False/ReconcileFailed: sign checkpoint: the server is currently unable to handle the request (2)",
				"Reconciling=True/ReconcileFailed: sign checkpoint: the server is currently unable to handle the request (2)",
				"Verified=True/ChainVerified: Entries 1 to 7 verified; 0 not yet covered by a signed checkpoint (1)",
			}},
		{"a tampered chain is observed: nothing Amber retries would change it",
			ledgerScope{entries: entries, listed: true, report: &ledger.Report{Head: 1, Problem: &ledger.Problem{Sequence: 2, What: "its content does not match its hash (the entry was modified)"}}}, nil,
			2, 2, []string{
				"Ready=False/Tampered: The audit chain does not verify: entry 2: its content does not match its hash (the entry was modified) (2)",
				"Stalled=True/Tampered: The audit chain does not verify: entry 2: its content does not match its hash (the entry was modified) (2)",
				"Verified=False/ChainBroken: entry 2: its content does not match its hash (the entry was modified) (2)",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &gdprv1alpha1.AuditLedger{Status: *earlier.DeepCopy()}
			l.Generation = 2
			scope := tt.scope
			scope.ledger, scope.now = l, now
			summarizeLedger(&scope, tt.err)
			if l.Status.ObservedGeneration != tt.wantGeneration {
				t.Errorf("observedGeneration = %d, want %d", l.Status.ObservedGeneration, tt.wantGeneration)
			}
			if l.Status.Head.Sequence != tt.wantHead {
				t.Errorf("head = %d, want %d", l.Status.Head.Sequence, tt.wantHead)
			}
			if got := describeConditions(l.Status.Conditions); !slices.Equal(got, tt.wantConditions) {
				t.Errorf("conditions\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.wantConditions, "\n"))
			}
		})
	}
}
