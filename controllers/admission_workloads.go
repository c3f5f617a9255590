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
	"net/http"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
	cradmission "sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/admission"
	"github.com/amber-gdpr/amber/internal/podplan"
	"github.com/amber-gdpr/amber/internal/residency"
	"github.com/amber-gdpr/amber/internal/revision"
)

// workloadDryRunTimeout bounds the dry-run pod creation. The API server gives the webhook
// admission.WorkloadTimeoutSeconds in all; the rest is left for the round trips, so that a
// slow check ends in Amber's own message ("apply it again") rather than the API server's
// "failed calling webhook".
const workloadDryRunTimeout = time.Duration(admission.WorkloadTimeoutSeconds-2) * time.Second

// WorkloadAdmission validates GDPRWorkloads as they are applied: it builds one pod exactly
// as the reconciler would, and asks the API server to create it in a dry run. A template
// whose pods the API server would refuse (an invalid container name, a ResourceQuota, a
// PodSecurity level, a LimitRange, another admission policy) is refused with the API
// server's message, at `kubectl apply` or a GitOps sync, instead of stalling afterwards.
//
// Nothing is written: a dry run reaches admission and validation and stops before storage,
// so no pod, no watch event, no ledger entry and no Kubernetes Event comes of it, and the
// webhook can truthfully declare sideEffects None; a request that is itself a dry run
// (`kubectl apply --dry-run=server`) is therefore checked like any other.
type WorkloadAdmission struct {
	// Client creates the dry-run pods: the manager's client, whose user may create pods (the
	// same verb as a real creation) and is exempt from Amber's own pod webhook.
	Client client.Client
	// Decoder reads the workloads out of admission requests.
	Decoder cradmission.Decoder
	// Residency names the node labels spec.residency is matched against, both set: the
	// reconciler's, defaulted as it defaults them.
	Residency residency.Keys
}

// A dry-run creation needs the same verb as a real one.
// +kubebuilder:rbac:groups="",resources=pods,verbs=create

// SetupWorkloadAdmission serves WorkloadAdmission on admission.WorkloadsPath of the
// manager's webhook server.
func SetupWorkloadAdmission(mgr ctrl.Manager, keys residency.Keys) {
	mgr.GetWebhookServer().Register(admission.WorkloadsPath, &webhook.Admission{Handler: &WorkloadAdmission{
		Client:    mgr.GetClient(),
		Decoder:   cradmission.NewDecoder(mgr.GetScheme()),
		Residency: (&GDPRWorkloadReconciler{Residency: keys}).residencyKeys(),
	}})
}

// Handle answers one GDPRWorkload create or update.
func (a *WorkloadAdmission) Handle(ctx context.Context, req cradmission.Request) cradmission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return cradmission.Allowed("")
	}
	workload := &gdprv1alpha1.GDPRWorkload{}
	if err := a.Decoder.Decode(req, workload); err != nil {
		return cradmission.Errored(http.StatusBadRequest, fmt.Errorf("decode GDPRWorkload: %w", err))
	}
	if workload.DeletionTimestamp != nil {
		// A workload on its way out makes no more pods.
		return cradmission.Allowed("")
	}
	// The namespace is the request's: it is where the pods will be made.
	workload.Namespace = req.Namespace
	pod, err := a.podOf(workload)
	if err != nil {
		return cradmission.Errored(http.StatusInternalServerError, err)
	}
	var oldPod *corev1.Pod
	if req.Operation == admissionv1.Update {
		old := &gdprv1alpha1.GDPRWorkload{}
		if err := a.Decoder.DecodeRaw(req.OldObject, old); err != nil {
			return cradmission.Errored(http.StatusBadRequest, fmt.Errorf("decode the old GDPRWorkload: %w", err))
		}
		old.Namespace, old.UID = workload.Namespace, workload.UID
		if oldPod, err = a.podOf(old); err != nil {
			oldPod = nil // an old object that makes no pod: check the new one
		}
	}
	if !admission.WorkloadCheckNeeded(oldPod, pod) {
		return cradmission.Allowed("")
	}

	log := ctrl.LoggerFrom(ctx).WithValues("gdprWorkload", types.NamespacedName{Namespace: req.Namespace, Name: req.Name})
	dryRunCtx, cancel := context.WithTimeout(ctx, workloadDryRunTimeout)
	defer cancel()
	err = a.Client.Create(dryRunCtx, pod, client.DryRunAll)
	verdict := admission.DecideWorkload(err)
	if !verdict.Allowed {
		log.V(1).Info("Refusing a GDPRWorkload whose pods the API server would refuse", "dryRun", ptrValue(req.DryRun))
		return cradmission.Denied(verdict.Message)
	}
	response := cradmission.Allowed("")
	if verdict.Warning != "" {
		response = response.WithWarnings(verdict.Warning)
	}
	return response
}

// podOf is the pod the reconciler would make of the workload's template now. Its images are
// left as written: the digests are only known once the reconciler has resolved them, after
// the workload is stored, and the pinned form (name@sha256:…) only narrows the reference the
// template names; nothing the API server checks of a pod (names, resources, security
// settings, quotas, PodSecurity) depends on which digest an image has, and a reference the
// API server would refuse is already refused by the workload's schema.
func (a *WorkloadAdmission) podOf(workload *gdprv1alpha1.GDPRWorkload) (*corev1.Pod, error) {
	template := workload.Spec.Template.DeepCopy()
	var pins []gdprv1alpha1.PinnedImage
	for _, containers := range [][]corev1.Container{template.Spec.InitContainers, template.Spec.Containers} {
		for _, c := range containers {
			pins = append(pins, gdprv1alpha1.PinnedImage{Container: c.Name, Image: c.Image, Pinned: c.Image})
		}
	}
	if workload.UID == "" {
		// The API server gives a new object its UID before validating admission; a pod's
		// owner reference without one is invalid, which is not the user's fault.
		workload.UID = types.UID("00000000-0000-0000-0000-000000000000")
	}
	// The revision the reconciler would make first: named by the template's hash.
	hash, err := podplan.TemplateHash(template, workload.Spec.Hardening.Profile)
	if err != nil {
		return nil, fmt.Errorf("hash the pod template of GDPRWorkload %s/%s: %w", workload.Namespace, workload.Name, err)
	}
	rev := revision.Revision{ID: hash, TemplateHash: hash, Template: *template, Pins: pins, Hardening: workload.Spec.Hardening.Profile}
	pod, err := newPod(workload, rev, a.Residency)
	if err != nil {
		return nil, fmt.Errorf("make the pod to check of GDPRWorkload %s/%s: %w", workload.Namespace, workload.Name, err)
	}
	return pod, nil
}

func ptrValue(b *bool) bool {
	return b != nil && *b
}
