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
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// EntryName is the deterministic name of a ledger's entry: creating it twice fails, so an
// append retried after a conflict or a crash cannot take two places.
func EntryName(ledger string, sequence int64) string {
	return fmt.Sprintf("%s-%010d", ledger, sequence)
}

// The canonical forms below declare their fields in sorted key order and are encoded without
// whitespace or HTML escaping: the result is the JSON Canonicalization Scheme (RFC 8785) form
// of the entry, since every value is a string, an integer, a boolean, null or an object of them.

type canonicalEntry struct {
	Actor          string                `json:"actor"`
	Checkpoint     *canonicalCheckpoint  `json:"checkpoint"`
	Fingerprints   canonicalFingerprints `json:"fingerprints"`
	IdempotencyKey string                `json:"idempotencyKey"`
	Ledger         string                `json:"ledger"`
	Message        string                `json:"message"`
	Namespace      string                `json:"namespace"`
	Placement      *canonicalPlacement   `json:"placement,omitempty"`
	PreviousHash   string                `json:"previousHash"`
	Reason         string                `json:"reason"`
	Recovered      bool                  `json:"recovered"`
	Request        *canonicalRequest     `json:"request,omitempty"`
	Sequence       int64                 `json:"sequence"`
	Subject        canonicalSubject      `json:"subject"`
	Time           string                `json:"time"`
	Type           string                `json:"type"`
}

type canonicalCheckpoint struct {
	Hash      string `json:"hash"`
	KeyID     string `json:"keyID"`
	Sequence  int64  `json:"sequence"`
	Signature string `json:"signature"`
}

// canonicalPlacement is left out of the encoding, not encoded as null, when an entry has
// none: entries written before PodScheduled existed keep the hashes they were written with.
type canonicalPlacement struct {
	Node   string `json:"node"`
	Region string `json:"region"`
	Zone   string `json:"zone"`
}

// canonicalRequest is left out when an entry has none, as canonicalPlacement is.
type canonicalRequest struct {
	Command     string   `json:"command"`
	CommandHMAC string   `json:"commandHMAC"`
	Groups      []string `json:"groups"`
	Operation   string   `json:"operation"`
	Subresource string   `json:"subresource"`
}

type canonicalFingerprints struct {
	After  string `json:"after"`
	Before string `json:"before"`
}

type canonicalSubject struct {
	Generation  int64  `json:"generation"`
	Pod         string `json:"pod"`
	PodUID      string `json:"podUID"`
	Revision    string `json:"revision"`
	Workload    string `json:"workload"`
	WorkloadUID string `json:"workloadUID"`
}

type canonicalCheckpointStatement struct {
	Hash      string `json:"hash"`
	Ledger    string `json:"ledger"`
	Namespace string `json:"namespace"`
	Sequence  int64  `json:"sequence"`
	Time      string `json:"time"`
}

// FormatTime is how times appear in the canonical encoding: UTC, whole seconds, RFC 3339, as
// the API server stores them.
func FormatTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// Canonical is the byte string an entry's hash covers: every field of its spec except hash,
// plus the namespace it lives in.
func Canonical(namespace string, spec *gdprv1alpha1.AuditEventSpec) ([]byte, error) {
	c := canonicalEntry{
		Actor:          spec.Actor,
		Fingerprints:   canonicalFingerprints{After: spec.Fingerprints.After, Before: spec.Fingerprints.Before},
		IdempotencyKey: spec.IdempotencyKey,
		Ledger:         spec.Ledger,
		Message:        spec.Message,
		Namespace:      namespace,
		PreviousHash:   spec.PreviousHash,
		Reason:         spec.Reason,
		Recovered:      spec.Recovered,
		Sequence:       spec.Sequence,
		Subject: canonicalSubject{
			Generation:  spec.Subject.Generation,
			Pod:         spec.Subject.Pod,
			PodUID:      spec.Subject.PodUID,
			Revision:    spec.Subject.Revision,
			Workload:    spec.Subject.Workload,
			WorkloadUID: spec.Subject.WorkloadUID,
		},
		Time: FormatTime(spec.Time.Time),
		Type: string(spec.Type),
	}
	if p := spec.Placement; p != nil {
		c.Placement = &canonicalPlacement{Node: p.Node, Region: p.Region, Zone: p.Zone}
	}
	if r := spec.Request; r != nil {
		groups := r.Groups
		if groups == nil {
			groups = []string{} // encoded [] whether the list was empty or absent
		}
		c.Request = &canonicalRequest{Command: r.Command, CommandHMAC: r.CommandHMAC, Groups: groups, Operation: r.Operation, Subresource: r.Subresource}
	}
	if cp := spec.Checkpoint; cp != nil {
		c.Checkpoint = &canonicalCheckpoint{Hash: cp.Hash, KeyID: cp.KeyID, Sequence: cp.Sequence, Signature: cp.Signature}
	}
	return encode(c)
}

// Hash is the hex SHA-256 of an entry's canonical encoding.
func Hash(namespace string, spec *gdprv1alpha1.AuditEventSpec) (string, error) {
	canonical, err := Canonical(namespace, spec)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

// CheckpointStatement is what a checkpoint signs: that entry sequence of the ledger in
// namespace had hash at time.
func CheckpointStatement(namespace, ledger string, sequence int64, hash string, at time.Time) ([]byte, error) {
	return encode(canonicalCheckpointStatement{Hash: hash, Ledger: ledger, Namespace: namespace, Sequence: sequence, Time: FormatTime(at)})
}

// KeyID names a public key: the first 16 hex digits of SHA-256 over it.
func KeyID(public ed25519.PublicKey) string {
	sum := sha256.Sum256(public)
	return hex.EncodeToString(sum[:8])
}

// Sign signs a checkpoint statement, returning the base64 signature.
func Sign(private ed25519.PrivateKey, statement []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(private, statement))
}

// encode renders v as canonical JSON. Strings with control characters, U+2028, U+2029 or
// invalid UTF-8 are refused: encoders disagree on how to escape them, and a verifier in
// another language must produce the same bytes.
func encode(v any) ([]byte, error) {
	if err := checkStrings(reflect.ValueOf(v)); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode canonical entry: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func checkStrings(v reflect.Value) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return checkStrings(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if err := checkStrings(v.Field(i)); err != nil {
				return fmt.Errorf("%s: %w", v.Type().Field(i).Tag.Get("json"), err)
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if err := checkStrings(v.Index(i)); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
	case reflect.String:
		if s := v.String(); !utf8.ValidString(s) || strings.ContainsFunc(s, notCanonical) {
			return fmt.Errorf("%q holds characters without a canonical JSON encoding", strings.ToValidUTF8(s, "?"))
		}
	}
	return nil
}

func notCanonical(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}
