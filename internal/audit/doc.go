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

// Package audit connects the audit ledger to the cluster; what a chain means is decided in
// internal/ledger, which has no client. Each file does one job:
//
//   - writer.go: the Writer appends entries to ledgers' hash chains and signs checkpoints,
//     folding each chain into a ledger.State as it loads and appends, and answers the
//     controllers' questions (open pods, baselines, drift, workload specs) from that state;
//   - keys.go: loads or creates the checkpoint signing key and the actor pseudonym key in
//     their Secrets, and publishes the public key in a ConfigMap;
//   - actors.go: turns the actors that changed a workload into what the ledger records:
//     their names, HMAC pseudonyms or nothing;
//   - export.go: streams every entry out as JSON lines.
package audit
