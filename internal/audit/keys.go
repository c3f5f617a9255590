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

package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/amber-gdpr/amber/internal/ledger"
)

// Names of the objects holding the ledger's keys, in the manager's namespace.
const (
	// SigningKeySecret holds the Ed25519 key checkpoints are signed with (key "ed25519.seed").
	SigningKeySecret = "amber-ledger-signing-key"
	// PublicKeyConfigMap publishes its public key (key "amber.pub", PEM), readable by anyone
	// allowed to read the namespace's ConfigMaps, so that verifying needs no secret.
	PublicKeyConfigMap = "amber-ledger-public-key"
	// PseudonymKeySecret holds the HMAC key actors are pseudonymised with (key "hmac.key").
	// Deleting it anonymises the whole history: nobody can link a pseudonym to a name again.
	PseudonymKeySecret = "amber-actor-pseudonym-key"

	signingKeyField   = "ed25519.seed"
	publicKeyField    = "amber.pub"
	pseudonymKeyField = "hmac.key"
)

// Keys are the ledger's secrets, as loaded or created at start.
type Keys struct {
	Signing   ed25519.PrivateKey
	Pseudonym []byte
}

// EnsureKeys loads the signing and pseudonym keys from their Secrets in namespace, creating
// them with fresh random keys if absent, and publishes the public key. It reads through the
// uncached reader: the manager's cache keeps the data of pull secrets only.
func EnsureKeys(ctx context.Context, c client.Client, reader client.Reader, namespace string) (*Keys, error) {
	seed, err := ensureSecret(ctx, c, reader, namespace, SigningKeySecret, signingKeyField, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	hmacKey, err := ensureSecret(ctx, c, reader, namespace, PseudonymKeySecret, pseudonymKeyField, 32)
	if err != nil {
		return nil, err
	}
	keys := &Keys{Signing: ed25519.NewKeyFromSeed(seed), Pseudonym: hmacKey}
	if err := publishPublicKey(ctx, c, reader, namespace, keys.Signing.Public().(ed25519.PublicKey)); err != nil {
		return nil, err
	}
	return keys, nil
}

func ensureSecret(ctx context.Context, c client.Client, reader client.Reader, namespace, name, field string, size int) ([]byte, error) {
	key := types.NamespacedName{Namespace: namespace, Name: name}
	for range 2 {
		secret := &corev1.Secret{}
		err := reader.Get(ctx, key, secret)
		if err == nil {
			value := secret.Data[field]
			if len(value) != size {
				return nil, fmt.Errorf("secret %s: data.%s holds %d bytes, want %d", key, field, len(value), size)
			}
			return value, nil
		}
		if !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("read secret %s: %w", key, err)
		}
		value := make([]byte, size)
		if _, err := rand.Read(value); err != nil {
			return nil, fmt.Errorf("generate %s: %w", name, err)
		}
		secret = &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{"app.kubernetes.io/name": "amber"}},
			Immutable:  ptr.To(true),
			Data:       map[string][]byte{field: value},
		}
		err = c.Create(ctx, secret)
		if err == nil {
			return value, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("create secret %s: %w", key, err)
		}
		// Another replica created it first: read theirs.
	}
	return nil, fmt.Errorf("secret %s: created and deleted concurrently", key)
}

func publishPublicKey(ctx context.Context, c client.Client, reader client.Reader, namespace string, public ed25519.PublicKey) error {
	encoded, err := publicKeyPEM(public)
	if err != nil {
		return err
	}
	data := map[string]string{
		publicKeyField: encoded,
		"keyID":        ledger.KeyID(public),
	}
	key := types.NamespacedName{Namespace: namespace, Name: PublicKeyConfigMap}
	cm := &corev1.ConfigMap{}
	err = reader.Get(ctx, key, cm)
	switch {
	case apierrors.IsNotFound(err):
		cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: PublicKeyConfigMap, Labels: map[string]string{"app.kubernetes.io/name": "amber"}}, Data: data}
		if err := c.Create(ctx, cm); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("publish public key in configmap %s: %w", key, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("read configmap %s: %w", key, err)
	case cm.Data[publicKeyField] == data[publicKeyField]:
		return nil
	}
	cm.Data = data
	if err := c.Update(ctx, cm); err != nil {
		return fmt.Errorf("publish public key in configmap %s: %w", key, err)
	}
	return nil
}

// publicKeyPEM encodes a public key as EnsureKeys publishes it: PKIX DER in a PEM block, the
// standard form, so that tools other than kubectl amber read it too.
func publicKeyPEM(public ed25519.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(public)
	if err != nil {
		return "", fmt.Errorf("encode public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// ParsePublicKey reads a PEM public key as EnsureKeys publishes it.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block found: want the amber.pub the ledger's public-key ConfigMap publishes")
	}
	key, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	public, ok := key.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("public key is a %T, want an Ed25519 key", key)
	}
	return public, nil
}
