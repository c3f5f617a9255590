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

// Command ledger measures the audit ledger as production writes it, on a real kube-apiserver
// and etcd (envtest) with the manager built from ./cmd and run with its defaults (pseudonymous
// actors, the AuditLedger reconciler verifying and writing status), and a real registry on
// loopback:
//
//   - the bytes each entry takes in etcd, by entry type, read straight from etcd after
//     workloads went through a whole life (created, scaled, drifted in several ways and
//     repaired, rolled out to a new tag, deleted);
//   - append throughput on one ledger and on 50 at once, with entries shaped like those, in
//     rounds, beside a plain create of the same objects as a baseline;
//   - the time to verify a chain of 10,000 such entries in memory.
//
// `make bench-ledger` runs it.
package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/ledger"
	"github.com/amber-gdpr/amber/internal/ledger/ledgertest"
	"github.com/amber-gdpr/amber/test/bench/benchenv"
	"github.com/amber-gdpr/amber/test/bench/samples"
	"github.com/amber-gdpr/amber/test/cluster"
)

// Targets from the issue; every verdict printed is computed against them.
const (
	targetEntryBytes   = 1536 // at most, per entry as stored
	targetSingleRate   = 100  // entries/s on one ledger, at least
	targetParallelRate = 500  // entries/s over 50 ledgers, at least
)

type options struct {
	lifecycles, single, ledgers, perLedger, verify, rounds int
	csv                                                    string
}

func main() {
	o := options{}
	flag.IntVar(&o.lifecycles, "lifecycles", 3, "workloads taken through a whole life, at once, whose entries are measured")
	flag.IntVar(&o.single, "single", 2000, "entries appended to one ledger per round")
	flag.IntVar(&o.ledgers, "ledgers", 50, "ledgers appended to at once")
	flag.IntVar(&o.perLedger, "per-ledger", 100, "entries appended to each of them per round")
	flag.IntVar(&o.verify, "verify", 10000, "entries in the chain whose verification is timed")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of each throughput measurement")
	flag.StringVar(&o.csv, "csv", samples.DefaultPath("ledger", time.Now()), "file the raw samples are written to")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-ledger:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctrl.SetLogger(logr.Discard())
	// Interrupted, the bench still stops the control plane and the manager it started.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	begun := time.Now()
	env, err := benchenv.Start(ctx)
	if err != nil {
		return err
	}
	defer env.Stop()
	rec := &samples.Recorder{}

	reg, err := cluster.StartRegistry(ctx, benchenv.ControlPlaneBinary("registry"), cluster.RegistryOptions{Dir: filepath.Join(env.Dir, "registry")})
	if err != nil {
		return err
	}
	defer reg.Stop(5 * time.Second)
	images := lifecycleImages{app: reg.Host + "/amber/payments:1.4", appNext: reg.Host + "/amber/payments:1.5", sidecar: reg.Host + "/amber/proxy:2.0"}
	for ref, text := range map[string]string{images.app: "payments 1.4", images.appNext: "payments 1.5", images.sidecar: "proxy 2.0"} {
		img, err := cluster.SmallImage("linux/amd64", text)
		if err != nil {
			return err
		}
		if _, err := cluster.Push(ctx, ref, img, nil); err != nil {
			return err
		}
	}

	binary, err := env.BuildManager(ctx)
	if err != nil {
		return err
	}
	defaults, err := benchenv.ManagerDefaults(ctx, binary)
	if err != nil {
		return err
	}
	mgr, err := env.StartManager(ctx, binary, "--insecure-registries="+reg.Host)
	if err != nil {
		return err
	}
	defer mgr.Stop(10 * time.Second)

	fmt.Printf("Audit ledger benchmark on envtest (kube-apiserver and etcd built from source), %d CPUs, %s\n", runtime.NumCPU(), runtime.Version())
	fmt.Printf("manager: ./cmd built and run with its defaults: --audit-actors=%s --audit-checkpoint-every=%s --audit-checkpoint-interval=%s --max-concurrent-reconciles=%s, AuditLedger reconciler on\n\n",
		defaults["audit-actors"], defaults["audit-checkpoint-every"], defaults["audit-checkpoint-interval"], defaults["max-concurrent-reconciles"])

	// Part 1: what production writes.
	kubeletCtx, stopKubelet := context.WithCancel(ctx)
	go playKubelet(kubeletCtx, env.Client)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, o.lifecycles)
	for i := range o.lifecycles {
		wg.Go(func() {
			l := &lifecycle{c: env.Client, namespace: fmt.Sprintf("%s%d", lifecycleNamespacePrefix, i), images: images, step: func(string) {}}
			errs[i] = l.run(ctx)
		})
	}
	wg.Wait()
	stopKubelet()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("workload lifecycle: %w\nmanager log:\n%s", err, mgr.LogTail(30))
	}
	// Checkpoints are signed a minute after the oldest unsigned entry: wait for them too, so
	// that they are measured like every other entry.
	checkpointInterval, err := benchenv.DurationDefault(defaults, "audit-checkpoint-interval")
	if err != nil {
		return err
	}
	lived := time.Since(start)
	time.Sleep(checkpointInterval + 5*time.Second)
	stored, err := readStoredEntries(ctx, env.EtcdURL, lifecycleNamespacePrefix)
	if err != nil {
		return err
	}
	fmt.Printf("%d workloads created, scaled 3 -> 5 -> 2, drifted 6 ways and repaired, rolled out to a new tag, deleted: %s\n",
		o.lifecycles, lived.Round(time.Second))
	if len(stored) == 0 {
		return fmt.Errorf("etcd holds no AuditEvent under %s%s", auditEventsKeyPrefix, lifecycleNamespacePrefix)
	}
	printSizes(stored, rec)

	// Part 2: append throughput with entries shaped like those.
	keys, err := audit.EnsureKeys(ctx, env.Client, env.Client, benchenv.OperatorNamespace)
	if err != nil {
		return err
	}
	checkpointEvery := 100
	if _, err := fmt.Sscan(defaults["audit-checkpoint-every"], &checkpointEvery); err != nil {
		return fmt.Errorf("read the manager's --audit-checkpoint-every default: %w", err)
	}
	t := &throughput{c: env.Client, writer: audit.NewWriter(env.Client, env.Client, keys.Signing, checkpointEvery), shapes: shapesOf(stored), rec: rec}
	if err := t.run(ctx, o); err != nil {
		return err
	}

	// Part 3: verification in memory.
	chain, err := ledgertest.Chain("bench", "payments", o.verify, checkpointEvery, keys.Signing, time.Now(), t.entry)
	if err != nil {
		return err
	}
	start = time.Now()
	report := ledger.Verify("bench", "payments", chain, ledger.NewKeys(keys.Signing.Public().(ed25519.PublicKey)), ledger.Options{MaxUnsigned: checkpointEvery})
	elapsed := time.Since(start)
	if report.Problem != nil {
		return fmt.Errorf("verification failed: %v", report.Problem)
	}
	rec.Add(0, "verify", "", "seconds", elapsed.Seconds())
	fmt.Printf("\nverify a chain of %d such entries in memory: %.3fs (%d signed checkpoints)\n", o.verify, elapsed.Seconds(), report.Checkpoints)

	if err := rec.WriteCSV(o.csv); err != nil {
		return err
	}
	fmt.Printf("\nraw samples: %s; the whole bench took %s\n", o.csv, time.Since(begun).Round(time.Second))
	return nil
}

// printSizes prints, per entry type, how many entries there are and the bytes each takes in
// etcd, and shows the largest entry as stored.
func printSizes(stored []storedEntry, rec *samples.Recorder) {
	byType := map[gdprv1alpha1.AuditEventType][]float64{}
	managed := map[gdprv1alpha1.AuditEventType][]float64{}
	var all []float64
	largest := stored[0]
	for _, e := range stored {
		size := float64(len(e.value))
		byType[e.event.Spec.Type] = append(byType[e.event.Spec.Type], size)
		mf, _ := json.Marshal(e.event.ManagedFields)
		managed[e.event.Spec.Type] = append(managed[e.event.Spec.Type], float64(len(mf)))
		all = append(all, size)
		if len(e.value) > len(largest.value) {
			largest = e
		}
		rec.Add(0, "entry-bytes", string(e.event.Spec.Type), "bytes", size)
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, string(t))
	}
	sort.Strings(types)
	fmt.Printf("\nBytes per entry as etcd stores it (the value under its key, JSON, managed fields included); target <= %d:\n", targetEntryBytes)
	fmt.Printf("%-22s %5s %7s %7s %7s %15s  %s\n", "type", "n", "min", "median", "max", "managed fields", "max vs target")
	row := func(name string, sizes, mf []float64) {
		s, m := samples.Summarise(sizes), samples.Summarise(mf)
		fmt.Printf("%-22s %5d %7.0f %7.0f %7.0f %15.0f  %s\n", name, s.N, s.Min, s.Median, s.Max, m.Median, samples.Verdict(s.Max, targetEntryBytes, false))
	}
	var allManaged []float64
	for _, t := range types {
		row(t, byType[gdprv1alpha1.AuditEventType(t)], managed[gdprv1alpha1.AuditEventType(t)])
		allManaged = append(allManaged, managed[gdprv1alpha1.AuditEventType(t)]...)
	}
	row("all", all, allManaged)
	fmt.Printf("(managed fields: median bytes of metadata.managedFields within the entry)\n")
	fmt.Printf("\nthe largest entry, %s (%d bytes):\n%s\n", largest.key, len(largest.value), largest.value)
}

// shapesOf keeps the stored entries' specs, less what the writer sets itself, as the shapes
// the throughput rounds append: the same types, in the same proportions, with the same
// fingerprints, actors and messages.
func shapesOf(stored []storedEntry) []gdprv1alpha1.AuditEventSpec {
	var shapes []gdprv1alpha1.AuditEventSpec
	for _, e := range stored {
		if e.event.Spec.Type == gdprv1alpha1.AuditCheckpoint {
			continue // the writer signs its own
		}
		s := e.event.Spec
		s.Ledger, s.Sequence, s.Hash, s.PreviousHash, s.Checkpoint = "", 0, "", "", nil
		s.Time = metav1.Time{}
		shapes = append(shapes, s)
	}
	return shapes
}
