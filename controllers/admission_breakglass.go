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
	"fmt"
	"net/http"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
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

// BreakGlassAdmission admits BreakGlasses (admission.BreakGlassesPath): a name is used once
// per namespace, the workload must exist, and the BreakGlassGranted entry is in the
// workload's ledger before the window opens. Its window starts at the object's
// creationTimestamp, which the API server has set by the time validating webhooks run.
type BreakGlassAdmission struct {
	// APIReader reads the ledger and the workload from the API server: a cache a moment
	// behind could miss the entry that says a name was used, and reopen it.
	APIReader client.Reader
	Ledger    *audit.Writer
	Actors    audit.Actors
	Recorder  recorder.EventRecorder
	Decoder   webhookadmission.Decoder
}

// BreakGlassDefaults sets a BreakGlass's spec.users to its creator when it names neither
// users nor groups (admission.BreakGlassDefaultsPath): only the admission request says who
// that is.
type BreakGlassDefaults struct {
	Decoder webhookadmission.Decoder
}

// +kubebuilder:rbac:groups=gdpr.amber.dev,resources=auditevents,verbs=list

// SetupBreakGlassAdmission serves BreakGlassAdmission and BreakGlassDefaults on the
// manager's webhook server.
func SetupBreakGlassAdmission(mgr ctrl.Manager, ledger *audit.Writer, actors audit.Actors) {
	decoder := webhookadmission.NewDecoder(mgr.GetScheme())
	mgr.GetWebhookServer().Register(admission.BreakGlassesPath, &webhook.Admission{Handler: &BreakGlassAdmission{
		APIReader: mgr.GetAPIReader(),
		Ledger:    ledger,
		Actors:    actors,
		Recorder:  mgr.GetEventRecorder("amber"),
		Decoder:   decoder,
	}})
	mgr.GetWebhookServer().Register(admission.BreakGlassDefaultsPath, &webhook.Admission{Handler: &BreakGlassDefaults{Decoder: decoder}})
}

// Handle defaults one BreakGlass being created.
func (d *BreakGlassDefaults) Handle(_ context.Context, req webhookadmission.Request) webhookadmission.Response {
	if req.Operation != admissionv1.Create {
		return webhookadmission.Allowed("")
	}
	bg := &gdprv1alpha1.BreakGlass{}
	if err := d.Decoder.Decode(req, bg); err != nil {
		return webhookadmission.Errored(http.StatusBadRequest, fmt.Errorf("decode BreakGlass: %w", err))
	}
	if len(bg.Spec.Users) > 0 || len(bg.Spec.Groups) > 0 {
		return webhookadmission.Allowed("")
	}
	if req.UserInfo.Username == "" {
		return webhookadmission.Denied("spec.users and spec.groups are both empty, and the request names no user to default them to: name the users or groups the BreakGlass is for")
	}
	bg.Spec.Users = []string{req.UserInfo.Username}
	patched, err := json.Marshal(bg)
	if err != nil {
		return webhookadmission.Errored(http.StatusInternalServerError, fmt.Errorf("encode BreakGlass: %w", err))
	}
	return webhookadmission.PatchResponseFromRaw(req.Object.Raw, patched)
}

// Handle validates one BreakGlass being created and records its grant.
func (a *BreakGlassAdmission) Handle(ctx context.Context, req webhookadmission.Request) webhookadmission.Response {
	if req.Operation != admissionv1.Create {
		return webhookadmission.Allowed("")
	}
	bg := &gdprv1alpha1.BreakGlass{}
	if err := a.Decoder.Decode(req, bg); err != nil {
		return webhookadmission.Errored(http.StatusBadRequest, fmt.Errorf("decode BreakGlass: %w", err))
	}
	bg.Namespace = req.Namespace
	if bg.Name == "" {
		bg.Name = req.Name
	}
	log := ctrl.LoggerFrom(ctx).WithValues("BreakGlass", klog.KObj(bg), "GDPRWorkload", klog.KRef(bg.Namespace, bg.Spec.Workload))
	if len(bg.Name) > validation.LabelValueMaxLength {
		return webhookadmission.Denied(fmt.Sprintf("metadata.name must be at most %d characters for a BreakGlass: the name labels its ledger entries (%s), which is how a used name is recognised",
			validation.LabelValueMaxLength, gdprv1alpha1.AuditBreakGlassLabel))
	}
	if bg.CreationTimestamp.IsZero() || bg.UID == "" {
		// The API server sets both before validating webhooks run; without them there is no
		// window to fix, so refuse rather than guess.
		return webhookadmission.Errored(http.StatusInternalServerError, fmt.Errorf("the BreakGlass reached admission without creationTimestamp or uid, so its window cannot be fixed: it is refused"))
	}
	var used gdprv1alpha1.AuditEventList
	if err := a.APIReader.List(ctx, &used, client.InNamespace(bg.Namespace), client.MatchingLabels{gdprv1alpha1.AuditBreakGlassLabel: bg.Name}, client.Limit(1)); err != nil {
		return webhookadmission.Errored(http.StatusInternalServerError, fmt.Errorf("amber could not read the ledger to check whether BreakGlass name %q was used before, so it is refused: %w", bg.Name, err))
	}
	if len(used.Items) > 0 {
		log.Info("Refusing a BreakGlass whose name was used before")
		return webhookadmission.Denied(fmt.Sprintf(
			"metadata.name: BreakGlass name %q was already used in namespace %s (ledger entry %s records it): a name opens one window only, so that restoring a deleted BreakGlass (from Git or a backup) cannot open its window again. Create a BreakGlass with a new name, or with metadata.generateName",
			bg.Name, bg.Namespace, used.Items[0].Name))
	}
	w := &gdprv1alpha1.GDPRWorkload{}
	err := a.APIReader.Get(ctx, types.NamespacedName{Namespace: bg.Namespace, Name: bg.Spec.Workload}, w)
	switch {
	case apierrors.IsNotFound(err) || (err == nil && !w.DeletionTimestamp.IsZero()):
		return webhookadmission.Denied(fmt.Sprintf("spec.workload: GDPRWorkload %q does not exist in namespace %s (or is being deleted): a BreakGlass opens the pods of an existing GDPRWorkload of its namespace",
			bg.Spec.Workload, bg.Namespace))
	case err != nil:
		return webhookadmission.Errored(http.StatusInternalServerError, fmt.Errorf("amber could not read GDPRWorkload %s, so the BreakGlass is refused: %w", bg.Spec.Workload, err))
	}
	if req.DryRun != nil && *req.DryRun {
		return webhookadmission.Allowed("") // sideEffects NoneOnDryRun: checked, not recorded
	}
	entry := breakglass.GrantedEntry(bg, string(w.UID), req.UserInfo.Username, a.Actors)
	recordCtx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	if _, err := newWorkloadLedger(a.Ledger, w).appendLabelled(recordCtx, entry, map[string]string{gdprv1alpha1.AuditBreakGlassLabel: bg.Name}); err != nil {
		log.Error(err, "Refusing a BreakGlass whose grant could not be recorded")
		return webhookadmission.Denied(fmt.Sprintf("Amber could not record BreakGlass %s in the ledger of GDPRWorkload %s, so it is refused: a window the ledger does not know of is never opened. Try again", bg.Name, w.Name))
	}
	_, notAfter := breakglass.Window(bg)
	log.Info("Admitting a BreakGlass", "notAfter", notAfter.Format(time.RFC3339))
	a.Recorder.Eventf(w, nil, corev1.EventTypeWarning, gdprv1alpha1.EventBreakGlassGranted, "BreakGlass", "%s", entry.Message)
	return webhookadmission.Allowed("")
}
