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

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// +kubebuilder:rbac:groups="",resources=nodes,verbs=get;list;watch

// nodeIndex indexes the cached pods by the node they are bound to.
const nodeIndex = "spec.nodeName"

func podNode(obj client.Object) []string {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod.Spec.NodeName == "" {
		return nil
	}
	return []string{pod.Spec.NodeName}
}

// keepNodeLabels is the cache transform of nodes: a node's name and labels, nothing else.
func keepNodeLabels(obj any) (any, error) {
	node, ok := obj.(*corev1.Node)
	if !ok {
		return obj, nil
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{
		Name: node.Name, UID: node.UID, ResourceVersion: node.ResourceVersion, Labels: node.Labels,
	}}, nil
}

// nodeLabels returns the labels of the node a pod is bound to; known is false while the pod
// is not bound or the node is gone.
func (r *GDPRWorkloadReconciler) nodeLabels(ctx context.Context, pod *corev1.Pod) (labels map[string]string, known bool, err error) {
	if pod.Spec.NodeName == "" {
		return nil, false, nil
	}
	var node corev1.Node
	if err := r.Get(ctx, types.NamespacedName{Name: pod.Spec.NodeName}, &node); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return node.Labels, true, nil
}

// workloadsOnNode maps a node whose labels changed to the workloads with pods on it.
func (r *GDPRWorkloadReconciler) workloadsOnNode(ctx context.Context, obj client.Object) []reconcile.Request {
	var pods corev1.PodList
	if err := r.List(ctx, &pods, client.MatchingFields{nodeIndex: obj.GetName()}); err != nil {
		return nil
	}
	seen := map[types.NamespacedName]bool{}
	var requests []reconcile.Request
	for _, pod := range pods.Items {
		name := types.NamespacedName{Namespace: pod.Namespace, Name: pod.Labels[gdprv1alpha1.WorkloadLabel]}
		if name.Name == "" || seen[name] {
			continue
		}
		seen[name] = true
		requests = append(requests, reconcile.Request{NamespacedName: name})
	}
	return requests
}
