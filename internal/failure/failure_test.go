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

package failure

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestClasses(t *testing.T) {
	stall := Stall("RegistryNotAllowed", errors.New("not allowed"))
	wait := Wait("RegistryUnavailable", errors.New("down"), time.Second)
	tests := []struct {
		name                string
		err                 error
		wantStall, wantWait bool
	}{
		{"no error is neither", nil, false, false},
		{"a plain error is retried with backoff, neither stalling nor waiting", errors.New("conflict"), false, false},
		{"a stalling failure is found through wrapping", fmt.Errorf("pin: %w", stall), true, false},
		{"a waiting failure is found through wrapping", fmt.Errorf("pin: %w", wait), false, true},
		{"joined with a waiting one, a stalling failure is still found", errors.Join(wait, stall), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StallingOf(tt.err) != nil; got != tt.wantStall {
				t.Errorf("StallingOf() found = %v, want %v", got, tt.wantStall)
			}
			if got := WaitingOf(tt.err) != nil; got != tt.wantWait {
				t.Errorf("WaitingOf() found = %v, want %v", got, tt.wantWait)
			}
		})
	}
	if got := fmt.Errorf("pin: %w", stall).Error(); got != "pin: not allowed" {
		t.Errorf("message = %q", got)
	}
}
