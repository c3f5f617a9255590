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
	"encoding/json"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	webhookadmission "sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/admission"
	"github.com/amber-gdpr/amber/internal/audit"
)

// admissionOff lets every change to the workload's pods through admission, for specs that
// change pods in place on purpose.
func admissionOff(w *gdprv1alpha1.GDPRWorkload) *gdprv1alpha1.GDPRWorkload {
	w.Spec.Admission.Mode = gdprv1alpha1.AdmissionOff
	return w
}

// governedNamespace makes a namespace labelled as the manager labels those that hold a
// GDPRWorkload: the connect webhook (exec, attach, port-forward) is called only for them.
func governedNamespace(ctx context.Context) string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "amber-admission-",
		Labels: map[string]string{admission.GovernedNamespaceLabel: "true"}}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

// whoAmI is the user the specs' client acts as, as the API server (and so admission) sees it.
func whoAmI(ctx context.Context, c client.Client) authenticationv1.UserInfo {
	GinkgoHelper()
	review := &authenticationv1.SelfSubjectReview{}
	Expect(c.Create(ctx, review)).To(Succeed())
	return review.Status.UserInfo
}

// warningCollector keeps the warnings the API server returned.
type warningCollector struct {
	mu  sync.Mutex
	got []string
}

func (w *warningCollector) HandleWarningHeaderWithContext(_ context.Context, _ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, text)
}

func (w *warningCollector) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.got...)
}

// warnedClient is the specs' user with a client that keeps the warnings it is given.
func warnedClient() (client.Client, *warningCollector) {
	GinkgoHelper()
	warnings := &warningCollector{}
	c := rest.CopyConfig(cfg)
	c.WarningHandlerWithContext = warnings
	cl, err := client.New(c, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	return cl, warnings
}

// connectTo asks the API server for exec, attach or port-forward on the pod, as kubectl does
// before it upgrades the connection. envtest has no kubelet: the API server answers
// admission's verdict first, and only then would it look for the pod's node.
func connectTo(ctx context.Context, c rest.Interface, pod *corev1.Pod, subresource string, opts runtime.Object) error {
	return c.Post().Namespace(pod.Namespace).Resource("pods").Name(pod.Name).SubResource(subresource).
		VersionedParams(opts, clientgoscheme.ParameterCodec).Do(ctx).Error()
}

// refusedByAmber matches the error of a request Amber's pod webhook refused.
func refusedByAmber(workload string) OmegaMatcher {
	return And(
		WithTransform(apierrors.IsForbidden, BeTrue()),
		MatchError(ContainSubstring(`admission webhook "`)),
		MatchError(ContainSubstring("is governed by GDPRWorkload "+workload)),
		MatchError(ContainSubstring("ask for a break-glass")),
		MatchError(ContainSubstring("deleting the pod is always allowed")),
	)
}

// notRefusedByAdmission matches the error of a request admission let through that then
// failed for another reason (a connect with no node to reach), or no error.
func notRefusedByAdmission() OmegaMatcher {
	return Or(Not(HaveOccurred()), And(
		WithTransform(apierrors.IsForbidden, BeFalse()),
		Not(MatchError(ContainSubstring("admission webhook"))),
	))
}

// entriesOfType lists the ledger's entries of one type.
func entriesOfType(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, t gdprv1alpha1.AuditEventType) []gdprv1alpha1.AuditEvent {
	var found []gdprv1alpha1.AuditEvent
	for _, e := range entriesOf(ctx, w.Namespace, w.Name) {
		if e.Spec.Type == t {
			found = append(found, e)
		}
	}
	return found
}

// readyForResize reports the pod's resources as its kubelet would: the API server takes a
// resize only for a pod whose kubelet reported them.
func readyForResize(ctx context.Context, pod *corev1.Pod) {
	GinkgoHelper()
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pod), pod)).To(Succeed())
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: "app", Image: pod.Spec.Containers[0].Image, Ready: true,
		Resources: pod.Spec.Containers[0].Resources.DeepCopy(),
		State:     corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
	}}
	Expect(k8sClient.Status().Update(ctx, pod)).To(Succeed())
}

func withResources(w *gdprv1alpha1.GDPRWorkload) *gdprv1alpha1.GDPRWorkload {
	w.Spec.Template.Spec.Containers[0].Resources = corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("200m")},
	}
	return w
}

var debugContainer = corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
	Name: "debugger", Image: "busybox:1", ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
}}

// The command a person runs with kubectl exec: its arguments may name personal data.
var execCommand = []string{"sh", "-c", "grep alice@example.com /data/customers.csv"}

var _ = Describe("Admission", func() {
	var (
		ns  string
		cs  *kubernetes.Clientset
		who authenticationv1.UserInfo
	)
	BeforeEach(func(ctx SpecContext) {
		ns = governedNamespace(ctx)
		var err error
		cs, err = kubernetes.NewForConfig(cfg)
		Expect(err).NotTo(HaveOccurred())
		who = whoAmI(ctx, k8sClient)
		Expect(who.Username).NotTo(Equal(managerUsername), "the specs' client must be someone other than the manager")
	})

	It("refuses every in-place route into a governed pod in Enforce, and records each refusal under the pseudonymised user", func(ctx SpecContext) {
		w := withResources(workload(ns, "guarded", 1, image("app:1")))
		pod := onePod(ctx, w)
		deniedBefore := testutil.ToFloat64(admissionDenied.WithLabelValues("CONNECT/exec"))

		By("kubectl set image")
		edited := pod.DeepCopy()
		edited.Spec.Containers[0].Image = image("app:2")
		Expect(k8sClient.Update(ctx, edited)).To(refusedByAmber("guarded"))

		By("kubectl label --overwrite")
		patch := client.MergeFrom(pod.DeepCopy())
		labelled := pod.DeepCopy()
		labelled.Labels["app"] = "tampered"
		Expect(k8sClient.Patch(ctx, labelled, patch)).To(And(refusedByAmber("guarded"), MatchError(ContainSubstring("metadata.labels.app"))))

		By("kubectl annotate")
		annotated := pod.DeepCopy()
		metav1.SetMetaDataAnnotation(&annotated.ObjectMeta, "note", "hello")
		Expect(k8sClient.Patch(ctx, annotated, client.MergeFrom(pod.DeepCopy()))).To(refusedByAmber("guarded"))

		By("kubectl debug")
		debugged := pod.DeepCopy()
		debugged.Spec.EphemeralContainers = []corev1.EphemeralContainer{debugContainer}
		Expect(k8sClient.SubResource("ephemeralcontainers").Update(ctx, debugged)).To(refusedByAmber("guarded"))

		By("a pods/resize patch")
		readyForResize(ctx, &pod)
		resized := pod.DeepCopy()
		resized.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("150m")
		Expect(k8sClient.SubResource("resize").Update(ctx, resized)).To(refusedByAmber("guarded"))

		By("kubectl exec, attach and port-forward")
		rc := cs.CoreV1().RESTClient()
		Expect(connectTo(ctx, rc, &pod, "exec", &corev1.PodExecOptions{Container: "app", Command: execCommand, Stdout: true})).To(refusedByAmber("guarded"))
		Expect(connectTo(ctx, rc, &pod, "attach", &corev1.PodAttachOptions{Container: "app", Stdout: true})).To(refusedByAmber("guarded"))
		Expect(connectTo(ctx, rc, &pod, "portforward", &corev1.PodPortForwardOptions{Ports: []int32{8080}})).To(refusedByAmber("guarded"))

		By("each refusal is an AccessDenied entry naming the pseudonymised user and groups")
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), w)).To(Succeed())
		denied := entriesOfType(ctx, w, gdprv1alpha1.AuditAccessDenied)
		reasons := make([]string, 0, len(denied))
		for _, e := range denied {
			reasons = append(reasons, e.Spec.Reason)
			Expect(e.Spec.Actor).To(Equal(actors.Record(who.Username)))
			Expect(e.Spec.Request).NotTo(BeNil())
			Expect(e.Spec.Request.Groups).To(Equal(actors.Groups(who.Groups)))
			Expect(e.Spec.Subject).To(Equal(gdprv1alpha1.AuditSubject{
				Workload: "guarded", WorkloadUID: string(w.UID), Pod: pod.Name, PodUID: string(pod.UID), Revision: pod.Labels[gdprv1alpha1.RevisionLabel],
			}))
			Expect(e.Spec.Message).To(ContainSubstring("ask for a break-glass"))
			Expect(e.Spec.Message).NotTo(ContainSubstring(who.Username))
		}
		Expect(reasons).To(Equal([]string{
			string(gdprv1alpha1.AdmissionSpecChanged), string(gdprv1alpha1.AdmissionMetadataChanged), string(gdprv1alpha1.AdmissionMetadataChanged),
			string(gdprv1alpha1.AdmissionEphemeralContainers), string(gdprv1alpha1.AdmissionResize),
			string(gdprv1alpha1.AdmissionExec), string(gdprv1alpha1.AdmissionAttach), string(gdprv1alpha1.AdmissionPortForward),
		}))
		exec := denied[5].Spec.Request
		program, commandHMAC := actors.Command(execCommand)
		Expect(*exec).To(Equal(gdprv1alpha1.AuditRequest{Operation: "CONNECT", Subresource: "exec", Groups: actors.Groups(who.Groups), Command: "sh", CommandHMAC: commandHMAC}))
		Expect(program).To(Equal("sh"))
		Expect(denied[3].Spec.Request.Operation).To(Equal("UPDATE"))
		Expect(denied[3].Spec.Request.Subresource).To(Equal("ephemeralcontainers"))
		for _, e := range denied {
			Expect(e.Spec.Message+e.Spec.Request.Command).NotTo(ContainSubstring("alice"), "the command line never in clear")
		}

		By("the pod is untouched, the chain intact, an event and the metric tell")
		Expect(activePods(ctx, w)).To(ConsistOf(HaveField("UID", pod.UID)))
		Expect(verifyChain(ctx, ns, w.Name).Problem).To(BeNil())
		Eventually(func() []string { return eventReasons(ctx, ns) }, timeout, interval).Should(ContainElement(gdprv1alpha1.EventAccessDenied))
		Expect(testutil.ToFloat64(admissionDenied.WithLabelValues("CONNECT/exec")) - deniedBefore).To(BeEquivalentTo(1))
	})

	It("answers a dry run without recording it", func(ctx SpecContext) {
		w := workload(ns, "dry", 1, image("app:1"))
		pod := onePod(ctx, w)
		edited := pod.DeepCopy()
		edited.Spec.Containers[0].Image = image("app:2")
		Expect(k8sClient.Update(ctx, edited, client.DryRunAll)).To(refusedByAmber("dry"))
		Expect(entriesOfType(ctx, w, gdprv1alpha1.AuditAccessDenied)).To(BeEmpty())
	})

	It("lets the changes through in Audit, with a warning and an AdmissionWouldDeny entry", func(ctx SpecContext) {
		w := workload(ns, "audited", 1, image("app:1"))
		w.Spec.Admission.Mode = gdprv1alpha1.AdmissionAudit
		pod := onePod(ctx, w)
		warned, warnings := warnedClient()

		labelled := pod.DeepCopy()
		labelled.Labels["app"] = "tampered"
		Expect(warned.Patch(ctx, labelled, client.MergeFrom(pod.DeepCopy()))).To(Succeed())
		Expect(warnings.all()).To(ContainElement(And(
			ContainSubstring("is governed by GDPRWorkload audited"), ContainSubstring("would be refused"), ContainSubstring("Audit"))))

		Expect(connectTo(ctx, cs.CoreV1().RESTClient(), &pod, "exec", &corev1.PodExecOptions{Container: "app", Command: execCommand, Stdout: true})).
			To(notRefusedByAdmission())

		Eventually(func() []string {
			var reasons []string
			for _, e := range entriesOfType(ctx, w, gdprv1alpha1.AuditAdmissionWouldDeny) {
				reasons = append(reasons, e.Spec.Reason)
			}
			return reasons
		}, timeout, interval).Should(Equal([]string{string(gdprv1alpha1.AdmissionMetadataChanged), string(gdprv1alpha1.AdmissionExec)}))
		Expect(entriesOfType(ctx, w, gdprv1alpha1.AuditAccessDenied)).To(BeEmpty())
		Expect(entriesOfType(ctx, w, gdprv1alpha1.AuditAdmissionWouldDeny)[0].Spec.Actor).To(Equal(actors.Record(who.Username)))
		Expect(eventReasons(ctx, ns)).To(ContainElement(gdprv1alpha1.EventAdmissionWouldDeny))

		By("drift detection still replaces the changed pod")
		Eventually(func(g Gomega) {
			actAsKubelet(ctx, w)
			finalizePods(ctx, w)
			g.Expect(podUIDs(ctx, w)).NotTo(ContainElement(string(pod.UID)))
		}, timeout, interval).Should(Succeed())
	})

	It("leaves the pods of a workload in Off untouched by admission", func(ctx SpecContext) {
		w := admissionOff(workload(ns, "open", 1, image("app:1")))
		pod := onePod(ctx, w)
		debugged := pod.DeepCopy()
		debugged.Spec.EphemeralContainers = []corev1.EphemeralContainer{debugContainer}
		Expect(k8sClient.SubResource("ephemeralcontainers").Update(ctx, debugged)).To(Succeed())
		Expect(connectTo(ctx, cs.CoreV1().RESTClient(), &pod, "exec", &corev1.PodExecOptions{Container: "app", Command: execCommand, Stdout: true})).
			To(notRefusedByAdmission())
		Consistently(func() int {
			return len(entriesOfType(ctx, w, gdprv1alpha1.AuditAccessDenied)) + len(entriesOfType(ctx, w, gdprv1alpha1.AuditAdmissionWouldDeny))
		}, "1s", interval).Should(BeZero())
	})

	It("refuses impostor pods that carry a workload's label", func(ctx SpecContext) {
		w := workload(ns, "claimed", 1, image("app:1"))
		onePod(ctx, w)
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(w), w)).To(Succeed())

		impostor := podOf(w, w.Status.UpdateRevision)
		impostor.Name = "claimed-impostor"
		Expect(k8sClient.Create(ctx, impostor)).To(And(
			WithTransform(apierrors.IsForbidden, BeTrue()),
			MatchError(ContainSubstring("are created and governed by Amber alone, for GDPRWorkload claimed"))))
		Eventually(func() []string {
			var reasons []string
			for _, e := range entriesOfType(ctx, w, gdprv1alpha1.AuditAccessDenied) {
				reasons = append(reasons, e.Spec.Reason)
			}
			return reasons
		}, timeout, interval).Should(Equal([]string{string(gdprv1alpha1.AdmissionImpostor)}))

		By("a label naming no workload is refused all the same, with no ledger to record into")
		ghost := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "ghost", Labels: map[string]string{gdprv1alpha1.WorkloadLabel: "ghost"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image("app:1")}}},
		}
		Expect(k8sClient.Create(ctx, ghost)).To(MatchError(ContainSubstring("for GDPRWorkload ghost")))

		By("labelling an ungoverned pod into the workload is refused too")
		plain := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plain"},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image("app:1")}}},
		}
		Expect(k8sClient.Create(ctx, plain)).To(Succeed(), "pods without the label never reach the webhook")
		adopted := plain.DeepCopy()
		adopted.Labels = map[string]string{gdprv1alpha1.WorkloadLabel: "claimed"}
		Expect(k8sClient.Patch(ctx, adopted, client.MergeFrom(plain))).To(MatchError(ContainSubstring("giving an existing pod its workload label")))

		By("exec into an ungoverned pod of a governed namespace is admission's no concern")
		Expect(connectTo(ctx, cs.CoreV1().RESTClient(), plain, "exec", &corev1.PodExecOptions{Container: "app", Command: []string{"true"}, Stdout: true})).
			To(notRefusedByAdmission())
	})

	It("keeps the writes of Amber, the scheduler, kubelets and the garbage collector working, and the keys the policy ignores", func(ctx SpecContext) {
		w := workload(ns, "busy", 1, image("app:1"))
		w.Spec.DriftPolicy.IgnoreMetadata = []string{"monitoring.example/*"}
		pod := onePod(ctx, w) // Amber's creates went through; the kubelet's status writes too

		By("a label the policy ignores")
		scraped := pod.DeepCopy()
		scraped.Labels["monitoring.example/scraped"] = "yes"
		Expect(k8sClient.Patch(ctx, scraped, client.MergeFrom(pod.DeepCopy()))).To(Succeed())
		pod = *scraped

		By("a finalizer added and removed, as controllers do")
		held := pod.DeepCopy()
		held.Finalizers = []string{"example.com/hold"}
		Expect(k8sClient.Patch(ctx, held, client.MergeFrom(pod.DeepCopy()))).To(Succeed())
		released := held.DeepCopy()
		released.Finalizers = nil
		Expect(k8sClient.Patch(ctx, released, client.MergeFrom(held))).To(Succeed())
		pod = *released

		By("the scheduler's binding")
		Expect(k8sClient.SubResource("binding").Create(ctx, &pod, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: ns},
			Target:     corev1.ObjectReference{Kind: "Node", Name: "node-a"},
		})).To(Succeed())

		By("the garbage collector dropping an owner reference")
		gcCfg := rest.CopyConfig(cfg)
		gcCfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:kube-system:generic-garbage-collector",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}}
		gc, err := client.New(gcCfg, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(&pod), &pod)).To(Succeed())
		orphaned := pod.DeepCopy()
		orphaned.OwnerReferences = nil
		Expect(gc.Patch(ctx, orphaned, client.MergeFrom(pod.DeepCopy()))).To(Succeed())

		By("anyone deleting a pod; Amber replaces it")
		Expect(k8sClient.Delete(ctx, orphaned)).To(Succeed())
		eventuallyReady(ctx, w, 1)
		Expect(entriesOfType(ctx, w, gdprv1alpha1.AuditAccessDenied)).To(BeEmpty())
	})

	It("refuses, whatever the mode, a request whose ledger entry cannot be written", func(ctx SpecContext) {
		w := workload(ns, "unrecordable", 1, image("app:1"))
		w.Spec.Admission.Mode = gdprv1alpha1.AdmissionAudit
		pod := onePod(ctx, w)
		// The ledger's API writes fail; reads still work.
		watching, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		broken := interceptor.NewClient(watching, interceptor.Funcs{
			Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
				if _, ok := obj.(*gdprv1alpha1.AuditEvent); ok {
					return apierrors.NewServiceUnavailable("etcd is having a bad day")
				}
				return c.Create(ctx, obj, opts...)
			},
		})
		h := &PodAdmission{Client: k8sClient, APIReader: k8sClient, Scheme: scheme, Actors: actors,
			Ledger:   audit.NewWriter(broken, k8sClient, keys.Signing, checkpointEvery),
			Recorder: events.NewFakeRecorder(10), ManagerUsername: managerUsername}
		options, err := json.Marshal(&corev1.PodExecOptions{Container: "app", Command: []string{"sh"}})
		Expect(err).NotTo(HaveOccurred())
		answer := h.Handle(ctx, webhookadmission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			UID: "req-unrecordable", Operation: admissionv1.Connect, SubResource: "exec",
			Namespace: ns, Name: pod.Name, UserInfo: who, Object: runtime.RawExtension{Raw: options},
		}})
		Expect(answer.Allowed).To(BeFalse(), "an attempt that cannot be recorded is not let through, even in Audit")
		Expect(answer.Result.Message).To(ContainSubstring("could not record this attempt in the ledger"))
		Expect(answer.Result.Message).To(ContainSubstring("running a command in it (pods/exec) is refused"))
		Expect(answer.Result.Message).NotTo(ContainSubstring("would be refused"), "the refusal does not say it was let through")
	})
})
