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
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// orderedAppender records the order entries reach the ledger; an entry whose key is in hold
// waits until release is closed.
type orderedAppender struct {
	mu      sync.Mutex
	keys    []string
	hold    map[string]bool
	release chan struct{}
	fail    map[string]error
}

func (a *orderedAppender) Append(_ context.Context, _, _ string, entry gdprv1alpha1.AuditEventSpec) (bool, error) {
	if a.hold[entry.IdempotencyKey] {
		<-a.release
	}
	if err := a.fail[entry.IdempotencyKey]; err != nil {
		return false, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keys = append(a.keys, entry.IdempotencyKey)
	return true, nil
}

func (a *orderedAppender) AppendWithLabels(ctx context.Context, namespace, name string, entry gdprv1alpha1.AuditEventSpec, _ map[string]string) (bool, error) {
	return a.Append(ctx, namespace, name, entry)
}

func (a *orderedAppender) Drift(context.Context, string, string) (ledger.DriftTally, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return ledger.DriftTally{Replaced: int64(len(a.keys))}, nil
}

func (a *orderedAppender) written() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.keys)
}

func TestWorkloadLedgerKeepsDriftBeforeItsRepair(t *testing.T) {
	appender := &orderedAppender{hold: map[string]bool{"p1/DriftDetected": true}, release: make(chan struct{})}
	l := newWorkloadLedger(appender, &gdprv1alpha1.GDPRWorkload{})
	ctx := context.Background()

	var recorded []int
	l.appendInBackground(ctx, []gdprv1alpha1.AuditEventSpec{{IdempotencyKey: "p1/DriftDetected"}, {IdempotencyKey: "p2/DriftDetected"}},
		func(i int) { recorded = append(recorded, i) })
	appended := make(chan error)
	go func() {
		_, err := l.append(ctx, gdprv1alpha1.AuditEventSpec{IdempotencyKey: "p1/PodReplaced"})
		appended <- err
	}()
	select {
	case <-appended:
		t.Fatalf("the repair was appended while the drift was still being written: %v", appender.written())
	case <-time.After(100 * time.Millisecond):
	}
	close(appender.release)
	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	want := []string{"p1/DriftDetected", "p2/DriftDetected", "p1/PodReplaced"}
	if got := appender.written(); !slices.Equal(got, want) {
		t.Errorf("ledger order = %v, want %v", got, want)
	}
	if !slices.Equal(recorded, []int{0, 1}) {
		t.Errorf("written callbacks for %v, want [0 1]", recorded)
	}
}

func TestWorkloadLedgerTallyIncludesTheDriftBeingWritten(t *testing.T) {
	appender := &orderedAppender{hold: map[string]bool{"p1/DriftDetected": true}, release: make(chan struct{})}
	l := newWorkloadLedger(appender, &gdprv1alpha1.GDPRWorkload{})
	l.appendInBackground(context.Background(), []gdprv1alpha1.AuditEventSpec{{IdempotencyKey: "p1/DriftDetected"}}, nil)
	go func() { time.Sleep(100 * time.Millisecond); close(appender.release) }()
	tally, err := l.drift(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tally.Replaced != 1 { // the fake counts entries written
		t.Errorf("the tally was read before the drift entry was written")
	}
}

func TestWorkloadLedgerStopsAtAFailedDriftRecord(t *testing.T) {
	lost := errors.New("etcd unavailable")
	appender := &orderedAppender{fail: map[string]error{"p1/DriftDetected": lost}}
	l := newWorkloadLedger(appender, &gdprv1alpha1.GDPRWorkload{})
	ctx := context.Background()
	l.appendInBackground(ctx, []gdprv1alpha1.AuditEventSpec{{IdempotencyKey: "p1/DriftDetected"}}, nil)
	if _, err := l.append(ctx, gdprv1alpha1.AuditEventSpec{IdempotencyKey: "p1/PodReplaced"}); !errors.Is(err, lost) {
		t.Fatalf("append after a failed drift record = %v, want %v", err, lost)
	}
	if got := appender.written(); len(got) != 0 {
		t.Errorf("a repair was recorded without its drift: %v", got)
	}
	if err := l.wait(); err != nil {
		t.Errorf("the failure was reported twice: %v", err)
	}
}

// TestLedgerAppendsGoThroughWorkloadLedger fails when code in this package appends to a
// ledger around workloadLedger: such an append would not wait for the drift records. The
// admission webhook (PodAdmission) is the one exception: it is not part of a reconcile.
func TestLedgerAppendsGoThroughWorkloadLedger(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			fn, ok := n.(*ast.FuncDecl)
			if ok && fn.Recv != nil && len(fn.Recv.List) == 1 {
				if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
					if id, ok := star.X.(*ast.Ident); ok && id.Name == "workloadLedger" {
						return false // the one place a reconcile may append
					}
					// The admission webhook appends outside any reconcile: it has no drift
					// records of its own to wait for, and the writer orders one ledger's
					// appends.
					if id, ok := star.X.(*ast.Ident); ok && id.Name == "PodAdmission" {
						return false
					}
				}
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "Append" || sel.Sel.Name == "AppendWithLabels" || sel.Sel.Name == "Drift") {
				if recv, ok := sel.X.(*ast.SelectorExpr); ok && recv.Sel.Name == "Ledger" {
					t.Errorf("%s: appends to the ledger around workloadLedger (use scope.ledger.append)", fset.Position(call.Pos()))
				}
			}
			return true
		})
	}
}

func TestWorkloadLedgerQueuesEntriesInOrderWhileTheReconcileGoesOn(t *testing.T) {
	appender := &orderedAppender{hold: map[string]bool{"p1/PodDeleted": true}, release: make(chan struct{})}
	l := newWorkloadLedger(appender, &gdprv1alpha1.GDPRWorkload{})
	ctx := context.Background()
	queued := make(chan struct{})
	go func() {
		l.enqueue(ctx, gdprv1alpha1.AuditEventSpec{IdempotencyKey: "p1/PodDeleted", Subject: gdprv1alpha1.AuditSubject{PodUID: "p1"}}, nil)
		l.enqueue(ctx, gdprv1alpha1.AuditEventSpec{IdempotencyKey: "p2/PodCreated", Subject: gdprv1alpha1.AuditSubject{PodUID: "p2"}}, nil)
		close(queued)
	}()
	select {
	case <-queued:
	case <-time.After(5 * time.Second):
		t.Fatal("queueing waited for the ledger")
	}
	if !l.unwrittenFor("p2") || l.unwrittenFor("p3") {
		t.Errorf("unwrittenFor(p2) = %t, unwrittenFor(p3) = %t, want true and false", l.unwrittenFor("p2"), l.unwrittenFor("p3"))
	}
	if err := l.failure(); err != nil {
		t.Errorf("failure while the entries are being written = %v, want nil", err)
	}
	settled := make(chan error)
	go func() { settled <- l.wait() }()
	select {
	case err := <-settled:
		t.Fatalf("wait returned (%v) before the queue was written: %v", err, appender.written())
	case <-time.After(100 * time.Millisecond):
	}
	close(appender.release)
	if err := <-settled; err != nil {
		t.Fatal(err)
	}
	want := []string{"p1/PodDeleted", "p2/PodCreated"}
	if got := appender.written(); !slices.Equal(got, want) {
		t.Errorf("ledger order = %v, want %v", got, want)
	}
	if l.unwrittenFor("p2") {
		t.Error("an entry is still counted unwritten after the queue was written")
	}
}

func TestWorkloadLedgerStopsTheReconcileAfterAFailedQueuedEntry(t *testing.T) {
	lost := errors.New("etcd unavailable")
	appender := &orderedAppender{fail: map[string]error{"p1/PodCreated": lost}}
	l := newWorkloadLedger(appender, &gdprv1alpha1.GDPRWorkload{})
	ctx := context.Background()
	l.enqueue(ctx, gdprv1alpha1.AuditEventSpec{IdempotencyKey: "p1/PodCreated", Subject: gdprv1alpha1.AuditSubject{PodUID: "p1"}}, nil)
	l.enqueue(ctx, gdprv1alpha1.AuditEventSpec{IdempotencyKey: "p2/PodCreated", Subject: gdprv1alpha1.AuditSubject{PodUID: "p2"}}, nil)
	var err error
	for deadline := time.Now().Add(5 * time.Second); err == nil && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		err = l.failure()
	}
	if !errors.Is(err, lost) {
		t.Fatalf("failure after a failed entry = %v, want %v", err, lost)
	}
	if got := appender.written(); len(got) != 0 {
		t.Errorf("entries after the failed one were written: %v", got)
	}
	if l.unwrittenFor("p2") {
		t.Error("a dropped entry is still counted unwritten")
	}
	if err := l.wait(); err != nil {
		t.Errorf("the failure was reported twice: %v", err)
	}
	l.enqueue(ctx, gdprv1alpha1.AuditEventSpec{IdempotencyKey: "p3/PodCreated"}, nil)
	if err := l.wait(); err != nil {
		t.Fatal(err)
	}
	if got := appender.written(); !slices.Equal(got, []string{"p3/PodCreated"}) {
		t.Errorf("after the failure was returned, the ledger got %v, want [p3/PodCreated]", got)
	}
}
