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
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/drift"
	"github.com/amber-gdpr/amber/internal/hardening"
	"github.com/amber-gdpr/amber/internal/podplan"
	"github.com/amber-gdpr/amber/internal/residency"
	"github.com/amber-gdpr/amber/internal/revision"
)

// newPod makes a pod of revision from the workload's template, every image replaced by its
// pinned reference, locked down by the revision's hardening profile (the settings the
// template left unset filled in here, on the pod, never in the workload: a GitOps tool sees
// no diff), required to run on a node within the workload's residency (read from
// the node labels keys names). The API server completes the name from generateName, so replacements
// never wait for a terminating pod's name.
// The template is the revision's own, as recorded: the workload's may have moved on while
// its new revision cannot be pinned.
func newPod(workload *gdprv1alpha1.GDPRWorkload, rev revision.Revision, keys residency.Keys) (*corev1.Pod, error) {
	template := rev.Template.DeepCopy()
	spec, err := revision.PodSpec(template, rev.Pins)
	if err != nil {
		return nil, fmt.Errorf("make pod of revision %s: %w", rev.ID, err)
	}
	// The revision's profile, not the workload's: a profile change is a new revision, and a
	// pod made from the old one during the rollout is made as its revision's pods were.
	hardening.Apply(&spec, rev.Hardening)
	// The workload's residency as it is now, not as the revision recorded it: narrowing the
	// regions must not wait for a new revision, and the pods already placed are checked
	// against it apart.
	spec.Affinity = residency.Constrain(spec.Affinity, keys, workload.Spec.Residency)
	labels := make(map[string]string, len(template.Labels)+2)
	for k, v := range template.Labels {
		labels[k] = v
	}
	labels[gdprv1alpha1.WorkloadLabel] = workload.Name
	labels[gdprv1alpha1.RevisionLabel] = rev.ID

	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: workload.Name + "-",
			Namespace:    workload.Namespace,
			Labels:       labels,
			Annotations:  template.Annotations,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion:         gdprv1alpha1.GroupVersion.String(),
				Kind:               "GDPRWorkload",
				Name:               workload.Name,
				UID:                workload.UID,
				Controller:         ptr.To(true),
				BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: spec,
	}, nil
}

// planPod is what the pod planner needs to know of an observed pod.
func planPod(pod *corev1.Pod) podplan.Pod {
	return podplan.Pod{
		Name:        pod.Name,
		Revision:    pod.Labels[gdprv1alpha1.RevisionLabel],
		Ready:       podReady(pod),
		Scheduled:   pod.Spec.NodeName != "",
		Terminating: pod.DeletionTimestamp != nil,
		Finished:    pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed,
		Created:     pod.CreationTimestamp.Time,
	}
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// ownedBy reports whether the workload is the pod's controller. A workload deleted and
// recreated under the same name must not adopt the pods of its predecessor that the
// garbage collector has yet to remove.
func ownedBy(pod *corev1.Pod, workload *gdprv1alpha1.GDPRWorkload) bool {
	ref := metav1.GetControllerOf(pod)
	return ref != nil && ref.UID == workload.UID
}

// podChangeMatters reports whether an update of a pod can change what Amber decides: its
// spec, labels, annotations or owners (drift), its deletion, its phase or readiness, or the
// image digests its runtime reports. The kubelet's other status writes (conditions on the
// way to Ready, timestamps) would only wake the workload for nothing.
func podChangeMatters(oldObj, newObj client.Object) bool {
	old, okOld := oldObj.(*corev1.Pod)
	pod, okNew := newObj.(*corev1.Pod)
	if !okOld || !okNew {
		return true
	}
	return old.DeletionTimestamp.IsZero() != pod.DeletionTimestamp.IsZero() ||
		old.Status.Phase != pod.Status.Phase ||
		podReady(old) != podReady(pod) ||
		unschedulable(old) != unschedulable(pod) ||
		!maps.Equal(old.Labels, pod.Labels) ||
		!maps.Equal(old.Annotations, pod.Annotations) ||
		!equality.Semantic.DeepEqual(old.OwnerReferences, pod.OwnerReferences) ||
		!slices.Equal(imageIDs(old), imageIDs(pod)) ||
		!equality.Semantic.DeepEqual(old.Spec, pod.Spec)
}

// unschedulable tells whether the scheduler found no node for a pod (residency.Unschedulable):
// the workload's status says so.
func unschedulable(pod *corev1.Pod) bool {
	_, ok := residency.Unschedulable(pod)
	return ok
}

// keepPodAttribution is the pod informer's transform: managed fields are kept only as far as
// drift attribution reads them (drift.KeepAttribution).
func keepPodAttribution(obj any) (any, error) {
	if pod, ok := obj.(*corev1.Pod); ok {
		drift.KeepAttribution(pod)
	}
	return obj, nil
}

func imageIDs(pod *corev1.Pod) []string {
	ids := make([]string, 0, len(pod.Status.InitContainerStatuses)+len(pod.Status.ContainerStatuses))
	for _, statuses := range [][]corev1.ContainerStatus{pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses} {
		for _, s := range statuses {
			ids = append(ids, s.Name+"="+s.ImageID)
		}
	}
	return ids
}

// residencyKeys are the node labels residency is read from: the configured ones, or the
// well-known topology labels.
func (r *GDPRWorkloadReconciler) residencyKeys() residency.Keys {
	keys := r.Residency
	if keys.Region == "" {
		keys.Region = residency.DefaultKeys.Region
	}
	if keys.Zone == "" {
		keys.Zone = residency.DefaultKeys.Zone
	}
	return keys
}
