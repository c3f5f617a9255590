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
	"strings"
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

// Groups returns what the ledger holds for a user's groups: each recorded as an actor is,
// in the order given. Omitted actors have no groups either.
func (a Actors) Groups(groups []string) []string {
	var recorded []string
	for _, g := range groups {
		if r := a.Record(g); r != "" {
			recorded = append(recorded, r)
		}
	}
	return recorded
}

// maxCommandWord bounds the first word recorded of a command: a program name, not an argument
// smuggled in with it.
const maxCommandWord = 64

// Command returns what the ledger holds of a command run in a container: its first word (the
// program) and "hmac-sha256:<hex>" over the whole command line, its words joined by NUL bytes
// (which no word of an exec can hold). The arguments may hold personal data and are never
// recorded in clear, whatever the actor mode: whoever holds the pseudonym key can still check
// whether a given command line was the one run.
func (a Actors) Command(command []string) (first, commandHMAC string) {
	if len(command) == 0 {
		return "", ""
	}
	first = command[0]
	if len(first) > maxCommandWord {
		first = first[:maxCommandWord]
	}
	mac := hmac.New(sha256.New, a.Key)
	mac.Write([]byte(strings.Join(command, "\x00")))
	return first, "hmac-sha256:" + hex.EncodeToString(mac.Sum(nil))
}
