//go:build e2e

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

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	watchtools "k8s.io/client-go/tools/watch"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/test/cluster"
)

// The lease timings of the failover spec's managers: short, so that the spec waits seconds
// rather than the defaults' 15s, and valid (renew deadline above 1.2 retry periods, below
// the lease).
const (
	failoverLease = 6 * time.Second
	failoverRenew = 4 * time.Second
	failoverRetry = 1 * time.Second
	// failoverSlack is what a takeover may take beyond the lease and one retry: the new
	// leader's controllers start their informers and sync them, and the first reconcile
	// writes an entry, on a machine shared with other builds and clusters.
	failoverSlack = 20 * time.Second
)

// leaseNamespace and leaseName locate the leader-election Lease (cmd/main.go names it).
const (
	leaseNamespace = "amber-system"
	leaseName      = "manager.gdpr.amber.dev"
)

func failoverWorkload() string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: failover
spec:
  replicas: 3
  # The spec changes pods in place while managers fail over: drift detection is the line it
  # tests, so admission lets the changes through.
  admission:
    mode: "Off"
  template:
    metadata:
      labels:
        app: failover
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
`, pullSecret, image(burstImage))
}

// candidate is a manager replica that competes for the lease. Each has its own log, which
// tells whether it leads, and its own export, which tells what it wrote.
type candidate struct {
	*cluster.Manager
	name       string
	exportPath string
}

// startCandidate runs the manager as startManager does, but with leader election on and the
// spec's lease timings. It removes what an earlier run left in its log and export first.
func startCandidate(name string) *candidate {
	GinkgoHelper()
	logPath := filepath.Join(artifacts, "failover-"+name+".log")
	c := &candidate{name: name, exportPath: filepath.Join(artifacts, "failover-"+name+".jsonl")}
	for _, f := range []string{logPath, c.exportPath} {
		Expect(os.Remove(f)).To(Or(Succeed(), MatchError(os.ErrNotExist)))
	}
	// Each candidate serves the webhooks on its own port; the leader installs its own URL.
	webhookArgs, err := cluster.WebhookArgs()
	Expect(err).NotTo(HaveOccurred())
	c.Manager, err = k8s.StartManager(managerBinary, logPath, append([]string{
		"--leader-elect=true", "--leader-election-namespace=" + leaseNamespace,
		"--leader-elect-lease-duration=" + failoverLease.String(),
		"--leader-elect-renew-deadline=" + failoverRenew.String(),
		"--leader-elect-retry-period=" + failoverRetry.String(),
		"--metrics-bind-address=0", "--health-probe-bind-address=0",
		"--audit-checkpoint-every=20", "--audit-checkpoint-interval=5s",
		"--audit-export=" + c.exportPath,
		"--insecure-registries=" + registry.Host}, webhookArgs...)...)
	Expect(err).NotTo(HaveOccurred())
	return c
}

// leads reports whether the candidate ever acquired the lease, from client-go's log line.
func (c *candidate) leads() bool {
	data, err := os.ReadFile(c.LogPath)
	return err == nil && bytes.Contains(data, []byte("Successfully acquired lease"))
}

// exported returns the lines the candidate wrote to its export.
func (c *candidate) exported() string {
	data, err := os.ReadFile(c.exportPath)
	if err != nil && !os.IsNotExist(err) {
		Fail(err.Error())
	}
	return string(data)
}

// leaseHolder reads the leader-election Lease: who holds it, and since when (the holder's
// clock, in microseconds; the managers run on this machine, so it is the spec's clock).
func leaseHolder(ctx context.Context, clientset kubernetes.Interface) (string, time.Time) {
	GinkgoHelper()
	lease, err := clientset.CoordinationV1().Leases(leaseNamespace).Get(ctx, leaseName, metav1.GetOptions{})
	if err != nil {
		return "", time.Time{}
	}
	var holder string
	var acquired time.Time
	if lease.Spec.HolderIdentity != nil {
		holder = *lease.Spec.HolderIdentity
	}
	if lease.Spec.AcquireTime != nil {
		acquired = lease.Spec.AcquireTime.Time
	}
	return holder, acquired
}

// entryArrival is when a watch saw an entry of the ledger created.
type entryArrival struct {
	at       time.Time
	sequence int64
}

// watchEntryArrivals records when each entry of workload's ledger created from now on reaches
// a watch on the API server, and returns a function that gives the first that arrived after
// a moment.
func watchEntryArrivals(ctx context.Context, client dynamic.Interface, workload string) func(after time.Time) (entryArrival, bool) {
	GinkgoHelper()
	entries := client.Resource(schema.GroupVersionResource{Group: gdprv1alpha1.GroupVersion.Group, Version: gdprv1alpha1.GroupVersion.Version, Resource: "auditevents"}).Namespace(namespace)
	selector := gdprv1alpha1.AuditLedgerLabel + "=" + workload
	list, err := entries.List(ctx, metav1.ListOptions{LabelSelector: selector})
	Expect(err).NotTo(HaveOccurred())
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, list.GetResourceVersion(), &cache.ListWatch{
		WatchFuncWithContext: func(ctx context.Context, options metav1.ListOptions) (watch.Interface, error) {
			options.LabelSelector = selector
			return entries.Watch(ctx, options)
		},
	})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(rw.Stop)
	var mu sync.Mutex
	var arrivals []entryArrival
	go func() {
		for ev := range rw.ResultChan() {
			if ev.Type != watch.Added {
				continue
			}
			at := time.Now()
			var e gdprv1alpha1.AuditEvent
			if data, err := json.Marshal(ev.Object); err == nil && json.Unmarshal(data, &e) == nil {
				mu.Lock()
				arrivals = append(arrivals, entryArrival{at: at, sequence: e.Spec.Sequence})
				mu.Unlock()
			}
		}
	}()
	return func(after time.Time) (entryArrival, bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, a := range arrivals {
			if a.at.After(after) {
				return a, true
			}
		}
		return entryArrival{}, false
	}
}

// tamperer changes pods of a workload in place, each with a label of its own (so that no two
// drifts look alike and make a drift loop), and remembers which pods it changed.
type tamperer struct {
	workload string
	n        atomic.Int32
	mu       sync.Mutex
	tampered map[string]string // UID → name
}

// tamperOne labels one running pod of the workload, chosen by rng, and returns its UID; ""
// when there was none to change, it went away meanwhile, or admission refused it (while no
// manager serves the webhook, which fails closed).
func (t *tamperer) tamperOne(ctx context.Context, rng *rand.Rand) string {
	return t.change(ctx, rng, func(name string) []string {
		return []string{"label", "-n", namespace, "pod/" + name, fmt.Sprintf("tamper-%d=yes", t.n.Add(1))}
	})
}

// reportOtherDigest reports, in the status of one running pod chosen by rng, an image digest
// other than the pinned one, as a kubelet whose runtime swapped the image would, and returns
// the pod's UID. Status writes never reach admission: this is a change that only drift
// detection sees, and it goes through while no manager serves the webhook.
func (t *tamperer) reportOtherDigest(ctx context.Context, rng *rand.Rand) string {
	return t.change(ctx, rng, func(name string) []string {
		patch := `{"status":{"containerStatuses":[{"name":"app","imageID":"` + image("amber/other") + `@sha256:` + strings.Repeat("0", 64) + `"}]}}`
		return []string{"patch", "-n", namespace, "pod/" + name, "--subresource=status", "--type=strategic", "-p", patch}
	})
}

// change runs the kubectl command args makes for one running pod chosen by rng, and returns
// the pod's UID once it succeeded.
func (t *tamperer) change(ctx context.Context, rng *rand.Rand, args func(name string) []string) string {
	out, err := k8s.Run(ctx, "get", "pods", "-n", namespace, "-l", gdprv1alpha1.WorkloadLabel+"="+t.workload, "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.metadata.uid} {.metadata.deletionTimestamp}{"\n"}{end}`)
	if err != nil {
		return ""
	}
	var running [][]string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			running = append(running, f)
		}
	}
	if len(running) == 0 {
		return ""
	}
	pod := running[rng.IntN(len(running))]
	// Pod names come from generateName and are never reused, so the name stands for the UID.
	if _, err := k8s.Run(ctx, args(pod[0])...); err != nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tampered[pod[1]] = pod[0]
	return pod[1]
}

var _ = Describe("Two managers, one leader", Ordered, func() {
	It("fails over to the standby after the leader is killed, with every action recorded exactly once", func(ctx SpecContext) {
		config, err := clientcmd.BuildConfigFromFlags("", k8s.Kubeconfig)
		Expect(err).NotTo(HaveOccurred())
		clientset := kubernetes.NewForConfigOrDie(config)

		By("replacing the suite's manager with two that elect a leader")
		// The suite's manager runs without leader election and would act beside them; it
		// comes back after the spec, and exports the whole ledger again to the suite's export.
		manager.Stop(10 * time.Second)
		candidates := []*candidate{startCandidate("a"), startCandidate("b")}
		DeferCleanup(func() {
			for _, c := range candidates {
				if CurrentSpecReport().Failed() {
					fmt.Fprintf(GinkgoWriter, "\nmanager %s log (last 60 lines; all of it in %s):\n%s\n", c.name, c.LogPath, c.LogTail(60))
				}
				// A graceful stop releases the lease (LeaderElectionReleaseOnCancel).
				c.Stop(10 * time.Second)
			}
			manager = startManager()
		})
		var leader, standby *candidate
		Eventually(func(g Gomega) {
			leader, standby = nil, nil
			for _, c := range candidates {
				Expect(c.Exited()).To(BeFalse(), "manager %s exited", c.name)
				if c.leads() {
					leader = c
				} else {
					standby = c
				}
			}
			g.Expect(leader).NotTo(BeNil(), "a manager acquires the lease")
			g.Expect(standby).NotTo(BeNil(), "only one manager acquires the lease")
		}, time.Minute, 200*time.Millisecond).Should(Succeed())
		oldHolder, _ := leaseHolder(ctx, clientset)
		Expect(oldHolder).NotTo(BeEmpty())
		GinkgoWriter.Printf("manager %s leads (lease holder %s); manager %s stands by\n", leader.name, oldHolder, standby.name)

		awaitDoor(ctx)
		By("running a workload under the leader")
		_, err = k8s.RunWithInput(ctx, failoverWorkload(), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=Ready", "gdprw/failover", "--timeout="+waitTimeout.String())
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=InSync", "gdprw/failover", "--timeout="+waitTimeout.String())
		seen, mu := watchPodUIDs(ctx, "failover")
		firstArrivalAfter := watchEntryArrivals(ctx, dynamic.NewForConfigOrDie(config), "failover")

		By("scaling and changing pods in place, in bursts, while the leader is killed")
		rng := rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), 6))
		var rngMu sync.Mutex
		random := func(n int) int { rngMu.Lock(); defer rngMu.Unlock(); return rng.IntN(n) }
		drift := &tamperer{workload: "failover", tampered: map[string]string{}}
		stopBurst := make(chan struct{})
		var burst sync.WaitGroup
		endBurst := sync.OnceFunc(func() { close(stopBurst); burst.Wait() })
		DeferCleanup(endBurst)
		for _, act := range []func(){
			func() {
				_, _ = k8s.Run(ctx, "scale", "-n", namespace, "gdprw/failover", fmt.Sprintf("--replicas=%d", 1+random(6)))
			},
			func() {
				rngMu.Lock()
				r := rand.New(rand.NewPCG(rng.Uint64(), 0))
				rngMu.Unlock()
				drift.tamperOne(ctx, r)
			},
		} {
			burst.Add(1)
			go func() {
				defer GinkgoRecover()
				defer burst.Done()
				for {
					select {
					case <-stopBurst:
						return
					case <-time.After(time.Duration(300+random(900)) * time.Millisecond):
					}
					act()
				}
			}()
		}
		time.Sleep(5 * time.Second)

		Expect(standby.exported()).To(BeEmpty(), "a standby exports nothing: only the leader runs the exporter")
		Expect(leader.exported()).NotTo(BeEmpty())
		killedAt := time.Now()
		leader.Kill()
		// While nobody leads, a pod is changed: the new leader must find it from the ledger's
		// baseline, as it finds the scaling it missed. Admission refuses in-place edits while
		// no manager answers its webhook (it fails closed), so the change is one admission
		// never sees: a runtime's report of another image.
		var gapTampered string
		Eventually(func() string {
			gapTampered = drift.reportOtherDigest(ctx, rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), 7)))
			return gapTampered
		}, 5*time.Second, 100*time.Millisecond).ShouldNot(BeEmpty(), "a pod to change while nobody leads")

		By("the standby takes the lease once it expires, and acts")
		var newHolder string
		var acquiredAt time.Time
		Eventually(func() string {
			newHolder, acquiredAt = leaseHolder(ctx, clientset)
			return newHolder
		}, failoverLease+failoverRetry+failoverSlack, 100*time.Millisecond).Should(And(Not(BeEmpty()), Not(Equal(oldHolder))))
		// The Lease is written before the manager logs that it acquired it.
		Eventually(standby.leads, 5*time.Second, 100*time.Millisecond).Should(BeTrue(), "the new holder %s is manager %s", newHolder, standby.name)
		var first entryArrival
		Eventually(func() bool {
			var ok bool
			first, ok = firstArrivalAfter(acquiredAt)
			return ok
		}, failoverLease+failoverRetry+failoverSlack, 100*time.Millisecond).Should(BeTrue(), "the new leader writes to the ledger")
		takeover := first.at.Sub(killedAt)
		GinkgoWriter.Printf("failover (lease %s, renew deadline %s, retry period %s): lease acquired by manager %s %s after the kill; its first ledger entry (sequence %d) %s after the kill\n",
			failoverLease, failoverRenew, failoverRetry, standby.name, acquiredAt.Sub(killedAt).Round(time.Millisecond), first.sequence, takeover.Round(time.Millisecond))
		// The killed leader renewed at most a retry period before the kill; the standby takes
		// the lease a lease duration after it saw that renewal.
		Expect(acquiredAt.Sub(killedAt)).To(BeNumerically(">", failoverLease-2*failoverRetry),
			"the standby waits for the killed leader's lease to expire")
		Expect(takeover).To(BeNumerically("<", failoverLease+failoverRetry+failoverSlack))

		time.Sleep(8 * time.Second)
		endBurst()

		By("converging under the new leader")
		kubectl(ctx, "scale", "-n", namespace, "gdprw/failover", "--replicas=3")
		Eventually(func() string {
			return kubectl(ctx, "get", "gdprw/failover", "-n", namespace, "-o", "jsonpath={.status.observedGeneration}/{.metadata.generation}")
		}, waitTimeout, 200*time.Millisecond).Should(Satisfy(func(s string) bool {
			parts := strings.Split(s, "/")
			return len(parts) == 2 && parts[0] == parts[1]
		}))
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=Ready", "gdprw/failover", "--timeout="+waitTimeout.String())
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=InSync", "gdprw/failover", "--timeout="+waitTimeout.String())
		var live []string
		Eventually(func(g Gomega) {
			out, err := k8s.Run(ctx, "get", "pods", "-n", namespace, "-l", gdprv1alpha1.WorkloadLabel+"=failover", "-o",
				`jsonpath={range .items[*]}{.metadata.uid} {.status.phase} {.metadata.labels} {.metadata.deletionTimestamp}{"\n"}{end}`)
			g.Expect(err).NotTo(HaveOccurred())
			lines := strings.Split(strings.TrimSpace(out), "\n")
			g.Expect(lines).To(HaveLen(3), "pods:\n%s", out)
			live = nil
			for _, l := range lines {
				f := strings.Fields(l)
				g.Expect(f).To(HaveLen(3), "a pod being deleted: %q", l)
				g.Expect(f[1]).To(Equal("Running"), "a pod not Running: %q", l)
				g.Expect(f[2]).NotTo(ContainSubstring("tamper-"), "a changed pod still runs: %q", l)
				live = append(live, f[0])
			}
		}, waitTimeout, 500*time.Millisecond).Should(Succeed())
		Expect(kubectl(ctx, "get", "gdprw/failover", "-n", namespace, "-o", "jsonpath={.status.readyReplicas}")).To(Equal("3"))
		Expect(leader.Exited()).To(BeTrue())
		Expect(standby.Exited()).To(BeFalse(), "the new leader still runs")

		By("recording every action exactly once, across the failover")
		mu.Lock()
		pods := map[string]string{}
		for uid, name := range seen {
			pods[uid] = name
		}
		mu.Unlock()
		drift.mu.Lock()
		tampered := drift.tampered
		drift.mu.Unlock()
		liveUIDs := map[string]bool{}
		for _, uid := range live {
			liveUIDs[uid] = true
		}
		var list gdprv1alpha1.AuditEventList
		counts := map[gdprv1alpha1.AuditEventType]map[string]int{}
		// A pod deleted last may be recorded a moment after the workload turned InSync.
		Eventually(func(g Gomega) {
			g.Expect(json.Unmarshal([]byte(kubectl(ctx, "get", "ae", "-n", namespace, "-l", gdprv1alpha1.AuditLedgerLabel+"=failover", "-o", "json")), &list)).To(Succeed())
			counts = map[gdprv1alpha1.AuditEventType]map[string]int{}
			for _, e := range list.Items {
				if counts[e.Spec.Type] == nil {
					counts[e.Spec.Type] = map[string]int{}
				}
				counts[e.Spec.Type][e.Spec.Subject.PodUID]++
			}
			for uid, name := range pods {
				if !liveUIDs[uid] {
					g.Expect(counts[gdprv1alpha1.AuditPodDeleted][uid]).To(Equal(1), "PodDeleted entries for pod %s, which is gone", name)
				}
			}
		}, 30*time.Second, time.Second).Should(Succeed())

		sequences := map[int64]bool{}
		var head int64
		recovered := 0
		for _, e := range list.Items {
			if e.Spec.Recovered {
				recovered++
			}
			Expect(sequences).NotTo(HaveKey(e.Spec.Sequence), "sequence %d appears twice", e.Spec.Sequence)
			sequences[e.Spec.Sequence] = true
			head = max(head, e.Spec.Sequence)
		}
		Expect(sequences).To(HaveLen(int(head)), "the sequence is gapless from 1 to %d", head)
		Expect(counts[gdprv1alpha1.AuditWorkloadCreated]).To(Equal(map[string]int{"": 1}), "one WorkloadCreated entry")
		GinkgoWriter.Printf("%d pods existed, %d changed in place; %d entries (%d recovered): %d PodCreated, %d PodDeleted, %d DriftDetected, %d PodReplaced\n",
			len(pods), len(tampered), len(list.Items), recovered, len(counts[gdprv1alpha1.AuditPodCreated]), len(counts[gdprv1alpha1.AuditPodDeleted]),
			len(counts[gdprv1alpha1.AuditDriftDetected]), len(counts[gdprv1alpha1.AuditPodReplaced]))
		Expect(len(pods)).To(BeNumerically(">", 5), "the burst made and removed pods")
		for uid, name := range pods {
			Expect(counts[gdprv1alpha1.AuditPodCreated][uid]).To(Equal(1), "PodCreated entries for pod %s", name)
		}
		for _, uid := range live {
			Expect(counts[gdprv1alpha1.AuditPodDeleted]).NotTo(HaveKey(uid), "a PodDeleted entry for running pod %s", pods[uid])
		}
		for _, t := range []gdprv1alpha1.AuditEventType{gdprv1alpha1.AuditPodCreated, gdprv1alpha1.AuditPodDeleted, gdprv1alpha1.AuditDriftDetected, gdprv1alpha1.AuditPodReplaced} {
			for uid, n := range counts[t] {
				Expect(pods).To(HaveKey(uid), "a %s entry for a pod that never existed", t)
				Expect(n).To(Equal(1), "%s entries for pod %s", t, pods[uid])
			}
		}
		for uid := range counts[gdprv1alpha1.AuditDriftDetected] {
			Expect(tampered).To(HaveKey(uid), "a DriftDetected entry for pod %s, which nobody changed", pods[uid])
		}
		for uid := range counts[gdprv1alpha1.AuditPodReplaced] {
			Expect(counts[gdprv1alpha1.AuditDriftDetected]).To(HaveKey(uid), "pod %s replaced without a DriftDetected entry", pods[uid])
		}
		Expect(counts[gdprv1alpha1.AuditDriftDetected]).To(HaveKey(gapTampered), "the pod changed while nobody led, %s, is found drifted by the new leader", pods[gapTampered])

		By("a chain that verifies online")
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=Verified", "auditledger/failover", "--timeout="+waitTimeout.String())
		out, err := k8s.Run(ctx, "amber", "verify", "-n", namespace, "failover", "--max-unsigned=20")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring(namespace + "/failover: OK"))

		By("and offline, from the new leader's export alone")
		// Each candidate writes its own export, and only while it leads: the new leader's
		// exporter starts with every entry already in its cache, so its file holds the whole
		// chain, the killed leader's entries too.
		Eventually(func() string {
			out, _ := k8s.Run(ctx, "amber", "verify", "-f", standby.exportPath, "--public-key", publicKeyFile(ctx), "--max-unsigned=20")
			return out
		}, 30*time.Second, time.Second).Should(MatchRegexp(`%s/failover: OK: entries 1 to (%d|%d),`, namespace, head, head+1),
			"the whole chain, with perhaps one checkpoint signed since it was listed")

		By("a graceful stop hands the lease over without waiting for it to expire")
		third := startCandidate("c")
		candidates = append(candidates, third)
		Eventually(func() string {
			data, _ := os.ReadFile(third.LogPath)
			return string(data)
		}, time.Minute, 200*time.Millisecond).Should(ContainSubstring("Attempting to acquire leader lease"))
		stoppedAt := time.Now()
		standby.Stop(30 * time.Second)
		stopped := time.Since(stoppedAt)
		var handedTo string
		Eventually(func() string {
			handedTo, acquiredAt = leaseHolder(ctx, clientset)
			return handedTo
		}, failoverLease+failoverRetry+failoverSlack, 100*time.Millisecond).Should(And(Not(BeEmpty()), Not(Equal(newHolder))))
		// The Lease is written before the manager logs that it acquired it: give the line a
		// moment to reach the log.
		Eventually(third.leads, 5*time.Second, 100*time.Millisecond).Should(BeTrue(), "the new holder %s is manager %s", handedTo, third.name)
		GinkgoWriter.Printf("graceful handover: manager %s stopped in %s; manager %s acquired the lease %s after the stop began\n",
			standby.name, stopped.Round(time.Millisecond), third.name, acquiredAt.Sub(stoppedAt).Round(time.Millisecond))
		// Released on cancel, the lease is free as the manager exits; the standby takes it at
		// its next retry (up to 1.2 retry periods, jittered). Unreleased, it would wait a lease
		// duration from the last renewal it saw, at most a retry period before the exit: the
		// bound tells the two apart.
		Expect(acquiredAt.Sub(stoppedAt)).To(BeNumerically("<", stopped+failoverLease-failoverRetry))
	})
})
