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

// Package ledgertest builds sealed audit chains for tests and benchmarks.
package ledgertest

import (
	"crypto/ed25519"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// Chain builds n sealed entries of the ledger ledgerName in namespace, as Amber would write
// them: entry(i) gives the i-th regular entry, a Checkpoint signed with key follows every
// `every` regular entries, and entries are a second apart from start.
func Chain(namespace, ledgerName string, n, every int, key ed25519.PrivateKey, start time.Time, entry func(i int) gdprv1alpha1.AuditEventSpec) ([]gdprv1alpha1.AuditEvent, error) {
	chain := make([]gdprv1alpha1.AuditEvent, 0, n)
	var (
		seq      int64
		hash     string
		regular  int
		unsigned int
	)
	for len(chain) < n {
		at := start.Add(time.Duration(seq) * time.Second)
		var spec gdprv1alpha1.AuditEventSpec
		if every > 0 && unsigned == every {
			var err error
			if spec, err = ledger.CheckpointSpec(namespace, ledgerName, seq, hash, at, key); err != nil {
				return nil, err
			}
			unsigned = 0
		} else {
			spec = entry(regular)
			spec.Ledger, spec.Time = ledgerName, metav1.NewTime(at)
			regular++
			unsigned++
		}
		if err := ledger.Seal(namespace, &spec, seq, hash); err != nil {
			return nil, err
		}
		seq, hash = spec.Sequence, spec.Hash
		chain = append(chain, gdprv1alpha1.AuditEvent{
			TypeMeta:   metav1.TypeMeta{APIVersion: gdprv1alpha1.GroupVersion.String(), Kind: "AuditEvent"},
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: ledger.EntryName(ledgerName, seq)},
			Spec:       spec,
		})
	}
	return chain, nil
}
