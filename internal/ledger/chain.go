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

package ledger

import (
	"crypto/ed25519"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Seal places spec after the entry (previousSequence, previousHash) of its ledger: it sets the
// sequence, previousHash and hash, and rounds the time to what the API server stores.
func Seal(namespace string, spec *gdprv1alpha1.AuditEventSpec, previousSequence int64, previousHash string) error {
	spec.Sequence = previousSequence + 1
	spec.PreviousHash = previousHash
	spec.Time = metav1.NewTime(spec.Time.UTC().Truncate(time.Second))
	hash, err := Hash(namespace, spec)
	if err != nil {
		return fmt.Errorf("hash entry %d of ledger %s/%s: %w", spec.Sequence, namespace, spec.Ledger, err)
	}
	spec.Hash = hash
	return nil
}

// CheckpointSpec makes the Checkpoint entry that follows (previousSequence, previousHash),
// signed with key at time at. It still needs sealing.
func CheckpointSpec(namespace, ledgerName string, previousSequence int64, previousHash string, at time.Time, key ed25519.PrivateKey) (gdprv1alpha1.AuditEventSpec, error) {
	at = at.UTC().Truncate(time.Second)
	statement, err := CheckpointStatement(namespace, ledgerName, previousSequence, previousHash, at)
	if err != nil {
		return gdprv1alpha1.AuditEventSpec{}, err
	}
	return gdprv1alpha1.AuditEventSpec{
		Ledger:         ledgerName,
		Time:           metav1.NewTime(at),
		Type:           gdprv1alpha1.AuditCheckpoint,
		Reason:         string(gdprv1alpha1.AuditReasonSigned),
		IdempotencyKey: fmt.Sprintf("checkpoint/%d", previousSequence),
		Checkpoint: &gdprv1alpha1.AuditCheckpointSignature{
			Sequence:  previousSequence,
			Hash:      previousHash,
			KeyID:     KeyID(key.Public().(ed25519.PublicKey)),
			Signature: Sign(key, statement),
		},
	}, nil
}
