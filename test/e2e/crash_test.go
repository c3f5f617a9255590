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
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	watchtools "k8s.io/client-go/tools/watch"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

func crashWorkload() string {
	return fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: burst
spec:
  replicas: 2
  template:
    spec:
      imagePullSecrets:
      - name: %s
      containers:
      - name: app
        image: %s
`, pullSecret, image(burstImage))
}

// watchPodUIDs records the UID of every pod of workload that ever exists, from the API
// server's own watch: the ground truth the ledger is checked against.
func watchPodUIDs(ctx context.Context, workload string) (map[string]string, *sync.Mutex) {
	GinkgoHelper()
	config, err := clientcmd.BuildConfigFromFlags("", k8s.Kubeconfig)
	Expect(err).NotTo(HaveOccurred())
	clientset, err := kubernetes.NewForConfig(config)
	Expect(err).NotTo(HaveOccurred())
	pods := clientset.CoreV1().Pods(namespace)
	selector := gdprv1alpha1.WorkloadLabel + "=" + workload
	list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: selector})
	Expect(err).NotTo(HaveOccurred())
	seen := map[string]string{}
	var mu sync.Mutex
	for _, p := range list.Items {
		seen[string(p.UID)] = p.Name
	}
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, list.ResourceVersion, &cache.ListWatch{
		WatchFuncWithContext: func(ctx context.Context, options metav1.ListOptions) (watch.Interface, error) {
			options.LabelSelector = selector
			return pods.Watch(ctx, options)
		},
	})
	Expect(err).NotTo(HaveOccurred())
	go func() {
		for ev := range rw.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok {
				mu.Lock()
				seen[string(p.UID)] = p.Name
				mu.Unlock()
			}
		}
	}()
	DeferCleanup(rw.Stop)
	return seen, &mu
}

var _ = Describe("The audit ledger across manager crashes", Ordered, func() {
	It("records exactly one creation and one deletion per pod, in a gapless chain that verifies", func(ctx SpecContext) {
		_, err := k8s.RunWithInput(ctx, crashWorkload(), "apply", "--server-side", "-n", namespace, "-f", "-")
		Expect(err).NotTo(HaveOccurred())
		kubectl(ctx, "wait", "-n", namespace, "--for=condition=Ready", "gdprw/burst", "--timeout="+waitTimeout.String())
		seen, mu := watchPodUIDs(ctx, "burst")

		By("scaling in bursts while the manager is killed at random moments and restarted")
		rng := rand.New(rand.NewPCG(uint64(GinkgoRandomSeed()), 2))
		stopScaling := make(chan struct{})
		scaled := make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(scaled)
			for {
				select {
				case <-stopScaling:
					return
				case <-time.After(time.Duration(200+rng.IntN(500)) * time.Millisecond):
				}
				_, _ = k8s.Run(ctx, "scale", "-n", namespace, "gdprw/burst", fmt.Sprintf("--replicas=%d", rng.IntN(7)))
			}
		}()
		kills := 0
		for deadline := time.Now().Add(40 * time.Second); time.Now().Before(deadline); kills++ {
			time.Sleep(time.Duration(300+rng.IntN(2500)) * time.Millisecond)
			manager.Kill()
			manager = startManager()
		}
		close(stopScaling)
		<-scaled
		GinkgoWriter.Printf("killed the manager %d times\n", kills)

		By("ending the workload's life, so that every pod it had is deleted")
		kubectl(ctx, "delete", "-n", namespace, "gdprw/burst", "--wait=true", "--timeout="+waitTimeout.String())
		Eventually(func() string {
			return kubectl(ctx, "get", "ae", "-n", namespace, "-l", "gdpr.amber.dev/workload=burst,gdpr.amber.dev/type=WorkloadDeleted", "-o", "name")
		}, waitTimeout, time.Second).ShouldNot(BeEmpty())

		var list gdprv1alpha1.AuditEventList
		Expect(json.Unmarshal([]byte(kubectl(ctx, "get", "ae", "-n", namespace, "-l", "gdpr.amber.dev/workload=burst", "-o", "json")), &list)).To(Succeed())
		created, deleted := map[string]int{}, map[string]int{}
		workloadEntries := map[gdprv1alpha1.AuditEventType]int{}
		sequences := map[int64]bool{}
		recovered := 0
		var head int64
		for _, e := range list.Items {
			Expect(sequences).NotTo(HaveKey(e.Spec.Sequence), "sequence %d appears twice", e.Spec.Sequence)
			sequences[e.Spec.Sequence] = true
			head = max(head, e.Spec.Sequence)
			if e.Spec.Recovered {
				recovered++
			}
			switch e.Spec.Type {
			case gdprv1alpha1.AuditWorkloadCreated, gdprv1alpha1.AuditWorkloadDeleted:
				workloadEntries[e.Spec.Type]++
			case gdprv1alpha1.AuditDriftDetected:
				Fail(fmt.Sprintf("nobody changed a pod, yet entry %d says %s: a restarted manager must take each pod's recorded baseline back, not see drift", e.Spec.Sequence, e.Spec.Message))
			case gdprv1alpha1.AuditPodCreated:
				created[e.Spec.Subject.PodUID]++
			case gdprv1alpha1.AuditPodDeleted:
				deleted[e.Spec.Subject.PodUID]++
			}
		}
		Expect(sequences).To(HaveLen(int(head)), "the sequence is gapless from 1 to %d", head)
		Expect(workloadEntries).To(Equal(map[gdprv1alpha1.AuditEventType]int{gdprv1alpha1.AuditWorkloadCreated: 1, gdprv1alpha1.AuditWorkloadDeleted: 1}),
			"one entry for the workload's creation and one for its deletion, however often the manager restarted")

		mu.Lock()
		defer mu.Unlock()
		GinkgoWriter.Printf("%d pods existed; %d entries, %d of them recovered\n", len(seen), len(list.Items), recovered)
		Expect(len(seen)).To(BeNumerically(">", 5), "the burst made and removed pods")
		for uid, name := range seen {
			Expect(created[uid]).To(Equal(1), "PodCreated entries for pod %s", name)
			Expect(deleted[uid]).To(Equal(1), "PodDeleted entries for pod %s", name)
		}
		for uid := range created {
			Expect(seen).To(HaveKey(uid), "a PodCreated entry for a pod that never existed")
		}
		for uid := range deleted {
			Expect(seen).To(HaveKey(uid), "a PodDeleted entry for a pod that never existed")
		}

		out, err := k8s.Run(ctx, "amber", "verify", "-n", namespace, "burst", "--max-unsigned=20")
		Expect(err).NotTo(HaveOccurred(), out)
		Expect(out).To(ContainSubstring(namespace + "/burst: OK"))

		By("the export, written by every manager that ran, holds the whole chain")
		Eventually(func() string {
			out, _ := k8s.Run(ctx, "amber", "verify", "-f", exportPath(), "--public-key", publicKeyFile(ctx), "--max-unsigned=20")
			return out
		}, 30*time.Second, time.Second).Should(MatchRegexp(`%s/burst: OK: entries 1 to (%d|%d),`, namespace, head, head+1),
			"the whole chain, with perhaps one checkpoint signed since it was listed")
	})
})
