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
	"sync"

	"k8s.io/apimachinery/pkg/types"

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
// ledger tells what happened in the order it happened. Entries go in one queue, written in
// order by one goroutine: the reconcile's actions go on while the entries of those before
// them are appended (a hash chain takes one entry after the other, each an API call, and a
// rollout that waited for each would go at the ledger's pace, not the API server's).
//
// What holds:
//   - Entries reach the ledger in the order they were queued, which is the order of the
//     actions and observations they record; append, drift and wait first wait for the queue.
//   - An entry whose evidence an action removes is written before that action: drift is
//     recorded before it is repaired, a pod's PodScheduled before the pod is deleted
//     (reconcilePods waits while unwritten names the pod, or the pod drifted).
//   - A reconcile ends only once its queue is written (Reconcile waits), so the next one,
//     and the recovery in recordObservedPods, read a ledger holding every entry queued before.
//   - After a failed append nothing more is written, and the reconcile stops acting
//     (failure): the actions whose entries were lost are recorded as found
//     (FoundRunning, DeletionObserved, FoundGone, marked recovered) by the next reconcile,
//     as after a crash between an action and its entry.
//
// Nothing else in the package may call the writer's Append or Drift
// (TestLedgerAppendsGoThroughWorkloadLedger checks).
type workloadLedger struct {
	writer          ledgerAppender
	namespace, name string

	mu sync.Mutex
	// queue holds the entries not yet written, in order.
	queue []queuedEntry
	// writing is closed once the goroutine writing the queue stops (nil while none runs).
	writing chan struct{}
	// err is the failure of a background append, until it is returned.
	err error
	// unwritten counts the queued entries by the pod they name.
	unwritten map[string]int
}

// queuedEntry is an entry waiting in the queue, and what to call once it is written anew.
type queuedEntry struct {
	entry gdprv1alpha1.AuditEventSpec
	// labels are further labels on the entry's AuditEvent (the BreakGlass or Quarantine it is
	// about); nil for most entries.
	labels  map[string]string
	written func()
}

func newWorkloadLedger(writer ledgerAppender, w *gdprv1alpha1.GDPRWorkload) *workloadLedger {
	return &workloadLedger{writer: writer, namespace: w.Namespace, name: w.Name, unwritten: map[string]int{}}
}

// append writes entry after everything queued before it, and reports whether it was new
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

// appendInBackground queues entries in order; written is called for each entry that was new.
func (l *workloadLedger) appendInBackground(ctx context.Context, entries []gdprv1alpha1.AuditEventSpec, written func(i int)) {
	for i, entry := range entries {
		var then func()
		if written != nil {
			then = func() { written(i) }
		}
		l.enqueue(ctx, entry, then)
	}
}

// enqueue writes entry in the background after everything queued before it, without holding
// up the caller; written, if set, is called once it is written anew. Safe to call from
// several goroutines: the entries go in the order the calls came. After a failure, until it
// is returned, entries are dropped (the failure says why they are missing).
func (l *workloadLedger) enqueue(ctx context.Context, entry gdprv1alpha1.AuditEventSpec, written func()) {
	l.enqueueLabelled(ctx, entry, nil, written)
}

// enqueueLabelled is enqueue with further labels on the entry's AuditEvent.
func (l *workloadLedger) enqueueLabelled(ctx context.Context, entry gdprv1alpha1.AuditEventSpec, labels map[string]string, written func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	l.queue = append(l.queue, queuedEntry{entry: entry, labels: labels, written: written})
	if uid := entry.Subject.PodUID; uid != "" {
		l.unwritten[uid]++
	}
	if l.writing == nil {
		l.writing = make(chan struct{})
		go l.write(ctx, l.writing)
	}
}

// write appends the queued entries one after the other until the queue is empty or an
// append fails, then closes done.
func (l *workloadLedger) write(ctx context.Context, done chan struct{}) {
	defer close(done)
	for {
		l.mu.Lock()
		if len(l.queue) == 0 {
			l.writing = nil
			l.mu.Unlock()
			return
		}
		next := l.queue[0]
		l.mu.Unlock()
		var wrote bool
		var err error
		if next.labels != nil {
			wrote, err = l.writer.AppendWithLabels(ctx, l.namespace, l.name, next.entry, next.labels)
		} else {
			wrote, err = l.writer.Append(ctx, l.namespace, l.name, next.entry)
		}
		l.mu.Lock()
		if err != nil {
			l.err, l.queue, l.writing = err, nil, nil
			clear(l.unwritten)
			l.mu.Unlock()
			return
		}
		l.queue = l.queue[1:]
		if uid := next.entry.Subject.PodUID; uid != "" {
			if l.unwritten[uid]--; l.unwritten[uid] == 0 {
				delete(l.unwritten, uid)
			}
		}
		l.mu.Unlock()
		if wrote && next.written != nil {
			next.written()
		}
	}
}

// wait returns once everything queued is written, with the failure of a background append
// (once: the next wait returns nil).
func (l *workloadLedger) wait() error {
	for {
		l.mu.Lock()
		done := l.writing
		if done == nil {
			err := l.err
			l.err = nil
			l.mu.Unlock()
			return err
		}
		l.mu.Unlock()
		<-done
	}
}

// failure returns, once, the failure of a background append, without waiting for the queue:
// a reconcile checks it before each action, so that no action follows an entry that was lost.
func (l *workloadLedger) failure() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.err
	l.err = nil
	return err
}

// unwrittenFor reports whether an entry naming the pod with uid waits in the queue.
func (l *workloadLedger) unwrittenFor(uid types.UID) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.unwritten[string(uid)] > 0
}
