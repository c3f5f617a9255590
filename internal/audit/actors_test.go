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
	"strings"
	"testing"
)

func TestActorsRecord(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	tests := []struct {
		name   string
		actors Actors
		actor  string
		want   string
	}{
		{"plain keeps the name", Actors{Mode: ActorPlain, Key: key}, "kubectl-client-side-apply", "kubectl-client-side-apply"},
		{"omit keeps nothing", Actors{Mode: ActorOmit, Key: key}, "kubectl-client-side-apply", ""},
		{"an unknown actor stays unknown", Actors{Mode: ActorPseudonymous, Key: key}, "", ""},
		// HMAC-SHA256("0123456789abcdef0123456789abcdef", "argocd-controller"), computed independently.
		{"pseudonymous keeps an HMAC", Actors{Mode: ActorPseudonymous, Key: key}, "argocd-controller", "hmac-sha256:" + hmacOfArgo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.actors.Record(tt.actor); got != tt.want {
				t.Errorf("Record(%q) = %q, want %q", tt.actor, got, tt.want)
			}
		})
	}
	other := Actors{Mode: ActorPseudonymous, Key: []byte(strings.Repeat("k", 32))}
	if other.Record("argocd-controller") == (Actors{Mode: ActorPseudonymous, Key: key}).Record("argocd-controller") {
		t.Error("another key gives the same pseudonym: deleting the key would not anonymise the history")
	}
}

func TestParseActorMode(t *testing.T) {
	for _, ok := range []string{"plain", "pseudonymous", "omit"} {
		if _, err := ParseActorMode(ok); err != nil {
			t.Errorf("ParseActorMode(%q): %v", ok, err)
		}
	}
	_, err := ParseActorMode("hashed")
	if err == nil || !strings.Contains(err.Error(), `--audit-actors="hashed": want plain, pseudonymous or omit`) {
		t.Errorf("ParseActorMode(hashed) = %v, want an error naming the flag and the allowed values", err)
	}
}

const hmacOfArgo = "4ad2b2de5ba85f28d0b11cddd8f20118f99626c34f3f1b922c507a98f8bd16ef"

func TestActorsCommand(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	tests := []struct {
		name      string
		actors    Actors
		command   []string
		wantFirst string
		wantHMAC  string
	}{
		// HMAC-SHA256(key, "sh\x00-c\x00cat /data/alice.csv"), computed independently (Python hmac).
		{"a command keeps its program and an HMAC of the whole line", Actors{Mode: ActorPseudonymous, Key: key},
			[]string{"sh", "-c", "cat /data/alice.csv"}, "sh", "hmac-sha256:826ce3278ffd9d41c3d15743fe565429e0aa1765d226c204ab51a368d40ffd0f"},
		{"plain actors still never show the arguments", Actors{Mode: ActorPlain, Key: key},
			[]string{"sh", "-c", "cat /data/alice.csv"}, "sh", "hmac-sha256:826ce3278ffd9d41c3d15743fe565429e0aa1765d226c204ab51a368d40ffd0f"},
		{"no command records nothing", Actors{Mode: ActorPseudonymous, Key: key}, nil, "", ""},
		{"an overlong program name is cut", Actors{Mode: ActorPseudonymous, Key: key},
			[]string{strings.Repeat("x", 100)}, strings.Repeat("x", 64), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, mac := tt.actors.Command(tt.command)
			if first != tt.wantFirst {
				t.Errorf("first word = %q, want %q", first, tt.wantFirst)
			}
			if tt.wantHMAC != "" && mac != tt.wantHMAC {
				t.Errorf("HMAC = %q, want %q", mac, tt.wantHMAC)
			}
			if len(tt.command) > 0 && !strings.HasPrefix(mac, "hmac-sha256:") {
				t.Errorf("HMAC = %q, want hmac-sha256:<hex>", mac)
			}
		})
	}
	a := Actors{Mode: ActorPseudonymous, Key: key}
	_, joined := a.Command([]string{"sh -c", "x"})
	_, split := a.Command([]string{"sh", "-c x"})
	if joined == split {
		t.Error("two different command lines give one HMAC: the words must be kept apart")
	}
}

func TestActorsGroups(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	p := Actors{Mode: ActorPseudonymous, Key: key}
	got := p.Groups([]string{"argocd-controller", "system:authenticated"})
	if len(got) != 2 || got[0] != "hmac-sha256:"+hmacOfArgo || got[1] == "system:authenticated" {
		t.Errorf("Groups = %q, want each pseudonymised in order", got)
	}
	if got := (Actors{Mode: ActorOmit}).Groups([]string{"a"}); got != nil {
		t.Errorf("omitted actors have groups %q, want none", got)
	}
}
