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
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
)

func TestParsePublicKey(t *testing.T) {
	public := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	published, err := publicKeyPEM(public)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		// wantErr is the start of the error; empty when the key must parse.
		wantErr string
	}{
		{"the published key reads back as the same key", published, ""},
		{"text without a PEM block is refused, naming what to give", "amber-ledger-public-key", "no PEM block found: want the amber.pub the ledger's public-key ConfigMap publishes"},
		{"a PEM block that holds no public key is refused", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("not DER")})), "parse public key: "},
		{"a public key of another algorithm is refused", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})), "public key is a *ecdsa.PublicKey, want an Ed25519 key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKey([]byte(tt.data))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ParsePublicKey: %v", err)
			case tt.wantErr == "" && !got.Equal(public):
				t.Errorf("ParsePublicKey = %x, want %x", got, public)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("ParsePublicKey error = %v, want one starting %q", err, tt.wantErr)
			}
		})
	}
}
