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

// Command admission measures the latency Amber's admission webhooks add to pod writes. It
// times one kind of write, a label patch, on three kinds of pod: an ungoverned pod (which the
// webhook's objectSelector keeps from ever reaching Amber), a governed pod of a workload in
// Audit mode (allowed after the whole handler ran and wrote its AdmissionWouldDeny ledger
// entry) and a governed pod of a workload in Enforce (refused, its AccessDenied entry
// written), each with Amber's webhook configuration installed and without it, in the same
// run, so that the difference is what admission adds.
//
// It runs on a real kube-apiserver and etcd (envtest); the manager's webhook server and
// handlers run in this process as the manager runs them (its label-selected cache, its
// ledger writer, its user exempt). No reconciler runs: the governed pods are made by the
// bench as the manager would make them, and nothing replaces them when their labels drift.
// Each round measures both phases, the order alternating from round to round, and within a
// phase the three kinds of pod in turn, so that a slow spell of the shared machine falls on
// every kind alike. Patches are sent one at a time; what a governed refusal leaves behind
// (its Event, written asynchronously) falls on the next patch whatever its kind, so the
// ungoverned figure with all kinds measured is an upper bound: -kinds ungoverned isolates it.
// It prints every round, then per kind the median and range over the rounds
// of the added p50 and p99 and whether they meet the targets, and writes every sample to a
// CSV file that -from-csv turns back into the same report. `make bench-admission` runs it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/controllers"
	"github.com/amber-gdpr/amber/internal/admission"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/residency"
	"github.com/amber-gdpr/amber/test/bench/benchenv"
	"github.com/amber-gdpr/amber/test/bench/samples"
)

func main() {
	o := options{}
	flag.IntVar(&o.rounds, "rounds", 3, "rounds, each measuring every kind of pod with the webhook configuration installed and without it")
	flag.IntVar(&o.n, "n", 500, "patches measured per kind of pod, per phase, per round")
	flag.IntVar(&o.warmup, "warmup", 20, "patches per kind of pod made and not measured after each install or removal (new connections, cold caches)")
	flag.StringVar(&o.kinds, "kinds", strings.Join(allKinds, ","), "kinds of pod to measure, comma-separated: "+strings.Join(allKinds, ", "))
	flag.StringVar(&o.csv, "csv", samples.DefaultPath("admission", time.Now()), "file the raw samples are written to")
	fromCSV := flag.String("from-csv", "", "recompute every round's table and the summary from a CSV an earlier run wrote, and measure nothing")
	flag.Parse()
	var err error
	if *fromCSV != "" {
		err = recompute(*fromCSV)
	} else {
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-admission:", err)
		os.Exit(1)
	}
}

type options struct {
	rounds, n, warmup int
	kinds, csv        string
}

// The kinds of pod measured.
const (
	kindUngoverned = "ungoverned"
	kindAudit      = "governed-audit"
	kindEnforce    = "governed-enforce"
)

var allKinds = []string{kindUngoverned, kindAudit, kindEnforce}

// The phases of a round.
const (
	phaseOff = "webhook-off"
	phaseOn  = "webhook-on"
)

// metric names the samples in the CSV.
const metric = "patch_latency_ms"

// targets are the p99 latency admission may add to a pod write, in milliseconds (issue 12):
// an ungoverned pod should not notice the webhook; a governed one pays for a decision from
// the cache and, when recorded, one ledger entry.
var targets = map[string]float64{kindUngoverned: 5, kindAudit: 20, kindEnforce: 20}

const namespace = "bench-admission"

func run(o options) error {
	kinds, err := parseKinds(o.kinds)
	if err != nil {
		return err
	}
	if o.rounds < 1 || o.n < 1 || o.warmup < 0 {
		return fmt.Errorf("-rounds and -n must be at least 1 and -warmup at least 0 (got %d, %d, %d)", o.rounds, o.n, o.warmup)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The handlers' logs: errors only, which a bench must show.
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.Level(zapcore.ErrorLevel)))

	env, err := benchenv.Start(ctx)
	if err != nil {
		return err
	}
	defer env.Stop()
	managerUser, stopManager, err := startManager(ctx, env)
	if err != nil {
		return err
	}
	// Before the control plane, which takes the serving certificate with it.
	defer stopManager()
	b := &bench{env: env, c: env.Client, managerUser: managerUser}
	if b.pods, err = makePods(ctx, env); err != nil {
		return err
	}

	fmt.Printf("bench-admission: %d rounds × %d patches per kind of pod per phase (%d warm-up), kinds %s\n",
		o.rounds, o.n, o.warmup, strings.Join(kinds, ", "))
	for round := 1; round <= o.rounds; round++ {
		// Alternate the order, so that neither phase always follows the other's leftovers.
		phases := []string{phaseOff, phaseOn}
		if round%2 == 0 {
			phases = []string{phaseOn, phaseOff}
		}
		for _, phase := range phases {
			if err := b.setPhase(ctx, phase); err != nil {
				return fmt.Errorf("round %d: %w", round, err)
			}
			if err := b.measure(ctx, round, phase, kinds, o.warmup, o.n); err != nil {
				return fmt.Errorf("round %d, %s: %w", round, phase, err)
			}
		}
		fmt.Printf("\nround %d (%s, then %s)\n", round, phases[0], phases[1])
		printRound(analyse(b.samples, round))
	}
	if err := b.checkLedger(ctx, kinds, o.rounds*(o.warmup+o.n)); err != nil {
		return err
	}
	if err := writeCSV(b.samples, o.csv); err != nil {
		return err
	}
	fmt.Printf("\nraw samples: %s (recompute with -from-csv %s)\n", o.csv, o.csv)
	printSummary(summarise(b.samples))
	return nil
}

func parseKinds(s string) ([]string, error) {
	var kinds []string
	for k := range strings.SplitSeq(s, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(allKinds, k) {
			return nil, fmt.Errorf("-kinds: %q is not a kind of pod; allowed: %s", k, strings.Join(allKinds, ", "))
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// startManager runs the manager's webhook server and admission handlers in this process, as
// the manager's user, and returns that user's name and how to stop it.
func startManager(ctx context.Context, env *benchenv.Env) (user string, stop func(), err error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", env.Kubeconfig)
	if err != nil {
		return "", nil, err
	}
	cfg.QPS, cfg.Burst = 1000, 2000
	serving := env.WebhookServing()
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 env.Client.Scheme(),
		Cache:                  controllers.CacheOptions(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: serving.LocalServingHost, Port: serving.LocalServingPort, CertDir: serving.LocalServingCertDir,
		}),
	})
	if err != nil {
		return "", nil, err
	}
	// The ledger the pod handler writes its entries to, with the manager's defaults.
	keys, err := audit.EnsureKeys(ctx, mgr.GetClient(), mgr.GetAPIReader(), benchenv.OperatorNamespace)
	if err != nil {
		return "", nil, err
	}
	writer := audit.NewWriter(mgr.GetClient(), mgr.GetAPIReader(), keys.Signing, 100)
	controllers.SetupPodAdmission(mgr, writer, audit.Actors{Mode: audit.ActorPseudonymous, Key: keys.Pseudonym}, benchenv.ManagerUser)
	controllers.SetupWorkloadAdmission(mgr, residency.DefaultKeys)
	ctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "bench-admission: the manager stopped:", err)
		}
	}()
	stop = func() { cancel(); <-stopped }
	deadline := time.Now().Add(time.Minute)
	for mgr.GetWebhookServer().StartedChecker()(nil) != nil {
		if time.Now().After(deadline) {
			return "", nil, errors.New("the manager's webhook server did not start within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return benchenv.ManagerUser, stop, nil
}

// bench holds what the rounds share.
type bench struct {
	env         *benchenv.Env
	c           client.Client
	samples     []sample
	managerUser string
	pods        map[string]string
	seq         int
}

// makePods makes the workloads and a pod of each kind, as the manager's user (exempt from
// admission), before any configuration is installed.
func makePods(ctx context.Context, env *benchenv.Env) (map[string]string, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", env.Kubeconfig)
	if err != nil {
		return nil, err
	}
	asManager, err := client.New(cfg, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		return nil, err
	}
	if err := asManager.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return nil, err
	}
	pod := func(name string) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{"app": "bench"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}},
		}
	}
	pods := map[string]string{kindUngoverned: "plain"}
	if err := asManager.Create(ctx, pod("plain")); err != nil {
		return nil, err
	}
	for kind, mode := range map[string]gdprv1alpha1.AdmissionMode{kindAudit: gdprv1alpha1.AdmissionAudit, kindEnforce: gdprv1alpha1.AdmissionEnforce} {
		name := strings.ToLower(string(mode))
		w := &gdprv1alpha1.GDPRWorkload{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Spec: gdprv1alpha1.GDPRWorkloadSpec{
				Replicas:  ptr.To[int32](1),
				Template:  corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}}, Spec: pod(name).Spec},
				Admission: gdprv1alpha1.AdmissionPolicy{Mode: mode},
			},
		}
		if err := asManager.Create(ctx, w); err != nil {
			return nil, fmt.Errorf("create GDPRWorkload %s: %w", name, err)
		}
		p := pod(name + "-0")
		p.Labels = map[string]string{"app": name, gdprv1alpha1.WorkloadLabel: name, gdprv1alpha1.RevisionLabel: "bench"}
		p.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: gdprv1alpha1.GroupVersion.String(), Kind: "GDPRWorkload", Name: name, UID: w.UID,
			Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
		}}
		if err := asManager.Create(ctx, p); err != nil {
			return nil, err
		}
		pods[kind] = p.Name
	}
	return pods, nil
}

// setPhase installs Amber's webhook configuration (phaseOn) or removes it (phaseOff), and
// returns once the API server acts on the change: it picks configurations up through an
// informer, a moment after they are written.
func (b *bench) setPhase(ctx context.Context, phase string) error {
	serving := b.env.WebhookServing()
	desired := admission.Desired(admission.Options{
		Endpoint:        admission.Endpoint{URL: "https://" + net.JoinHostPort(serving.LocalServingHost, strconv.Itoa(serving.LocalServingPort))},
		CABundle:        serving.LocalServingCAData,
		ManagerUsername: b.managerUser,
	})
	if phase == phaseOn {
		if err := b.c.Create(ctx, desired); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("install %s: %w", admission.ConfigurationName, err)
		}
	} else {
		if err := b.c.Delete(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: admission.ConfigurationName}}); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("remove %s: %w", admission.ConfigurationName, err)
		}
	}
	// The probe: a workload only the webhook refuses (a container name the pod's validation
	// refuses and the workload's schema takes), in a dry run.
	probe := &gdprv1alpha1.GDPRWorkload{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "probe"},
		Spec: gdprv1alpha1.GDPRWorkloadSpec{
			Replicas: ptr.To[int32](1),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "probe"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "Not_A_DNS_Label", Image: "registry.example/app:1"}}},
			},
		},
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := b.c.Create(ctx, probe.DeepCopy(), client.DryRunAll)
		refused := err != nil && strings.Contains(err.Error(), admission.WorkloadRefusedPrefix)
		if err != nil && !refused {
			return fmt.Errorf("probe the webhook: %w", err)
		}
		if refused == (phase == phaseOn) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the API server did not act on the %s configuration within 30s", phase)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// measure patches each kind of pod in turn, warmup times unmeasured then n times measured.
func (b *bench) measure(ctx context.Context, round int, phase string, kinds []string, warmup, n int) error {
	for i := range warmup + n {
		for _, kind := range kinds {
			d, err := b.patch(ctx, kind, phase)
			if err != nil {
				return err
			}
			if i >= warmup {
				b.samples = append(b.samples, sample{round: round, phase: phase, kind: kind, ms: float64(d.Microseconds()) / 1000})
			}
		}
	}
	return nil
}

// patch changes a label of the kind's pod and times the API server's answer. The answer must
// be the one the phase calls for: a refusal by Amber for an Enforce pod with the webhook
// installed, success otherwise; any other answer stops the bench rather than count.
func (b *bench) patch(ctx context.Context, kind, phase string) (time.Duration, error) {
	b.seq++
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: b.pods[kind]}}
	patch := client.RawPatch(types.MergePatchType, []byte(fmt.Sprintf(`{"metadata":{"labels":{"bench-seq":"%d"}}}`, b.seq)))
	start := time.Now()
	err := b.c.Patch(ctx, pod, patch)
	took := time.Since(start)
	wantRefused := kind == kindEnforce && phase == phaseOn
	switch {
	case wantRefused && err == nil:
		return 0, fmt.Errorf("a label patch of the Enforce pod %s was allowed with the webhook installed", pod.Name)
	case wantRefused && !strings.Contains(err.Error(), fmt.Sprintf("admission webhook %q denied the request", admission.PodsWebhook)):
		return 0, fmt.Errorf("a label patch of the Enforce pod %s failed, not refused by Amber: %w", pod.Name, err)
	case !wantRefused && err != nil:
		return 0, fmt.Errorf("a label patch of the %s pod %s (%s): %w", kind, pod.Name, phase, err)
	}
	return took, nil
}

// checkLedger makes sure that every governed patch with the webhook installed went through
// the whole handler, its ledger entry included: want entries of each governed kind measured.
func (b *bench) checkLedger(ctx context.Context, kinds []string, want int) error {
	entries := &gdprv1alpha1.AuditEventList{}
	if err := b.c.List(ctx, entries, client.InNamespace(namespace)); err != nil {
		return err
	}
	count := map[gdprv1alpha1.AuditEventType]int{}
	for _, e := range entries.Items {
		count[e.Spec.Type]++
	}
	for kind, entryType := range map[string]gdprv1alpha1.AuditEventType{kindAudit: gdprv1alpha1.AuditAdmissionWouldDeny, kindEnforce: gdprv1alpha1.AuditAccessDenied} {
		if !slices.Contains(kinds, kind) {
			continue
		}
		if count[entryType] != want {
			return fmt.Errorf("the ledger holds %d %s entries, want one per %s patch with the webhook installed: %d", count[entryType], entryType, kind, want)
		}
		fmt.Printf("ledger: %d %s entries, one per %s patch with the webhook installed\n", count[entryType], entryType, kind)
	}
	return nil
}
