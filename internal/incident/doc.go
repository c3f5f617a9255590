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

// Package incident drafts the timeline a data-protection officer needs to decide on and write
// a personal data breach notification (GDPR Art. 33): from verified audit ledgers alone, the
// first detection of anything abnormal and the 72-hour deadline that runs from it, every
// relevant entry in order, the workloads affected with what their record of processing
// (Art. 30) declares they process, and the measures taken.
//
// It decides only. The command reads the entries, verifies every chain with internal/ledger
// (the code `kubectl amber verify` runs) and hands over the entries, the verification reports
// and the workloads' declarations as plain values, with the time of the report and the
// window, so that the same input always gives the same report. No clock is read here.
//
// What counts:
//
//   - abnormal (a detection): DriftDetected, AccessDenied, AdmissionWouldDeny,
//     AdmissionConfigTampered, BreakGlassUsed, and a ledger whose chain does not verify
//     (LedgerTampered, at the time Amber's own verification found it broken when known,
//     else at the time of the report);
//   - a measure: PodReplaced of any reason, PodQuarantined (Requested, Isolated), PodDeleted
//     QuarantineEnded, RevisionRestored Rollback, BreakGlassEnded, and AdmissionConfigTampered,
//     whose entry records that Amber put its configuration back;
//   - context, shown in the timeline but neither: BreakGlassGranted, WorkloadSpecChanged,
//     WorkloadDeleted, RevisionPinned TagMoved and PodDeleted Drifted.
//
// An entry is only as good as its chain. Each timeline entry says what vouches for it: the
// first signed checkpoint after it (signed), only the hash chain when no checkpoint covers it
// yet (chained), or nothing when it sits at or after the first bad entry of a chain that
// does not verify (untrusted). The checkpoints the report relied on are those that sign its
// entries and the last entry of each ledger inside the window, which vouches that no entry of
// the window was removed.
//
// The report is a draft: whether a breach occurred, when the controller became aware of it
// and what to notify are the data-protection officer's decisions, not Amber's.
package incident
