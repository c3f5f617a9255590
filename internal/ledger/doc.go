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

// Package ledger holds the audit ledger's rules, as plain values in and out:
//
//   - integrity: how an entry is encoded and hashed (encoding.go), sealed after the chain's
//     head and checkpointed with a signature (chain.go), and how a chain is verified
//     (verify.go);
//   - meaning: what a chain records once folded (state.go): where it ends and how much no
//     checkpoint covers, which pods are open and their baselines, the newest spec of each
//     workload, and the drift tally.
//
// It has no client, so the operator, the kubectl plugin and a test all verify and fold with
// the same code, and an auditor can reproduce the checks from the encoding documented in the
// README. Writing chains to the API server is internal/audit's job.
package ledger
