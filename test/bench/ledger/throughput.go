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
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/ledger"
	"github.com/amber-gdpr/amber/test/bench/samples"
)

const appendNamespace = "bench-append"

// throughput appends entries shaped like production's to ledgers while the manager's
// AuditLedger reconciler verifies them and writes their status, and creates the same objects
// plainly as a baseline: what the API server and etcd cost without the ledger's work.
type throughput struct {
	c      client.Client
	writer *audit.Writer
	shapes []gdprv1alpha1.AuditEventSpec
	rec    *samples.Recorder
}

// entry is the i-th entry to append: a production shape, its idempotency key made unique.
func (t *throughput) entry(i int) gdprv1alpha1.AuditEventSpec {
	s := t.shapes[i%len(t.shapes)]
	s.IdempotencyKey = fmt.Sprintf("%s#%d", s.IdempotencyKey, i)
	return s
}

// config is one throughput measurement: ledgers × perLedger entries, appended or created plainly.
type config struct {
	name      string
	ledgers   int
	perLedger int
	plain     bool
	target    float64
}

type outcome struct {
	rate float64
	// verifiedLag is how long after the last append the reconciler had verified every entry.
	verifiedLag time.Duration
}

func (t *throughput) run(ctx context.Context, o options) error {
	if err := t.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: appendNamespace}}); err != nil {
		return err
	}
	configs := []config{
		{name: "one ledger, appends", ledgers: 1, perLedger: o.single, target: targetSingleRate},
		{name: "one ledger, plain creates", ledgers: 1, perLedger: o.single, plain: true},
		{name: fmt.Sprintf("%d ledgers, appends", o.ledgers), ledgers: o.ledgers, perLedger: o.perLedger, target: targetParallelRate},
		{name: fmt.Sprintf("%d ledgers, plain creates", o.ledgers), ledgers: o.ledgers, perLedger: o.perLedger, plain: true},
	}
	fmt.Printf("\nAppend throughput: entries shaped like those above (%d shapes, cycled), through the manager's\n", len(t.shapes))
	fmt.Printf("writer (load, seal, create, a signed checkpoint every 100), while the manager's AuditLedger\n")
	fmt.Printf("reconciler verifies them and writes status. \"plain creates\": the same AuditEvents created\n")
	fmt.Printf("directly, one goroutine per ledger, no chain: what the API server and etcd alone cost.\n")
	fmt.Printf("%-5s %-28s %8s %9s %12s %14s\n", "round", "config", "entries", "seconds", "entries/s", "verified after")
	rates := map[string][]float64{}
	for round := 1; round <= o.rounds; round++ {
		for _, cfg := range configs {
			out, err := t.measure(ctx, round, cfg)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", round, cfg.name, err)
			}
			n := cfg.ledgers * cfg.perLedger
			rates[cfg.name] = append(rates[cfg.name], out.rate)
			t.rec.Add(round, cfg.name, "", "entries_per_s", out.rate)
			lag := ""
			if !cfg.plain {
				lag = out.verifiedLag.Round(100 * time.Millisecond).String()
				t.rec.Add(round, cfg.name, "", "verified_after_s", out.verifiedLag.Seconds())
			}
			fmt.Printf("%-5d %-28s %8d %9.2f %12.0f %14s\n", round, cfg.name, n, float64(n)/out.rate, out.rate, lag)
		}
	}
	fmt.Printf("\nOver %d rounds (n = entries per round): median (min to max)\n", o.rounds)
	fmt.Printf("%-28s %8s %28s %8s  %s\n", "config", "n", "entries/s", "target", "median vs target")
	for _, cfg := range configs {
		s := samples.Summarise(rates[cfg.name])
		target, verdict := "", ""
		if cfg.target > 0 {
			target, verdict = fmt.Sprintf(">= %.0f", cfg.target), samples.Verdict(s.Median, cfg.target, true)
			if s.Min < cfg.target && verdict == "meets" {
				verdict += " (not in every round)"
			}
		}
		fmt.Printf("%-28s %8d %28s %8s  %s\n", cfg.name, cfg.ledgers*cfg.perLedger, fmt.Sprintf("%.0f (%.0f to %.0f)", s.Median, s.Min, s.Max), target, verdict)
	}
	return nil
}

// measure runs one configuration once: one goroutine per ledger, as concurrent reconciles of
// different workloads would append.
func (t *throughput) measure(ctx context.Context, round int, cfg config) (outcome, error) {
	kind := "append"
	if cfg.plain {
		kind = "plain"
	}
	names := make([]string, cfg.ledgers)
	for l := range names {
		names[l] = fmt.Sprintf("r%d-%s-%d-of-%d", round, kind, l, cfg.ledgers)
	}
	var wg sync.WaitGroup
	errs := make([]error, cfg.ledgers)
	start := time.Now()
	for l, name := range names {
		wg.Go(func() {
			for i := range cfg.perLedger {
				var err error
				if cfg.plain {
					err = t.c.Create(ctx, t.plainEvent(name, i))
				} else {
					_, err = t.writer.Append(ctx, appendNamespace, name, t.entry(i))
				}
				if err != nil {
					errs[l] = err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return outcome{}, err
	}
	out := outcome{rate: float64(cfg.ledgers*cfg.perLedger) / elapsed.Seconds()}
	if !cfg.plain {
		lag, err := t.verified(ctx, names)
		if err != nil {
			return outcome{}, err
		}
		out.verifiedLag = lag
	}
	return out, nil
}

// plainEvent is the i-th entry of a ledger nobody keeps: a production shape with the fields
// the writer would set filled in, created as it is.
func (t *throughput) plainEvent(ledgerName string, i int) *gdprv1alpha1.AuditEvent {
	s := t.entry(i)
	s.Ledger, s.Sequence, s.Time = ledgerName, int64(i+1), metav1.NewTime(time.Now().UTC().Truncate(time.Second))
	s.Hash = strings.Repeat("a", 64)
	if i > 0 {
		s.PreviousHash = strings.Repeat("a", 64)
	}
	labels := map[string]string{gdprv1alpha1.AuditLedgerLabel: ledgerName, gdprv1alpha1.AuditTypeLabel: string(s.Type)}
	if s.Reason != "" {
		labels[gdprv1alpha1.AuditReasonLabel] = s.Reason
	}
	if s.Subject.Pod != "" && len(s.Subject.Pod) <= 63 {
		labels[gdprv1alpha1.AuditPodLabel] = s.Subject.Pod
	}
	return &gdprv1alpha1.AuditEvent{
		ObjectMeta: metav1.ObjectMeta{Namespace: appendNamespace, Name: ledger.EntryName(ledgerName, s.Sequence), Labels: labels},
		Spec:       s,
	}
}

// verified waits until every ledger's status says the reconciler verified up to its newest
// entry, and returns how long that took.
func (t *throughput) verified(ctx context.Context, names []string) (time.Duration, error) {
	start := time.Now()
	for _, name := range names {
		list := &gdprv1alpha1.AuditEventList{}
		if err := t.c.List(ctx, list, client.InNamespace(appendNamespace), client.MatchingLabels{gdprv1alpha1.AuditLedgerLabel: name}); err != nil {
			return 0, err
		}
		var head int64
		for _, e := range list.Items {
			head = max(head, e.Spec.Sequence)
		}
		err := poll(ctx, "ledger "+name+" verified", func() (bool, error) {
			l := &gdprv1alpha1.AuditLedger{}
			if err := t.c.Get(ctx, client.ObjectKey{Namespace: appendNamespace, Name: name}, l); err != nil {
				return false, err
			}
			return l.Status.VerifiedSequence >= head, nil
		})
		if err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}
