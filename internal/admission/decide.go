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

package admission

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/breakglass"
	"github.com/amber-gdpr/amber/internal/drift"
)

// Admission operations and pod subresources, as the API server names them in a request.
const (
	OperationCreate  = "CREATE"
	OperationUpdate  = "UPDATE"
	OperationDelete  = "DELETE"
	OperationConnect = "CONNECT"

	SubresourceEphemeralContainers = "ephemeralcontainers"
	SubresourceResize              = "resize"
	SubresourceExec                = "exec"
	SubresourceAttach              = "attach"
	SubresourcePortForward         = "portforward"
)

// GarbageCollectors are the users the garbage collector writes as: its own service account
// when kube-controller-manager runs with --use-service-account-credentials (the default of
// kubeadm and most distributions), else kube-controller-manager's user. Only they may change
// a governed pod's owner references: the garbage collector drops references to owners that
// are gone, or orphans dependents, which is its job; anyone else removing the controller
// reference is trying to take the pod out of Amber's hands.
var GarbageCollectors = []string{
	"system:serviceaccount:kube-system:generic-garbage-collector",
	"system:kube-controller-manager",
}

// Governor is the workload that governs a pod, as far as admission needs it.
type Governor struct {
	// Name of the GDPRWorkload.
	Name string
	// Mode is its spec.admission.mode; "" reads as Enforce, the API's default.
	Mode gdprv1alpha1.AdmissionMode
	// IgnoreMetadata is its spec.driftPolicy.ignoreMetadata: label and annotation key globs
	// other tools may write on its pods.
	IgnoreMetadata []string
}

// Facts are what a decision about one admission request on a pod rests on, gathered from
// the request and the manager's cache.
type Facts struct {
	// Operation is CREATE, UPDATE, DELETE or CONNECT.
	Operation string
	// Subresource is "" for the pod itself, else the subresource asked for.
	Subresource string
	// Username is the requesting user, after impersonation; Groups are their groups.
	Username string
	Groups   []string
	// ManagerUsername is the user Amber's manager acts as.
	ManagerUsername string
	// Pod is the pod's name (on CONNECT and CREATE with generateName, the request's name).
	Pod string
	// Old is the pod before an UPDATE, or the pod connected to on CONNECT (from the cache);
	// nil on CREATE.
	Old *corev1.Pod
	// New is the pod after an UPDATE or the pod created; nil on CONNECT and DELETE.
	New *corev1.Pod
	// Governor is the workload that governs the pod, nil when there is none: the one the
	// workload label of Old names, or, when the request sets or changes that label (CREATE,
	// or an UPDATE labelling a pod), the one New's label claims.
	Governor *Governor
	// BreakGlasses are the BreakGlasses naming the governing workload; Now is when the
	// request is decided, which their windows are compared with.
	BreakGlasses []gdprv1alpha1.BreakGlass
	Now          time.Time
}

// Verdict is what admission answers.
type Verdict string

// The verdicts.
const (
	// Allow lets the request through, nothing recorded.
	Allow Verdict = "Allow"
	// Deny refuses it and records an AccessDenied entry.
	Deny Verdict = "Deny"
	// Warn lets it through with a warning to the client and records an AdmissionWouldDeny
	// entry (Audit mode).
	Warn Verdict = "Warn"
	// UnderBreakGlass lets through a request Enforce (or Audit) would refuse, because an
	// open BreakGlass names its user, operation and pod, and records a BreakGlassUsed entry.
	UnderBreakGlass Verdict = "BreakGlass"
)

// Decision is the answer to one request. Reason and Message are set unless Verdict is Allow.
type Decision struct {
	Verdict Verdict
	Reason  gdprv1alpha1.AdmissionReason
	// Message is what the client is told (the refusal, or the warning): what is governed, by
	// which workload, and the legitimate ways in. It holds no personal data: it becomes the
	// ledger entry's message.
	Message string
	// BreakGlass is the BreakGlass that lets the request through (Verdict UnderBreakGlass).
	BreakGlass *gdprv1alpha1.BreakGlass
}

// EntryType is the ledger entry a decision records: AccessDenied for a refusal,
// AdmissionWouldDeny for a warning, "" when nothing is recorded.
func (d Decision) EntryType() gdprv1alpha1.AuditEventType {
	switch d.Verdict {
	case Deny:
		return gdprv1alpha1.AuditAccessDenied
	case Warn:
		return gdprv1alpha1.AuditAdmissionWouldDeny
	case UnderBreakGlass:
		return gdprv1alpha1.AuditBreakGlassUsed
	}
	return ""
}

// Decide answers an admission request on a pod. The checks run in order; the first that
// finds something refused decides:
//
//   - the manager itself, deletions, and the subresources that cluster components write
//     (status, binding, eviction) are allowed;
//   - a pod created, or labelled, with the workload label by anyone but the manager is an
//     impostor;
//   - a pod no workload governs, or whose workload's admission mode is Off, is allowed;
//   - exec, attach and port-forward are refused;
//   - ephemeral containers and resizes that change something are refused;
//   - an update that changes the spec, or the labels and annotations outside the workload's
//     ignoreMetadata, or the owner references (unless the garbage collector), is refused;
//     finalizers may change, and an update that changes nothing is allowed.
//
// In Audit mode a refusal becomes a warning. Exec, attach, port-forward and ephemeral
// containers that would be refused (or warned about) are let through instead when an open
// BreakGlass names exactly the user (or one of their groups), the operation and the pod
// (breakglass.Find): the verdict is then UnderBreakGlass, and the reason the route.
func Decide(f Facts) Decision {
	d := decide(f)
	if d.Verdict != Deny && d.Verdict != Warn {
		return d
	}
	op, ok := breakglass.OperationOf(f.Operation, f.Subresource)
	if !ok || f.Governor == nil || d.Reason == gdprv1alpha1.AdmissionImpostor {
		return d
	}
	bg := breakglass.Find(f.BreakGlasses, breakglass.Request{
		User: f.Username, Groups: f.Groups, Operation: op, Workload: f.Governor.Name, Pod: PodName(f),
	}, f.Now)
	if bg == nil {
		return d
	}
	_, notAfter := breakglass.Window(bg)
	return Decision{Verdict: UnderBreakGlass, Reason: d.Reason, BreakGlass: bg, Message: fmt.Sprintf(
		"pod %s is governed by GDPRWorkload %s: %s is let through under BreakGlass %s and recorded; its window closes at %s, and then the pod is replaced by a fresh one.",
		PodName(f), f.Governor.Name, routes[d.Reason], bg.Name, notAfter.UTC().Format(time.RFC3339))}
}

// routes words what each route that a BreakGlass can open does to the pod.
var routes = map[gdprv1alpha1.AdmissionReason]string{
	gdprv1alpha1.AdmissionExec:                "running a command in it (pods/exec)",
	gdprv1alpha1.AdmissionAttach:              "attaching to its containers (pods/attach)",
	gdprv1alpha1.AdmissionPortForward:         "forwarding a port into it (pods/portforward)",
	gdprv1alpha1.AdmissionEphemeralContainers: "adding an ephemeral container to it (pods/ephemeralcontainers, kubectl debug)",
}

// decide answers as if no BreakGlass existed.
func decide(f Facts) Decision {
	if f.ManagerUsername != "" && f.Username == f.ManagerUsername {
		// The webhook configuration exempts the manager already (a matchCondition); this holds
		// should the configuration be edited, so that Amber cannot lock itself out.
		return Decision{Verdict: Allow}
	}
	switch f.Subresource {
	case "", SubresourceEphemeralContainers, SubresourceResize, SubresourceExec, SubresourceAttach, SubresourcePortForward:
	default:
		return Decision{Verdict: Allow} // status, binding, eviction: the cluster's own writes
	}
	if f.Operation == OperationDelete {
		return Decision{Verdict: Allow} // a deleted pod is replaced: the immutable answer
	}
	if impostor(f) {
		// An impostor naming no existing workload is refused whatever the mode: no workload
		// asked for Audit or Off.
		if f.Governor != nil && f.Governor.Mode == gdprv1alpha1.AdmissionOff {
			return Decision{Verdict: Allow}
		}
		return refuse(f, gdprv1alpha1.AdmissionImpostor, impostorWhat(f))
	}
	if f.Governor == nil || f.Governor.Mode == gdprv1alpha1.AdmissionOff {
		return Decision{Verdict: Allow}
	}
	switch f.Operation {
	case OperationConnect:
		switch f.Subresource {
		case SubresourceExec:
			return refuse(f, gdprv1alpha1.AdmissionExec, routes[gdprv1alpha1.AdmissionExec])
		case SubresourceAttach:
			return refuse(f, gdprv1alpha1.AdmissionAttach, routes[gdprv1alpha1.AdmissionAttach])
		case SubresourcePortForward:
			return refuse(f, gdprv1alpha1.AdmissionPortForward, routes[gdprv1alpha1.AdmissionPortForward])
		}
		return Decision{Verdict: Allow}
	case OperationUpdate:
		if f.Old == nil || f.New == nil {
			return Decision{Verdict: Allow}
		}
		switch f.Subresource {
		case SubresourceEphemeralContainers:
			if !equality.Semantic.DeepEqual(f.Old.Spec.EphemeralContainers, f.New.Spec.EphemeralContainers) {
				return refuse(f, gdprv1alpha1.AdmissionEphemeralContainers, routes[gdprv1alpha1.AdmissionEphemeralContainers])
			}
			return Decision{Verdict: Allow}
		case SubresourceResize:
			if paths := changedSpec(&f.Old.Spec, &f.New.Spec); len(paths) > 0 {
				return refuse(f, gdprv1alpha1.AdmissionResize, "resizing its containers (pods/resize)")
			}
			return Decision{Verdict: Allow}
		}
		if paths := changedSpec(&f.Old.Spec, &f.New.Spec); len(paths) > 0 {
			return refuse(f, gdprv1alpha1.AdmissionSpecChanged, "changing its spec ("+strings.Join(paths, ", ")+")")
		}
		if paths := changedMetadata(f); len(paths) > 0 {
			return refuse(f, gdprv1alpha1.AdmissionMetadataChanged, "changing its metadata ("+strings.Join(paths, ", ")+")")
		}
	}
	return Decision{Verdict: Allow}
}

// impostor reports whether the request gives a pod the workload label without being Amber:
// a pod created with it, or an existing pod labelled with it or moved to another workload by
// changing it (adopting a pod into a workload is Amber's alone).
func impostor(f Facts) bool {
	if f.New == nil || f.New.Labels[gdprv1alpha1.WorkloadLabel] == "" {
		return false
	}
	switch f.Operation {
	case OperationCreate:
		return f.Subresource == ""
	case OperationUpdate:
		return f.Subresource == "" && (f.Old == nil || f.Old.Labels[gdprv1alpha1.WorkloadLabel] != f.New.Labels[gdprv1alpha1.WorkloadLabel])
	}
	return false
}

func impostorWhat(f Facts) string {
	if f.Operation == OperationCreate {
		return "creating a pod that carries its workload label " + gdprv1alpha1.WorkloadLabel
	}
	return "giving an existing pod its workload label " + gdprv1alpha1.WorkloadLabel
}

// refuse words the refusal of what was tried, or its warning in Audit mode.
func refuse(f Facts, reason gdprv1alpha1.AdmissionReason, what string) Decision {
	audit := f.Governor != nil && f.Governor.Mode == gdprv1alpha1.AdmissionAudit
	var subject, howIn string
	if reason == gdprv1alpha1.AdmissionImpostor {
		workload := f.New.Labels[gdprv1alpha1.WorkloadLabel]
		subject = fmt.Sprintf("pods labelled %s=%s are created and governed by Amber alone, for GDPRWorkload %s", gdprv1alpha1.WorkloadLabel, workload, workload)
		howIn = "create the pod without that label, or change the GDPRWorkload's spec and let Amber make its pods"
	} else {
		subject = fmt.Sprintf("pod %s is governed by GDPRWorkload %s", PodName(f), f.Governor.Name)
		howIn = "ask for a break-glass, or change the GDPRWorkload's spec and let Amber roll out fresh pods; deleting the pod is always allowed and gets a fresh one"
	}
	if audit {
		return Decision{Verdict: Warn, Reason: reason, Message: fmt.Sprintf(
			"%s: %s would be refused; it is allowed and recorded because the workload's spec.admission.mode is Audit. The legitimate way: %s.", subject, what, howIn)}
	}
	return Decision{Verdict: Deny, Reason: reason, Message: fmt.Sprintf(
		"%s: %s is refused and recorded. The legitimate way: %s.", subject, what, howIn)}
}

// PodName is the name of the pod the request is about, as far as the facts tell.
func PodName(f Facts) string {
	switch {
	case f.Pod != "":
		return f.Pod
	case f.Old != nil:
		return f.Old.Name
	case f.New != nil:
		return f.New.Name
	}
	return ""
}

// changedSpec lists the top-level spec fields that differ, as spec.<json name>; fields equal
// once encoded (a quantity written two ways) are no change.
func changedSpec(old, updated *corev1.PodSpec) []string {
	if equality.Semantic.DeepEqual(old, updated) {
		return nil
	}
	return drift.SpecFieldsChanged(*old, *updated)
}

// changedMetadata lists the labels and annotations that changed outside the workload's
// ignoreMetadata (as metadata.labels.<key>; keys only, never values), and
// metadata.ownerReferences when they changed and the user is not the garbage collector.
// Finalizers are masked: adding one only delays a deletion, and the garbage collector and
// other controllers legitimately add and remove theirs.
func changedMetadata(f Facts) []string {
	ignored := func(key string) bool {
		if key == gdprv1alpha1.WorkloadLabel {
			return false // never ignorable: removing it lets the pod escape
		}
		for _, glob := range f.Governor.IgnoreMetadata {
			if ok, _ := path.Match(glob, key); ok {
				return true
			}
		}
		return false
	}
	var paths []string
	for _, m := range []struct {
		field         string
		before, after map[string]string
	}{
		{"metadata.labels", f.Old.Labels, f.New.Labels},
		{"metadata.annotations", f.Old.Annotations, f.New.Annotations},
	} {
		for k, before := range m.before {
			if after, ok := m.after[k]; (!ok || after != before) && !ignored(k) {
				paths = append(paths, m.field+"."+k)
			}
		}
		for k := range m.after {
			if _, ok := m.before[k]; !ok && !ignored(k) {
				paths = append(paths, m.field+"."+k)
			}
		}
	}
	slices.Sort(paths)
	if !slices.Contains(GarbageCollectors, f.Username) &&
		!equality.Semantic.DeepEqual(f.Old.OwnerReferences, f.New.OwnerReferences) {
		paths = append(paths, "metadata.ownerReferences")
	}
	return paths
}
