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
	"context"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// ledgerAppender appends entries to ledgers, and tells what they record of drift:
// *audit.Writer.
type ledgerAppender interface {
	Append(ctx context.Context, namespace, ledgerName string, entry gdprv1alpha1.AuditEventSpec) (bool, error)
	AppendWithLabels(ctx context.Context, namespace, ledgerName string, entry gdprv1alpha1.AuditEventSpec, labels map[string]string) (bool, error)
	Drift(ctx context.Context, namespace, ledgerName string) (ledger.DriftTally, error)
}

// workloadLedger is the one way a reconcile writes to its workload's ledger, so that the
// ledger tells what happened in the order it happened. Drift found in a reconcile is
// recorded in the background while its replacement is made (a fresh pod then does not wait
// for the ledger); every other append first waits for that, so "drift is recorded before it
// is repaired" holds whatever phase appends next, and the drift tally read back includes it.
// Nothing else in the package may call the writer's Append or Drift
// (TestLedgerAppendsGoThroughWorkloadLedger checks); a phase that repairs drift without
// appending first calls wait.
type workloadLedger struct {
	writer          ledgerAppender
	namespace, name string
	// background answers once the entries written in the background are in the ledger.
	background chan error
}

func newWorkloadLedger(writer ledgerAppender, w *gdprv1alpha1.GDPRWorkload) *workloadLedger {
	return &workloadLedger{writer: writer, namespace: w.Namespace, name: w.Name}
}

// append writes entry after everything appended before it, and reports whether it was new
// (false: an entry with its idempotency key was there already).
func (l *workloadLedger) append(ctx context.Context, entry gdprv1alpha1.AuditEventSpec) (bool, error) {
	if err := l.wait(); err != nil {
		return false, err
	}
	return l.writer.Append(ctx, l.namespace, l.name, entry)
}

// appendLabelled is append with further labels on the entry's AuditEvent (the BreakGlass or
// Quarantine it is about).
func (l *workloadLedger) appendLabelled(ctx context.Context, entry gdprv1alpha1.AuditEventSpec, labels map[string]string) (bool, error) {
	if err := l.wait(); err != nil {
		return false, err
	}
	return l.writer.AppendWithLabels(ctx, l.namespace, l.name, entry, labels)
}

// drift returns what the ledger records of drift, this reconcile's drift included.
func (l *workloadLedger) drift(ctx context.Context) (ledger.DriftTally, error) {
	if err := l.wait(); err != nil {
		return ledger.DriftTally{}, err
	}
	return l.writer.Drift(ctx, l.namespace, l.name)
}

// appendInBackground writes entries in order without holding up the caller; written is
// called for each entry that was new. The next append, or wait, waits for them.
func (l *workloadLedger) appendInBackground(ctx context.Context, entries []gdprv1alpha1.AuditEventSpec, written func(i int)) {
	if len(entries) == 0 {
		return
	}
	if err := l.wait(); err != nil {
		// Still wait for nothing: the error is returned by the next append.
		l.background = make(chan error, 1)
		l.background <- err
		return
	}
	done := make(chan error, 1)
	l.background = done
	go func() {
		for i, entry := range entries {
			wrote, err := l.writer.Append(ctx, l.namespace, l.name, entry)
			if err != nil {
				done <- err
				return
			}
			if wrote && written != nil {
				written(i)
			}
		}
		done <- nil
	}()
}

// wait returns once everything appended in the background is written, with its error.
func (l *workloadLedger) wait() error {
	if l.background == nil {
		return nil
	}
	err := <-l.background
	l.background = nil
	return err
}
