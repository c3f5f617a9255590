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
	"errors"
	"fmt"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WorkloadRefusedPrefix starts the message of a GDPRWorkload refused because the API server
// would refuse its pods: what follows is the API server's own message about the pod, which
// names pod fields (spec.containers[0].name), so the user must be told which pod that is.
const WorkloadRefusedPrefix = "spec.template: the API server would refuse the pods this template makes (checked by a server-side dry-run create of one): "

// WorkloadCheckNeeded tells whether an update of a GDPRWorkload must be checked by a dry-run
// pod creation: only when the pod the workload makes changes (its template, its hardening
// profile or its residency, all folded into the pod). A change of replicas, of the ledger's
// settings or of the admission mode makes the same pods, which the API server already took or
// refused when they were made; checking them again would charge a round trip to every scale
// and, worse, refuse scaling down a workload whose namespace's quota is full of its own
// pods. oldPod is nil on a creation.
func WorkloadCheckNeeded(oldPod, newPod *corev1.Pod) bool {
	if oldPod == nil {
		return true
	}
	return !equality.Semantic.DeepEqual(oldPod.Labels, newPod.Labels) ||
		!equality.Semantic.DeepEqual(oldPod.Annotations, newPod.Annotations) ||
		!equality.Semantic.DeepEqual(oldPod.Spec, newPod.Spec)
}

// WorkloadVerdict is the answer to a GDPRWorkload request, given what the dry-run creation of
// one of its pods returned.
type WorkloadVerdict struct {
	Allowed bool
	// Message explains a refusal.
	Message string
	// Warning is returned to the client with an allowed request.
	Warning string
}

// DecideWorkload turns the error of the dry-run pod creation into the verdict on the
// workload. The API server's refusal of the pod (invalid, forbidden by a quota, a
// PodSecurity level, a LimitRange, another admission webhook) refuses the workload with the
// API server's message. Another cluster's webhook that cannot take dry runs (sideEffects
// Unknown or Some) keeps the pod from being checked, not from being made: the workload is
// allowed with a warning rather than refused for a fault that is not its own. Any other
// failure (a timeout, the API server unavailable) refuses the workload, as the webhook fails
// closed: the check is what it promises, and applying again is cheap.
func DecideWorkload(err error) WorkloadVerdict {
	if err == nil {
		return WorkloadVerdict{Allowed: true}
	}
	if status, ok := errors.AsType[*apierrors.StatusError](err); ok {
		s := status.Status()
		if s.Reason == metav1.StatusReasonBadRequest && strings.Contains(s.Message, "does not support dry run") {
			return WorkloadVerdict{Allowed: true, Warning: "spec.template was not checked against the API server: " + s.Message}
		}
		if refusesPod(s) {
			return WorkloadVerdict{Message: WorkloadRefusedPrefix + s.Message}
		}
	}
	return WorkloadVerdict{Message: fmt.Sprintf("spec.template could not be checked by a dry-run create of one of its pods, so the workload is refused; nothing was changed, apply it again: %v", err)}
}

// refusesPod tells whether a status is the API server's decision about the pod itself rather
// than a failure to reach one. By code, not reason: another admission webhook's denial
// carries the code it chose (403 unless it said otherwise) and often no reason.
func refusesPod(s metav1.Status) bool {
	switch s.Code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusUnauthorized:
		return false
	}
	return s.Code >= 400 && s.Code < 500
}
