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
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/drift"
	"github.com/amber-gdpr/amber/internal/hardening"
)

const (
	immutable = gdprv1alpha1.HardeningImmutable
	baseline  = gdprv1alpha1.HardeningBaseline
)

// inContainer sets the security context of the template's first container.
func inContainer(edit func(*corev1.SecurityContext)) func(*corev1.PodSpec) {
	return func(spec *corev1.PodSpec) {
		sc := &corev1.SecurityContext{}
		edit(sc)
		spec.Containers[0].SecurityContext = sc
	}
}

// inInitContainer adds an init container with the security context edit makes.
func inInitContainer(edit func(*corev1.SecurityContext)) func(*corev1.PodSpec) {
	return func(spec *corev1.PodSpec) {
		sc := &corev1.SecurityContext{}
		edit(sc)
		spec.InitContainers = append(spec.InitContainers, corev1.Container{Name: "migrate", Image: "registry.example/migrate:1", SecurityContext: sc})
	}
}

// inPod sets the template's pod-level security context.
func inPod(edit func(*corev1.PodSecurityContext)) func(*corev1.PodSpec) {
	return func(spec *corev1.PodSpec) {
		sc := &corev1.PodSecurityContext{}
		edit(sc)
		spec.SecurityContext = sc
	}
}

func hostPathVolume(spec *corev1.PodSpec) {
	spec.Volumes = []corev1.Volume{{Name: "docker", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock"}}}}
}

func emptyDirVolume(spec *corev1.PodSpec) {
	spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
}

var _ = Describe("Hardening validation", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	// Each rule gets a template that breaks it and one that does not; refused is the start
	// of the rule's message, empty for a template the API server must admit. The same
	// templates are held against hardening.Violations once hardening.Apply has filled them
	// in, as on a pod: what the API server admits, Amber's pods comply with.
	DescribeTable("the API server refuses a template that contradicts its hardening profile, naming the field and the profile",
		func(ctx SpecContext, profile gdprv1alpha1.HardeningProfile, edit func(*corev1.PodSpec), refused string) {
			w := workload(ns, "hardened", 1, "registry.example/app:1")
			w.Spec.Hardening.Profile = profile
			edit(&w.Spec.Template.Spec)
			// A dry run: the API server validates the workload in full, and no reconciler
			// pins images from a registry the suite does not run.
			err := k8sClient.Create(ctx, w, client.DryRunAll)

			spec := w.Spec.Template.Spec.DeepCopy()
			hardening.Apply(spec, profile)
			violations := hardening.Violations(spec, profile)
			if refused == "" {
				Expect(err).NotTo(HaveOccurred())
				Expect(violations).To(BeEmpty(), "a template the API server admits makes pods that comply")
				return
			}
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want an Invalid error, got %v", err)
			Expect(err.Error()).To(ContainSubstring(refused))
			Expect(violations).NotTo(BeEmpty(), "a template the API server refuses would make pods that do not comply")
			field := strings.NewReplacer("spec.template.", "", "initContainers[]", "initContainers[migrate]", "containers[]", "containers[app]", "volumes[]", "volumes[docker]").
				Replace(strings.Fields(refused)[0])
			Expect(violations).To(ContainElement(HaveField("Field", field)), "hardening.Violations names the field the rule does")
		},
		Entry("a privileged container under Immutable", immutable, inContainer(func(sc *corev1.SecurityContext) { sc.Privileged = ptr.To(true) }),
			"spec.template.spec.containers[].securityContext.privileged may not be true under spec.hardening.profile Immutable or Baseline"),
		Entry("a privileged container under Baseline", baseline, inContainer(func(sc *corev1.SecurityContext) { sc.Privileged = ptr.To(true) }),
			"spec.template.spec.containers[].securityContext.privileged may not be true under spec.hardening.profile Immutable or Baseline"),
		Entry("a container that is said not to be privileged", baseline, inContainer(func(sc *corev1.SecurityContext) { sc.Privileged = ptr.To(false) }), ""),
		Entry("a privileged init container", baseline, inInitContainer(func(sc *corev1.SecurityContext) { sc.Privileged = ptr.To(true) }),
			"spec.template.spec.initContainers[].securityContext.privileged may not be true under spec.hardening.profile Immutable or Baseline"),
		Entry("an init container that is said not to be privileged", immutable, inInitContainer(func(sc *corev1.SecurityContext) { sc.Privileged = ptr.To(false) }), ""),
		Entry("the node's network", baseline, func(s *corev1.PodSpec) { s.HostNetwork = true },
			"spec.template.spec.hostNetwork may not be true under spec.hardening.profile Immutable or Baseline"),
		Entry("the pod's own network, said so", baseline, func(s *corev1.PodSpec) { s.HostNetwork = false }, ""),
		Entry("the node's processes", immutable, func(s *corev1.PodSpec) { s.HostPID = true },
			"spec.template.spec.hostPID may not be true under spec.hardening.profile Immutable or Baseline"),
		Entry("the pod's own processes, said so", immutable, func(s *corev1.PodSpec) { s.HostPID = false }, ""),
		Entry("the node's shared memory", baseline, func(s *corev1.PodSpec) { s.HostIPC = true },
			"spec.template.spec.hostIPC may not be true under spec.hardening.profile Immutable or Baseline"),
		Entry("the pod's own shared memory, said so", baseline, func(s *corev1.PodSpec) { s.HostIPC = false }, ""),
		Entry("a hostPath volume", baseline, hostPathVolume,
			"spec.template.spec.volumes[].hostPath may not be set under spec.hardening.profile Immutable or Baseline"),
		Entry("an emptyDir volume", immutable, emptyDirVolume, ""),

		Entry("a writable root filesystem under Immutable", immutable, inContainer(func(sc *corev1.SecurityContext) { sc.ReadOnlyRootFilesystem = ptr.To(false) }),
			"spec.template.spec.containers[].securityContext.readOnlyRootFilesystem may not be false under spec.hardening.profile Immutable"),
		Entry("a writable root filesystem under Baseline", baseline, inContainer(func(sc *corev1.SecurityContext) { sc.ReadOnlyRootFilesystem = ptr.To(false) }), ""),
		Entry("an init container's writable root filesystem under Immutable", immutable, inInitContainer(func(sc *corev1.SecurityContext) { sc.ReadOnlyRootFilesystem = ptr.To(false) }),
			"spec.template.spec.initContainers[].securityContext.readOnlyRootFilesystem may not be false under spec.hardening.profile Immutable"),
		Entry("an init container's read-only root filesystem, said so", immutable, inInitContainer(func(sc *corev1.SecurityContext) { sc.ReadOnlyRootFilesystem = ptr.To(true) }), ""),

		Entry("privilege escalation under Immutable", immutable, inContainer(func(sc *corev1.SecurityContext) { sc.AllowPrivilegeEscalation = ptr.To(true) }),
			"spec.template.spec.containers[].securityContext.allowPrivilegeEscalation may not be true under spec.hardening.profile Immutable"),
		Entry("privilege escalation under Baseline", baseline, inContainer(func(sc *corev1.SecurityContext) { sc.AllowPrivilegeEscalation = ptr.To(true) }), ""),
		Entry("an init container's privilege escalation under Immutable", immutable, inInitContainer(func(sc *corev1.SecurityContext) { sc.AllowPrivilegeEscalation = ptr.To(true) }),
			"spec.template.spec.initContainers[].securityContext.allowPrivilegeEscalation may not be true under spec.hardening.profile Immutable"),
		Entry("an init container's privilege escalation under Baseline", baseline, inInitContainer(func(sc *corev1.SecurityContext) { sc.AllowPrivilegeEscalation = ptr.To(true) }), ""),

		Entry("a container allowed to run as root under Immutable", immutable, inContainer(func(sc *corev1.SecurityContext) { sc.RunAsNonRoot = ptr.To(false) }),
			"spec.template.spec.containers[].securityContext.runAsNonRoot may not be false under spec.hardening.profile Immutable"),
		Entry("a container allowed to run as root under Baseline", baseline, inContainer(func(sc *corev1.SecurityContext) { sc.RunAsNonRoot = ptr.To(false) }), ""),
		Entry("an init container allowed to run as root under Immutable", immutable, inInitContainer(func(sc *corev1.SecurityContext) { sc.RunAsNonRoot = ptr.To(false) }),
			"spec.template.spec.initContainers[].securityContext.runAsNonRoot may not be false under spec.hardening.profile Immutable"),
		Entry("an init container allowed to run as root under Baseline", baseline, inInitContainer(func(sc *corev1.SecurityContext) { sc.RunAsNonRoot = ptr.To(false) }), ""),
		Entry("a pod allowed to run as root under Immutable", immutable, inPod(func(sc *corev1.PodSecurityContext) { sc.RunAsNonRoot = ptr.To(false) }),
			"spec.template.spec.securityContext.runAsNonRoot may not be false under spec.hardening.profile Immutable"),
		Entry("a pod required to run as non-root, said so", immutable, inPod(func(sc *corev1.PodSecurityContext) { sc.RunAsNonRoot = ptr.To(true) }), ""),

		Entry("a container run as root under Immutable", immutable, inContainer(func(sc *corev1.SecurityContext) { sc.RunAsUser = ptr.To[int64](0) }),
			"spec.template.spec.containers[].securityContext.runAsUser may not be 0 (root) under spec.hardening.profile Immutable"),
		Entry("a container run as another user under Immutable", immutable, inContainer(func(sc *corev1.SecurityContext) { sc.RunAsUser = ptr.To[int64](1000) }), ""),
		Entry("an init container run as root under Immutable", immutable, inInitContainer(func(sc *corev1.SecurityContext) { sc.RunAsUser = ptr.To[int64](0) }),
			"spec.template.spec.initContainers[].securityContext.runAsUser may not be 0 (root) under spec.hardening.profile Immutable"),
		Entry("an init container run as root under Baseline", baseline, inInitContainer(func(sc *corev1.SecurityContext) { sc.RunAsUser = ptr.To[int64](0) }), ""),
		Entry("a pod run as root under Immutable", immutable, inPod(func(sc *corev1.PodSecurityContext) { sc.RunAsUser = ptr.To[int64](0) }),
			"spec.template.spec.securityContext.runAsUser may not be 0 (root) under spec.hardening.profile Immutable"),
		Entry("a pod run as root under Baseline", baseline, inPod(func(sc *corev1.PodSecurityContext) { sc.RunAsUser = ptr.To[int64](0) }), ""),

		Entry("a capability added under Immutable, after the one allowed", immutable, inContainer(func(sc *corev1.SecurityContext) {
			sc.Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE", "NET_ADMIN"}}
		}), "spec.template.spec.containers[].securityContext.capabilities.add may list only NET_BIND_SERVICE under spec.hardening.profile Immutable"),
		Entry("NET_BIND_SERVICE added under Immutable", immutable, inContainer(func(sc *corev1.SecurityContext) {
			sc.Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}}
		}), ""),
		Entry("an init container's capability added under Immutable", immutable, inInitContainer(func(sc *corev1.SecurityContext) {
			sc.Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}}
		}), "spec.template.spec.initContainers[].securityContext.capabilities.add may list only NET_BIND_SERVICE under spec.hardening.profile Immutable"),
		Entry("an init container's capability added under Baseline", baseline, inInitContainer(func(sc *corev1.SecurityContext) {
			sc.Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}}
		}), ""),
		Entry("an unconfined container under Immutable", immutable, inContainer(func(sc *corev1.SecurityContext) {
			sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}), "spec.template.spec.containers[].securityContext.seccompProfile.type may not be Unconfined under spec.hardening.profile Immutable"),
		Entry("a container confined by a profile on the node under Immutable", immutable, inContainer(func(sc *corev1.SecurityContext) {
			sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("profiles/app.json")}
		}), ""),
		Entry("an unconfined init container under Immutable", immutable, inInitContainer(func(sc *corev1.SecurityContext) {
			sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}), "spec.template.spec.initContainers[].securityContext.seccompProfile.type may not be Unconfined under spec.hardening.profile Immutable"),
		Entry("an unconfined init container under Baseline", baseline, inInitContainer(func(sc *corev1.SecurityContext) {
			sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}), ""),
		Entry("an unconfined pod under Immutable", immutable, inPod(func(sc *corev1.PodSecurityContext) {
			sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}), "spec.template.spec.securityContext.seccompProfile.type may not be Unconfined under spec.hardening.profile Immutable"),
		Entry("a pod on the runtime's default profile, said so", immutable, inPod(func(sc *corev1.PodSecurityContext) {
			sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
		}), ""),
	)

	It("refuses more added capabilities than the rule can read", func(ctx SpecContext) {
		w := workload(ns, "capable", 1, "registry.example/app:1")
		w.Spec.Hardening.Profile = baseline
		add := make([]corev1.Capability, gdprv1alpha1.MaxCapabilities+1)
		for i := range add {
			add[i] = "NET_BIND_SERVICE"
		}
		w.Spec.Template.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: add}}
		err := k8sClient.Create(ctx, w, client.DryRunAll)
		Expect(err).To(MatchError(ContainSubstring("spec.template.spec.containers[0].securityContext.capabilities.add: Too many: 65: must have at most 64 items")))
	})

	It("defaults the profile to Immutable and refuses any other", func(ctx SpecContext) {
		w := workload(ns, "defaulted", 1, "registry.example/app:1")
		Expect(k8sClient.Create(ctx, w, client.DryRunAll)).To(Succeed())
		Expect(w.Spec.Hardening.Profile).To(Equal(immutable))

		w = workload(ns, "unknown", 1, "registry.example/app:1")
		w.Spec.Hardening.Profile = "Restricted"
		err := k8sClient.Create(ctx, w, client.DryRunAll)
		Expect(err).To(MatchError(ContainSubstring(`spec.hardening.profile: Unsupported value: "Restricted": supported values: "Immutable", "Baseline"`)))
	})
})

// lockedDown is the security context a container the template left unset gets under
// Immutable.
func lockedDown() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		RunAsNonRoot:             ptr.To(true),
		ReadOnlyRootFilesystem:   ptr.To(true),
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

var _ = Describe("Hardening", func() {
	var ns string
	BeforeEach(func(ctx SpecContext) { ns = newNamespace(ctx) })

	It("locks down every pod it creates, filling in only what the template left unset, and never writes the workload", func(ctx SpecContext) {
		w := workload(ns, "locked", 2, image("app:1"))
		w.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "migrate", Image: image("app:1")}}
		w.Spec.Template.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)}
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		Eventually(func() []corev1.Pod { return activePods(ctx, w) }, timeout, interval).Should(HaveLen(2))

		app := lockedDown()
		app.RunAsUser = ptr.To[int64](1000)
		for _, p := range activePods(ctx, w) {
			Expect(p.Spec.Containers[0].SecurityContext).To(Equal(app), "the template's own setting kept, the rest filled in")
			Expect(p.Spec.InitContainers[0].SecurityContext).To(Equal(lockedDown()))
			Expect(p.Spec.AutomountServiceAccountToken).To(HaveValue(BeFalse()))
			Expect(hardening.Violations(&p.Spec, immutable)).To(BeEmpty())
		}

		By("the settings are part of the drift baseline recorded when each pod was created")
		Eventually(func(g Gomega) {
			recorded := map[string]string{}
			for _, e := range entriesOf(ctx, ns, w.Name) {
				if e.Spec.Type == gdprv1alpha1.AuditPodCreated {
					recorded[e.Spec.Subject.PodUID] = e.Spec.Fingerprints.After
				}
			}
			pods := activePods(ctx, w)
			g.Expect(pods).To(HaveLen(2))
			for _, p := range pods {
				g.Expect(recorded).To(HaveKeyWithValue(string(p.UID), drift.Fingerprint(drift.BaselineOf(&p))))
				unhardened := p.DeepCopy()
				unhardened.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)}
				g.Expect(drift.Fingerprint(drift.BaselineOf(unhardened))).NotTo(Equal(recorded[string(p.UID)]))
			}
		}, timeout, interval).Should(Succeed())

		got := &gdprv1alpha1.GDPRWorkload{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
		Expect(got.Spec.Template.Spec.Containers[0].SecurityContext).To(Equal(&corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)}),
			"the workload as applied is never written to: a GitOps tool sees no diff")
		Expect(got.Spec.Template.Spec.InitContainers[0].SecurityContext).To(BeNil())
		Expect(got.Spec.Template.Spec.AutomountServiceAccountToken).To(BeNil())
	})

	It("rolls a profile change out as a new revision, records it, and returns to the recorded revision when the profile goes back", func(ctx SpecContext) {
		w := workload(ns, "profiled", 2, image("app:1"))
		Expect(k8sClient.Create(ctx, w)).To(Succeed())
		eventuallyReady(ctx, w, 2)
		immutableRun := &gdprv1alpha1.GDPRWorkload{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), immutableRun)).To(Succeed())

		By("Immutable to Baseline: new pods with nothing filled in replace the locked-down ones")
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Hardening.Profile = baseline })
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			got := &gdprv1alpha1.GDPRWorkload{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
			g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
			g.Expect(got.Status.CurrentRevision).NotTo(Equal(immutableRun.Status.CurrentRevision))
			pods := activePods(ctx, w)
			g.Expect(pods).To(HaveLen(2))
			for _, p := range pods {
				g.Expect(p.Labels).To(HaveKeyWithValue(gdprv1alpha1.RevisionLabel, got.Status.CurrentRevision))
				g.Expect(p.Spec.Containers[0].SecurityContext).To(BeNil())
				g.Expect(p.Spec.AutomountServiceAccountToken).To(BeNil())
			}
		}, timeout, interval).Should(Succeed())

		By("Baseline to Immutable: the earlier revision is restored, its pods locked down again")
		changeSpec(ctx, w, func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Hardening.Profile = immutable })
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			got := &gdprv1alpha1.GDPRWorkload{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), got)).To(Succeed())
			g.Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
			g.Expect(got.Status.CurrentRevision).To(Equal(immutableRun.Status.CurrentRevision))
			pods := activePods(ctx, w)
			g.Expect(pods).To(HaveLen(2))
			for _, p := range pods {
				g.Expect(p.Spec.Containers[0].SecurityContext).To(Equal(lockedDown()))
			}
		}, timeout, interval).Should(Succeed())

		By("the ledger records each change of profile, from and to, and the rollouts it made")
		var changes []string
		var types []string
		for _, e := range entriesOf(ctx, ns, w.Name) {
			if e.Spec.Type == gdprv1alpha1.AuditWorkloadSpecChanged {
				changes = append(changes, e.Spec.Reason+": "+e.Spec.Message)
			}
			types = append(types, string(e.Spec.Type)+"/"+e.Spec.Reason)
		}
		Expect(changes).To(HaveExactElements(
			And(HavePrefix("HardeningChanged: Workload spec changed: spec.hardening.profile from Immutable to Baseline."), HaveSuffix("Hardening profile: Baseline.")),
			And(HavePrefix("HardeningChanged: Workload spec changed: spec.hardening.profile from Baseline to Immutable."), HaveSuffix("Hardening profile: Immutable.")),
		))
		Expect(types).To(ContainElements("RevisionPinned/Pinned", "RolloutStarted/NewRevision", "RevisionRestored/Rollback", "RolloutCompleted/AllPodsUpdated"))
		Expect(verifyChain(ctx, ns, w.Name).Problem).To(BeNil())
	})
})
