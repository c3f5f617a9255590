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
	"sigs.k8s.io/controller-runtime/pkg/client"

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
