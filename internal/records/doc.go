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

// Package records builds the record of processing activities (GDPR Art. 30) that
// `kubectl amber records` prints: each workload's declared spec.processing, beside the
// measures Amber enforces and can prove from the cluster and the ledger (images pinned,
// hardening, residency and the regions actually used, drift, the ledger's state), and the
// findings where that evidence contradicts the declaration or is missing. It also renders
// the record as Markdown, CSV, JSON and a fideslang system manifest.
//
// It decides only: the command gathers workloads, pods, ledger entries and ledgers from
// the cluster and hands them over as plain values, with the time of the report, so that
// the same input always gives the same record.
//
// The keys of fideslang's default taxonomy that purposes, data categories and data
// subjects are checked against ship as data (fideslang-taxonomy.txt, CC-BY-4.0 by
// Ethyca, Inc.; hack/fideslang-taxonomy.sh writes it from a fideslang release).
package records
