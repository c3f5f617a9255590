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

package v1alpha1

// Condition types of an AuditLedger. Besides Verified, its own, a ledger carries the kstatus
// conditions a GDPRWorkload carries (ReadyCondition, ReconcilingCondition and
// StalledCondition), so that `kubectl wait --for=condition=Ready auditledger/NAME`, Argo CD
// and Flux read it too. For a ledger they mean:
//
//   - Ready is True when the ledger's chain verifies and everything due on it is done: the
//     workload's retention copied, a due checkpoint signed, expired entries removed. Entries
//     waiting for their checkpoint (at most --audit-checkpoint-interval) do not make a ledger
//     un-Ready. Ready is always present once Amber has reconciled the ledger.
//   - Reconciling is True while a step failed and will be retried (reason ReconcileFailed,
//     the message carrying the error). It is removed, not set to False, once a reconcile
//     succeeds.
//   - Stalled is True while the chain does not verify (reason Tampered): Amber cannot repair
//     an append-only chain, and until a person restores the entries (from an export, say) or
//     otherwise deals with it, no entry is removed by retention. Amber keeps verifying the
//     chain, so that a restored chain turns Ready again. It is removed, not set to False,
//     once the chain verifies.
const (
	// VerifiedCondition is True when the ledger's chain and checkpoints verify, False with the
	// first bad sequence number in the message otherwise. It keeps its last answer while a
	// reconcile fails before verifying.
	VerifiedCondition = "Verified"
)

// Reasons of a ledger's conditions; each names the situation, whatever the polarity. A step
// that fails and is retried sets ReasonReconcileFailed (Ready=False, Reconciling=True), as
// for a workload.
const (
	// ReasonChainVerified (Verified=True, Ready=True): every entry kept and every checkpoint
	// verifies. The message gives the entries verified and how many await a checkpoint.
	ReasonChainVerified = "ChainVerified"

	// ReasonChainBroken (Verified=False): an entry was modified, deleted, inserted or
	// reordered, or a checkpoint does not verify. The message names the first bad entry.
	ReasonChainBroken = "ChainBroken"

	// ReasonTampered (Ready=False, Stalled=True): the chain does not verify (Verified=False,
	// ChainBroken); a person must find out what happened. The message is Verified's.
	ReasonTampered = "Tampered"
)

// Event reasons of a ledger; stable, so that users can filter on them
// (`kubectl get events --field-selector reason=LedgerTampered`).
const (
	// EventLedgerTampered is the Warning event of a ledger whose chain stops verifying, sent
	// once on the transition, not at every verification that finds it still broken.
	EventLedgerTampered = "LedgerTampered"

	// EventEntriesExpired is the Normal event of entries removed by retention.
	EventEntriesExpired = "EntriesExpired"
)
