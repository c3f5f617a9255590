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

package controllers

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// statusWrites remembers the resourceVersion each object had after this process last wrote
// its status. A status computed from a cached copy can be skipped when it equals that copy's
// status only if the copy is not older than that write: otherwise the server holds a newer
// status of ours that the cache does not show yet, and skipping would leave it standing
// (perhaps wrong) with nothing left to trigger another reconcile. The write then goes out,
// and its conflict brings the reconcile back once the cache has caught up.
type statusWrites struct {
	mu      sync.Mutex
	written map[types.UID]string
}

// skippable reports whether obj's status, equal to the one computed, needs no write.
func (s *statusWrites) skippable(obj client.Object) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	rv, ok := s.written[obj.GetUID()]
	return !ok || rv == obj.GetResourceVersion()
}

// wrote records the resourceVersion obj got from a status write.
func (s *statusWrites) wrote(obj client.Object) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written == nil {
		s.written = map[types.UID]string{}
	}
	s.written[obj.GetUID()] = obj.GetResourceVersion()
}

// forget drops what is known of a deleted object.
func (s *statusWrites) forget(uid types.UID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.written, uid)
}
