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

// Command ledger measures the audit ledger on a real kube-apiserver and etcd (envtest):
// append throughput on one ledger and on 50 ledgers at once, the bytes one entry takes as
// stored, and the time to verify 10,000 entries. `make bench-ledger` runs it.
package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/ledger"
	"github.com/amber-gdpr/amber/internal/ledger/ledgertest"
)

func main() {
	single := flag.Int("single", 2000, "entries appended to one ledger")
	ledgers := flag.Int("ledgers", 50, "ledgers appended to at once")
	perLedger := flag.Int("per-ledger", 100, "entries appended to each of them")
	verifyN := flag.Int("verify", 10000, "entries in the chain whose verification is timed")
	flag.Parse()
	if err := run(*single, *ledgers, *perLedger, *verifyN); err != nil {
		fmt.Fprintln(os.Stderr, "bench-ledger:", err)
		os.Exit(1)
	}
}

func run(single, ledgers, perLedger, verifyN int) error {
	root, err := filepath.Abs(".")
	if err != nil {
		return err
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("start envtest (run through make bench-ledger, which sets KUBEBUILDER_ASSETS): %w", err)
	}
	defer func() { _ = env.Stop() }()
	cfg.QPS, cfg.Burst = 1000, 2000 // measure the API server, not client-side throttling

	scheme := k8sruntime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gdprv1alpha1.AddToScheme(scheme))
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	ctx := context.Background()
	for _, ns := range []string{"bench-single", "bench-many"} {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			return err
		}
	}
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		return err
	}
	entry := func(i int) gdprv1alpha1.AuditEventSpec {
		return gdprv1alpha1.AuditEventSpec{
			Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp",
			Subject: gdprv1alpha1.AuditSubject{
				Pod: fmt.Sprintf("payments-%05d", i), PodUID: fmt.Sprintf("0e7f2a4c-8b1d-4e6f-a2c3-%012d", i), Revision: "be6109dc29",
			},
			Actor:          "amber",
			Message:        "Created the pod",
			IdempotencyKey: fmt.Sprintf("0e7f2a4c-8b1d-4e6f-a2c3-%012d/PodCreated", i),
		}
	}

	fmt.Printf("Audit ledger benchmark on envtest (kube-apiserver and etcd built from source), %d CPUs, %s\n\n", runtime.NumCPU(), runtime.Version())

	// One ledger: appends are serialised, so this is the latency of one create in a row.
	w := audit.NewWriter(c, c, key, 100)
	start := time.Now()
	for i := range single {
		if _, err := w.Append(ctx, "bench-single", "payments", entry(i)); err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	fmt.Printf("%-46s %8d entries in %6.2fs  %8.0f entries/s  (target >= 100)\n", "one ledger, sequential appends", single, elapsed.Seconds(), float64(single)/elapsed.Seconds())

	// Many ledgers at once: one goroutine per ledger, as concurrent reconciles would.
	w = audit.NewWriter(c, c, key, 100)
	var wg sync.WaitGroup
	errs := make(chan error, ledgers)
	start = time.Now()
	for l := range ledgers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perLedger {
				if _, err := w.Append(ctx, "bench-many", fmt.Sprintf("workload-%02d", l), entry(i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed = time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	total := ledgers * perLedger
	fmt.Printf("%-46s %8d entries in %6.2fs  %8.0f entries/s  (target >= 500)\n", fmt.Sprintf("%d ledgers appended to at once", ledgers), total, elapsed.Seconds(), float64(total)/elapsed.Seconds())

	// Bytes per entry as the API server stores and serves it (custom resources are kept as
	// JSON in etcd), metadata and managed fields included.
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gdprv1alpha1.GroupVersion.WithKind("AuditEventList"))
	if err := c.List(ctx, list, client.InNamespace("bench-single")); err != nil {
		return err
	}
	var bytes, largest int
	for _, item := range list.Items {
		encoded, err := json.Marshal(item.Object)
		if err != nil {
			return err
		}
		bytes += len(encoded)
		largest = max(largest, len(encoded))
	}
	example, _ := json.Marshal(list.Items[len(list.Items)/2].Object)
	fmt.Printf("an entry as stored:\n%s\n\n", example)
	fmt.Printf("%-46s %8.0f bytes on average, %d at most  (target <= 1536)\n", "size of one entry as stored", float64(bytes)/float64(len(list.Items)), largest)

	// Verification: a chain of verifyN entries with a checkpoint every 100, in memory.
	chain, err := ledgertest.Chain("bench", "payments", verifyN, 100, key, time.Now(), entry)
	if err != nil {
		return err
	}
	start = time.Now()
	report := ledger.Verify("bench", "payments", chain, ledger.NewKeys(key.Public().(ed25519.PublicKey)), ledger.Options{MaxUnsigned: 100})
	elapsed = time.Since(start)
	if report.Problem != nil {
		return fmt.Errorf("verification failed: %v", report.Problem)
	}
	fmt.Printf("%-46s %8d entries in %6.3fs  (%d signed checkpoints)\n", "verify a chain", verifyN, elapsed.Seconds(), report.Checkpoints)
	return nil
}
