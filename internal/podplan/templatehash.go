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

package podplan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// templateHashLength is how many hex digits of the template's SHA-256 a hash keeps: 40 bits are
// plenty to tell one workload's revisions apart and keep the label short to read.
const templateHashLength = 10

// TemplateHash identifies what a workload's pods are made from: its pod template as the user
// wrote it, and the hardening profile that locks them down. Two templates with the same
// content and profile have the same hash, so reverting a template (or a profile) returns to
// the earlier revision: internal/revision names a template's first pinned revision by this
// hash. A change of profile changes the pods Amber makes, so it makes a new revision, rolled
// out like a change of the template.
//
// The hash covers encoding/json's rendering of the template, which is deterministic
// (struct fields in declaration order, map keys sorted), followed by the profile's name
// unless it is the default, Immutable: a template under the default profile keeps the hash
// it had before profiles existed, so that upgrading Amber replaces no running pod.
func TemplateHash(template *corev1.PodTemplateSpec, profile gdprv1alpha1.HardeningProfile) (string, error) {
	encoded, err := json.Marshal(template)
	if err != nil {
		return "", fmt.Errorf("encode pod template: %w", err)
	}
	if profile != "" && profile != gdprv1alpha1.HardeningImmutable {
		encoded = append(encoded, "\x00hardening="+string(profile)...)
	}
	sum := sha256.Sum256(encoded)
	return hex.EncodeToString(sum[:])[:templateHashLength], nil
}
