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
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestWorkloadCheckNeeded(t *testing.T) {
	pod := func(mutate func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "web", Image: "registry.example/web:1",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}},
			}}},
		}
		if mutate != nil {
			mutate(p)
		}
		return p
	}
	for _, tc := range []struct {
		name     string
		old, new *corev1.Pod
		want     bool
	}{
		{"a creation is always checked", nil, pod(nil), true},
		{"an update making the same pod (replicas, ledger settings) is not checked", pod(nil), pod(nil), false},
		{"the same quantity written another way is the same pod",
			pod(nil), pod(func(p *corev1.Pod) {
				p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("0.1")
			}), false},
		{"a new image is checked", pod(nil), pod(func(p *corev1.Pod) { p.Spec.Containers[0].Image = "registry.example/web:2" }), true},
		{"a new template label is checked", pod(nil), pod(func(p *corev1.Pod) { p.Labels["tier"] = "front" }), true},
		{"a new template annotation is checked", pod(nil), pod(func(p *corev1.Pod) { p.Annotations = map[string]string{"a": "b"} }), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := WorkloadCheckNeeded(tc.old, tc.new); got != tc.want {
				t.Errorf("WorkloadCheckNeeded = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecideWorkload(t *testing.T) {
	pods := schema.GroupResource{Resource: "pods"}
	invalid := apierrors.NewInvalid(schema.GroupKind{Kind: "Pod"}, "web-", field.ErrorList{
		field.Invalid(field.NewPath("spec", "containers").Index(0).Child("name"), "Web", "a lowercase RFC 1123 label must consist of ..."),
	})
	quota := apierrors.NewForbidden(pods, "web-", errors.New("exceeded quota: compute, requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=1"))
	webhookDenied := &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: 403,
		Message: `admission webhook "policy.example" denied the request: no latest tags`}}
	for _, tc := range []struct {
		name        string
		err         error
		wantAllowed bool
		wantMessage string
		wantWarning string
	}{
		{"a pod the API server would create allows the workload", nil, true, "", ""},
		{"an invalid pod refuses the workload with the API server's message, prefixed",
			invalid, false, WorkloadRefusedPrefix + invalid.Error(), ""},
		{"a quota the pod exceeds refuses the workload with the quota's message",
			quota, false, WorkloadRefusedPrefix + quota.Error(), ""},
		{"another webhook's denial without a reason refuses the workload by its code",
			webhookDenied, false, WorkloadRefusedPrefix + webhookDenied.Error(), ""},
		{"another webhook that cannot take dry runs leaves the workload allowed, with a warning",
			apierrors.NewBadRequest(`admission webhook "legacy.example" does not support dry run`), true, "",
			`spec.template was not checked against the API server: admission webhook "legacy.example" does not support dry run`},
		{"a timeout of the dry run refuses the workload and says to apply again",
			apierrors.NewTimeoutError("request did not complete within 8s", 0), false,
			"spec.template could not be checked by a dry-run create of one of its pods, so the workload is refused; nothing was changed, apply it again: Timeout: request did not complete within 8s", ""},
		{"an API server out of reach refuses the workload and says to apply again",
			fmt.Errorf("create pod: %w", context.DeadlineExceeded), false,
			"spec.template could not be checked by a dry-run create of one of its pods, so the workload is refused; nothing was changed, apply it again: create pod: context deadline exceeded", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DecideWorkload(tc.err)
			if got.Allowed != tc.wantAllowed || got.Message != tc.wantMessage || got.Warning != tc.wantWarning {
				t.Errorf("DecideWorkload = %+v, want allowed %v, message %q, warning %q", got, tc.wantAllowed, tc.wantMessage, tc.wantWarning)
			}
			if !got.Allowed && !strings.HasPrefix(got.Message, "spec.template") {
				t.Errorf("a refusal must name spec.template first: %q", got.Message)
			}
		})
	}
}
