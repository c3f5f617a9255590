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

// Command rollback measures `kubectl amber rollback` against `kubectl rollout undo`, side by
// side on `make cluster` (the real API server, scheduler and controller-manager, kwok
// nodes): a GDPRWorkload of N pods and a Deployment of N pods, with the same surge settings
// (maxSurge 25%, maxUnavailable 0 by default) and the same image references. In each round
// both are rolled forward to a second image (not timed), then each is rolled back to the
// previous revision in turn, Amber first in odd rounds and the Deployment first in even ones,
// never both at once. A rollback is timed from the moment its kubectl command starts until
// every one of the side's N pods runs the earlier image and is Ready, and no pod of the later
// image is left (not even terminating). It prints every round, the p50 and max over the
// rounds of each side, and the ratios Amber / Deployment, with the machine's load average
// at each measurement, and writes the samples to a CSV file. `make bench-rollback` runs it.
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/test/cluster"
)

func main() {
	pods := flag.Int("pods", 100, "pods of the GDPRWorkload, and of the Deployment")
	rounds := flag.Int("rounds", 3, "rounds on the same cluster, each rolling both sides forward and back")
	surge := flag.String("max-surge", "25%", "maxSurge of both sides (maxUnavailable is 0 on both)")
	csvPath := flag.String("csv", "bench-rollback.csv", "file the samples of every round are written to")
	timeout := flag.Duration("timeout", 10*time.Minute, "longest a rollout may take before the bench gives up")
	flag.StringVar(&managerLog, "manager-log", "", "file the manager's log is kept in (default: a scratch file deleted at the end)")
	flag.Parse()
	if *pods < 1 || *rounds < 1 {
		fmt.Fprintln(os.Stderr, "bench-rollback: -pods and -rounds must be at least 1")
		os.Exit(2)
	}
	maxSurge := intstr.Parse(*surge)
	if err := run(*pods, *rounds, maxSurge, *timeout, *csvPath); err != nil {
		fmt.Fprintln(os.Stderr, "bench-rollback:", err)
		os.Exit(1)
	}
}

// managerLog, when set, is where the manager's log goes, kept after the run: its "Creating
// pod" and "Deleting pod" lines show where a rollout's time went.
var managerLog string

// The two sides.
const (
	sideAmber      = "amber"
	sideDeployment = "deployment"
)

// sample is one timed rollback.
type sample struct {
	round   int
	order   int // 1 when the side went first in its round
	side    string
	took    time.Duration // command start → every pod of the earlier image Ready, none other left
	command time.Duration // how long the kubectl command itself ran
	load    [3]string     // /proc/loadavg's 1, 5 and 15 minute averages when it started
}

// bench holds what the rounds use.
type bench struct {
	k8s       *cluster.Cluster
	c         client.Client
	pods      cache.Cache
	namespace string
	n         int
	timeout   time.Duration
	// tags are the two images as written in the GDPRWorkload, pinned the references its pods
	// run, which the Deployment runs too.
	tags, pinned [2]string
}

func run(n, rounds int, maxSurge intstr.IntOrString, timeout time.Duration, csvPath string) error {
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
	cfg.QPS = -1
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}

	work, err := os.MkdirTemp("", "bench-rollback-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	fmt.Println("building the manager and the kubectl plugin, starting a registry on loopback")
	managerBinary, err := cluster.Build(ctx, root, "./cmd", work, "manager")
	if err != nil {
		return err
	}
	if _, err := cluster.Build(ctx, root, "./cmd/kubectl-amber", work, "kubectl-amber"); err != nil {
		return err
	}
	// kubectl finds the plugin on the PATH, as it would for a user who installed it.
	if err := os.Setenv("PATH", work+string(os.PathListSeparator)+os.Getenv("PATH")); err != nil {
		return err
	}
	reg, err := cluster.StartRegistry(ctx, k8s.Tool("registry"), cluster.RegistryOptions{Dir: filepath.Join(work, "registry")})
	if err != nil {
		return err
	}
	defer reg.Stop(10 * time.Second)
	b := &bench{k8s: k8s, c: c, n: n, timeout: timeout, namespace: fmt.Sprintf("amber-bench-rollback-%d", time.Now().Unix())}
	for i, repo := range []string{"bench/app:1", "bench/app:2"} {
		img, err := cluster.SmallImage("linux/amd64", "Amber rollback benchmark "+repo)
		if err != nil {
			return err
		}
		digest, err := cluster.Push(ctx, reg.Host+"/"+repo, img, nil)
		if err != nil {
			return err
		}
		b.tags[i] = reg.Host + "/" + repo
		b.pinned[i] = b.tags[i] + "@" + digest.String()
	}

	_, _ = k8s.Run(ctx, "create", "namespace", "amber-system")
	if _, err := k8s.Run(ctx, "create", "namespace", b.namespace); err != nil {
		return err
	}
	if err := k8s.InstallCRDs(ctx, ".", time.Minute); err != nil {
		return err
	}
	webhookArgs, err := cluster.WebhookArgs()
	if err != nil {
		return err
	}
	logPath := managerLog
	if logPath == "" {
		logPath = filepath.Join(work, "manager.log")
	}
	manager, err := k8s.StartManager(managerBinary, logPath, append([]string{
		"--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=0", "--insecure-registries=" + reg.Host}, webhookArgs...)...)
	if err != nil {
		return err
	}
	defer manager.Stop(10 * time.Second)
	// The namespace goes while the manager still runs: it releases the workload (its
	// finalizer), and the next run does not start on a cluster still busy deleting this one.
	defer func() {
		fmt.Println("deleting the benchmark's namespace")
		_, _ = k8s.Run(context.Background(), "delete", "namespace", b.namespace, "--timeout=5m")
	}()

	w, d := b.objects(maxSurge)
	// Until the manager's admission webhooks answer, they refuse what they guard, the
	// workload among it (they fail closed).
	if err := retryFor(time.Minute, func() error { return c.Create(ctx, w.DeepCopy(), client.DryRunAll) }); err != nil {
		return fmt.Errorf("the manager's admission webhooks did not answer: %w (manager log: %s)", err, manager.LogTail(20))
	}
	fmt.Printf("creating a GDPRWorkload and a Deployment of %d pods each in %s (maxSurge %s, maxUnavailable 0)\n", n, b.namespace, maxSurge.String())
	if err := c.Create(ctx, w); err != nil {
		return fmt.Errorf("create the GDPRWorkload: %w", err)
	}
	if err := c.Create(ctx, d); err != nil {
		return fmt.Errorf("create the Deployment: %w", err)
	}
	b.pods, err = cache.New(cfg, cache.Options{Scheme: scheme, DefaultNamespaces: map[string]cache.Config{b.namespace: {}}})
	if err != nil {
		return err
	}
	if _, err := b.pods.GetInformer(ctx, &corev1.Pod{}); err != nil {
		return err
	}
	go func() { _ = b.pods.Start(ctx) }()
	if !b.pods.WaitForCacheSync(ctx) {
		return errors.New("the benchmark's pod cache did not sync")
	}
	start := time.Now()
	for _, side := range []string{sideAmber, sideDeployment} {
		if _, err := b.settled(ctx, side, b.pinned[0]); err != nil {
			return fmt.Errorf("%w (manager log: %s)", err, manager.LogTail(20))
		}
	}
	fmt.Printf("all %d pods Ready after %s\n", 2*n, time.Since(start).Round(time.Second))

	var samples []sample
	for round := 1; round <= rounds; round++ {
		fmt.Printf("\nround %d of %d: rolling both forward to %s (not timed)\n", round, rounds, b.tags[1])
		if err := b.rollForward(ctx); err != nil {
			return fmt.Errorf("round %d: %w (manager log: %s)", round, err, manager.LogTail(20))
		}
		order := []string{sideAmber, sideDeployment}
		if round%2 == 0 {
			order = []string{sideDeployment, sideAmber}
		}
		for i, side := range order {
			s, err := b.rollBack(ctx, side)
			if err != nil {
				return fmt.Errorf("round %d: %w (manager log: %s)", round, err, manager.LogTail(20))
			}
			s.round, s.order = round, i+1
			fmt.Printf("round %d, %s (%s): every pod of the earlier revision Ready after %s (the command ran %s); load average %s\n",
				round, side, ordinal(s.order), ms(s.took), ms(s.command), strings.Join(s.load[:], " "))
			samples = append(samples, s)
		}
	}
	host, _ := os.Hostname()
	fmt.Printf("\n%d pods each side, maxSurge %s, maxUnavailable 0; host %s; the machine is shared with other work: see the load averages\n", n, maxSurge.String(), host)
	summarize(os.Stdout, samples)
	return writeCSV(csvPath, samples)
}

// objects are the two sides: the same pods, the same surge.
func (b *bench) objects(maxSurge intstr.IntOrString) (*gdprv1alpha1.GDPRWorkload, *appsv1.Deployment) {
	zero := intstr.FromInt32(0)
	w := &gdprv1alpha1.GDPRWorkload{
		ObjectMeta: metav1.ObjectMeta{Namespace: b.namespace, Name: sideAmber},
		Spec: gdprv1alpha1.GDPRWorkloadSpec{
			Replicas: ptr.To(int32(b.n)),
			Strategy: gdprv1alpha1.RolloutStrategy{MaxSurge: &maxSurge, MaxUnavailable: &zero},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "amber-bench"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: b.tags[0]}}},
			},
		},
	}
	labels := map[string]string{"app": "deployment-bench"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: b.namespace, Name: sideDeployment},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(int32(b.n)),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &maxSurge, MaxUnavailable: &zero}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: b.pinned[0]}}},
			},
		},
	}
	return w, d
}

// selector picks a side's pods.
func selector(side string) client.MatchingLabels {
	if side == sideAmber {
		return client.MatchingLabels{gdprv1alpha1.WorkloadLabel: sideAmber}
	}
	return client.MatchingLabels{"app": "deployment-bench"}
}

// rollForward changes both sides to the second image, as a person would (a new template),
// and waits until both have finished.
func (b *bench) rollForward(ctx context.Context) error {
	w := &gdprv1alpha1.GDPRWorkload{}
	if err := b.c.Get(ctx, client.ObjectKey{Namespace: b.namespace, Name: sideAmber}, w); err != nil {
		return err
	}
	base := w.DeepCopy()
	w.Spec.Template.Spec.Containers[0].Image = b.tags[1]
	if err := b.c.Patch(ctx, w, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("roll the GDPRWorkload forward: %w", err)
	}
	d := &appsv1.Deployment{}
	if err := b.c.Get(ctx, client.ObjectKey{Namespace: b.namespace, Name: sideDeployment}, d); err != nil {
		return err
	}
	baseD := d.DeepCopy()
	d.Spec.Template.Spec.Containers[0].Image = b.pinned[1]
	if err := b.c.Patch(ctx, d, client.MergeFrom(baseD)); err != nil {
		return fmt.Errorf("roll the Deployment forward: %w", err)
	}
	for _, side := range []string{sideAmber, sideDeployment} {
		if _, err := b.settled(ctx, side, b.pinned[1]); err != nil {
			return err
		}
	}
	return nil
}

// rollBack runs one side's rollback command and times it until the side settled on the
// first image.
func (b *bench) rollBack(ctx context.Context, side string) (sample, error) {
	s := sample{side: side, load: loadAverage()}
	args := []string{"amber", "rollback", sideAmber, "-n", b.namespace}
	if side == sideDeployment {
		args = []string{"rollout", "undo", "deployment/" + sideDeployment, "-n", b.namespace}
	}
	start := time.Now()
	if _, err := b.k8s.Run(ctx, args...); err != nil {
		return s, fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), err)
	}
	s.command = time.Since(start)
	done, err := b.settled(ctx, side, b.pinned[0])
	if err != nil {
		return s, err
	}
	s.took = done.Sub(start)
	return s, nil
}

// settled waits until the side has exactly n pods, every one Ready, not being deleted and
// running image, and returns when it first saw so. It reads the bench's watch cache, which
// sees each change as the API server announces it.
func (b *bench) settled(ctx context.Context, side, image string) (time.Time, error) {
	deadline := time.Now().Add(b.timeout)
	for {
		var pods corev1.PodList
		if err := b.pods.List(ctx, &pods, client.InNamespace(b.namespace), selector(side)); err != nil {
			return time.Time{}, err
		}
		now := time.Now()
		if len(pods.Items) == b.n && !slices.ContainsFunc(pods.Items, func(p corev1.Pod) bool {
			return p.DeletionTimestamp != nil || p.Spec.Containers[0].Image != image || !podReady(&p)
		}) {
			return now, nil
		}
		if now.After(deadline) {
			return time.Time{}, fmt.Errorf("%s: after %s, %d pods, not all Ready on %s", side, b.timeout, len(pods.Items), image)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute load averages.
func loadAverage() [3]string {
	data, err := os.ReadFile("/proc/loadavg")
	fields := strings.Fields(string(data))
	if err != nil || len(fields) < 3 {
		return [3]string{"?", "?", "?"}
	}
	return [3]string{fields[0], fields[1], fields[2]}
}

// summarize prints each side's p50, max and range over the rounds, and the ratios.
func summarize(out io.Writer, samples []sample) {
	took := func(side string) []time.Duration {
		var d []time.Duration
		for _, s := range samples {
			if s.side == side {
				d = append(d, s.took)
			}
		}
		slices.Sort(d)
		return d
	}
	amber, deployment := took(sideAmber), took(sideDeployment)
	fmt.Fprintf(out, "\n| round | Amber (kubectl amber rollback) | Deployment (kubectl rollout undo) | Amber / Deployment | first | load average (1 5 15 min) at Amber's, Deployment's |\n|---|---|---|---|---|---|\n")
	for round := 1; ; round++ {
		var a, d *sample
		for i := range samples {
			if samples[i].round == round && samples[i].side == sideAmber {
				a = &samples[i]
			}
			if samples[i].round == round && samples[i].side == sideDeployment {
				d = &samples[i]
			}
		}
		if a == nil || d == nil {
			break
		}
		first := "Amber"
		if d.order == 1 {
			first = "Deployment"
		}
		fmt.Fprintf(out, "| %d | %s | %s | %.2f | %s | %s, %s |\n", round, ms(a.took), ms(d.took), float64(a.took)/float64(d.took), first,
			strings.Join(a.load[:], " "), strings.Join(d.load[:], " "))
	}
	if len(amber) == 0 || len(deployment) == 0 {
		return
	}
	fmt.Fprintf(out, "\nAmber:      p50 %s, max %s, range %s to %s (n = %d)\n", ms(median(amber)), ms(amber[len(amber)-1]), ms(amber[0]), ms(amber[len(amber)-1]), len(amber))
	fmt.Fprintf(out, "Deployment: p50 %s, max %s, range %s to %s (n = %d)\n", ms(median(deployment)), ms(deployment[len(deployment)-1]), ms(deployment[0]), ms(deployment[len(deployment)-1]), len(deployment))
	fmt.Fprintf(out, "Amber / Deployment: p50 %.2f, max %.2f (target ≤ 1.0)\n",
		float64(median(amber))/float64(median(deployment)), float64(amber[len(amber)-1])/float64(deployment[len(deployment)-1]))
}

// median of sorted durations: the middle one, or the mean of the two middle ones.
func median(sorted []time.Duration) time.Duration {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func ms(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
}

func ordinal(order int) string {
	if order == 1 {
		return "first"
	}
	return "second"
}

func writeCSV(path string, samples []sample) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"round", "order", "side", "rollback_ms", "command_ms", "load1", "load5", "load15"})
	for _, s := range samples {
		_ = w.Write([]string{strconv.Itoa(s.round), strconv.Itoa(s.order), s.side, strconv.FormatInt(s.took.Milliseconds(), 10),
			strconv.FormatInt(s.command.Milliseconds(), 10), s.load[0], s.load[1], s.load[2]})
	}
	w.Flush()
	if err := errors.Join(w.Error(), f.Close()); err != nil {
		return err
	}
	fmt.Printf("samples written to %s\n", path)
	return nil
}

// retryFor calls f until it succeeds or d has passed, and returns its last error.
func retryFor(d time.Duration, f func() error) error {
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}
