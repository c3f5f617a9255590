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
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	webhookadmission "sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/admission"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/breakglass"
)

// recordTimeout bounds writing a refusal's ledger entry, so that the webhook answers within
// the API server's admission.TimeoutSeconds even when the ledger is slow: a refusal whose
// entry could not be written in time is still a refusal.
const recordTimeout = (admission.TimeoutSeconds - 1) * time.Second

// PodAdmission answers the API server about requests on governed pods (admission.PodsPath,
// both the pods and the connect webhooks): it gathers the facts, lets admission.Decide
// answer, and records each refusal (or, in Audit mode, each request it would have refused)
// in the workload's ledger, with an event and a metric.
type PodAdmission struct {
	// Client reads pods and workloads from the manager's cache, which holds every governed
	// pod (it is label-selected to them) and every workload.
	Client client.Reader
	// APIReader reads around the cache when it misses: a pod or workload created a moment ago
	// may not be in it yet, and an answer from a stale cache would let the first exec in.
	APIReader client.Reader
	// Ledger writes the entries. A webhook request is no reconcile: it has no drift records
	// of its own to wait for, and the writer keeps one ledger's appends in order.
	Ledger   *audit.Writer
	Actors   audit.Actors
	Recorder recorder.EventRecorder
	// ManagerUsername is the user the manager acts as; its requests are always allowed.
	ManagerUsername string
	// Scheme decodes the objects of a request.
	Scheme *runtime.Scheme
	// Writer adds a pod to a BreakGlass's status.touchedPods before an operation on it is
	// let through under that BreakGlass.
	Writer client.Client
}

// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=breakglasses,verbs=get;list;watch
// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=breakglasses/status,verbs=get;update;patch

// SetupPodAdmission registers the pod webhook on the manager's webhook server, at
// admission.PodsPath. The webhook configuration that sends requests there is installed
// separately (admission.Desired).
func SetupPodAdmission(mgr ctrl.Manager, ledger *audit.Writer, actors audit.Actors, managerUsername string) {
	mgr.GetWebhookServer().Register(admission.PodsPath, &webhook.Admission{Handler: &PodAdmission{
		Client:          mgr.GetClient(),
		APIReader:       mgr.GetAPIReader(),
		Ledger:          ledger,
		Actors:          actors,
		Recorder:        mgr.GetEventRecorder("amber"),
		ManagerUsername: managerUsername,
		Scheme:          mgr.GetScheme(),
		Writer:          mgr.GetClient(),
	}})
}

// ManagerUsername asks the API server who the manager is (a SelfSubjectReview): the
// username its own requests carry, which admission exempts. It works alike in a cluster (a
// service account), on a workstation (a kubeconfig user) and in tests (an envtest user).
func ManagerUsername(ctx context.Context, c client.Client) (string, error) {
	review := &authenticationv1.SelfSubjectReview{}
	if err := c.Create(ctx, review); err != nil {
		return "", fmt.Errorf("ask the API server who the manager is (SelfSubjectReview): %w", err)
	}
	if review.Status.UserInfo.Username == "" {
		return "", errors.New("ask the API server who the manager is (SelfSubjectReview): it named no user")
	}
	return review.Status.UserInfo.Username, nil
}

// Handle answers one admission request.
func (h *PodAdmission) Handle(ctx context.Context, req webhookadmission.Request) webhookadmission.Response {
	facts, err := h.gather(ctx, req)
	if err != nil {
		// Fail closed, as the configuration does when the webhook cannot be reached.
		return webhookadmission.Errored(http.StatusInternalServerError, fmt.Errorf("amber could not decide on this request, so it is refused: %w", err))
	}
	decision := admission.Decide(facts.Facts)
	if decision.Verdict == admission.Allow {
		return webhookadmission.Allowed("")
	}
	if (decision.Verdict == admission.Deny || decision.Verdict == admission.Warn) && facts.breakGlassesCached {
		// The cache had no BreakGlass for this; one created a moment ago may not be in it
		// yet. A refusal is worth one read from the API server.
		if err := h.gatherBreakGlasses(ctx, &facts, h.APIReader); err != nil {
			return webhookadmission.Errored(http.StatusInternalServerError, fmt.Errorf("amber could not decide on this request, so it is refused: %w", err))
		}
		decision = admission.Decide(facts.Facts)
	}
	log := ctrl.LoggerFrom(ctx).WithValues("pod", klog.KRef(req.Namespace, admission.PodName(facts.Facts)), "reason", decision.Reason)
	if facts.Governor != nil {
		log = log.WithValues("GDPRWorkload", klog.KRef(req.Namespace, facts.Governor.Name))
	}
	operation := string(req.Operation)
	if req.SubResource != "" {
		operation += "/" + req.SubResource
	}
	dryRun := req.DryRun != nil && *req.DryRun
	if decision.Verdict == admission.UnderBreakGlass {
		return h.underBreakGlass(ctx, req, facts, decision, dryRun, log)
	}
	if !dryRun { // sideEffects NoneOnDryRun: a dry run is answered, never recorded
		if err := h.record(ctx, req, facts, decision); err != nil {
			log.Error(err, "Refusing a request whose ledger entry could not be written")
			admissionDenied.WithLabelValues(operation).Inc()
			return webhookadmission.Denied(refusalOf(facts.Facts, decision).Message + " Amber could not record this attempt in the ledger, so it is refused whatever the workload's admission mode.")
		}
	}
	if decision.Verdict == admission.Warn {
		log.Info("Allowing a request Enforce would refuse (Audit mode)")
		admissionWouldDeny.WithLabelValues(operation).Inc()
		return webhookadmission.Allowed("").WithWarnings(decision.Message)
	}
	log.Info("Refusing a request on a governed pod")
	admissionDenied.WithLabelValues(operation).Inc()
	return webhookadmission.Denied(decision.Message)
}

// refusalOf words decision as the refusal Enforce would have given: what an Audit-mode
// request gets when its entry cannot be written.
func refusalOf(f admission.Facts, decision admission.Decision) admission.Decision {
	if decision.Verdict != admission.Warn || f.Governor == nil {
		return decision
	}
	enforced := *f.Governor
	enforced.Mode = gdprv1alpha1.AdmissionEnforce
	f.Governor = &enforced
	return admission.Decide(f)
}

// podFacts are the decision's facts with what recording needs beside them.
type podFacts struct {
	admission.Facts
	workload *gdprv1alpha1.GDPRWorkload
	command  []string
	// breakGlassesCached is true when Facts.BreakGlasses came from the cache, which may not
	// hold one created a moment ago.
	breakGlassesCached bool
}

// gather reads the request's pods (or, on CONNECT, the pod from the cache) and the workload
// the pod's label names.
func (h *PodAdmission) gather(ctx context.Context, req webhookadmission.Request) (podFacts, error) {
	f := podFacts{Facts: admission.Facts{
		Operation:       string(req.Operation),
		Subresource:     req.SubResource,
		Username:        req.UserInfo.Username,
		Groups:          req.UserInfo.Groups,
		ManagerUsername: h.ManagerUsername,
		Pod:             req.Name,
		Now:             time.Now(),
	}}
	decoder := webhookadmission.NewDecoder(h.Scheme)
	switch req.Operation {
	case "CREATE", "UPDATE":
		if req.SubResource == "binding" || req.SubResource == "eviction" || req.SubResource == "status" {
			return f, nil // never refused: no need to read what they carry
		}
		f.New = &corev1.Pod{}
		if err := decoder.DecodeRaw(req.Object, f.New); err != nil {
			return f, fmt.Errorf("decode the pod of the request: %w", err)
		}
		if len(req.OldObject.Raw) > 0 {
			f.Old = &corev1.Pod{}
			if err := decoder.DecodeRaw(req.OldObject, f.Old); err != nil {
				return f, fmt.Errorf("decode the pod before the update: %w", err)
			}
		}
	case "CONNECT":
		pod, err := h.governedPod(ctx, types.NamespacedName{Namespace: req.Namespace, Name: req.Name})
		if err != nil || pod == nil {
			return f, err
		}
		f.Old = pod
		if req.SubResource == admission.SubresourceExec {
			var opts corev1.PodExecOptions
			if err := json.Unmarshal(req.Object.Raw, &opts); err != nil {
				return f, fmt.Errorf("decode the exec options of the request: %w", err)
			}
			f.command = opts.Command
		}
	default:
		return f, nil
	}
	// The pod before the change tells whom it belongs to; a label being set or changed names
	// the workload an impostor claims, whose mode and ledger then apply.
	name := ""
	if f.Old != nil {
		name = f.Old.Labels[gdprv1alpha1.WorkloadLabel]
	}
	if f.New != nil {
		if claimed := f.New.Labels[gdprv1alpha1.WorkloadLabel]; claimed != "" && claimed != name {
			name = claimed
		}
	}
	if name == "" {
		return f, nil
	}
	w, err := h.workload(ctx, types.NamespacedName{Namespace: req.Namespace, Name: name})
	if err != nil || w == nil {
		return f, err
	}
	f.workload = w
	f.Governor = &admission.Governor{Name: w.Name, Mode: w.Spec.Admission.Mode, IgnoreMetadata: w.Spec.DriftPolicy.IgnoreMetadata}
	if _, ok := breakglass.OperationOf(f.Operation, f.Subresource); ok {
		if err := h.gatherBreakGlasses(ctx, &f, h.Client); err != nil {
			return f, err
		}
		f.breakGlassesCached = true
	}
	return f, nil
}

// gatherBreakGlasses reads the BreakGlasses of the pod's workload, from the cache or, on a
// refusal the cache may be behind on, from the API server. They are listed by namespace
// (the cache's own index) and filtered here: a namespace holds few, and any client, cached or
// not, can answer that.
func (h *PodAdmission) gatherBreakGlasses(ctx context.Context, f *podFacts, from client.Reader) error {
	var list gdprv1alpha1.BreakGlassList
	if err := from.List(ctx, &list, client.InNamespace(f.workload.Namespace)); err != nil {
		return fmt.Errorf("list the BreakGlasses of namespace %s: %w", f.workload.Namespace, err)
	}
	f.BreakGlasses = f.BreakGlasses[:0]
	for _, bg := range list.Items {
		if bg.Spec.Workload == f.workload.Name {
			f.BreakGlasses = append(f.BreakGlasses, bg)
		}
	}
	f.breakGlassesCached = false
	return nil
}

// underBreakGlass lets through a request an open BreakGlass opens, once the pod is among the
// BreakGlass's touched pods and the use is a BreakGlassUsed entry in the ledger. Either
// failing refuses it (as if there were no BreakGlass): a touched pod that is not recorded
// would never be replaced, and a use the ledger does not hold never happened as far as an
// auditor can tell. A dry run (debug only: CONNECT has none) is answered, never recorded.
func (h *PodAdmission) underBreakGlass(ctx context.Context, req webhookadmission.Request, f podFacts, d admission.Decision, dryRun bool, log logr.Logger) webhookadmission.Response {
	log = log.WithValues("BreakGlass", klog.KRef(req.Namespace, d.BreakGlass.Name))
	if dryRun {
		return webhookadmission.Allowed("").WithWarnings(d.Message)
	}
	refuse := func(err error, what string) webhookadmission.Response {
		log.Error(err, "Refusing a request under a BreakGlass: "+what)
		f := f.Facts
		f.BreakGlasses = nil
		refusal := refusalOf(f, admission.Decide(f))
		return webhookadmission.Denied(fmt.Sprintf("%s BreakGlass %s would let it through, but Amber could not %s, so it is refused. Try again.", refusal.Message, d.BreakGlass.Name, what))
	}
	ctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	if err := h.touch(ctx, d.BreakGlass, f.Old); err != nil {
		return refuse(err, "add the pod to its status.touchedPods")
	}
	entry, _ := admission.Entry(f.Facts, d, string(f.workload.UID), admission.Requester{
		UID: string(req.UID), Username: req.UserInfo.Username, Groups: req.UserInfo.Groups, Command: f.command,
	}, h.Actors)
	if _, err := h.Ledger.AppendWithLabels(ctx, f.workload.Namespace, f.workload.Name, entry, map[string]string{gdprv1alpha1.AuditBreakGlassLabel: d.BreakGlass.Name}); err != nil {
		return refuse(err, "record its use in the ledger")
	}
	log.Info("Allowing a request under a BreakGlass")
	h.Recorder.Eventf(f.workload, f.Old, corev1.EventTypeWarning, gdprv1alpha1.EventBreakGlassUsed, "Admission", "%s", d.Message)
	return webhookadmission.Allowed("").WithWarnings(d.Message)
}

// touch adds pod to the BreakGlass's status.touchedPods (through the status subresource,
// retried on conflict with the controller's own status writes); a pod already there keeps
// its firstUsed. A BreakGlass deleted meanwhile, or whose window closed, is an error: the
// request is then refused.
func (h *PodAdmission) touch(ctx context.Context, bg *gdprv1alpha1.BreakGlass, pod *corev1.Pod) error {
	if pod == nil || pod.UID == "" {
		return fmt.Errorf("the pod's UID is not known")
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		live := &gdprv1alpha1.BreakGlass{}
		if err := h.APIReader.Get(ctx, client.ObjectKeyFromObject(bg), live); err != nil {
			return fmt.Errorf("read BreakGlass %s: %w", bg.Name, err)
		}
		if live.UID != bg.UID {
			return fmt.Errorf("BreakGlass %s was deleted and created again", bg.Name)
		}
		// The cache may be a moment behind a deletion; the object just read is not.
		if !breakglass.Open(live, time.Now()) {
			return fmt.Errorf("the window of BreakGlass %s has closed", bg.Name)
		}
		if breakglass.Touched(live, string(pod.UID)) {
			return nil
		}
		live.Status.TouchedPods = append(live.Status.TouchedPods, gdprv1alpha1.BreakGlassTouchedPod{
			Name: pod.Name, UID: string(pod.UID), FirstUsed: metav1.Now(),
		})
		return h.Writer.Status().Update(ctx, live)
	})
}

// governedPod returns the pod if it carries a workload label, nil if it does not or is gone.
// The cache holds only such pods; a miss is read again from the API server, since a pod
// created a moment ago may not be cached yet (exec is rare enough for the extra read).
func (h *PodAdmission) governedPod(ctx context.Context, key types.NamespacedName) (*corev1.Pod, error) {
	pod := &corev1.Pod{}
	err := h.Client.Get(ctx, key, pod)
	if apierrors.IsNotFound(err) {
		err = h.APIReader.Get(ctx, key, pod)
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read pod %s: %w", key, err)
	case pod.Labels[gdprv1alpha1.WorkloadLabel] == "":
		return nil, nil
	}
	return pod, nil
}

// workload returns the workload, nil when there is none (or it is being deleted: its pods
// then go with it, and the garbage collector must be free to act on them).
func (h *PodAdmission) workload(ctx context.Context, key types.NamespacedName) (*gdprv1alpha1.GDPRWorkload, error) {
	w := &gdprv1alpha1.GDPRWorkload{}
	err := h.Client.Get(ctx, key, w)
	if apierrors.IsNotFound(err) {
		err = h.APIReader.Get(ctx, key, w) // created a moment ago, not cached yet
	}
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("read GDPRWorkload %s: %w", key, err)
	case !w.DeletionTimestamp.IsZero():
		return nil, nil
	}
	return w, nil
}

// record writes the decision's entry into the workload's ledger and raises the event. An
// impostor naming no existing workload has no ledger: it is only refused.
func (h *PodAdmission) record(ctx context.Context, req webhookadmission.Request, f podFacts, d admission.Decision) error {
	if f.workload == nil {
		return nil
	}
	entry, ok := admission.Entry(f.Facts, d, string(f.workload.UID), admission.Requester{
		UID: string(req.UID), Username: req.UserInfo.Username, Groups: req.UserInfo.Groups, Command: f.command,
	}, h.Actors)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	if _, err := h.Ledger.Append(ctx, f.workload.Namespace, f.workload.Name, entry); err != nil {
		return err
	}
	reason := gdprv1alpha1.EventAccessDenied
	if d.Verdict == admission.Warn {
		reason = gdprv1alpha1.EventAdmissionWouldDeny
	}
	var related runtime.Object
	if f.Old != nil {
		related = f.Old
	}
	h.Recorder.Eventf(f.workload, related, corev1.EventTypeWarning, reason, "Admission", "%s", d.Message)
	return nil
}
