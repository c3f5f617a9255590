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

// Package hardening decides how the containers of a workload's pods are locked down: it
// fills in, on each pod Amber creates, the security settings a hardening profile asks for
// and the template left unset (Apply), and it tells where a pod's spec falls short of a
// profile (Violations). It holds decisions only, no client: the controllers apply them, and
// `kubectl amber records` checks running pods with them.
//
// The API server refuses, when a workload is applied, a template that contradicts its
// profile (CEL rules on the GDPRWorkload CRD); the rules here and those agree: a template the
// API server admits has no violations once Apply has filled it in.
package hardening
