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

// Command pinning measures image pinning in production's configuration: the manager built from
// ./cmd and run with its own defaults (registry timeout, resolution TTL, workers, the
// AuditLedger reconciler on) against a real API server and etcd (envtest), a real OCI registry
// on loopback, and a "down" registry that accepts connections and never answers. Each round
// counts the registries' requests for itself alone: cold cache, then warm cache on the same
// manager, then a healthy round and a round with one image's registry down, mixed alike, so
// that what the down registry costs the other workloads shows as the difference between the
// last two. The cold, healthy and down rounds each start on a fresh control plane and manager:
// every round meets the same cluster and a cold cache, not the thousands of workloads and
// ledgers the rounds before it left. `make bench-pinning` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/test/bench/benchenv"
	"github.com/amber-gdpr/amber/test/bench/samples"
	"github.com/amber-gdpr/amber/test/registry"
)

func main() {
	o := options{}
	flag.IntVar(&o.workloads, "workloads", 1000, "workloads per round")
	flag.IntVar(&o.images, "images", 10, "images, shared by every workload (each workload runs all of them)")
	flag.Float64Var(&o.downShare, "down-share", 0.1, "share of the mixed rounds' workloads whose last image is on the registry that is down (in the healthy round: on a spare healthy image)")
	flag.DurationVar(&o.latency, "registry-latency", 20*time.Millisecond, "delay the healthy registry adds to every answer, as across a network")
	flag.IntVar(&o.rounds, "rounds", 3, "repetitions of the four rounds (cold, warm, healthy, down)")
	flag.StringVar(&o.csv, "csv", samples.DefaultPath("pinning", time.Now()), "file the raw samples are written to")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-pinning:", err)
		os.Exit(1)
	}
}

type options struct {
	workloads, images, rounds int
	downShare                 float64
	latency                   time.Duration
	csv                       string
}

// Round kinds, in the order each repetition runs them.
const (
	kindCold    = "cold"
	kindWarm    = "warm"
	kindHealthy = "healthy"
	kindDown    = "down"
)

// Workload groups within a round: the mixed rounds' bystanders run only healthy images.
const (
	groupAll       = "all"
	groupBystander = "bystander"
	groupSpare     = "spare"
	groupDown      = "down"
)

type bench struct {
	o       options
	binary  string
	env     *benchenv.Env
	healthy *registry.Registry
	down    *downRegistry
	pinned  *pinWatch
	rec     *samples.Recorder
	ttl     time.Duration
	results []roundResult
}

// roundResult is what one round measured.
type roundResult struct {
	rep             int
	kind            string
	workloads       int
	duration        time.Duration
	healthyRequests int64
	downConns       int64
	downRequests    int64
	// latencies are the pin latencies in milliseconds, by group.
	latencies map[string][]float64
}

func run(o options) error {
	ctrl.SetLogger(logr.Discard()) // envtest's own logging; the manager logs to its file
	// Interrupted, the bench still stops the control planes and the manager it started.
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	begun := time.Now()

	healthy, err := registry.Start(registry.WithLatency(o.latency))
	if err != nil {
		return err
	}
	defer healthy.Close()
	down, err := startDownRegistry()
	if err != nil {
		return err
	}
	defer down.Close()
	for i := range o.images {
		if _, err := healthy.Push(fmt.Sprintf("bench/app-%d:1", i)); err != nil {
			return err
		}
	}
	if _, err := healthy.Push("bench/spare:1"); err != nil {
		return err
	}

	binDir, err := os.MkdirTemp("", "amber-bench-manager-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(binDir) }()
	binary, err := benchenv.BuildManagerInto(ctx, binDir)
	if err != nil {
		return err
	}
	defaults, err := benchenv.ManagerDefaults(ctx, binary)
	if err != nil {
		return err
	}
	ttl, err := benchenv.DurationDefault(defaults, "image-resolution-ttl")
	if err != nil {
		return err
	}
	b := &bench{o: o, binary: binary, healthy: healthy, down: down, rec: &samples.Recorder{}, ttl: ttl}

	fmt.Printf("bench-pinning: %d workloads x %d images (all shared), healthy registry latency %v; %d repetitions\n", o.workloads, o.images, o.latency, o.rounds)
	fmt.Printf("manager: ./cmd built and run with its defaults: --registry-timeout=%s --image-resolution-ttl=%s --max-concurrent-reconciles=%s --audit-actors=%s, AuditLedger reconciler on\n",
		defaults["registry-timeout"], defaults["image-resolution-ttl"], defaults["max-concurrent-reconciles"], defaults["audit-actors"])
	fmt.Println("cold and warm share one control plane and manager; healthy and down each start on a fresh one (a cold cache)")
	fmt.Printf("mixed rounds: %d of %d workloads run %d images of which the last is spare:1 (healthy round) or on the down registry (down round)\n\n",
		b.downCount(), o.workloads, o.images)
	fmt.Println("Pin latency: from a workload's create returning to its status showing ImagesPinned (True, or")
	fmt.Println("False/RegistryUnavailable), seen through a watch; API writes and ledger entries included.")
	fmt.Println("reg. req.: HTTP requests the healthy registry answered during the round; down conns/req.: what the down registry got.")
	fmt.Printf("%-5s %-8s %9s %8s %9s %11s %10s %9s %9s %9s %9s\n", "round", "kind", "workloads", "duration", "reg. req.", "down conns", "down req.", "p50", "p99", "byst. p50", "byst. p99")

	for rep := 1; rep <= o.rounds; rep++ {
		for _, kinds := range [][]string{{kindCold, kindWarm}, {kindHealthy}, {kindDown}} {
			err := b.onFreshControlPlane(ctx, func() error {
				for _, kind := range kinds {
					if err := b.round(ctx, rep, kind); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	b.summarise()
	if err := b.rec.WriteCSV(o.csv); err != nil {
		return err
	}
	fmt.Printf("\nraw samples: %s; the whole bench took %s\n", o.csv, time.Since(begun).Round(time.Second))
	return nil
}

// onFreshControlPlane starts a control plane and the manager on it, runs rounds, and stops both.
func (b *bench) onFreshControlPlane(ctx context.Context, rounds func() error) error {
	env, err := benchenv.Start(ctx)
	if err != nil {
		return err
	}
	defer env.Stop()
	mgr, err := env.StartManager(ctx, b.binary, "--insecure-registries="+b.healthy.Host+","+b.down.Host())
	if err != nil {
		return err
	}
	defer mgr.Stop(10 * time.Second)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	pinned, err := watchPinned(watchCtx, env.Client)
	if err != nil {
		return err
	}
	b.env, b.pinned = env, pinned
	if err := rounds(); err != nil {
		return fmt.Errorf("%w\nmanager log:\n%s", err, mgr.LogTail(20))
	}
	return nil
}

func (b *bench) downCount() int {
	return int(math.Round(float64(b.o.workloads) * b.o.downShare))
}

// plan lists each workload's group and images for a round of kind.
func (b *bench) plan(kind string) (groups []string, images [][]string) {
	all := make([]string, b.o.images)
	for i := range all {
		all[i] = b.healthy.Ref(fmt.Sprintf("bench/app-%d:1", i))
	}
	odd := map[string]string{kindHealthy: b.healthy.Ref("bench/spare:1"), kindDown: b.down.Host() + "/bench/app-down:1"}[kind]
	oddGroup := map[string]string{kindHealthy: groupSpare, kindDown: groupDown}[kind]
	for i := range b.o.workloads {
		switch {
		case odd == "":
			groups, images = append(groups, groupAll), append(images, all)
		case isOdd(i, b.o.workloads, b.downCount()):
			groups, images = append(groups, oddGroup), append(images, append(append([]string(nil), all[:len(all)-1]...), odd))
		default:
			groups, images = append(groups, groupBystander), append(images, all)
		}
	}
	return groups, images
}

// isOdd spreads k odd workloads evenly over n, so that they are created throughout the round
// rather than all first.
func isOdd(i, n, k int) bool {
	if k == 0 {
		return false
	}
	return i*k/n != (i+1)*k/n
}

// round creates the round's workloads one after another and waits until each reports
// ImagesPinned with the reason its group expects.
func (b *bench) round(ctx context.Context, rep int, kind string) error {
	ns := fmt.Sprintf("r%d-%s", rep, kind)
	if err := b.env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	groups, images := b.plan(kind)
	requests, conns, downRequests := b.healthy.Requests(), b.down.connections.Load(), b.down.requests.Load()
	created := make(map[string]time.Time, len(groups))
	start := time.Now()
	for i := range groups {
		containers := make([]corev1.Container, len(images[i]))
		for j, img := range images[i] {
			containers[j] = corev1.Container{Name: fmt.Sprintf("c%d", j), Image: img}
		}
		w := &gdprv1alpha1.GDPRWorkload{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("w-%04d", i)},
			Spec: gdprv1alpha1.GDPRWorkloadSpec{
				Replicas: ptr.To[int32](0), // pinning happens whatever the replicas; no pods to wait for
				Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers}},
			},
		}
		if err := b.env.Client.Create(ctx, w); err != nil {
			return err
		}
		created[w.Name] = time.Now()
	}

	r := roundResult{rep: rep, kind: kind, workloads: len(groups), latencies: map[string][]float64{}}
	deadline := time.Now().Add(10 * time.Minute)
	for i := range groups {
		name := fmt.Sprintf("w-%04d", i)
		want := gdprv1alpha1.ReasonPinned
		if groups[i] == groupDown {
			want = gdprv1alpha1.ReasonRegistryUnavailable
		}
		seen, reason, err := b.pinned.wait(ctx, ns+"/"+name, deadline)
		if err != nil {
			return fmt.Errorf("round %d %s: %s: %w", rep, kind, name, err)
		}
		if reason != want {
			return fmt.Errorf("round %d %s: %s reported ImagesPinned reason %s, want %s", rep, kind, name, reason, want)
		}
		latency := float64(seen.Sub(created[name]).Microseconds()) / 1000
		r.latencies[groups[i]] = append(r.latencies[groups[i]], latency)
		b.rec.Add(rep, kind, groups[i]+"/"+name, "pin_latency_ms", latency)
	}
	r.duration = time.Since(start)
	r.healthyRequests = b.healthy.Requests() - requests
	r.downConns, r.downRequests = b.down.connections.Load()-conns, b.down.requests.Load()-downRequests
	b.rec.Add(rep, kind, "", "round_seconds", r.duration.Seconds())
	b.rec.Add(rep, kind, "", "healthy_registry_requests", float64(r.healthyRequests))
	b.rec.Add(rep, kind, "", "down_registry_connections", float64(r.downConns))
	b.rec.Add(rep, kind, "", "down_registry_requests", float64(r.downRequests))
	b.results = append(b.results, r)

	every := r.all()
	bystanderP50, bystanderP99 := "", ""
	if byst := r.latencies[groupBystander]; len(byst) > 0 {
		bystanderP50, bystanderP99 = ms(samples.Percentile(byst, 50)), ms(samples.Percentile(byst, 99))
	}
	fmt.Printf("%-5d %-8s %9d %8s %9d %11d %10d %9s %9s %9s %9s\n", rep, kind, r.workloads, r.duration.Round(100*time.Millisecond),
		r.healthyRequests, r.downConns, r.downRequests, ms(samples.Percentile(every, 50)), ms(samples.Percentile(every, 99)), bystanderP50, bystanderP99)
	return nil
}

func (r roundResult) all() []float64 {
	var all []float64
	for _, l := range r.latencies {
		all = append(all, l...)
	}
	return all
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2fs", v/1000)
	}
	return fmt.Sprintf("%.0fms", v)
}

// summarise prints, per kind of round, the median and range over the repetitions, and what the
// down registry cost the bystanders: their pin latency in the down round over the healthy one.
func (b *bench) summarise() {
	fmt.Printf("\nOver %d repetitions: median (min to max); n = workloads per round\n", b.o.rounds)
	fmt.Printf("%-8s %6s %20s %16s %22s %24s %24s %12s\n", "kind", "n", "healthy reg. requests", "per TTL window", "round duration", "p50", "p99", "down conns/req")
	for _, kind := range []string{kindCold, kindWarm, kindHealthy, kindDown} {
		var req, perTTL, durations, p50, p99, conns, downReq []float64
		n := 0
		for _, r := range b.results {
			if r.kind != kind {
				continue
			}
			all := r.all()
			n = len(all)
			req = append(req, float64(r.healthyRequests))
			p50 = append(p50, samples.Percentile(all, 50))
			p99 = append(p99, samples.Percentile(all, 99))
			conns = append(conns, float64(r.downConns))
			downReq = append(downReq, float64(r.downRequests))
			// A round longer than the TTL spans several windows, each of which may ask again.
			windows := math.Ceil(r.duration.Seconds() / b.ttl.Seconds())
			perTTL = append(perTTL, float64(r.healthyRequests)/windows)
			durations = append(durations, r.duration.Seconds()*1000)
		}
		c, d := samples.Summarise(conns), samples.Summarise(downReq)
		fmt.Printf("%-8s %6d %20s %16s %22s %24s %24s %12s\n", kind, n, count(samples.Summarise(req)), count(samples.Summarise(perTTL)),
			msRange(samples.Summarise(durations)), msRange(samples.Summarise(p50)), msRange(samples.Summarise(p99)), fmt.Sprintf("%.0f/%.0f", c.Median, d.Median))
	}
	fmt.Printf("(per TTL window: the round's requests over the number of TTLs (%s) it spanned, rounded up)\n", b.ttl)

	fmt.Println("\nWhat the down registry cost the other workloads (bystanders: same images, same round size):")
	fmt.Printf("%-5s %6s %12s %12s %12s %12s %10s %10s\n", "round", "n", "healthy p50", "down p50", "healthy p99", "down p99", "p50 ratio", "p99 ratio")
	var r50, r99 []float64
	for rep := 1; rep <= b.o.rounds; rep++ {
		var healthy, down []float64
		for _, r := range b.results {
			if r.rep == rep && r.kind == kindHealthy {
				healthy = r.latencies[groupBystander]
			}
			if r.rep == rep && r.kind == kindDown {
				down = r.latencies[groupBystander]
			}
		}
		h50, d50 := samples.Percentile(healthy, 50), samples.Percentile(down, 50)
		h99, d99 := samples.Percentile(healthy, 99), samples.Percentile(down, 99)
		r50, r99 = append(r50, d50/h50), append(r99, d99/h99)
		fmt.Printf("%-5d %6d %12s %12s %12s %12s %10.2f %10.2f\n", rep, len(down), ms(h50), ms(d50), ms(h99), ms(d99), d50/h50, d99/h99)
	}
	s50, s99 := samples.Summarise(r50), samples.Summarise(r99)
	fmt.Printf("%-5s %6s %12s %12s %12s %12s %10s %10s\n", "median", "", "", "", "", "",
		fmt.Sprintf("%.2f", s50.Median), fmt.Sprintf("%.2f", s99.Median))
	fmt.Printf("p99 ratio range %.2f to %.2f; a ratio near 1 means the down registry held up no other workload.\n", s99.Min, s99.Max)
}

func count(s samples.Summary) string {
	return fmt.Sprintf("%.0f (%.0f to %.0f)", s.Median, s.Min, s.Max)
}

func msRange(s samples.Summary) string {
	return fmt.Sprintf("%s (%s to %s)", ms(s.Median), ms(s.Min), ms(s.Max))
}

// pinWatch records, from a watch on every GDPRWorkload, when each first showed an
// ImagesPinned condition with a settled reason (Pinned, or a failure).
type pinWatch struct {
	mu      sync.Mutex
	changed *sync.Cond
	seen    map[string]pinSeen
	err     error
}

type pinSeen struct {
	at     time.Time
	reason string
}

func watchPinned(ctx context.Context, c client.WithWatch) (*pinWatch, error) {
	p := &pinWatch{seen: map[string]pinSeen{}}
	p.changed = sync.NewCond(&p.mu)
	list := &gdprv1alpha1.GDPRWorkloadList{}
	if err := c.List(ctx, list); err != nil {
		return nil, err
	}
	go p.follow(ctx, c, list.ResourceVersion)
	return p, nil
}

// follow watches from resourceVersion on, starting again from where it was when the API
// server ends a watch (it does every few minutes).
func (p *pinWatch) follow(ctx context.Context, c client.WithWatch, resourceVersion string) {
	for ctx.Err() == nil {
		w, err := c.Watch(ctx, &gdprv1alpha1.GDPRWorkloadList{}, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: resourceVersion, AllowWatchBookmarks: true}})
		if err != nil {
			p.fail(fmt.Errorf("watch workloads: %w", err))
			return
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				p.fail(fmt.Errorf("watch workloads: %v", ev.Object))
				w.Stop()
				return
			}
			workload, ok := ev.Object.(*gdprv1alpha1.GDPRWorkload)
			if !ok {
				continue
			}
			resourceVersion = workload.ResourceVersion
			c := meta.FindStatusCondition(workload.Status.Conditions, gdprv1alpha1.ImagesPinnedCondition)
			if c == nil || (c.Status != metav1.ConditionTrue && c.Reason == gdprv1alpha1.ReasonResolving) {
				continue
			}
			p.record(workload.Namespace+"/"+workload.Name, c.Reason)
		}
	}
}

func (p *pinWatch) record(key, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.seen[key]; !ok {
		p.seen[key] = pinSeen{at: time.Now(), reason: reason}
		p.changed.Broadcast()
	}
}

func (p *pinWatch) fail(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.err = err
	p.changed.Broadcast()
}

// wait returns when key first showed a settled ImagesPinned condition, and its reason.
func (p *pinWatch) wait(ctx context.Context, key string, deadline time.Time) (time.Time, string, error) {
	stop := context.AfterFunc(ctx, func() { p.fail(ctx.Err()) })
	defer stop()
	timer := time.AfterFunc(time.Until(deadline), func() { p.changed.Broadcast() })
	defer timer.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if s, ok := p.seen[key]; ok {
			return s.at, s.reason, nil
		}
		if p.err != nil {
			return time.Time{}, "", p.err
		}
		if time.Now().After(deadline) {
			return time.Time{}, "", errors.New("no settled ImagesPinned condition within 10 minutes")
		}
		p.changed.Wait()
	}
}
