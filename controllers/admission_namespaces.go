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

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/admission"
)

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;patch

// GovernedNamespaceReconciler labels each namespace that holds a GDPRWorkload with
// gdpr.amber.dev/governed=true, and removes the label when the last one is gone: the connect
// webhook (exec, attach, port-forward) is scoped by it, since admission sees no pod labels on
// CONNECT. Only the label's value "true" is Amber's: a namespace labelled otherwise by
// someone else is set to "true" while it holds a workload.
type GovernedNamespaceReconciler struct {
	Client client.Client
	// APIReader reads namespaces: the manager caches none, and this runs only when a
	// workload comes or goes.
	APIReader client.Reader
}

// SetupWithManager runs the reconciler for the namespace of every workload event.
func (r *GovernedNamespaceReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("governednamespace").
		Watches(&gdprv1alpha1.GDPRWorkload{}, handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
			return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: o.GetNamespace()}}}
		})).
		Complete(r)
}

// Reconcile sets or removes the label of one namespace.
func (r *GovernedNamespaceReconciler) Reconcile(ctx context.Context, req reconcile.Request) (ctrl.Result, error) {
	var workloads gdprv1alpha1.GDPRWorkloadList
	if err := r.Client.List(ctx, &workloads, client.InNamespace(req.Name)); err != nil {
		return ctrl.Result{}, fmt.Errorf("list workloads of namespace %s: %w", req.Name, err)
	}
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := r.APIReader.Get(ctx, client.ObjectKey{Name: req.Name}, ns); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	governed := len(workloads.Items) > 0
	value, labelled := ns.Labels[admission.GovernedNamespaceLabel]
	if governed == (labelled && value == "true") || (!governed && !labelled) {
		return ctrl.Result{}, nil
	}
	patch := client.MergeFrom(ns.DeepCopy())
	if governed {
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[admission.GovernedNamespaceLabel] = "true"
	} else {
		delete(ns.Labels, admission.GovernedNamespaceLabel)
	}
	ctrl.LoggerFrom(ctx).Info("Labelling namespace", "namespace", req.Name, "governed", governed)
	if err := r.Client.Patch(ctx, ns, patch); err != nil && !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("label namespace %s governed=%v: %w", req.Name, governed, err)
	}
	return ctrl.Result{}, nil
}
