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

package audit

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/failpoint"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// maxAppendAttempts bounds how often an append retries when another writer took its place.
const maxAppendAttempts = 50

// Writer appends entries to ledgers. Appends to one ledger are serialised in the process;
// between processes (a leader handing over) the deterministic entry names make the API
// server refuse a second entry in the same place, and the writer then reloads and retries.
// Entries of different ledgers are written in parallel.
type Writer struct {
	client client.Client
	reader client.Reader
	key    ed25519.PrivateKey
	// checkpointEvery is how many entries a ledger takes before a signed checkpoint follows.
	checkpointEvery int
	// Clock is the time entries are stamped with; tests set it to write history in the past.
	Clock func() time.Time

	mu      sync.Mutex
	ledgers map[types.NamespacedName]*chainState
}

// NewWriter makes a writer that creates entries through c, loads ledgers through the
// uncached reader (so that a restarted manager sees every entry written before), and signs
// a checkpoint after every checkpointEvery entries with key.
func NewWriter(c client.Client, reader client.Reader, key ed25519.PrivateKey, checkpointEvery int) *Writer {
	return &Writer{client: c, reader: reader, key: key, checkpointEvery: checkpointEvery, Clock: time.Now, ledgers: map[types.NamespacedName]*chainState{}}
}

// chainState is what the writer knows of one ledger's chain, guarded by its mutex.
type chainState struct {
	mu sync.Mutex
	// loaded is false until the chain has been read whole, and again once a catch-up finds
	// entries that do not continue the head this writer knows.
	loaded bool
	// state is the chain folded so far: every entry loaded, and every one appended since.
	state ledger.State
}

func (w *Writer) chain(namespace, name string) *chainState {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := types.NamespacedName{Namespace: namespace, Name: name}
	st, ok := w.ledgers[key]
	if !ok {
		st = &chainState{}
		w.ledgers[key] = st
	}
	return st
}

// Forget drops what the writer knows of a ledger, so that the next use reloads it.
func (w *Writer) Forget(namespace, name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.ledgers, types.NamespacedName{Namespace: namespace, Name: name})
}

// Append records entry in the ledger named ledgerName in namespace, unless an entry with the
// same idempotency key is already there. It reports whether it wrote one. The entry's
// sequence, hashes and ledger are set here; a zero time is the current time.
func (w *Writer) Append(ctx context.Context, namespace, ledgerName string, entry gdprv1alpha1.AuditEventSpec) (bool, error) {
	return w.AppendWithLabels(ctx, namespace, ledgerName, entry, nil)
}

// AppendWithLabels is Append with further labels on the entry's AuditEvent: the
// incident-response object an entry is about (AuditBreakGlassLabel, AuditQuarantineLabel),
// for `kubectl get ae -l` to select on. Labels are outside the hashed entry; the writer's own
// labels (ledger, type, reason, pod) win over them.
func (w *Writer) AppendWithLabels(ctx context.Context, namespace, ledgerName string, entry gdprv1alpha1.AuditEventSpec, labels map[string]string) (bool, error) {
	st := w.chain(namespace, ledgerName)
	st.mu.Lock()
	defer st.mu.Unlock()
	return w.appendLocked(ctx, st, namespace, ledgerName, entry, labels)
}

func (w *Writer) appendLocked(ctx context.Context, st *chainState, namespace, ledgerName string, entry gdprv1alpha1.AuditEventSpec, labels map[string]string) (bool, error) {
	entry.Ledger = ledgerName
	if entry.Time.IsZero() {
		entry.Time = metav1.NewTime(w.Clock())
	}
	for range maxAppendAttempts {
		if err := w.loadLocked(ctx, st, namespace, ledgerName); err != nil {
			return false, err
		}
		if _, done := st.state.Recorded[entry.IdempotencyKey]; done {
			return false, nil
		}
		// A crash between an entry and the checkpoint due after it leaves the chain with a
		// full run of unsigned entries: sign it before going on, so no run grows longer.
		if w.checkpointEvery > 0 && st.state.Unsigned >= w.checkpointEvery {
			if err := w.checkpointLocked(ctx, st, namespace, ledgerName); err != nil {
				return false, err
			}
			continue
		}
		taken, err := w.tryAppendLocked(ctx, st, namespace, entry, labels)
		if err != nil {
			return false, fmt.Errorf("append %s entry to ledger %s/%s: %w", entry.Type, namespace, ledgerName, err)
		}
		if taken {
			continue
		}
		if w.checkpointEvery > 0 && st.state.Unsigned >= w.checkpointEvery {
			if err := w.checkpointLocked(ctx, st, namespace, ledgerName); err != nil {
				return true, err
			}
		}
		return true, nil
	}
	return false, fmt.Errorf("append %s entry to ledger %s/%s: its place was taken %d times in a row", entry.Type, namespace, ledgerName, maxAppendAttempts)
}

// tryAppendLocked makes one attempt to write spec after the chain's head. When another
// writer, or an earlier attempt of ours whose answer was lost, took the place, it takes in
// what is there and reports taken.
func (w *Writer) tryAppendLocked(ctx context.Context, st *chainState, namespace string, spec gdprv1alpha1.AuditEventSpec, labels map[string]string) (taken bool, err error) {
	if err := ledger.Seal(namespace, &spec, st.state.Head, st.state.HeadHash); err != nil {
		return false, err
	}
	event := newEvent(namespace, spec, labels)
	err = w.client.Create(ctx, event)
	switch {
	case err == nil:
		st.state.Apply(&event.Spec)
		return false, nil
	case apierrors.IsAlreadyExists(err):
		return true, w.catchUpLocked(ctx, st, namespace, event.Name)
	default:
		return false, err
	}
}

// catchUpLocked folds in the entry another writer created where this one meant to append,
// and any written after it. Should they not continue the chain as this writer knows it, the
// chain is read again whole.
func (w *Writer) catchUpLocked(ctx context.Context, st *chainState, namespace, name string) error {
	for {
		taken := &gdprv1alpha1.AuditEvent{}
		err := w.reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, taken)
		switch {
		case apierrors.IsNotFound(err):
			return nil // caught up: the next place is free
		case err != nil:
			return fmt.Errorf("read entry %s/%s: %w", namespace, name, err)
		case taken.Spec.Sequence != st.state.Head+1 || taken.Spec.PreviousHash != st.state.HeadHash:
			st.loaded = false
			return nil
		}
		st.state.Apply(&taken.Spec)
		name = ledger.EntryName(taken.Spec.Ledger, st.state.Head+1)
	}
}

// Checkpoint signs the chain's current head now, if any entry is not yet covered.
func (w *Writer) Checkpoint(ctx context.Context, namespace, ledgerName string) error {
	st := w.chain(namespace, ledgerName)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := w.loadLocked(ctx, st, namespace, ledgerName); err != nil {
		return err
	}
	if st.state.Unsigned == 0 {
		return nil
	}
	return w.checkpointLocked(ctx, st, namespace, ledgerName)
}

// CheckpointDue says when the chain's oldest unsigned entry will be maxAge old, the latest
// time a checkpoint should cover it; ok is false when every entry is covered.
func (w *Writer) CheckpointDue(ctx context.Context, namespace, ledgerName string, maxAge time.Duration) (due time.Time, ok bool, err error) {
	st := w.chain(namespace, ledgerName)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := w.loadLocked(ctx, st, namespace, ledgerName); err != nil {
		return time.Time{}, false, err
	}
	if st.state.Unsigned == 0 {
		return time.Time{}, false, nil
	}
	return st.state.FirstUnsigned.Add(maxAge), true, nil
}

func (w *Writer) checkpointLocked(ctx context.Context, st *chainState, namespace, ledgerName string) error {
	// The statement is signed anew on every attempt: it must cover the head as it is when
	// written, not as it was when another writer got in between.
	for range maxAppendAttempts {
		if err := w.loadLocked(ctx, st, namespace, ledgerName); err != nil {
			return err
		}
		if st.state.Unsigned == 0 {
			return nil
		}
		spec, err := ledger.CheckpointSpec(namespace, ledgerName, st.state.Head, st.state.HeadHash, w.Clock(), w.key)
		if err != nil {
			return err
		}
		failpoint.Crash(failpoint.AfterCheckpointSign, namespace, ledgerName)
		taken, err := w.tryAppendLocked(ctx, st, namespace, spec, nil)
		if err != nil {
			return fmt.Errorf("sign checkpoint of ledger %s/%s: %w", namespace, ledgerName, err)
		}
		if !taken {
			return nil
		}
	}
	return fmt.Errorf("sign checkpoint of ledger %s/%s: its place was taken %d times in a row", namespace, ledgerName, maxAppendAttempts)
}

// Recorded reports whether an entry with the idempotency key is in the ledger.
func (w *Writer) Recorded(ctx context.Context, namespace, ledgerName, key string) (bool, error) {
	st := w.chain(namespace, ledgerName)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := w.loadLocked(ctx, st, namespace, ledgerName); err != nil {
		return false, err
	}
	_, ok := st.state.Recorded[key]
	return ok, nil
}

// OpenPods returns, by UID, the pods the ledger records as created and not yet deleted.
func (w *Writer) OpenPods(ctx context.Context, namespace, ledgerName string) (map[string]string, error) {
	st := w.chain(namespace, ledgerName)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := w.loadLocked(ctx, st, namespace, ledgerName); err != nil {
		return nil, err
	}
	return maps.Clone(st.state.OpenPods), nil
}

// PodBaseline returns the baseline fingerprint the ledger recorded when the open pod with uid
// was created; ok is false when it recorded none.
func (w *Writer) PodBaseline(ctx context.Context, namespace, ledgerName, uid string) (fingerprint string, ok bool, err error) {
	st := w.chain(namespace, ledgerName)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := w.loadLocked(ctx, st, namespace, ledgerName); err != nil {
		return "", false, err
	}
	fingerprint, ok = st.state.Baselines[uid]
	return fingerprint, ok, nil
}

// Drift returns what the ledger records of drift.
func (w *Writer) Drift(ctx context.Context, namespace, ledgerName string) (ledger.DriftTally, error) {
	st := w.chain(namespace, ledgerName)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := w.loadLocked(ctx, st, namespace, ledgerName); err != nil {
		return ledger.DriftTally{}, err
	}
	return st.state.Drift.Clone(), nil
}

// Unrepaired returns, by UID, the pods the ledger records as drifted with no PodReplaced
// entry, running or not.
func (w *Writer) Unrepaired(ctx context.Context, namespace, ledgerName string) (map[string]ledger.DriftedPod, error) {
	st := w.chain(namespace, ledgerName)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := w.loadLocked(ctx, st, namespace, ledgerName); err != nil {
		return nil, err
	}
	return maps.Clone(st.state.Unrepaired), nil
}

// Workload returns what the ledger last recorded of the workload with uid.
func (w *Writer) Workload(ctx context.Context, namespace, ledgerName, uid string) (ledger.WorkloadRecord, bool, error) {
	st := w.chain(namespace, ledgerName)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := w.loadLocked(ctx, st, namespace, ledgerName); err != nil {
		return ledger.WorkloadRecord{}, false, err
	}
	rec, ok := st.state.Workloads[uid]
	return rec, ok, nil
}

// loadLocked reads the whole chain from the API server the first time it is needed, and
// makes sure the AuditLedger object exists.
func (w *Writer) loadLocked(ctx context.Context, st *chainState, namespace, ledgerName string) error {
	if st.loaded {
		return nil
	}
	if err := w.ensureLedger(ctx, namespace, ledgerName); err != nil {
		return err
	}
	list := &gdprv1alpha1.AuditEventList{}
	if err := w.reader.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{gdprv1alpha1.AuditLedgerLabel: ledgerName}); err != nil {
		return fmt.Errorf("load ledger %s/%s: %w", namespace, ledgerName, err)
	}
	slices.SortFunc(list.Items, func(a, b gdprv1alpha1.AuditEvent) int { return cmp.Compare(a.Spec.Sequence, b.Spec.Sequence) })
	st.state, st.loaded = ledger.Fold(list.Items), true
	return nil
}

func (w *Writer) ensureLedger(ctx context.Context, namespace, name string) error {
	existing := &gdprv1alpha1.AuditLedger{}
	err := w.reader.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, existing)
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("get ledger %s/%s: %w", namespace, name, err)
	}
	l := &gdprv1alpha1.AuditLedger{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{gdprv1alpha1.WorkloadLabel: name}},
		Spec:       gdprv1alpha1.AuditLedgerSpec{Workload: name},
	}
	if err := w.client.Create(ctx, l); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create ledger %s/%s: %w", namespace, name, err)
	}
	return nil
}

// newEvent wraps a sealed entry in its resource, with the labels `kubectl get ae -l` selects on.
func newEvent(namespace string, spec gdprv1alpha1.AuditEventSpec, extra map[string]string) *gdprv1alpha1.AuditEvent {
	labels := maps.Clone(extra)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[gdprv1alpha1.AuditLedgerLabel] = spec.Ledger
	labels[gdprv1alpha1.AuditTypeLabel] = string(spec.Type)
	if spec.Reason != "" {
		labels[gdprv1alpha1.AuditReasonLabel] = spec.Reason
	}
	// A label value holds at most 63 characters; longer pod names are still in the spec.
	if pod := spec.Subject.Pod; pod != "" && len(pod) <= 63 {
		labels[gdprv1alpha1.AuditPodLabel] = pod
	}
	return &gdprv1alpha1.AuditEvent{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: ledger.EntryName(spec.Ledger, spec.Sequence), Labels: labels},
		Spec:       spec,
	}
}
