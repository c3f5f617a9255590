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

package hardening

import (
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// dropAll is the capability name that drops every capability.
const dropAll corev1.Capability = "ALL"

// AllowedCapability is the one capability an Immutable container may add: a process that is
// not root needs it to bind a port below 1024. The Pod Security Standards' restricted
// profile allows it for the same reason, so a pod under Immutable also passes a namespace
// that enforces restricted.
const AllowedCapability corev1.Capability = "NET_BIND_SERVICE"

// Effective is the profile that applies: the default, Immutable, when none is named (a
// workload stored before the field existed, or built in Go without it).
func Effective(profile gdprv1alpha1.HardeningProfile) gdprv1alpha1.HardeningProfile {
	if profile == "" {
		return gdprv1alpha1.HardeningImmutable
	}
	return profile
}

// windows tells whether a pod declares itself a Windows pod. The API server refuses the
// Linux-only security settings (read-only root filesystem, privilege escalation,
// capabilities, seccomp, privileged) on such a pod, so they are neither filled in nor
// required there, as the Pod Security Standards do.
func windows(spec *corev1.PodSpec) bool {
	return spec.OS != nil && spec.OS.Name == corev1.Windows
}

// Apply fills in, on a pod spec about to be created, the settings profile requires that the
// template left unset. Under Immutable every container and init container gets
// readOnlyRootFilesystem true, allowPrivilegeEscalation false, ALL among the dropped
// capabilities, and (unless the pod-level securityContext sets them) runAsNonRoot true and
// the RuntimeDefault seccomp profile; the pod gets automountServiceAccountToken false. A
// setting the template made is never changed: one that contradicts the profile is refused
// when the workload is applied, and one the profile allows (a Localhost seccomp profile, a
// service account token asked for) is the user's choice. Baseline only refuses and fills in
// nothing. Ephemeral containers are left alone: a pod is created without them.
func Apply(spec *corev1.PodSpec, profile gdprv1alpha1.HardeningProfile) {
	if Effective(profile) != gdprv1alpha1.HardeningImmutable {
		return
	}
	if spec.AutomountServiceAccountToken == nil {
		spec.AutomountServiceAccountToken = ptr.To(false)
	}
	podSC := spec.SecurityContext
	if podSC == nil {
		podSC = &corev1.PodSecurityContext{}
	}
	linux := !windows(spec)
	for _, containers := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for i := range containers {
			c := &containers[i]
			if c.SecurityContext == nil {
				c.SecurityContext = &corev1.SecurityContext{}
			}
			applyContainer(c.SecurityContext, podSC, linux)
		}
	}
}

func applyContainer(sc *corev1.SecurityContext, podSC *corev1.PodSecurityContext, linux bool) {
	// runAsNonRoot and seccompProfile are inherited from the pod when the container does not
	// set them: filling them in on the container would override the pod's own choice (a
	// Localhost seccomp profile, say).
	if sc.RunAsNonRoot == nil && podSC.RunAsNonRoot == nil {
		sc.RunAsNonRoot = ptr.To(true)
	}
	if !linux {
		return
	}
	if sc.ReadOnlyRootFilesystem == nil {
		sc.ReadOnlyRootFilesystem = ptr.To(true)
	}
	// The API server refuses allowPrivilegeEscalation false beside privileged or an added
	// SYS_ADMIN; under Immutable such a template is refused anyway, and the pod, left as
	// written, then shows the violation instead of failing to be created.
	if sc.AllowPrivilegeEscalation == nil && !ptr.Deref(sc.Privileged, false) && !addsSysAdmin(sc.Capabilities) {
		sc.AllowPrivilegeEscalation = ptr.To(false)
	}
	if sc.Capabilities == nil {
		sc.Capabilities = &corev1.Capabilities{}
	}
	// A drop list without ALL is completed rather than refused: the capabilities the user
	// named are dropped either way.
	if !slices.Contains(sc.Capabilities.Drop, dropAll) {
		sc.Capabilities.Drop = append(sc.Capabilities.Drop, dropAll)
	}
	if sc.SeccompProfile == nil && podSC.SeccompProfile == nil {
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
}

func addsSysAdmin(caps *corev1.Capabilities) bool {
	return caps != nil && (slices.Contains(caps.Add, "SYS_ADMIN") || slices.Contains(caps.Add, "CAP_SYS_ADMIN"))
}

// Violation is one place where a pod spec falls short of a hardening profile.
type Violation struct {
	// Field is the path of the field in the pod, containers and volumes named by their
	// names: "spec.containers[app].securityContext.privileged".
	Field string
	// Required is what the profile requires of the field: "must not be true".
	Required string
}

// String reads as a sentence: "spec.hostNetwork must not be true".
func (v Violation) String() string {
	return v.Field + " " + v.Required
}

// Violations lists where a pod spec falls short of profile, in a stable order: the pod's
// own fields, its volumes, then its init containers, containers and ephemeral containers in
// the order they are listed. It reads a spec as it runs: a setting the profile requires that
// is unset is a violation, since nothing fills it in any more. A template the API server
// admitted has none once Apply has filled it in; for a pod Amber created, a violation means
// the pod was not made under this profile (it predates a change of profile) or was changed
// since.
//
// Under Baseline a violation is a privileged container or a host namespace or hostPath
// volume; under Immutable also every setting Apply fills in that is missing or different, a
// capability added other than NET_BIND_SERVICE, a run as user 0, and an Unconfined seccomp
// profile. automountServiceAccountToken true is not a violation: the template may ask for a
// token.
func Violations(spec *corev1.PodSpec, profile gdprv1alpha1.HardeningProfile) []Violation {
	var out []Violation
	add := func(field, required string) {
		out = append(out, Violation{Field: field, Required: required})
	}
	if spec.HostNetwork {
		add("spec.hostNetwork", "must not be true")
	}
	if spec.HostPID {
		add("spec.hostPID", "must not be true")
	}
	if spec.HostIPC {
		add("spec.hostIPC", "must not be true")
	}
	immutable := Effective(profile) == gdprv1alpha1.HardeningImmutable
	linux := !windows(spec)
	podSC := spec.SecurityContext
	if podSC == nil {
		podSC = &corev1.PodSecurityContext{}
	}
	if immutable {
		if spec.AutomountServiceAccountToken == nil {
			add("spec.automountServiceAccountToken", "must be set: false unless the template asks for a token")
		}
		if podSC.RunAsNonRoot != nil && !*podSC.RunAsNonRoot {
			add("spec.securityContext.runAsNonRoot", "must not be false")
		}
		if podSC.RunAsUser != nil && *podSC.RunAsUser == 0 {
			add("spec.securityContext.runAsUser", "must not be 0 (root)")
		}
		if linux && podSC.SeccompProfile != nil && !allowedSeccomp(podSC.SeccompProfile) {
			add("spec.securityContext.seccompProfile.type", "must be RuntimeDefault or Localhost")
		}
	}
	for _, v := range spec.Volumes {
		if v.HostPath != nil {
			add(fmt.Sprintf("spec.volumes[%s].hostPath", v.Name), "must not be set")
		}
	}
	check := func(kind, name string, sc *corev1.SecurityContext) {
		path := fmt.Sprintf("spec.%s[%s].securityContext", kind, name)
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		if sc.Privileged != nil && *sc.Privileged {
			add(path+".privileged", "must not be true")
		}
		if !immutable {
			return
		}
		switch {
		case sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot:
			add(path+".runAsNonRoot", "must be true")
		case sc.RunAsNonRoot == nil && podSC.RunAsNonRoot == nil:
			add(path+".runAsNonRoot", "must be true (here or in spec.securityContext)")
		}
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			add(path+".runAsUser", "must not be 0 (root)")
		}
		if !linux {
			return
		}
		if !ptr.Deref(sc.ReadOnlyRootFilesystem, false) {
			add(path+".readOnlyRootFilesystem", "must be true")
		}
		if ptr.Deref(sc.AllowPrivilegeEscalation, true) {
			add(path+".allowPrivilegeEscalation", "must be false")
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, dropAll) {
			add(path+".capabilities.drop", "must include ALL")
		}
		if sc.Capabilities != nil && slices.ContainsFunc(sc.Capabilities.Add, func(c corev1.Capability) bool { return c != AllowedCapability }) {
			add(path+".capabilities.add", "may list only NET_BIND_SERVICE")
		}
		switch {
		case sc.SeccompProfile != nil && !allowedSeccomp(sc.SeccompProfile):
			add(path+".seccompProfile.type", "must be RuntimeDefault or Localhost")
		case sc.SeccompProfile == nil && podSC.SeccompProfile == nil:
			add(path+".seccompProfile.type", "must be RuntimeDefault or Localhost (here or in spec.securityContext)")
		}
	}
	for _, c := range spec.InitContainers {
		check("initContainers", c.Name, c.SecurityContext)
	}
	for _, c := range spec.Containers {
		check("containers", c.Name, c.SecurityContext)
	}
	for _, c := range spec.EphemeralContainers {
		check("ephemeralContainers", c.Name, c.SecurityContext)
	}
	return out
}

// allowedSeccomp tells whether a seccomp profile confines the container: the runtime's
// default, or a profile on the node. Unconfined does not.
func allowedSeccomp(p *corev1.SeccompProfile) bool {
	return p.Type == corev1.SeccompProfileTypeRuntimeDefault || p.Type == corev1.SeccompProfileTypeLocalhost
}
