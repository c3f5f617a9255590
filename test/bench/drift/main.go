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
// N workloads of M pods under Amber and N ReplicaSets of M pods. At a fixed rate it changes
// a random Amber pod in place (each kind of drift in turn) and deletes a random ReplicaSet
// pod, and measures per event: mutation → DriftDetected entry seen, mutation → fresh pod
// Ready, and deletion → replacement Ready. It prints percentiles, the manager's CPU seconds
// and peak RSS, and writes every sample to a CSV file. `make bench-drift` runs it.
package main

import (
	"context"
	"encoding/csv"
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

// The kinds of drift injected, in turn. ResourcesResized is left out: the API server takes a
// resize only once the kubelet reported the container's resources, which kwok does not; the
// envtest suite covers it.
var driftKinds = []string{"ImageChanged", "EphemeralContainerAdded", "MetadataChanged", "SpecMutated", "Escaped", "DigestMismatch"}

func main() {
	workloads := flag.Int("workloads", 200, "Amber workloads, and as many ReplicaSets")
	pods := flag.Int("pods", 5, "pods per workload and per ReplicaSet")
	events := flag.Int("events", 300, "drift events injected (and as many ReplicaSet pod deletions)")
	rate := flag.Float64("rate", 2, "events per second, for each side")
	csvPath := flag.String("csv", "bench-drift.csv", "file the raw samples are written to")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "file to write a CPU profile of the manager during the injection to")
	flag.Parse()
	if err := run(*workloads, *pods, *events, *rate, *csvPath); err != nil {
		fmt.Fprintln(os.Stderr, "bench-drift:", err)
		os.Exit(1)
	}
}

// cpuProfile, when set, is where the manager's CPU profile during the injection goes.
var cpuProfile string

// pprofAddress is where the manager's profiler listens when a profile is asked for.
const pprofAddress = "127.0.0.1:6065"

// sample is one injected event and what followed it.
type sample struct {
	side     string // "amber" or "replicaset"
	kind     string // the kind of drift, or "PodDeleted"
	pod      string
	owner    types.UID
	at       time.Time
	detected time.Time // DriftDetected entry seen (Amber only)
	repaired time.Time // fresh pod Ready
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
}

func run(workloads, podsPer, events int, rate float64, csvPath string) error {
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

	rec := &recorder{byPod: map[string]*sample{}, pendingByRS: map[types.UID][]*sample{}, firstSeen: map[types.UID]time.Time{}, readySeen: map[types.UID]bool{}, mutated: map[string]bool{}}
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
	cpuBefore, err := cpuSeconds(manager.Pid())
	if err != nil {
		return err
	}

	fmt.Printf("injecting %d drift events and %d ReplicaSet pod deletions at %.0f/s each\n", events, events, rate)
	if cpuProfile != "" {
		seconds := int(float64(events)/rate) + 5
		go func() {
			if err := fetchProfile(cpuProfile, seconds); err != nil {
				fmt.Fprintln(os.Stderr, "cpu profile:", err)
			}
		}()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	var injections sync.WaitGroup
	failures := 0
	for i := range events {
		<-tick.C
		kind := driftKinds[i%len(driftKinds)]
		amberPod, rsPod, ok := rec.pick(ctx, watch, rng, workloads)
		if !ok {
			failures++
			continue
		}
		injections.Add(2)
		go func() {
			defer injections.Done()
			if err := rec.drift(ctx, c, amberPod, kind, refs["bench/other:1"]); err != nil {
				fmt.Fprintf(os.Stderr, "drift %s of %s: %v\n", kind, amberPod.Name, err)
			}
		}()
		go func() {
			defer injections.Done()
			if err := rec.deleteReplicaSetPod(ctx, c, rsPod); err != nil {
				fmt.Fprintf(os.Stderr, "delete %s: %v\n", rsPod.Name, err)
			}
		}()
	}
	tick.Stop()
	injections.Wait()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) && !rec.complete() {
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
	if failures > 0 {
		fmt.Printf("%d events found no Ready pod to hit and were skipped\n", failures)
	}
	rec.report(workloads, podsPer, rate, cpuAfter-cpuBefore, cpuAfter, peak)
	return rec.writeCSV(csvPath)
}

func createWorkloads(ctx context.Context, c client.Client, namespace string, n, podsPer int, image, pinned string) error {
	for i := range n {
		name := fmt.Sprintf("w-%04d", i)
		w := &gdprv1alpha1.GDPRWorkload{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Spec: gdprv1alpha1.GDPRWorkloadSpec{
				Replicas: ptr.To(int32(podsPer)),
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
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
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: pinned}}},
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
func (r *recorder) drift(ctx context.Context, c client.Client, pod corev1.Pod, kind, otherImage string) error {
	owner := client.FieldOwner("bench-intruder")
	// Timed from just before the request: what follows may be seen before it returns.
	s := &sample{side: "amber", kind: kind, pod: pod.Name, at: time.Now()}
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
	}
	if err != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.samples = slices.DeleteFunc(r.samples, func(x *sample) bool { return x == s })
		delete(r.byPod, pod.Name)
		return err
	}
	return nil
}

func (r *recorder) deleteReplicaSetPod(ctx context.Context, c client.Client, pod corev1.Pod) error {
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
	s := &sample{side: "replicaset", kind: "PodDeleted", pod: pod.Name, owner: owner.UID, at: at}
	r.samples = append(r.samples, s)
	r.pendingByRS[owner.UID] = append(r.pendingByRS[owner.UID], s)
	return nil
}

func (r *recorder) complete() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.samples {
		if s.repaired.IsZero() || (s.side == "amber" && s.detected.IsZero()) {
			return false
		}
	}
	return true
}

func (r *recorder) report(workloads, podsPer int, rate, cpuDuring, cpuTotal float64, peakRSS int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	series := map[string][]time.Duration{}
	missing := map[string]int{}
	add := func(name string, from, to time.Time) {
		if to.IsZero() {
			missing[name]++
			return
		}
		series[name] = append(series[name], to.Sub(from))
	}
	for _, s := range r.samples {
		if s.side == "amber" {
			add("amber detection (mutation → DriftDetected)", s.at, s.detected)
			add("amber repair (mutation → fresh pod Ready)", s.at, s.repaired)
			add("  repair, "+s.kind, s.at, s.repaired)
		} else {
			add("replicaset (deletion → replacement Ready)", s.at, s.repaired)
		}
	}
	names := make([]string, 0, len(series))
	for name := range series {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		order := func(s string) string {
			if strings.HasPrefix(s, " ") {
				return "b" + s
			}
			if strings.HasPrefix(s, "replicaset") {
				return "c" + s
			}
			return "a" + s
		}
		return strings.Compare(order(a), order(b))
	})
	host, _ := os.Hostname()
	fmt.Printf("\n%d workloads × %d pods under Amber, %d ReplicaSets × %d pods; %.0f events/s each side; host %s\n\n", workloads, podsPer, workloads, podsPer, rate, host)
	fmt.Printf("%-46s %6s %9s %9s %9s %9s %8s\n", "measure", "n", "p50", "p90", "p99", "max", "missing")
	for _, name := range names {
		d := series[name]
		slices.Sort(d)
		fmt.Printf("%-46s %6d %9s %9s %9s %9s %8d\n", name, len(d), ms(pct(d, 50)), ms(pct(d, 90)), ms(pct(d, 99)), ms(d[len(d)-1]), missing[name])
	}
	repair, rs := series["amber repair (mutation → fresh pod Ready)"], series["replicaset (deletion → replacement Ready)"]
	if len(repair) > 0 && len(rs) > 0 {
		fmt.Printf("\nrepair p99 / ReplicaSet replacement p99 = %.2f (1.0 or less is as fast as Kubernetes or faster)\n",
			float64(pct(repair, 99))/float64(pct(rs, 99)))
	}
	fmt.Printf("manager: %.1f CPU seconds during the injection (%.1f since start), peak RSS %.1f MiB\n", cpuDuring, cpuTotal, float64(peakRSS)/(1<<20))
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(min(i, len(sorted))-1, 0)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

func (r *recorder) writeCSV(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	_ = w.Write([]string{"side", "kind", "pod", "at_unix_ms", "detect_ms", "repair_ms"})
	r.mu.Lock()
	defer r.mu.Unlock()
	since := func(t time.Time, from time.Time) string {
		if t.IsZero() {
			return ""
		}
		return strconv.FormatInt(t.Sub(from).Milliseconds(), 10)
	}
	for _, s := range r.samples {
		_ = w.Write([]string{s.side, s.kind, s.pod, strconv.FormatInt(s.at.UnixMilli(), 10), since(s.detected, s.at), since(s.repaired, s.at)})
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
