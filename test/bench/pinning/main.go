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

// Command pinning measures image pinning through the real reconciler on a real API server
// (envtest) and real OCI registries on loopback: registry requests and the time from a
// workload's creation to its ImagesPinned condition, for many workloads sharing a few
// images, with a cold cache, a warm cache, and with one image's registry down (accepting
// connections and never answering). `make bench-pinning` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/controllers"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/pin"
	"github.com/amber-gdpr/amber/test/registry"
)

const operatorNamespace = "amber-system"

func main() {
	workloads := flag.Int("workloads", 1000, "workloads per round")
	imageCount := flag.Int("images", 10, "images, shared by every workload (each workload runs all of them)")
	latency := flag.Duration("registry-latency", 20*time.Millisecond, "delay the registry adds to every answer, as across a network")
	timeout := flag.Duration("registry-timeout", 2*time.Second, "the manager's per-resolution timeout")
	ttl := flag.Duration("ttl", 30*time.Second, "the resolution cache's TTL")
	flag.Parse()
	if err := run(*workloads, *imageCount, *latency, *timeout, *ttl); err != nil {
		fmt.Fprintln(os.Stderr, "bench-pinning:", err)
		os.Exit(1)
	}
}

type bench struct {
	c         client.Client
	cache     *pin.Cache
	healthy   *registry.Registry
	workloads int
}

func run(workloads, imageCount int, latency, timeout, ttl time.Duration) error {
	ctrl.SetLogger(logr.Discard())
	root, err := filepath.Abs(".")
	if err != nil {
		return err
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("start envtest (run through make bench-pinning, which sets KUBEBUILDER_ASSETS): %w", err)
	}
	defer func() { _ = env.Stop() }()
	cfg.QPS, cfg.Burst = 1000, 2000 // measure Amber and the registry, not client-side throttling

	healthy, err := registry.Start(registry.WithLatency(latency))
	if err != nil {
		return err
	}
	defer healthy.Close()
	blackHole, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		return err
	}
	defer func() { _ = blackHole.Close() }()

	images := make([]string, imageCount)
	for i := range images {
		if _, err := healthy.Push(fmt.Sprintf("bench/app-%d:1", i)); err != nil {
			return err
		}
		images[i] = healthy.Ref(fmt.Sprintf("bench/app-%d:1", i))
	}
	downImage := blackHole.Addr().String() + "/bench/app-down:1"

	scheme := k8sruntime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gdprv1alpha1.AddToScheme(scheme))
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNamespace}}); err != nil {
		return err
	}

	cache := &pin.Cache{
		Resolver:   &pin.Resolver{Insecure: map[string]bool{healthy.Host: true, blackHole.Addr().String(): true}, Timeout: timeout},
		TTL:        ttl,
		FailureTTL: 2 * time.Second,
	}
	if err := startManager(ctx, cfg, scheme, c, cache); err != nil {
		return err
	}
	b := &bench{c: c, cache: cache, healthy: healthy, workloads: workloads}
	withDown := append(slices.Clone(images[:len(images)-1]), downImage)

	fmt.Printf("bench-pinning: %d workloads x %d images (all shared), registry latency %v, resolution timeout %v, cache TTL %v\n\n",
		workloads, imageCount, latency, timeout, ttl)
	fmt.Println("Resolution alone: every workload resolves its images at once through one shared cache, as the")
	fmt.Println("reconciler's background resolution does; latency is per workload, all its images.")
	fmt.Printf("%-34s %9s %13s %13s %9s %9s %9s\n", "round", "workloads", "resolutions", "HTTP requests", "p50", "p99", "all done")
	direct := &pin.Cache{Resolver: cache.Resolver, TTL: ttl, FailureTTL: 2 * time.Second}
	b.direct(ctx, direct, "cold cache", images, workloads)
	b.direct(ctx, direct, "warm cache (within the TTL)", images, workloads)
	time.Sleep(ttl) // let the cache expire: the next rounds ask the registries again
	var wg sync.WaitGroup
	wg.Go(func() { b.direct(ctx, direct, "one image's registry down", withDown, workloads) })
	time.Sleep(100 * time.Millisecond) // while that round waits on the registry that never answers
	b.direct(ctx, direct, "  meanwhile, healthy images", images, workloads/10)
	wg.Wait()

	fmt.Println()
	fmt.Println("Through the reconciler on envtest: time from a workload's creation until its status shows")
	fmt.Println("ImagesPinned (True, or False/RegistryUnavailable); includes the API writes and ledger entries.")
	fmt.Printf("%-34s %9s %13s %13s %9s %9s %9s\n", "round", "workloads", "resolutions", "HTTP requests", "p50", "p99", "all done")
	if err := b.round(ctx, "cold cache", "cold", images, workloads, gdprv1alpha1.ReasonPinned); err != nil {
		return err
	}
	if err := b.round(ctx, "warm cache (within the TTL)", "warm", images, workloads, gdprv1alpha1.ReasonPinned); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		done <- b.round(ctx, "one image's registry down", "down", withDown, workloads, gdprv1alpha1.ReasonRegistryUnavailable)
	}()
	time.Sleep(200 * time.Millisecond) // the failing round is under way
	if err := b.round(ctx, "  meanwhile, healthy images", "bystander", images, workloads/10, gdprv1alpha1.ReasonPinned); err != nil {
		return err
	}
	return <-done
}

// round creates n workloads running images in a namespace of their own and waits until
// each reports ImagesPinned with want as reason.
func (b *bench) round(ctx context.Context, title, ns string, images []string, n int, want string) error {
	if err := b.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	resolutionsBefore, requestsBefore := b.cache.Requests(), b.healthy.Requests()
	containers := make([]corev1.Container, len(images))
	for i, img := range images {
		containers[i] = corev1.Container{Name: fmt.Sprintf("c%d", i), Image: img}
	}
	created := make(map[string]time.Time, n)
	start := time.Now()
	for i := range n {
		w := &gdprv1alpha1.GDPRWorkload{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("w-%04d", i)},
			Spec: gdprv1alpha1.GDPRWorkloadSpec{
				Replicas: ptr.To[int32](0), // pinning happens whatever the replicas; no pods to wait for
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers}},
			},
		}
		if err := b.c.Create(ctx, w); err != nil {
			return err
		}
		created[w.Name] = time.Now()
	}

	latencies := make([]time.Duration, 0, n)
	seen := map[string]bool{}
	deadline := time.Now().Add(10 * time.Minute)
	for len(seen) < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: only %d of %d workloads reported ImagesPinned reason %s in 10 minutes", title, len(seen), n, want)
		}
		list := &gdprv1alpha1.GDPRWorkloadList{}
		if err := b.c.List(ctx, list, client.InNamespace(ns)); err != nil {
			return err
		}
		now := time.Now()
		for i := range list.Items {
			w := &list.Items[i]
			c := meta.FindStatusCondition(w.Status.Conditions, gdprv1alpha1.ImagesPinnedCondition)
			if seen[w.Name] || c == nil || c.Reason != want {
				continue
			}
			seen[w.Name] = true
			latencies = append(latencies, now.Sub(created[w.Name]))
		}
		time.Sleep(50 * time.Millisecond)
	}
	total := time.Since(start)
	slices.Sort(latencies)
	fmt.Printf("%-34s %9d %13d %13d %9s %9s %9s\n", title, n,
		b.cache.Requests()-resolutionsBefore, b.healthy.Requests()-requestsBefore,
		percentile(latencies, 50), percentile(latencies, 99), round(total))
	return nil
}

// direct resolves images for n workloads at once through cache, and prints the figures.
func (b *bench) direct(ctx context.Context, cache *pin.Cache, title string, images []string, n int) {
	resolutionsBefore, requestsBefore := cache.Requests(), b.healthy.Requests()
	latencies := make([]time.Duration, n)
	failed := make([]bool, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			t := time.Now()
			for _, img := range images {
				if _, err := cache.Resolve(ctx, img, nil); err != nil {
					failed[i] = true
					break
				}
			}
			latencies[i] = time.Since(t)
		})
	}
	wg.Wait()
	total := time.Since(start)
	slices.Sort(latencies)
	failures := 0
	for _, f := range failed {
		if f {
			failures++
		}
	}
	suffix := ""
	if failures > 0 {
		suffix = fmt.Sprintf("  (%d failed: RegistryUnavailable)", failures)
	}
	fmt.Printf("%-34s %9d %13d %13d %9s %9s %9s%s\n", title, n,
		cache.Requests()-resolutionsBefore, b.healthy.Requests()-requestsBefore,
		percentile(latencies, 50), percentile(latencies, 99), round(total), suffix)
}

func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return round(sorted[(len(sorted)-1)*p/100])
}

// round keeps three significant digits or so: microseconds below a millisecond.
func round(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

// startManager runs the reconciler as cmd/main wires it.
func startManager(ctx context.Context, cfg *rest.Config, scheme *k8sruntime.Scheme, c client.Client, cache *pin.Cache) error {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Cache: controllers.CacheOptions(), Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		return err
	}
	keys, err := audit.EnsureKeys(ctx, c, c, operatorNamespace)
	if err != nil {
		return err
	}
	writer := audit.NewWriter(mgr.GetClient(), mgr.GetAPIReader(), keys.Signing, 100)
	if err := (&controllers.GDPRWorkloadReconciler{
		Client: mgr.GetClient(), Scheme: mgr.GetScheme(), Recorder: mgr.GetEventRecorder("amber"),
		APIReader: mgr.GetAPIReader(), Ledger: writer, Actors: audit.Actors{Mode: audit.ActorOmit},
		MaxConcurrentReconciles: 4, Images: cache,
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	go func() {
		if err := mgr.Start(ctx); err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	return nil
}
