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

// Command drift measures Amber's drift repair against Kubernetes' own self-healing, side by
// side on `make cluster` (the real API server, scheduler and controller-manager, kwok nodes):
// N workloads of M pods under Amber and N ReplicaSets of M pods. In each of several rounds on
// the same cluster it changes, at a fixed rate, a random Amber pod in place (each of the seven
// kinds of drift in turn), deletes a random ReplicaSet pod, and creates a bare pod of its own
// (the floor: what the cluster takes to make a pod Ready at all). Per event it measures
// mutation → DriftDetected entry seen, mutation → fresh pod Ready, deletion → replacement
// Ready and creation → bare pod Ready. It prints each round's percentiles, then the median and
// range over the rounds of repair p99 / ReplicaSet p99 and repair p99 / floor p99, the
// manager's CPU seconds and peak RSS, and writes every sample to a CSV file.
// `make bench-drift` runs it.
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/test/cluster"
)

// The kinds of drift injected, in turn: all seven changes to a pod Amber detects (OutOfRegion,
// a change to the node, is left to the envtest suite). For ResourcesResized the
// bench acts as the kubelet first (see reportResources).
var driftKinds = []string{"ImageChanged", "EphemeralContainerAdded", "MetadataChanged", "SpecMutated", "Escaped", "DigestMismatch", "ResourcesResized"}

// podResources are the resources of every pod the bench runs, on all three sides alike: a
// resize must change something the pod declared, and a pod without requests cannot be
// resized without changing its QoS class, which the API server refuses.
var podResources = corev1.ResourceRequirements{
	Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
	Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("20m"), corev1.ResourceMemory: resource.MustParse("16Mi")},
}

func main() {
	workloads := flag.Int("workloads", 200, "Amber workloads, and as many ReplicaSets")
	pods := flag.Int("pods", 5, "pods per workload and per ReplicaSet")
	events := flag.Int("events", 300, "drift events injected per round (and as many ReplicaSet pod deletions and bare pods)")
	rate := flag.Float64("rate", 2, "events per second, for each side")
	rounds := flag.Int("rounds", 3, "rounds on the same cluster; the ratios are reported per round, with their median and range")
	csvPath := flag.String("csv", "bench-drift.csv", "file the raw samples of every round are written to")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "file to write a CPU profile of the manager during the first round's injection to")
	fromCSV := flag.String("from-csv", "", "recompute every round's table and the summary from a CSV an earlier run wrote, and measure nothing")
	flag.Parse()
	if *fromCSV != "" {
		if err := recompute(*fromCSV); err != nil {
			fmt.Fprintln(os.Stderr, "bench-drift:", err)
			os.Exit(1)
		}
		return
	}
	if *rounds < 1 || *events < 1 || *rate <= 0 {
		fmt.Fprintln(os.Stderr, "bench-drift: -rounds and -events must be at least 1, and -rate above 0")
		os.Exit(2)
	}
	if err := run(*workloads, *pods, *events, *rounds, *rate, *csvPath); err != nil {
		fmt.Fprintln(os.Stderr, "bench-drift:", err)
		os.Exit(1)
	}
}

// cpuProfile, when set, is where the manager's CPU profile during the injection goes.
var cpuProfile string

// pprofAddress is where the manager's profiler listens when a profile is asked for.
const pprofAddress = "127.0.0.1:6065"

// The three sides of each tick.
const (
	sideAmber      = "amber"
	sideReplicaSet = "replicaset"
	sideFloor      = "floor"
)

// floorLabel marks the bare pods of the floor; its value is the round.
const floorLabel = "bench-floor"

// sample is one injected event and what followed it.
type sample struct {
	round    int
	tick     int
	side     string // sideAmber, sideReplicaSet or sideFloor
	kind     string // the kind of drift, "PodDeleted" or "PodCreated"
	pod      string
	owner    types.UID
	at       time.Time
	detected time.Time // DriftDetected entry seen (Amber only)
	repaired time.Time // fresh pod Ready (the bare pod itself for the floor)
	// dropped is set on every sample of a tick in which one side's injection failed: both
	// sides of a comparison lose or keep that tick's sample alike.
	dropped bool
}

type recorder struct {
	mu      sync.Mutex
	samples []*sample
	// byPod finds an Amber sample by the drifted pod's name.
	byPod map[string]*sample
	// pendingByRS queues the deletions of each ReplicaSet not yet matched with a replacement.
	pendingByRS map[types.UID][]*sample
	firstSeen   map[types.UID]time.Time
	readySeen   map[types.UID]bool
	// mutated remembers pods already changed, so that each event hits a pod of its own.
	mutated map[string]bool
	// floor finds a floor sample by its bare pod's name.
	floor map[string]*sample
	// droppedTicks are the (round, tick) pairs in which an injection failed.
	droppedTicks map[[2]int]bool
}

func newRecorder() *recorder {
	return &recorder{byPod: map[string]*sample{}, pendingByRS: map[types.UID][]*sample{}, firstSeen: map[types.UID]time.Time{},
		readySeen: map[types.UID]bool{}, mutated: map[string]bool{}, floor: map[string]*sample{}}
}

func run(workloads, podsPer, events, rounds int, rate float64, csvPath string) error {
	ctrl.SetLogger(logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	k8s, err := cluster.FromEnv()
	if err != nil {
		return err
	}
	root, err := filepath.Abs(".")
	if err != nil {
		return err
	}
	scheme := k8sruntime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gdprv1alpha1.AddToScheme(scheme))
	cfg, err := clientcmd.BuildConfigFromFlags("", k8s.Kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS = -1 // the API server's priority and fairness is the only limit, as for the manager
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}

	work, err := os.MkdirTemp("", "bench-drift-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	fmt.Println("building the manager and starting a registry on loopback")
	managerBinary, err := cluster.Build(ctx, root, "./cmd", work, "manager")
	if err != nil {
		return err
	}
	reg, err := cluster.StartRegistry(ctx, k8s.Tool("registry"), cluster.RegistryOptions{Dir: filepath.Join(work, "registry")})
	if err != nil {
		return err
	}
	defer reg.Stop(10 * time.Second)
	refs := map[string]string{}
	for _, repo := range []string{"bench/app:1", "bench/other:1"} {
		img, err := cluster.SmallImage("linux/amd64", "Amber drift benchmark "+repo)
		if err != nil {
			return err
		}
		digest, err := cluster.Push(ctx, reg.Host+"/"+repo, img, nil)
		if err != nil {
			return err
		}
		refs[repo] = reg.Host + "/" + repo + "@" + digest.String()
	}

	namespace := fmt.Sprintf("amber-bench-%d", time.Now().Unix())
	_, _ = k8s.Run(ctx, "create", "namespace", "amber-system")
	if _, err := k8s.Run(ctx, "create", "namespace", namespace); err != nil {
		return err
	}

	if err := k8s.InstallCRDs(ctx, ".", time.Minute); err != nil {
		return err
	}
	args := []string{"--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=0", "--insecure-registries=" + reg.Host}
	if cpuProfile != "" {
		args = append(args, "--pprof-bind-address="+pprofAddress)
	}
	manager, err := k8s.StartManager(managerBinary, filepath.Join(work, "manager.log"), args...)
	if err != nil {
		return err
	}
	defer manager.Stop(10 * time.Second)
	// The namespace goes while the manager still runs: it releases the workloads (their
	// finalizer), and the next run does not start on a cluster still busy deleting this one.
	defer func() {
		fmt.Println("deleting the benchmark's namespace")
		_, _ = k8s.Run(context.Background(), "delete", "namespace", namespace, "--timeout=5m")
	}()

	fmt.Printf("creating %d workloads and %d ReplicaSets of %d pods in %s\n", workloads, workloads, podsPer, namespace)
	start := time.Now()
	if err := createWorkloads(ctx, c, namespace, workloads, podsPer, reg.Host+"/bench/app:1", refs["bench/app:1"]); err != nil {
		return err
	}
	if err := waitSettled(ctx, c, namespace, workloads, podsPer, 10*time.Minute); err != nil {
		return fmt.Errorf("%w (manager log: %s)", err, manager.LogTail(20))
	}
	fmt.Printf("all %d pods Ready after %s\n", 2*workloads*podsPer, time.Since(start).Round(time.Second))

	rec := newRecorder()
	watch, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{namespace: {}}})
	if err != nil {
		return err
	}
	if err := rec.watch(ctx, watch); err != nil {
		return err
	}
	go func() { _ = watch.Start(ctx) }()
	if !watch.WaitForCacheSync(ctx) {
		return errors.New("the benchmark's cache did not sync")
	}

	b := &bench{c: c, watch: watch, rec: rec, namespace: namespace, workloads: workloads, podsPer: podsPer,
		events: events, rate: rate, otherImage: refs["bench/other:1"], floorImage: refs["bench/app:1"]}
	var results []roundResult
	for round := 1; round <= rounds; round++ {
		if round > 1 {
			// Every round starts from the same state: all pods Ready, the previous round's bare
			// pods gone.
			if err := b.cleanFloor(ctx, round-1); err != nil {
				return err
			}
			if err := waitSettled(ctx, c, namespace, workloads, podsPer, 10*time.Minute); err != nil {
				return fmt.Errorf("before round %d: %w (manager log: %s)", round, err, manager.LogTail(20))
			}
		}
		cpuBefore, err := cpuSeconds(manager.Pid())
		if err != nil {
			return err
		}
		if cpuProfile != "" && round == 1 {
			seconds := int(float64(events)/rate) + 5
			go func() {
				if err := fetchProfile(cpuProfile, seconds); err != nil {
					fmt.Fprintln(os.Stderr, "cpu profile:", err)
				}
			}()
		}
		fmt.Printf("\nround %d of %d: injecting %d drift events, %d ReplicaSet pod deletions and %d bare pods at %.0f/s each\n", round, rounds, events, events, events, rate)
		skipped := b.inject(ctx, round)
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) && !rec.complete(round) {
			time.Sleep(500 * time.Millisecond)
		}
		cpuAfter, err := cpuSeconds(manager.Pid())
		if err != nil {
			return err
		}
		peak, err := peakRSS(manager.Pid())
		if err != nil {
			return err
		}
		if skipped > 0 {
			fmt.Printf("%d ticks found no Ready pod to hit and were skipped\n", skipped)
		}
		host, _ := os.Hostname()
		fmt.Printf("\nround %d: %d workloads × %d pods under Amber, %d ReplicaSets × %d pods, bare pods; %.0f events/s each side; host %s\n", round, workloads, podsPer, workloads, podsPer, rate, host)
		res := rec.report(round)
		res.cpu = cpuAfter - cpuBefore
		fmt.Printf("manager: %.1f CPU seconds during the round (%.1f since start), peak RSS %.1f MiB\n", res.cpu, cpuAfter, float64(peak)/(1<<20))
		results = append(results, res)
	}
	summarize(results)
	return rec.writeCSV(csvPath)
}

// bench holds what every round of the injection uses.
type bench struct {
	c                  client.Client
	watch              cache.Cache
	rec                *recorder
	namespace          string
	workloads, podsPer int
	events             int
	rate               float64
	otherImage         string // what ImageChanged and the ephemeral container run
	floorImage         string // the bare pods' image: the ReplicaSets' pinned reference
}

// inject runs one round: at each tick a drift, a ReplicaSet pod deletion and a bare pod,
// together. It returns how many ticks found no pod to hit.
func (b *bench) inject(ctx context.Context, round int) (skipped int) {
	rng := rand.New(rand.NewPCG(uint64(round), 2))
	tick := time.NewTicker(time.Duration(float64(time.Second) / b.rate))
	defer tick.Stop()
	var injections sync.WaitGroup
	for i := range b.events {
		<-tick.C
		kind := driftKinds[i%len(driftKinds)]
		amberPod, rsPod, ok := b.rec.pick(ctx, b.watch, rng, b.workloads)
		if !ok {
			skipped++
			continue
		}
		injections.Add(3)
		var failed sync.Once
		drop := func(what string, err error) {
			fmt.Fprintf(os.Stderr, "round %d tick %d: %s: %v (the tick's samples are dropped on every side)\n", round, i, what, err)
			failed.Do(func() { b.rec.dropTick(round, i) })
		}
		go func() {
			defer injections.Done()
			if err := b.rec.drift(ctx, b.c, round, i, amberPod, kind, b.otherImage); err != nil {
				drop("drift "+kind+" of "+amberPod.Name, err)
			}
		}()
		go func() {
			defer injections.Done()
			if err := b.rec.deleteReplicaSetPod(ctx, b.c, round, i, rsPod); err != nil {
				drop("delete "+rsPod.Name, err)
			}
		}()
		go func() {
			defer injections.Done()
			if err := b.rec.createFloorPod(ctx, b.c, round, i, b.namespace, b.floorImage); err != nil {
				drop("create a bare pod", err)
			}
		}()
	}
	injections.Wait()
	// A sample added after its tick was dropped (the failing side was quicker) is dropped too.
	b.rec.dropTick(round, -1)
	return skipped
}

// cleanFloor deletes the bare pods of a round and waits until they are gone.
func (b *bench) cleanFloor(ctx context.Context, round int) error {
	sel := client.MatchingLabels{floorLabel: strconv.Itoa(round)}
	if err := b.c.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(b.namespace), sel, client.GracePeriodSeconds(0)); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var left corev1.PodList
		if err := b.c.List(ctx, &left, client.InNamespace(b.namespace), sel); err != nil {
			return err
		}
		if len(left.Items) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d bare pods of round %d are still there after 5 minutes", len(left.Items), round)
		}
		time.Sleep(time.Second)
	}
}

func createWorkloads(ctx context.Context, c client.Client, namespace string, n, podsPer int, image, pinned string) error {
	for i := range n {
		name := fmt.Sprintf("w-%04d", i)
		w := &gdprv1alpha1.GDPRWorkload{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Spec: gdprv1alpha1.GDPRWorkloadSpec{
				Replicas: ptr.To(int32(podsPer)),
				// The bench changes pods in place, which admission would refuse: it measures
				// drift detection, the line that answers when admission is off or bypassed.
				Admission: gdprv1alpha1.AdmissionPolicy{Mode: gdprv1alpha1.AdmissionOff},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image, Resources: podResources}}},
				},
			},
		}
		if err := c.Create(ctx, w); err != nil {
			return fmt.Errorf("create workload %s: %w", name, err)
		}
		rsName := fmt.Sprintf("rs-%04d", i)
		labels := map[string]string{"app": rsName}
		rs := &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: rsName},
			Spec: appsv1.ReplicaSetSpec{
				Replicas: ptr.To(int32(podsPer)),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: pinned, Resources: podResources}}},
				},
			},
		}
		if err := c.Create(ctx, rs); err != nil {
			return fmt.Errorf("create replicaset %s: %w", rsName, err)
		}
	}
	return nil
}

func waitSettled(ctx context.Context, c client.Client, namespace string, n, podsPer int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var ws gdprv1alpha1.GDPRWorkloadList
		var rss appsv1.ReplicaSetList
		if err := c.List(ctx, &ws, client.InNamespace(namespace)); err != nil {
			return err
		}
		if err := c.List(ctx, &rss, client.InNamespace(namespace)); err != nil {
			return err
		}
		ready := 0
		for _, w := range ws.Items {
			if meta.IsStatusConditionTrue(w.Status.Conditions, gdprv1alpha1.ReadyCondition) && w.Status.ReadyReplicas == int32(podsPer) {
				ready++
			}
		}
		rsReady := 0
		for _, rs := range rss.Items {
			if rs.Status.ReadyReplicas == int32(podsPer) {
				rsReady++
			}
		}
		if ready == n && rsReady == n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %s, %d/%d workloads and %d/%d ReplicaSets are Ready", timeout, ready, n, rsReady, n)
		}
		time.Sleep(time.Second)
	}
}

// watch records, as the events arrive, when pods are first seen and become Ready and when
// DriftDetected entries appear.
func (r *recorder) watch(ctx context.Context, c cache.Cache) error {
	pods, err := c.GetInformer(ctx, &corev1.Pod{})
	if err != nil {
		return err
	}
	onPod := func(obj any) {
		pod, ok := obj.(*corev1.Pod)
		if !ok {
			return
		}
		now := time.Now()
		r.mu.Lock()
		defer r.mu.Unlock()
		if _, seen := r.firstSeen[pod.UID]; !seen {
			r.firstSeen[pod.UID] = now
		}
		if r.readySeen[pod.UID] || !podReady(pod) || pod.DeletionTimestamp != nil {
			return
		}
		r.readySeen[pod.UID] = true
		if pod.Labels[floorLabel] != "" {
			if s, ok := r.floor[pod.Name]; ok && s.repaired.IsZero() {
				s.repaired = now
			}
			return
		}
		if replaced := pod.Annotations["gdpr.amber.dev/replaces"]; replaced != "" {
			if s, ok := r.byPod[replaced]; ok && s.repaired.IsZero() {
				s.repaired = now
			}
			return
		}
		owner := metav1.GetControllerOf(pod)
		if owner == nil || owner.Kind != "ReplicaSet" {
			return
		}
		queue := r.pendingByRS[owner.UID]
		if len(queue) > 0 && !r.firstSeen[pod.UID].Before(queue[0].at.Add(-time.Second)) {
			queue[0].repaired = now
			r.pendingByRS[owner.UID] = queue[1:]
		}
	}
	if _, err := pods.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    onPod,
		UpdateFunc: func(_, obj any) { onPod(obj) },
	}); err != nil {
		return err
	}
	entries, err := c.GetInformer(ctx, &gdprv1alpha1.AuditEvent{})
	if err != nil {
		return err
	}
	_, err = entries.AddEventHandler(toolscache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		e, ok := obj.(*gdprv1alpha1.AuditEvent)
		if !ok || e.Spec.Type != gdprv1alpha1.AuditDriftDetected {
			return
		}
		now := time.Now()
		r.mu.Lock()
		defer r.mu.Unlock()
		if s, ok := r.byPod[e.Spec.Subject.Pod]; ok && s.detected.IsZero() {
			s.detected = now
		}
	}})
	return err
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// pick chooses a Ready, untouched pod of a random workload and one of a random ReplicaSet.
func (r *recorder) pick(ctx context.Context, c cache.Cache, rng *rand.Rand, n int) (amber, rs corev1.Pod, ok bool) {
	choose := func(labels client.MatchingLabels) (corev1.Pod, bool) {
		var list corev1.PodList
		if err := c.List(ctx, &list, labels); err != nil {
			return corev1.Pod{}, false
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		var ready []corev1.Pod
		for _, p := range list.Items {
			if podReady(&p) && p.DeletionTimestamp == nil && !r.mutated[p.Name] {
				ready = append(ready, p)
			}
		}
		if len(ready) == 0 {
			return corev1.Pod{}, false
		}
		p := ready[rng.IntN(len(ready))]
		r.mutated[p.Name] = true
		return p, true
	}
	for range 10 {
		i := rng.IntN(n)
		a, okA := choose(client.MatchingLabels{gdprv1alpha1.WorkloadLabel: fmt.Sprintf("w-%04d", i)})
		b, okB := choose(client.MatchingLabels{"app": fmt.Sprintf("rs-%04d", rng.IntN(n))})
		if okA && okB {
			return a, b, true
		}
	}
	return corev1.Pod{}, corev1.Pod{}, false
}

// drift changes pod in place as kind says, as a person or a rogue tool would.
func (r *recorder) drift(ctx context.Context, c client.Client, round, tick int, pod corev1.Pod, kind, otherImage string) error {
	owner := client.FieldOwner("bench-intruder")
	if kind == "ResourcesResized" {
		if err := reportResources(ctx, c, &pod); err != nil {
			return fmt.Errorf("report the container's resources as the kubelet would: %w", err)
		}
	}
	// Timed from just before the request: what follows may be seen before it returns.
	s := &sample{round: round, tick: tick, side: sideAmber, kind: kind, pod: pod.Name, at: time.Now()}
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.byPod[pod.Name] = s
	r.mu.Unlock()
	var err error
	switch kind {
	case "ImageChanged":
		err = c.Patch(ctx, &pod, client.RawPatch(types.StrategicMergePatchType, fmt.Appendf(nil, `{"spec":{"containers":[{"name":"app","image":%q}]}}`, otherImage)), owner)
	case "EphemeralContainerAdded":
		pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
			Name: "debugger", Image: otherImage, ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
		}})
		err = c.SubResource("ephemeralcontainers").Update(ctx, &pod, owner)
	case "MetadataChanged":
		err = c.Patch(ctx, &pod, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"bench-tampered":"yes"}}}`)), owner)
	case "SpecMutated":
		err = c.Patch(ctx, &pod, client.RawPatch(types.JSONPatchType, []byte(`[{"op":"add","path":"/spec/tolerations/-","value":{"key":"bench/anything","operator":"Exists"}}]`)), owner)
	case "Escaped":
		err = c.Patch(ctx, &pod, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"gdpr.amber.dev/workload":null}}}`)), owner)
	case "DigestMismatch":
		patch := `{"status":{"containerStatuses":[{"name":"app","imageID":"` + strings.Split(otherImage, "@")[0] + `@sha256:` + strings.Repeat("0", 64) + `"}]}}`
		err = c.SubResource("status").Patch(ctx, &pod, client.RawPatch(types.StrategicMergePatchType, []byte(patch)))
	case "ResourcesResized":
		resized := pod.DeepCopy()
		resized.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("15m")
		err = c.SubResource("resize").Update(ctx, resized, owner)
	}
	return err
}

// reportResources does what the kubelet does once a container runs and kwok does not: it
// reports the container's resources in the pod's status. The API server takes a resize only
// for a pod whose kubelet reported them. It is done before the drift's clock starts.
func reportResources(ctx context.Context, c client.Client, pod *corev1.Pod) error {
	res, err := json.Marshal(pod.Spec.Containers[0].Resources)
	if err != nil {
		return err
	}
	patch := fmt.Appendf(nil, `{"status":{"containerStatuses":[{"name":%q,"resources":%s}]}}`, pod.Spec.Containers[0].Name, res)
	return c.SubResource("status").Patch(ctx, pod, client.RawPatch(types.StrategicMergePatchType, patch))
}

func (r *recorder) deleteReplicaSetPod(ctx context.Context, c client.Client, round, tick int, pod corev1.Pod) error {
	owner := metav1.GetControllerOf(&pod)
	if owner == nil {
		return errors.New("no owner")
	}
	// The deletion and its sample go together: the replacement may be seen Ready only
	// after the sample is queued.
	r.mu.Lock()
	defer r.mu.Unlock()
	at := time.Now()
	if err := c.Delete(ctx, &pod); err != nil {
		return err
	}
	s := &sample{round: round, tick: tick, side: sideReplicaSet, kind: "PodDeleted", pod: pod.Name, owner: owner.UID, at: at}
	r.samples = append(r.samples, s)
	r.pendingByRS[owner.UID] = append(r.pendingByRS[owner.UID], s)
	return nil
}

// createFloorPod creates a bare pod, owned by nothing, like the ReplicaSets' pods: the floor
// is creation → Ready, what the cluster (scheduler, kubelet) takes for a pod at all.
func (r *recorder) createFloorPod(ctx context.Context, c client.Client, round, tick int, namespace, image string) error {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fmt.Sprintf("floor-%d-%04d", round, tick), Labels: map[string]string{floorLabel: strconv.Itoa(round)}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image, Resources: podResources}}},
	}
	// Registered before the request, as for the drift: the pod may be seen Ready before the
	// call returns.
	s := &sample{round: round, tick: tick, side: sideFloor, kind: "PodCreated", pod: pod.Name, at: time.Now()}
	r.mu.Lock()
	r.samples = append(r.samples, s)
	r.floor[pod.Name] = s
	r.mu.Unlock()
	return c.Create(ctx, pod)
}

// dropTick marks every sample of a round's tick dropped; tick -1 applies the marks again to
// samples added after their tick was dropped.
func (r *recorder) dropTick(round, tick int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.droppedTicks == nil {
		r.droppedTicks = map[[2]int]bool{}
	}
	if tick >= 0 {
		r.droppedTicks[[2]int{round, tick}] = true
	}
	for _, s := range r.samples {
		if r.droppedTicks[[2]int{s.round, s.tick}] {
			s.dropped = true
		}
	}
}

// complete tells whether every kept sample of the round has its outcome.
func (r *recorder) complete(round int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.samples {
		if s.round != round || s.dropped {
			continue
		}
		if s.repaired.IsZero() || (s.side == sideAmber && s.detected.IsZero()) {
			return false
		}
	}
	return true
}

// The rows of a round's table that the ratios are taken from.
const (
	rowDetect     = "amber detection (mutation → DriftDetected)"
	rowRepair     = "amber repair (mutation → fresh pod Ready)"
	rowReplicaSet = "replicaset (deletion → replacement Ready)"
	rowFloor      = "floor (bare pod creation → Ready)"
)

// roundResult is what a round contributes to the summary over rounds.
type roundResult struct {
	round                      int
	repairP99, rsP99, floorP99 time.Duration
	detectP99                  time.Duration
	n, dropped                 int
	cpu                        float64
}

// report prints a round's table and ratios.
func (r *recorder) report(round int) roundResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	series := map[string][]time.Duration{}
	missing := map[string]int{}
	add := func(name string, from, to time.Time) {
		if to.IsZero() {
			missing[name]++
			if _, ok := series[name]; !ok {
				series[name] = nil
			}
			return
		}
		series[name] = append(series[name], to.Sub(from))
	}
	dropped := map[int]bool{}
	for _, s := range r.samples {
		if s.round != round {
			continue
		}
		if s.dropped {
			dropped[s.tick] = true
			continue
		}
		switch s.side {
		case sideAmber:
			add(rowDetect, s.at, s.detected)
			add(rowRepair, s.at, s.repaired)
			add("  repair, "+s.kind, s.at, s.repaired)
		case sideReplicaSet:
			add(rowReplicaSet, s.at, s.repaired)
		case sideFloor:
			add(rowFloor, s.at, s.repaired)
		}
	}
	names := make([]string, 0, len(series))
	for name := range series {
		names = append(names, name)
	}
	order := func(s string) string {
		switch {
		case strings.HasPrefix(s, " "):
			return "b" + s
		case s == rowReplicaSet:
			return "c" + s
		case s == rowFloor:
			return "d" + s
		}
		return "a" + s
	}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(order(a), order(b)) })
	fmt.Printf("\n%-46s %6s %9s %9s %9s %9s %8s\n", "measure", "n", "p50", "p90", "p99", "max", "missing")
	for _, name := range names {
		d := series[name]
		slices.Sort(d)
		last := time.Duration(0)
		if len(d) > 0 {
			last = d[len(d)-1]
		}
		fmt.Printf("%-46s %6d %9s %9s %9s %9s %8d\n", name, len(d), ms(pct(d, 50)), ms(pct(d, 90)), ms(pct(d, 99)), ms(last), missing[name])
	}
	if len(dropped) > 0 {
		fmt.Printf("%d ticks dropped on every side: one side's injection failed\n", len(dropped))
	}
	res := roundResult{round: round, n: len(series[rowRepair]), dropped: len(dropped)}
	for _, p := range []struct {
		to   *time.Duration
		name string
	}{{&res.repairP99, rowRepair}, {&res.rsP99, rowReplicaSet}, {&res.floorP99, rowFloor}, {&res.detectP99, rowDetect}} {
		d := series[p.name]
		slices.Sort(d)
		*p.to = pct(d, 99)
	}
	fmt.Printf("\nrepair p99 / ReplicaSet replacement p99 = %s (1.0 or less is as fast as Kubernetes or faster)\n", ratio(res.repairP99, res.rsP99))
	fmt.Printf("repair p99 / floor p99 = %s (how close Amber comes to what the cluster allows at all)\n", ratio(res.repairP99, res.floorP99))
	return res
}

// ratio prints a/b, or n/a when b has no samples.
func ratio(a, b time.Duration) string {
	if a == 0 || b == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// summarize prints every round's ratios and, over the rounds, their median and range.
func summarize(results []roundResult) {
	fmt.Printf("\nover %d rounds (every round, none left out):\n\n", len(results))
	fmt.Printf("%6s %6s %8s %11s %11s %11s %11s %12s %13s\n", "round", "n", "dropped", "detect p99", "repair p99", "RS p99", "floor p99", "repair/RS", "repair/floor")
	var vsRS, vsFloor []float64
	for _, r := range results {
		fmt.Printf("%6d %6d %8d %11s %11s %11s %11s %12s %13s\n", r.round, r.n, r.dropped, ms(r.detectP99), ms(r.repairP99), ms(r.rsP99), ms(r.floorP99), ratio(r.repairP99, r.rsP99), ratio(r.repairP99, r.floorP99))
		if r.rsP99 > 0 && r.repairP99 > 0 {
			vsRS = append(vsRS, float64(r.repairP99)/float64(r.rsP99))
		}
		if r.floorP99 > 0 && r.repairP99 > 0 {
			vsFloor = append(vsFloor, float64(r.repairP99)/float64(r.floorP99))
		}
	}
	fmt.Println()
	for _, m := range []struct {
		name string
		v    []float64
	}{{"repair p99 / ReplicaSet p99", vsRS}, {"repair p99 / floor p99", vsFloor}} {
		if len(m.v) == 0 {
			fmt.Printf("%s: no round has both sides\n", m.name)
			continue
		}
		slices.Sort(m.v)
		fmt.Printf("%s: median %.2f, range %.2f to %.2f over %d rounds\n", m.name, median(m.v), m.v[0], m.v[len(m.v)-1], len(m.v))
	}
}

// median of sorted values; the mean of the middle two for an even count.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(min(i, len(sorted))-1, 0)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// csvHeader names the columns of the raw samples: times in milliseconds, detect_ms and
// repair_ms empty when missing.
var csvHeader = []string{"round", "tick", "side", "kind", "pod", "at_unix_ms", "detect_ms", "repair_ms", "dropped"}

func (r *recorder) writeCSV(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	_ = w.Write(csvHeader)
	r.mu.Lock()
	defer r.mu.Unlock()
	since := func(t time.Time, from time.Time) string {
		if t.IsZero() {
			return ""
		}
		return strconv.FormatInt(t.Sub(from).Milliseconds(), 10)
	}
	for _, s := range r.samples {
		_ = w.Write([]string{strconv.Itoa(s.round), strconv.Itoa(s.tick), s.side, s.kind, s.pod, strconv.FormatInt(s.at.UnixMilli(), 10),
			since(s.detected, s.at), since(s.repaired, s.at), strconv.FormatBool(s.dropped)})
	}
	w.Flush()
	fmt.Printf("raw samples: %s\n", path)
	return w.Error()
}

// fetchProfile writes the manager's CPU profile over the next seconds to path.
func fetchProfile(path string, seconds int) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", pprofAddress, seconds))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// cpuSeconds reads a process's user and system CPU time from /proc.
func cpuSeconds(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after it are fixed.
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100, nil // USER_HZ is 100 on Linux
}

// peakRSS reads a process's peak resident set size (VmHWM) from /proc, in bytes.
func peakRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM")
}

// recompute prints the tables and the summary of the rounds in a CSV an earlier run wrote.
func recompute(path string) error {
	r, err := readCSV(path)
	if err != nil {
		return err
	}
	var rounds []int
	for _, s := range r.samples {
		if !slices.Contains(rounds, s.round) {
			rounds = append(rounds, s.round)
		}
	}
	slices.Sort(rounds)
	var results []roundResult
	for _, round := range rounds {
		fmt.Printf("\nround %d (from %s)\n", round, path)
		results = append(results, r.report(round))
	}
	summarize(results)
	return nil
}

// readCSV reads the samples writeCSV wrote.
func readCSV(path string) (*recorder, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		return nil, fmt.Errorf("%s: the first line must be %s", path, strings.Join(csvHeader, ","))
	}
	r := newRecorder()
	for i, row := range rows[1:] {
		line := i + 2
		num := func(col int) (int64, error) {
			v, err := strconv.ParseInt(row[col], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s line %d, column %s: %w", path, line, csvHeader[col], err)
			}
			return v, nil
		}
		round, err := num(0)
		if err != nil {
			return nil, err
		}
		tick, err := num(1)
		if err != nil {
			return nil, err
		}
		at, err := num(5)
		if err != nil {
			return nil, err
		}
		s := &sample{round: int(round), tick: int(tick), side: row[2], kind: row[3], pod: row[4], at: time.UnixMilli(at), dropped: row[8] == "true"}
		for col, to := range map[int]*time.Time{6: &s.detected, 7: &s.repaired} {
			if row[col] == "" {
				continue
			}
			d, err := num(col)
			if err != nil {
				return nil, err
			}
			*to = s.at.Add(time.Duration(d) * time.Millisecond)
		}
		r.samples = append(r.samples, s)
	}
	return r, nil
}
