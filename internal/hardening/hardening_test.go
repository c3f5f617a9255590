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
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/utils/ptr"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

const (
	immutable = gdprv1alpha1.HardeningImmutable
	baseline  = gdprv1alpha1.HardeningBaseline
)

// podSpec builds a pod spec of one container "app", then lets each option change it
// (withInit adds an init container "init").
func podSpec(options ...func(*corev1.PodSpec)) *corev1.PodSpec {
	spec := &corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app:1"}}}
	for _, o := range options {
		o(spec)
	}
	return spec
}

func withInit(spec *corev1.PodSpec) {
	spec.InitContainers = append(spec.InitContainers, corev1.Container{Name: "init", Image: "init:1"})
}

func container(f func(*corev1.SecurityContext)) func(*corev1.PodSpec) {
	return func(spec *corev1.PodSpec) {
		if spec.Containers[0].SecurityContext == nil {
			spec.Containers[0].SecurityContext = &corev1.SecurityContext{}
		}
		f(spec.Containers[0].SecurityContext)
	}
}

func pod(f func(*corev1.PodSecurityContext)) func(*corev1.PodSpec) {
	return func(spec *corev1.PodSpec) {
		if spec.SecurityContext == nil {
			spec.SecurityContext = &corev1.PodSecurityContext{}
		}
		f(spec.SecurityContext)
	}
}

// locked is the security context Apply gives a container under Immutable when the
// template sets nothing.
func locked() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		RunAsNonRoot:             ptr.To(true),
		ReadOnlyRootFilesystem:   ptr.To(true),
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

func lockedWith(f func(*corev1.SecurityContext)) *corev1.SecurityContext {
	sc := locked()
	f(sc)
	return sc
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		name    string
		spec    *corev1.PodSpec
		profile gdprv1alpha1.HardeningProfile
		want    *corev1.PodSpec
	}{
		{"Immutable fills in every setting of a container that sets none, and no token", podSpec(), immutable,
			podSpec(container(func(sc *corev1.SecurityContext) { *sc = *locked() }), func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr.To(false) })},
		{"an empty profile is the default, Immutable", podSpec(), "",
			podSpec(container(func(sc *corev1.SecurityContext) { *sc = *locked() }), func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr.To(false) })},
		{"init containers are locked down like containers", podSpec(withInit), immutable,
			podSpec(withInit, container(func(sc *corev1.SecurityContext) { *sc = *locked() }), func(s *corev1.PodSpec) {
				s.InitContainers[0].SecurityContext = locked()
				s.AutomountServiceAccountToken = ptr.To(false)
			})},
		{"Baseline fills in nothing", podSpec(withInit), baseline, podSpec(withInit)},
		{"a token the template asks for is kept", podSpec(func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr.To(true) }), immutable,
			podSpec(container(func(sc *corev1.SecurityContext) { *sc = *locked() }), func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr.To(true) })},
		{"a setting the template made is never changed",
			podSpec(container(func(sc *corev1.SecurityContext) {
				sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("app.json")}
				sc.RunAsUser = ptr.To[int64](1000)
			})), immutable,
			podSpec(container(func(sc *corev1.SecurityContext) {
				*sc = *lockedWith(func(sc *corev1.SecurityContext) {
					sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("app.json")}
					sc.RunAsUser = ptr.To[int64](1000)
				})
			}), func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr.To(false) })},
		{"runAsNonRoot and seccomp set on the pod are inherited, not overridden on the container",
			podSpec(pod(func(p *corev1.PodSecurityContext) {
				p.RunAsNonRoot = ptr.To(true)
				p.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("pod.json")}
			})), immutable,
			podSpec(pod(func(p *corev1.PodSecurityContext) {
				p.RunAsNonRoot = ptr.To(true)
				p.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("pod.json")}
			}), container(func(sc *corev1.SecurityContext) {
				*sc = *lockedWith(func(sc *corev1.SecurityContext) { sc.RunAsNonRoot, sc.SeccompProfile = nil, nil })
			}), func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr.To(false) })},
		{"a drop list without ALL is completed, the capabilities it names kept",
			podSpec(container(func(sc *corev1.SecurityContext) {
				sc.Capabilities = &corev1.Capabilities{Drop: []corev1.Capability{"NET_RAW"}, Add: []corev1.Capability{"NET_BIND_SERVICE"}}
			})), immutable,
			podSpec(container(func(sc *corev1.SecurityContext) {
				*sc = *lockedWith(func(sc *corev1.SecurityContext) {
					sc.Capabilities = &corev1.Capabilities{Drop: []corev1.Capability{"NET_RAW", "ALL"}, Add: []corev1.Capability{"NET_BIND_SERVICE"}}
				})
			}), func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr.To(false) })},
		{"a privileged container the API server let through keeps privilege escalation as written, which it requires",
			podSpec(container(func(sc *corev1.SecurityContext) { sc.Privileged = ptr.To(true) })), immutable,
			podSpec(container(func(sc *corev1.SecurityContext) {
				*sc = *lockedWith(func(sc *corev1.SecurityContext) { sc.Privileged, sc.AllowPrivilegeEscalation = ptr.To(true), nil })
			}), func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr.To(false) })},
		{"a Windows pod gets only runAsNonRoot, the API server refusing the Linux settings there",
			podSpec(func(s *corev1.PodSpec) { s.OS = &corev1.PodOS{Name: corev1.Windows} }), immutable,
			podSpec(func(s *corev1.PodSpec) { s.OS = &corev1.PodOS{Name: corev1.Windows} }, container(func(sc *corev1.SecurityContext) { sc.RunAsNonRoot = ptr.To(true) }),
				func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr.To(false) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			Apply(tc.spec, tc.profile)
			if !equality.Semantic.DeepEqual(tc.spec, tc.want) {
				t.Errorf("Apply =\n%+v\nwant\n%+v", tc.spec, tc.want)
			}
		})
	}
}

func TestViolations(t *testing.T) {
	compliant := func(s *corev1.PodSpec) { Apply(s, immutable) }
	for _, tc := range []struct {
		name    string
		spec    *corev1.PodSpec
		profile gdprv1alpha1.HardeningProfile
		want    []string
	}{
		{"a pod Apply filled in complies with Immutable", podSpec(withInit, compliant), immutable, nil},
		{"a pod with no settings complies with Baseline", podSpec(withInit), baseline, nil},
		{"a pod with no settings falls short of Immutable at every setting, in a stable order", podSpec(withInit), immutable, []string{
			"spec.automountServiceAccountToken must be set: false unless the template asks for a token",
			"spec.initContainers[init].securityContext.runAsNonRoot must be true (here or in spec.securityContext)",
			"spec.initContainers[init].securityContext.readOnlyRootFilesystem must be true",
			"spec.initContainers[init].securityContext.allowPrivilegeEscalation must be false",
			"spec.initContainers[init].securityContext.capabilities.drop must include ALL",
			"spec.initContainers[init].securityContext.seccompProfile.type must be RuntimeDefault or Localhost (here or in spec.securityContext)",
			"spec.containers[app].securityContext.runAsNonRoot must be true (here or in spec.securityContext)",
			"spec.containers[app].securityContext.readOnlyRootFilesystem must be true",
			"spec.containers[app].securityContext.allowPrivilegeEscalation must be false",
			"spec.containers[app].securityContext.capabilities.drop must include ALL",
			"spec.containers[app].securityContext.seccompProfile.type must be RuntimeDefault or Localhost (here or in spec.securityContext)",
		}},
		{"host namespaces and hostPath volumes fall short of Baseline", podSpec(func(s *corev1.PodSpec) {
			s.HostNetwork, s.HostPID, s.HostIPC = true, true, true
			s.Volumes = []corev1.Volume{{Name: "empty", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}, {Name: "docker", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock"}}}}
		}), baseline, []string{
			"spec.hostNetwork must not be true",
			"spec.hostPID must not be true",
			"spec.hostIPC must not be true",
			"spec.volumes[docker].hostPath must not be set",
		}},
		{"a privileged container falls short of Baseline", podSpec(withInit, func(s *corev1.PodSpec) {
			s.InitContainers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
		}), baseline, []string{
			"spec.initContainers[init].securityContext.privileged must not be true",
		}},
		{"a privileged container falls short of Immutable too", podSpec(container(func(sc *corev1.SecurityContext) { sc.Privileged = ptr.To(true) }), compliant), immutable, []string{
			"spec.containers[app].securityContext.privileged must not be true",
			"spec.containers[app].securityContext.allowPrivilegeEscalation must be false",
		}},
		{"settings that contradict Immutable are each named", podSpec(container(func(sc *corev1.SecurityContext) {
			sc.ReadOnlyRootFilesystem = ptr.To(false)
			sc.AllowPrivilegeEscalation = ptr.To(true)
			sc.RunAsNonRoot = ptr.To(false)
			sc.RunAsUser = ptr.To[int64](0)
			sc.Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE", "NET_ADMIN"}}
			sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}), compliant), immutable, []string{
			"spec.containers[app].securityContext.runAsNonRoot must be true",
			"spec.containers[app].securityContext.runAsUser must not be 0 (root)",
			"spec.containers[app].securityContext.readOnlyRootFilesystem must be true",
			"spec.containers[app].securityContext.allowPrivilegeEscalation must be false",
			"spec.containers[app].securityContext.capabilities.add may list only NET_BIND_SERVICE",
			"spec.containers[app].securityContext.seccompProfile.type must be RuntimeDefault or Localhost",
		}},
		{"a pod-level contradiction is named once, at the pod", podSpec(withInit, pod(func(p *corev1.PodSecurityContext) {
			p.RunAsNonRoot = ptr.To(false)
			p.RunAsUser = ptr.To[int64](0)
			p.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}), compliant), immutable, []string{
			"spec.securityContext.runAsNonRoot must not be false",
			"spec.securityContext.runAsUser must not be 0 (root)",
			"spec.securityContext.seccompProfile.type must be RuntimeDefault or Localhost",
		}},
		{"NET_BIND_SERVICE alone may be added", podSpec(container(func(sc *corev1.SecurityContext) {
			sc.Capabilities = &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}}
		}), compliant), immutable, nil},
		{"a token the template asks for is not a violation", podSpec(func(s *corev1.PodSpec) { s.AutomountServiceAccountToken = ptr.To(true) }, compliant), immutable, nil},
		{"a debug container added to a running pod is checked like the others", podSpec(compliant, func(s *corev1.PodSpec) {
			s.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debugger", Image: "busybox",
				SecurityContext: lockedWith(func(sc *corev1.SecurityContext) { sc.Privileged, sc.AllowPrivilegeEscalation = ptr.To(true), nil })}}}
		}), immutable, []string{
			"spec.ephemeralContainers[debugger].securityContext.privileged must not be true",
			"spec.ephemeralContainers[debugger].securityContext.allowPrivilegeEscalation must be false",
		}},
		{"a Windows pod is not asked for the Linux settings", podSpec(func(s *corev1.PodSpec) { s.OS = &corev1.PodOS{Name: corev1.Windows} }, compliant), immutable, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, v := range Violations(tc.spec, tc.profile) {
				got = append(got, v.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Violations =\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
