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

// Package controllers holds Amber's reconcilers: they gather what the cluster shows, hand it
// to the pure decisions in internal/ (which revision runs, which pods to make or delete, what
// counts as drift and what becomes of it, what a condition says) and carry the answers out.
//
// The GDPRWorkload reconciler runs its phases in order (gdprworkload_controller.go), each in
// the file of its concern: the pinned revision (gdprworkload_revisions.go, pinning.go), the
// pods (gdprworkload_pods.go), drift (drift_detect.go, drift_repair.go, drift_tracker.go), the
// ledger (gdprworkload_audit.go, and gdprworkload_ledger.go, the one way a reconcile appends),
// the status (gdprworkload_status.go) and deletion (gdprworkload_delete.go). The AuditLedger
// reconciler verifies, checkpoints and trims each ledger (auditledger_controller.go).
package controllers
