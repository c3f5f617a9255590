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
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/recorder"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/admission"
	"github.com/amber-gdpr/amber/internal/audit"
)

// AdmissionFieldManager is the field manager of every write the guard makes to the admission
// configuration: what it finds written by any other manager is someone else's change.
const AdmissionFieldManager = "amber"

// caBundleKey is where cert-controller keeps the CA certificate in the serving Secret.
const caBundleKey = "ca.crt"

// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingwebhookconfigurations;mutatingwebhookconfigurations,verbs=get;list;watch;create;update;patch
// +kubebuilder:rbac:groups=admissionregistration.k8s.io,resources=validatingadmissionpolicies;validatingadmissionpolicybindings,verbs=get;list;watch;create;update;patch

// AdmissionGuard installs Amber's admission configuration (the webhook configuration and the
// impostor policy with its binding) and puts it back when someone deletes or changes it: the
// one code path that writes it, in a cluster and outside. Every put-back is an
// AdmissionConfigTampered entry in the ledger of every governed workload, with an Event, and
// the workloads' AdmissionGuarded condition is False until the configuration is back.
type AdmissionGuard struct {
	Client client.Client
	// APIReader reads the serving Secret (the manager's cache strips Secret data) and what
	// an apply left behind.
	APIReader client.Reader
	Recorder  recorder.EventRecorder
	Ledger    *audit.Writer
	Actors    audit.Actors
	// Options are the endpoint and the manager's username; the CA bundle is read from
	// CertSecret, where cert-controller keeps it, at every reconcile, so that a rotated CA is
	// injected at once.
	Options    admission.Options
	CertSecret types.NamespacedName
	// ServerStarted, when set, tells whether this manager's webhook server answers yet
	// (webhook.Server.StartedChecker): the configuration is first installed only then, so
	// that the API server is not sent to a port nobody listens on.
	ServerStarted func(*http.Request) error

	mu       sync.Mutex
	wakeOnce sync.Once
	// installed holds the UID of each object the guard has seen installed, by kind and name:
	// one that vanishes afterwards was deleted by someone.
	installed map[string]types.UID
	// unrecorded is tampering put back but not yet in every ledger.
	unrecorded []tampering
	guarded    guardState
	// wake re-queues the workloads whose AdmissionGuarded condition changes.
	wake chan event.GenericEvent
}

// guardState is what the AdmissionGuarded condition of every workload says.
type guardState struct {
	known   bool
	status  metav1.ConditionStatus
	reason  string
	message string
}

// Guarded is the AdmissionGuarded condition every governed workload carries; ok is false
// until the guard has tried once.
func (g *AdmissionGuard) Guarded() (state guardState, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.guarded, g.guarded.known
}

// setGuarded records the condition and wakes every workload when it changed.
func (g *AdmissionGuard) setGuarded(ctx context.Context, status metav1.ConditionStatus, reason, message string) {
	g.mu.Lock()
	next := guardState{known: true, status: status, reason: reason, message: message}
	changed := g.guarded != next
	g.guarded = next
	g.mu.Unlock()
	if !changed {
		return
	}
	var workloads gdprv1alpha1.GDPRWorkloadList
	if err := g.Client.List(ctx, &workloads); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Unable to list workloads to update their AdmissionGuarded condition")
		return
	}
	for i := range workloads.Items {
		select {
		case g.workloadEvents() <- event.GenericEvent{Object: &workloads.Items[i]}:
		case <-ctx.Done():
			return
		}
	}
}

// workloadEvents is where the guard sends the workloads whose AdmissionGuarded condition
// changed; the workload controller reads it (GDPRWorkloadReconciler.Admission).
func (g *AdmissionGuard) workloadEvents() chan event.GenericEvent {
	g.wakeOnce.Do(func() { g.wake = make(chan event.GenericEvent, 64) })
	return g.wake
}

// guardKey is the one request the guard reconciles, whatever woke it.
var guardKey = reconcile.Request{NamespacedName: types.NamespacedName{Name: admission.ConfigurationName}}

// SetupWithManager registers the guard: any event on the three objects (by name), or on the
// serving Secret, reconciles the whole configuration.
func (g *AdmissionGuard) SetupWithManager(mgr ctrl.Manager) error {
	g.installed = map[string]types.UID{}
	one := handler.EnqueueRequestsFromMapFunc(func(context.Context, client.Object) []reconcile.Request {
		return []reconcile.Request{guardKey}
	})
	named := func(names ...string) builder.Predicates {
		return builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			for _, n := range names {
				if o.GetName() == n {
					return true
				}
			}
			return false
		}))
	}
	secret := builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetNamespace() == g.CertSecret.Namespace && o.GetName() == g.CertSecret.Name
	}))
	return ctrl.NewControllerManagedBy(mgr).
		Named("admissionguard").
		Watches(&admissionregistrationv1.ValidatingWebhookConfiguration{}, one, named(admission.ConfigurationName)).
		Watches(&admissionregistrationv1.MutatingWebhookConfiguration{}, one, named(admission.ConfigurationName)).
		Watches(&admissionregistrationv1.ValidatingAdmissionPolicy{}, one, named(admission.PolicyName)).
		Watches(&admissionregistrationv1.ValidatingAdmissionPolicyBinding{}, one, named(admission.PolicyBindingName)).
		Watches(&corev1.Secret{}, one, secret).
		Complete(g)
}

// tampering is one object found deleted or changed by someone else.
type tampering struct {
	kind, name string
	reason     gdprv1alpha1.AuditReason
	// actor is the field manager that changed it ("" for a deletion: the API server does not say).
	actor string
	// incident tells this tampering apart from the next: the deleted object's UID, or the
	// changed object's resourceVersion.
	incident string
}

// guarded is one object of the configuration: what Amber wants, and how to compare it with
// what is there.
type guarded struct {
	kind    string
	desired client.Object
	live    client.Object
	differs func(live client.Object) bool
	// restore copies the desired content onto live, for an update that drops what an apply
	// cannot: fields someone else added and owns.
	restore func(live client.Object)
}

func (g *AdmissionGuard) objects(opts admission.Options) []guarded {
	config := admission.Desired(opts)
	mutating := admission.DesiredMutating(opts)
	policy, binding := admission.DesiredPolicy(opts)
	return []guarded{
		{
			kind: "ValidatingWebhookConfiguration", desired: config, live: &admissionregistrationv1.ValidatingWebhookConfiguration{},
			differs: func(live client.Object) bool {
				return admission.ConfigurationDiffers(config, live.(*admissionregistrationv1.ValidatingWebhookConfiguration))
			},
			restore: func(live client.Object) {
				live.(*admissionregistrationv1.ValidatingWebhookConfiguration).Webhooks = config.DeepCopy().Webhooks
			},
		},
		{
			kind: "MutatingWebhookConfiguration", desired: mutating, live: &admissionregistrationv1.MutatingWebhookConfiguration{},
			differs: func(live client.Object) bool {
				return admission.MutatingConfigurationDiffers(mutating, live.(*admissionregistrationv1.MutatingWebhookConfiguration))
			},
			restore: func(live client.Object) {
				live.(*admissionregistrationv1.MutatingWebhookConfiguration).Webhooks = mutating.DeepCopy().Webhooks
			},
		},
		{
			kind: "ValidatingAdmissionPolicy", desired: policy, live: &admissionregistrationv1.ValidatingAdmissionPolicy{},
			differs: func(live client.Object) bool {
				return admission.PolicyDiffers(policy, live.(*admissionregistrationv1.ValidatingAdmissionPolicy))
			},
			restore: func(live client.Object) {
				live.(*admissionregistrationv1.ValidatingAdmissionPolicy).Spec = *policy.Spec.DeepCopy()
			},
		},
		{
			kind: "ValidatingAdmissionPolicyBinding", desired: binding, live: &admissionregistrationv1.ValidatingAdmissionPolicyBinding{},
			differs: func(live client.Object) bool {
				return admission.BindingDiffers(binding, live.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding))
			},
			restore: func(live client.Object) {
				live.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding).Spec = *binding.Spec.DeepCopy()
			},
		},
	}
}

// Reconcile compares the configuration with what Amber wants, puts back what differs, then
// records each tampering it found. Putting back comes first: every second the door stands
// open counts, and the ledger entries of many workloads take longer.
func (g *AdmissionGuard) Reconcile(ctx context.Context, _ reconcile.Request) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	opts := g.Options
	var secret corev1.Secret
	if err := g.APIReader.Get(ctx, g.CertSecret, &secret); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("read the serving certificate's Secret %s: %w", g.CertSecret, err)
	}
	if opts.CABundle = secret.Data[caBundleKey]; len(opts.CABundle) == 0 {
		// cert-controller has not written the certificate yet; its write wakes the guard.
		g.setGuarded(ctx, metav1.ConditionFalse, gdprv1alpha1.ReasonConfigNotInstalled,
			fmt.Sprintf("waiting for the webhook's serving certificate in Secret %s", g.CertSecret))
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}

	if g.ServerStarted != nil {
		if err := g.ServerStarted(nil); err != nil {
			g.setGuarded(ctx, metav1.ConditionFalse, gdprv1alpha1.ReasonConfigNotInstalled,
				fmt.Sprintf("waiting for the webhook server to start: %v", err))
			return ctrl.Result{RequeueAfter: 500 * time.Millisecond}, nil
		}
	}

	var found []tampering
	for _, o := range g.objects(opts) {
		t, err := g.ensure(ctx, o)
		if err != nil {
			g.setGuarded(ctx, metav1.ConditionFalse, gdprv1alpha1.ReasonConfigNotInstalled, err.Error())
			return ctrl.Result{}, err
		}
		if t != nil {
			found = append(found, *t)
		}
	}
	// What could not be recorded yet is kept for the retry: by then the objects are back in
	// place and would show nothing. The entries' idempotency keys make a second try harmless.
	g.mu.Lock()
	g.unrecorded = append(g.unrecorded, found...)
	found = slices.Clone(g.unrecorded)
	g.mu.Unlock()
	if len(found) > 0 {
		g.setGuarded(ctx, metav1.ConditionFalse, gdprv1alpha1.ReasonConfigTampered, tamperedMessage(found))
		if err := g.record(ctx, found); err != nil {
			return ctrl.Result{}, err
		}
		g.mu.Lock()
		g.unrecorded = g.unrecorded[len(found):]
		g.mu.Unlock()
	}
	log.V(1).Info("Admission configuration in place")
	g.setGuarded(ctx, metav1.ConditionTrue, gdprv1alpha1.ReasonConfigInstalled,
		fmt.Sprintf("ValidatingWebhookConfiguration %s, MutatingWebhookConfiguration %s and ValidatingAdmissionPolicy %s are installed as Amber wants them", admission.ConfigurationName, admission.ConfigurationName, admission.PolicyName))
	return ctrl.Result{}, nil
}

// ensure puts one object in place and reports whether someone else had deleted or changed it.
func (g *AdmissionGuard) ensure(ctx context.Context, o guarded) (*tampering, error) {
	name := o.desired.GetName()
	key := o.kind + "/" + name
	var found *tampering
	err := g.Client.Get(ctx, client.ObjectKey{Name: name}, o.live)
	switch {
	case apierrors.IsNotFound(err):
		g.mu.Lock()
		uid, seen := g.installed[key]
		g.mu.Unlock()
		// Missing at the guard's first look is a first install (or a deletion while the
		// manager was down, which nothing can tell apart from it).
		if seen {
			found = &tampering{kind: o.kind, name: name, reason: gdprv1alpha1.AuditReasonConfigDeleted, incident: string(uid)}
		}
	case err != nil:
		return nil, fmt.Errorf("read %s %s: %w", o.kind, name, err)
	case !o.differs(o.live):
		g.remember(key, o.live.GetUID())
		return nil, nil
	default:
		// A difference nobody else wrote is Amber's own (a rotated CA, a new endpoint).
		if actor := admission.LastForeignWriter(o.live.GetManagedFields(), AdmissionFieldManager); actor != "" {
			found = &tampering{kind: o.kind, name: name, reason: gdprv1alpha1.AuditReasonConfigChanged, actor: actor, incident: o.live.GetResourceVersion()}
		}
	}
	if found != nil {
		ctrl.LoggerFrom(ctx).Info("Putting back tampered admission configuration", "kind", o.kind, "name", name, "reason", found.reason)
		admissionConfigTampered.WithLabelValues(o.kind, string(found.reason)).Inc()
	}
	if err := g.apply(ctx, o); err != nil {
		return found, err
	}
	return found, nil
}

// apply writes the desired object with server-side apply, then, if someone else's fields
// survive it (an apply never removes fields another manager owns), replaces the content.
func (g *AdmissionGuard) apply(ctx context.Context, o guarded) error {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.desired)
	if err != nil {
		return fmt.Errorf("convert %s: %w", o.kind, err)
	}
	u := &unstructured.Unstructured{Object: content}
	// Fields Amber never sets would be applied as explicit nulls otherwise.
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	if err := g.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(AdmissionFieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("apply %s %s: %w", o.kind, o.desired.GetName(), err)
	}
	live := o.live.DeepCopyObject().(client.Object)
	if err := g.APIReader.Get(ctx, client.ObjectKey{Name: o.desired.GetName()}, live); err != nil {
		return fmt.Errorf("read back %s %s: %w", o.kind, o.desired.GetName(), err)
	}
	if o.differs(live) {
		o.restore(live)
		if err := g.Client.Update(ctx, live, client.FieldOwner(AdmissionFieldManager)); err != nil {
			return fmt.Errorf("replace %s %s: %w", o.kind, o.desired.GetName(), err)
		}
	}
	g.remember(o.kind+"/"+o.desired.GetName(), live.GetUID())
	return nil
}

func (g *AdmissionGuard) remember(key string, uid types.UID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.installed[key] = uid
}

func tamperedMessage(found []tampering) string {
	t := found[0]
	what := "deleted"
	if t.reason == gdprv1alpha1.AuditReasonConfigChanged {
		what = "changed by field manager " + t.actor
	}
	msg := fmt.Sprintf("%s %s was %s; Amber put it back", t.kind, t.name, what)
	if len(found) > 1 {
		msg += fmt.Sprintf(" (and %d more objects of its admission configuration)", len(found)-1)
	}
	return msg
}

// record writes an AdmissionConfigTampered entry and an Event for each tampering into every
// governed workload: each of them was unprotected while it lasted.
func (g *AdmissionGuard) record(ctx context.Context, found []tampering) error {
	var workloads gdprv1alpha1.GDPRWorkloadList
	if err := g.Client.List(ctx, &workloads); err != nil {
		return fmt.Errorf("list workloads to record tampering: %w", err)
	}
	var errs []error
	for i := range workloads.Items {
		w := &workloads.Items[i]
		if !w.DeletionTimestamp.IsZero() {
			continue
		}
		l := newWorkloadLedger(g.Ledger, w)
		for _, t := range found {
			entry := tamperEntry(w, t, g.Actors)
			wrote, err := l.append(ctx, entry)
			if err != nil {
				errs = append(errs, fmt.Errorf("record tampering in the ledger of %s/%s: %w", w.Namespace, w.Name, err))
				continue
			}
			if wrote {
				g.Recorder.Eventf(w, nil, corev1.EventTypeWarning, gdprv1alpha1.EventAdmissionConfigTampered, "Restore", "%s", entry.Message)
			}
		}
	}
	return errors.Join(errs...)
}

// tamperEntry is the ledger entry of one tampering, in one workload's ledger.
func tamperEntry(w *gdprv1alpha1.GDPRWorkload, t tampering, actors audit.Actors) gdprv1alpha1.AuditEventSpec {
	msg := fmt.Sprintf("%s %s was deleted; Amber created it again. The API server does not say who deletes an object", t.kind, t.name)
	if t.reason == gdprv1alpha1.AuditReasonConfigChanged {
		msg = fmt.Sprintf("%s %s was changed by someone else; Amber put its own version back", t.kind, t.name)
	}
	return gdprv1alpha1.AuditEventSpec{
		Type:           gdprv1alpha1.AuditAdmissionConfigTampered,
		Reason:         string(t.reason),
		Subject:        gdprv1alpha1.AuditSubject{Workload: w.Name, WorkloadUID: string(w.UID)},
		Actor:          actors.Record(t.actor),
		Message:        msg,
		IdempotencyKey: fmt.Sprintf("admission/%s/%s/%s/%s", t.reason, t.kind, t.name, t.incident),
		Recovered:      true,
	}
}

// setAdmissionGuardedCondition copies the guard's state onto a workload.
func setAdmissionGuardedCondition(w *gdprv1alpha1.GDPRWorkload, g *AdmissionGuard) {
	if g == nil {
		return
	}
	state, ok := g.Guarded()
	if !ok {
		meta.RemoveStatusCondition(&w.Status.Conditions, gdprv1alpha1.AdmissionGuardedCondition)
		return
	}
	setCondition(w, gdprv1alpha1.AdmissionGuardedCondition, state.status, state.reason, state.message)
}
