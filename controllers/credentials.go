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

	"github.com/google/go-containerregistry/pkg/authn"
	k8schain "github.com/google/go-containerregistry/pkg/authn/kubernetes"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get;list;watch

// pullKeychain gives the credentials the kubelet would use to pull the workload's images:
// the template's imagePullSecrets and those of its service account, read from the
// informer cache. A secret or service account that does not exist is skipped, as the
// kubelet skips it.
func (r *GDPRWorkloadReconciler) pullKeychain(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) (authn.Keychain, error) {
	spec := &w.Spec.Template.Spec
	names := make([]string, 0, len(spec.ImagePullSecrets))
	for _, ref := range spec.ImagePullSecrets {
		names = append(names, ref.Name)
	}
	account := spec.ServiceAccountName
	if account == "" {
		account = "default"
	}
	sa := &corev1.ServiceAccount{}
	switch err := r.Get(ctx, client.ObjectKey{Namespace: w.Namespace, Name: account}, sa); {
	case err == nil:
		for _, ref := range sa.ImagePullSecrets {
			names = append(names, ref.Name)
		}
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("read service account %s: %w", account, err)
	}

	secrets := make([]corev1.Secret, 0, len(names))
	for _, name := range names {
		secret := corev1.Secret{}
		switch err := r.Get(ctx, client.ObjectKey{Namespace: w.Namespace, Name: name}, &secret); {
		case err == nil:
			secrets = append(secrets, secret)
		case !apierrors.IsNotFound(err):
			return nil, fmt.Errorf("read image pull secret %s: %w", name, err)
		}
	}
	if len(secrets) == 0 {
		return authn.NewMultiKeychain(), nil // anonymous
	}
	keychain, err := k8schain.NewFromPullSecrets(ctx, secrets)
	if err != nil {
		return nil, fmt.Errorf("read image pull secrets %v: %w", names, err)
	}
	return keychain, nil
}

// pullInputIndex indexes workloads by the inputs their image pulls depend on: the template's
// pull secrets and its service account. A change to one of them wakes the workloads that use
// it, so that a fixed pull secret ends an Unauthorized pin at once rather than after the
// backoff, and nothing else has to poll.
const pullInputIndex = "spec.template.pullInputs"

func secretInput(name string) string         { return "secret/" + name }
func serviceAccountInput(name string) string { return "serviceaccount/" + name }

// pullInputsOf lists a workload's pull inputs, as pullInputIndex keys them.
func pullInputsOf(o client.Object) []string {
	w, ok := o.(*gdprv1alpha1.GDPRWorkload)
	if !ok {
		return nil
	}
	spec := &w.Spec.Template.Spec
	account := spec.ServiceAccountName
	if account == "" {
		account = "default"
	}
	inputs := []string{serviceAccountInput(account)}
	for _, ref := range spec.ImagePullSecrets {
		inputs = append(inputs, secretInput(ref.Name))
	}
	return inputs
}

// workloadsUsing maps a changed secret or service account to the workloads whose pulls use
// it: directly, or (a secret) through a service account that lists it.
func (r *GDPRWorkloadReconciler) workloadsUsing(ctx context.Context, obj client.Object) []reconcile.Request {
	inputs := []string{}
	switch o := obj.(type) {
	case *corev1.ServiceAccount:
		inputs = append(inputs, serviceAccountInput(o.Name))
	case *corev1.Secret:
		inputs = append(inputs, secretInput(o.Name))
		accounts := &corev1.ServiceAccountList{}
		if err := r.List(ctx, accounts, client.InNamespace(o.Namespace)); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Listing service accounts to wake the workloads a secret concerns")
		}
		for i := range accounts.Items {
			for _, ref := range accounts.Items[i].ImagePullSecrets {
				if ref.Name == o.Name {
					inputs = append(inputs, serviceAccountInput(accounts.Items[i].Name))
				}
			}
		}
	}
	seen := map[types.NamespacedName]bool{}
	var requests []reconcile.Request
	for _, input := range inputs {
		workloads := &gdprv1alpha1.GDPRWorkloadList{}
		if err := r.List(ctx, workloads, client.InNamespace(obj.GetNamespace()), client.MatchingFields{pullInputIndex: input}); err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "Listing the workloads a pull input concerns", "input", input)
			continue
		}
		for i := range workloads.Items {
			key := client.ObjectKeyFromObject(&workloads.Items[i])
			if !seen[key] {
				seen[key] = true
				requests = append(requests, reconcile.Request{NamespacedName: key})
			}
		}
	}
	return requests
}

// isPullSecret reports whether a secret holds registry credentials.
func isPullSecret(secret *corev1.Secret) bool {
	return secret.Type == corev1.SecretTypeDockerConfigJson || secret.Type == corev1.SecretTypeDockercfg
}

// keepOnlyPullSecretData is the secret informer's transform: the manager reads every Secret's
// metadata to find pull secrets, but keeps in memory the data of pull secrets only.
func keepOnlyPullSecretData(obj any) (any, error) {
	if secret, ok := obj.(*corev1.Secret); ok && !isPullSecret(secret) {
		secret.Data, secret.StringData, secret.ManagedFields = nil, nil, nil
	}
	return obj, nil
}
