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

package controllers

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/residency"
	"github.com/amber-gdpr/amber/internal/revision"
)

const (
	timeout  = 20 * time.Second
	interval = 100 * time.Millisecond
)

// newNamespace creates a namespace of its own for one spec.
func newNamespace(ctx context.Context) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "amber-test-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// workload builds a GDPRWorkload running image with replicas pods.
func workload(namespace, name string, replicas int32, image string) *gdprv1alpha1.GDPRWorkload {
	return &gdprv1alpha1.GDPRWorkload{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: gdprv1alpha1.GDPRWorkloadSpec{
			Replicas: ptr.To(replicas),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
			},
		},
	}
}

// activePods lists the workload's pods that are not being deleted, straight from the API server.
func activePods(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) []corev1.Pod {
	list := &corev1.PodList{}
	Expect(k8sClient.List(ctx, list, client.InNamespace(w.Namespace), client.MatchingLabels{gdprv1alpha1.WorkloadLabel: w.Name})).To(Succeed())
	var active []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			active = append(active, p)
		}
	}
	return active
}

// actAsKubelet marks every pod of the workload Running and Ready, as a kubelet would.
func actAsKubelet(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) {
	for _, p := range activePods(ctx, w) {
		if podReady(&p) {
			continue
		}
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
		Expect(client.IgnoreNotFound(k8sClient.Status().Update(ctx, &p))).To(Succeed())
	}
}

// finalizePods removes pods marked for deletion, as a kubelet would once their containers
// stopped (envtest has none, so deleted pods would otherwise stay terminating forever).
func finalizePods(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) {
	list := &corev1.PodList{}
	Expect(k8sClient.List(ctx, list, client.InNamespace(w.Namespace))).To(Succeed())
	for _, p := range list.Items {
		if p.DeletionTimestamp != nil {
			Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, &p, client.GracePeriodSeconds(0)))).To(Succeed())
		}
	}
}

// changeSpec edits a workload's spec as kubectl edit would, retrying when the controller's
// status write got in between.
func changeSpec(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, edit func(*gdprv1alpha1.GDPRWorkload)) {
	GinkgoHelper()
	Eventually(func() error {
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(w), w); err != nil {
			return err
		}
		edit(w)
		return k8sClient.Update(ctx, w)
	}, timeout, interval).Should(Succeed())
}

func condition(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, conditionType string) func() *metav1.Condition {
	return func() *metav1.Condition {
		got := &gdprv1alpha1.GDPRWorkload{}
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got); err != nil {
			return nil
		}
		return meta.FindStatusCondition(got.Status.Conditions, conditionType)
	}
}

// eventuallyReady plays the kubelet until the workload reports Ready with replicas pods.
func eventuallyReady(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, replicas int) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		actAsKubelet(ctx, w)
		finalizePods(ctx, w)
		got := &gdprv1alpha1.GDPRWorkload{}
		g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
		ready := meta.FindStatusCondition(got.Status.Conditions, gdprv1alpha1.ReadyCondition)
		g.Expect(ready).NotTo(BeNil())
		g.Expect(ready.Status).To(Equal(metav1.ConditionTrue), ready.Message)
		g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		g.Expect(got.Status.ReadyReplicas).To(BeEquivalentTo(replicas))
		g.Expect(activePods(ctx, w)).To(HaveLen(replicas))
	}, timeout, interval).Should(Succeed())
}

var _ = Describe("GDPRWorkload validation", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	DescribeTable("the API server refuses bad input with a message naming the field",
		func(ctx SpecContext, mutate func(*gdprv1alpha1.GDPRWorkload), wantInMessage string) {
			w := workload(ns, "bad", 1, image("app:1"))
			mutate(w)
			err := k8sClient.Create(ctx, w)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid error, got %v", err)
			Expect(err.Error()).To(ContainSubstring(wantInMessage))
		},
		Entry("negative replicas", func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Replicas = ptr.To[int32](-1) },
			"spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"),
		Entry("a template without containers", func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Template.Spec.Containers = []corev1.Container{} },
			"spec.template.spec.containers: Invalid value: spec.template.spec.containers must list at least one container"),
		Entry("a container without an image", func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Template.Spec.Containers[0].Image = "" },
			"spec.template.spec.containers[].image is required"),
		Entry("an init container without an image", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "init"}}
		}, "spec.template.spec.initContainers[].image is required"),
		Entry("a name too long for a label value", func(w *gdprv1alpha1.GDPRWorkload) { w.Name = strings.Repeat("a", 64) },
			"metadata.name must be at most 63 characters"),
		Entry("a rollout that could never replace a pod", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Strategy = gdprv1alpha1.RolloutStrategy{MaxSurge: ptr.To(intstr.FromInt32(0)), MaxUnavailable: ptr.To(intstr.FromString("0%"))}
		}, "spec.strategy: maxSurge and maxUnavailable cannot both be 0"),
		Entry("a surge that is neither a number nor a percentage", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Strategy.MaxSurge = ptr.To(intstr.FromString("many"))
		}, "spec.strategy.maxSurge must be a non-negative number or a percentage"),
		Entry("a negative maxUnavailable", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Strategy.MaxUnavailable = ptr.To(intstr.FromInt32(-1))
		}, "spec.strategy.maxUnavailable must be a non-negative number or a percentage"),
		Entry("an allowed registry written as a URL", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.ImagePolicy.AllowedRegistries = []string{"https://registry.example"}
		}, "spec.imagePolicy.allowedRegistries: each entry is a registry host or repository prefix"),
		Entry("a refresh interval that would hammer the registry", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.ImagePolicy.RefreshInterval = &metav1.Duration{Duration: time.Second}
		}, "spec.imagePolicy.refreshInterval must be at least 10s"),
		Entry("a negative history limit", func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.RevisionHistoryLimit = ptr.To[int32](-1) },
			"spec.revisionHistoryLimit: Invalid value: -1"),
		Entry("a template that presets the region its pods run in", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Labels[corev1.LabelTopologyRegion] = "eu-west-1"
		}, "spec.template.metadata.labels may not set topology.kubernetes.io/ labels"),
		Entry("a template that presets the zone its pods run in", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Labels[corev1.LabelTopologyZone] = "eu-west-1a"
		}, "spec.template.metadata.labels may not set topology.kubernetes.io/ labels"),
		Entry("an allowed region that is no label value", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Residency.AllowedRegions = []string{"eu west 1"}
		}, "spec.residency.allowedRegions[0]: Invalid value: \"eu west 1\""),
		Entry("an allowed zone that is empty", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Residency.AllowedZones = []string{""}
		}, "spec.residency.allowedZones[0]"),
		Entry("an ignoreMetadata glob path.Match cannot read", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.DriftPolicy.IgnoreMetadata = []string{"example.com/*", "[["}
		}, `spec.driftPolicy.ignoreMetadata: "[[" is not a glob path.Match can read`),
		Entry("a container image that is no reference, after one that is", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Spec.Containers = append(w.Spec.Template.Spec.Containers, corev1.Container{Name: "sidecar", Image: "UPPER/Case::bad"})
		}, `spec.template.spec.containers[].image "UPPER/Case::bad" is not an image reference the kubelet can pull`),
		Entry("an init container image that is no reference", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "UPPER/Case::bad"}}
		}, `spec.template.spec.initContainers[].image "UPPER/Case::bad" is not an image reference the kubelet can pull`),
		Entry("more containers than the image rules can check", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Spec.Containers = nil
			for i := range gdprv1alpha1.MaxTemplateContainers + 1 {
				w.Spec.Template.Spec.Containers = append(w.Spec.Template.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i), Image: "nginx"})
			}
		}, "spec.template.spec.containers: Too many: 65: must have at most 64 items"),
		Entry("an image longer than any reference", func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Spec.Containers[0].Image = "registry.example/" + strings.Repeat("a", gdprv1alpha1.MaxImageLength)
		}, "spec.template.spec.containers[0].image: Too long: may not be more than 1024"),
	)

	It("accepts the globs path.Match reads and the references Amber and the kubelet both read", func(ctx SpecContext) {
		const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		w := workload(ns, "readable", 1, "nginx")
		w.Spec.DriftPolicy.IgnoreMetadata = []string{"app.kubernetes.io/*", "*", "a?b", "[abc]", "[a-z]x", "[^a]", `\*`, "[[]", `[\]]`}
		for i, ref := range []string{"nginx:1.27", "127.0.0.1:5001/team/app:v1", "registry.example.com/a/b@" + digest,
			"a/b:tag@" + digest, "localhost:5000/x", "Registry.Example/app", "[::1]:5000/app"} {
			w.Spec.Template.Spec.Containers = append(w.Spec.Template.Spec.Containers, corev1.Container{Name: fmt.Sprintf("c%d", i), Image: ref})
		}
		w.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "ghcr.io/a_b/c__d/e-f--g.h:1.0.0-rc.1"}}
		// A dry run: the API server validates the workload in full, and no reconciler tries
		// to pin images from registries the suite does not run.
		Expect(k8sClient.Create(ctx, w, client.DryRunAll)).To(Succeed())
	})

	It("refuses a workload without a template", func(ctx SpecContext) {
		u := map[string]any{
			"apiVersion": gdprv1alpha1.GroupVersion.String(),
			"kind":       "GDPRWorkload",
			"metadata":   map[string]any{"name": "no-template", "namespace": ns},
			"spec":       map[string]any{"replicas": int64(1)},
		}
		err := k8sClient.Create(ctx, unstructuredFrom(u))
		Expect(err).To(MatchError(ContainSubstring(`spec.template: Required value`)))
	})

	It("defaults replicas to 1", func(ctx SpecContext) {
		w := workload(ns, "defaulted", 1, image("app:1"))
		w.Spec.Replicas = nil
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		Expect(w.Spec.Replicas).To(HaveValue(BeEquivalentTo(1)))
		Expect(w.Spec.RevisionHistoryLimit).To(HaveValue(BeEquivalentTo(10)))
		Expect(w.Spec.Strategy.MaxSurge).To(HaveValue(Equal(intstr.FromInt32(1))))
		Expect(w.Spec.Strategy.MaxUnavailable).To(HaveValue(Equal(intstr.FromInt32(0))))
		Expect(w.Spec.ImagePolicy.RefreshInterval).To(BeNil(), "pinned until the template changes")
	})
})

var _ = Describe("GDPRWorkload reconciler", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("creates labelled, owned pods and reports Ready once they are", func(ctx SpecContext) {
		w := workload(ns, "payments", 3, image("payments:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())

		Eventually(func() []corev1.Pod { return activePods(ctx, w) }, timeout, interval).Should(HaveLen(3))
		Consistently(func() []corev1.Pod { return activePods(ctx, w) }, time.Second, interval).Should(HaveLen(3),
			"no duplicate pods while the cache catches up")

		Eventually(condition(ctx, w, gdprv1alpha1.ReconcilingCondition), timeout, interval).Should(
			HaveField("Status", metav1.ConditionTrue))
		Expect(condition(ctx, w, gdprv1alpha1.ReadyCondition)()).To(HaveField("Status", metav1.ConditionFalse))

		got := &gdprv1alpha1.GDPRWorkload{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
		revision := got.Status.UpdateRevision
		Expect(revision).To(MatchRegexp(`^[0-9a-f]{10}$`))
		for _, p := range activePods(ctx, w) {
			Expect(p.Labels).To(HaveKeyWithValue(gdprv1alpha1.WorkloadLabel, "payments"))
			Expect(p.Labels).To(HaveKeyWithValue(gdprv1alpha1.RevisionLabel, revision))
			Expect(p.Labels).To(HaveKeyWithValue("app", "payments"), "template labels are kept")
			owner := metav1.GetControllerOf(&p)
			Expect(owner).NotTo(BeNil())
			Expect(owner.UID).To(Equal(got.UID))
			Expect(p.Spec.Containers[0].Image).To(Equal(image("payments:1")+"@"+digestOf("payments:1")), "the pod runs the pinned digest, the tag kept to read")
		}

		eventuallyReady(ctx, w, 3)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
		Expect(got.Status.CurrentRevision).To(Equal(revision))
		Expect(got.Status.Selector).To(Equal("gdpr.amber.dev/workload=payments"))
		Expect(meta.FindStatusCondition(got.Status.Conditions, gdprv1alpha1.ReconcilingCondition)).To(BeNil(),
			"kstatus: Reconciling is removed once converged")
		Expect(meta.FindStatusCondition(got.Status.Conditions, gdprv1alpha1.StalledCondition)).To(BeNil())

		Eventually(func() []string { return eventReasons(ctx, ns) }, timeout, interval).Should(ContainElement(gdprv1alpha1.EventPodCreated))
	})

	It("requires every pod it creates to run in the allowed regions and zones, keeping the template's own node terms", func(ctx SpecContext) {
		w := workload(ns, "resident", 2, image("app:1"))
		w.Spec.Template.Labels["topology-free"] = "yes" // a label of the user's own is kept
		w.Spec.Residency = gdprv1alpha1.Residency{AllowedRegions: []string{"eu-west-1", "eu-central-1"}, AllowedZones: []string{"eu-west-1a", "eu-central-1a"}}
		disk := corev1.NodeSelectorRequirement{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"ssd"}}
		gpu := corev1.NodeSelectorRequirement{Key: "gpu", Operator: corev1.NodeSelectorOpExists}
		w.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
				{MatchExpressions: []corev1.NodeSelectorRequirement{disk}},
				{MatchExpressions: []corev1.NodeSelectorRequirement{gpu}},
			}},
		}}
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		Eventually(func() []corev1.Pod { return activePods(ctx, w) }, timeout, interval).Should(HaveLen(2))

		region := corev1.NodeSelectorRequirement{Key: corev1.LabelTopologyRegion, Operator: corev1.NodeSelectorOpIn, Values: []string{"eu-central-1", "eu-west-1"}}
		zone := corev1.NodeSelectorRequirement{Key: corev1.LabelTopologyZone, Operator: corev1.NodeSelectorOpIn, Values: []string{"eu-central-1a", "eu-west-1a"}}
		for _, p := range activePods(ctx, w) {
			Expect(p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms).To(Equal([]corev1.NodeSelectorTerm{
				{MatchExpressions: []corev1.NodeSelectorRequirement{disk, region, zone}},
				{MatchExpressions: []corev1.NodeSelectorRequirement{gpu, region, zone}},
			}), "each of the user's terms ANDed with the residency: the terms are ORed")
		}
		got := &gdprv1alpha1.GDPRWorkload{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
		Expect(got.Spec.Template.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[0].MatchExpressions).To(
			Equal([]corev1.NodeSelectorRequirement{disk}), "the workload's own template is not written to")
	})

	It("replaces a deleted pod", func(ctx SpecContext) {
		w := workload(ns, "replace", 2, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)

		victim := activePods(ctx, w)[0]
		Expect(k8sClient.Delete(ctx, &victim)).To(Succeed())
		Eventually(func(g Gomega) {
			pods := activePods(ctx, w)
			g.Expect(pods).To(HaveLen(2))
			g.Expect(pods).NotTo(ContainElement(HaveField("UID", victim.UID)))
		}, timeout, interval).Should(Succeed())
		eventuallyReady(ctx, w, 2)
	})

	It("follows the scale subresource up and down", func(ctx SpecContext) {
		w := workload(ns, "scaled", 3, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 3)

		for _, replicas := range []int32{5, 1, 0} {
			scale := &autoscalingv1.Scale{}
			Expect(k8sClient.SubResource("scale").Get(ctx, w, scale)).To(Succeed())
			Expect(scale.Status.Selector).To(Equal("gdpr.amber.dev/workload=scaled"))
			scale.Spec.Replicas = replicas
			Expect(k8sClient.SubResource("scale").Update(ctx, w, client.WithSubResourceBody(scale))).To(Succeed())
			eventuallyReady(ctx, w, int(replicas))
		}
	})

	It("replaces pods of an older template surge-first, never below the desired Ready pods", func(ctx SpecContext) {
		w := workload(ns, "rollout", 2, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		before := &gdprv1alpha1.GDPRWorkload{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), before)).To(Succeed())

		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) {
			w.Spec.Template.Spec.Containers[0].Image = image("app:2")
		})

		// Without a kubelet the surge pod never gets Ready: the old pods must stay.
		Eventually(func() []corev1.Pod { return activePods(ctx, w) }, timeout, interval).Should(HaveLen(3))
		Consistently(func(g Gomega) {
			pods := activePods(ctx, w)
			g.Expect(pods).To(HaveLen(3))
			old := 0
			for _, p := range pods {
				if p.Labels[gdprv1alpha1.RevisionLabel] == before.Status.CurrentRevision {
					old++
				}
			}
			g.Expect(old).To(Equal(2))
		}, 2*time.Second, interval).Should(Succeed())
		Expect(condition(ctx, w, gdprv1alpha1.ReconcilingCondition)()).To(HaveField("Reason", gdprv1alpha1.ReasonRollingOut))

		eventuallyReady(ctx, w, 2)
		after := &gdprv1alpha1.GDPRWorkload{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), after)).To(Succeed())
		Expect(after.Status.CurrentRevision).NotTo(Equal(before.Status.CurrentRevision))
		for _, p := range activePods(ctx, w) {
			Expect(p.Spec.Containers[0].Image).To(Equal(image("app:2") + "@" + digestOf("app:2")))
			Expect(p.Labels).To(HaveKeyWithValue(gdprv1alpha1.RevisionLabel, after.Status.CurrentRevision))
		}
	})

	It("stalls with the API server's message when it refuses the template's pods", func(ctx SpecContext) {
		w := workload(ns, "invalid", 1, image("app:1"))
		w.Spec.Template.Spec.Containers[0].Name = "Not_A_DNS_Label"
		// Applied, the webhook would refuse it (Validation at apply time); a workload stored past
		// that check (applied before the webhook was installed, or while a namespace's policy
		// differed) is made here by the manager's own user, which the webhook exempts.
		Expect(managerClient.Create(ctx, w)).To(Succeed(), "the CRD does not repeat every pod validation")

		Eventually(condition(ctx, w, gdprv1alpha1.StalledCondition), timeout, interval).Should(And(
			HaveField("Status", metav1.ConditionTrue),
			HaveField("Reason", gdprv1alpha1.ReasonPodRejected),
			HaveField("Message", ContainSubstring(`spec.containers[0].name: Invalid value: "Not_A_DNS_Label"`)),
		))
		Expect(condition(ctx, w, gdprv1alpha1.ReadyCondition)()).To(HaveField("Status", metav1.ConditionFalse))
		Expect(condition(ctx, w, gdprv1alpha1.ReconcilingCondition)()).To(BeNil(), "kstatus: a stalled workload is not Reconciling")
		Eventually(func() []string { return eventReasons(ctx, ns) }, timeout, interval).Should(ContainElement(gdprv1alpha1.EventPodRejected))

		By("fixing the template, the workload recovers")
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Template.Spec.Containers[0].Name = "app" })
		eventuallyReady(ctx, w, 1)
		Expect(condition(ctx, w, gdprv1alpha1.StalledCondition)()).To(BeNil())
	})

	It("does not adopt pods of a deleted workload of the same name", func(ctx SpecContext) {
		w := workload(ns, "reborn", 1, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		// A pod left behind by an earlier workload of the same name, which the garbage
		// collector has not removed yet.
		orphan := podOf(w, "0000000000")
		orphan.OwnerReferences[0].UID = "an-earlier-workload"
		Expect(managerClient.Create(ctx, orphan)).To(Succeed()) // made by Amber, for the earlier workload

		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			got := &gdprv1alpha1.GDPRWorkload{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
			g.Expect(meta.IsStatusConditionTrue(got.Status.Conditions, gdprv1alpha1.ReadyCondition)).To(BeTrue())
			var own []string
			for _, p := range activePods(ctx, w) {
				if ownedBy(&p, got) {
					own = append(own, p.Name)
				}
			}
			g.Expect(own).To(HaveLen(1))
			g.Expect(own).NotTo(ContainElement(orphan.Name))
		}, timeout, interval).Should(Succeed())
		Expect(activePods(ctx, w)).To(ContainElement(HaveField("Name", orphan.Name)), "the orphan is left alone")
	})
})

var _ = Describe("GDPRWorkload status subresource", func() {
	It("ignores status sent with the spec", func(ctx SpecContext) {
		ns := newNamespace(ctx)
		w := workload(ns, "status", 0, image("app:1"))
		w.Status.ReadyReplicas = 42
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		got := &gdprv1alpha1.GDPRWorkload{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
		Expect(got.Status.ReadyReplicas).To(BeZero())
	})
})

func eventReasons(ctx context.Context, namespace string) []string {
	list := &eventsv1.EventList{}
	Expect(k8sClient.List(ctx, list, client.InNamespace(namespace))).To(Succeed())
	reasons := make([]string, 0, len(list.Items))
	for _, e := range list.Items {
		reasons = append(reasons, e.Reason)
	}
	return reasons
}

func unstructuredFrom(object map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: object}
}

// podOf makes a pod of the workload as Amber would at revision id, as if another manager (or
// an earlier run) had made it.
func podOf(w *gdprv1alpha1.GDPRWorkload, id string) *corev1.Pod {
	GinkgoHelper()
	pins := make([]gdprv1alpha1.PinnedImage, 0, len(w.Spec.Template.Spec.Containers))
	for _, c := range w.Spec.Template.Spec.Containers {
		pins = append(pins, gdprv1alpha1.PinnedImage{Container: c.Name, Image: c.Image, Pinned: c.Image})
	}
	pod, err := newPod(w, revision.Revision{ID: id, Template: w.Spec.Template, Pins: pins}, residency.DefaultKeys)
	Expect(err).NotTo(HaveOccurred())
	return pod
}
