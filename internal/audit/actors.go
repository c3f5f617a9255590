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
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// ActorMode says how actors appear in the ledger.
type ActorMode string

// The actor modes.
const (
	// ActorPlain records actors as they are.
	ActorPlain ActorMode = "plain"
	// ActorPseudonymous records HMAC-SHA256(key, actor): the same actor always gets the same
	// pseudonym, which nobody without the key can turn back into a name.
	ActorPseudonymous ActorMode = "pseudonymous"
	// ActorOmit records no actor.
	ActorOmit ActorMode = "omit"
)

// ParseActorMode checks a --audit-actors flag value.
func ParseActorMode(s string) (ActorMode, error) {
	switch m := ActorMode(s); m {
	case ActorPlain, ActorPseudonymous, ActorOmit:
		return m, nil
	}
	return "", fmt.Errorf("--audit-actors=%q: want plain, pseudonymous or omit", s)
}

// Actors turns the names of people and tools that changed a workload into ledger actors.
type Actors struct {
	Mode ActorMode
	Key  []byte
}

// Record returns what the ledger holds for actor.
func (a Actors) Record(actor string) string {
	if actor == "" {
		return ""
	}
	switch a.Mode {
	case ActorPlain:
		return actor
	case ActorOmit:
		return ""
	}
	mac := hmac.New(sha256.New, a.Key)
	mac.Write([]byte(actor))
	return "hmac-sha256:" + hex.EncodeToString(mac.Sum(nil))
}
