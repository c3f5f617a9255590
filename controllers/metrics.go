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
	"maps"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Amber's own metrics, on controller-runtime's registry beside its reconcile metrics. Labels
// are bounded: no pod names or digests.
var (
	driftDetected = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "amber_drift_detected_total",
		Help: "Pods found changed in place, by the first kind of drift found on them.",
	}, []string{"reason"})
	driftReplacements = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "amber_drift_replacements_total",
		Help: "Drifted pods deleted and replaced by fresh pods of their revision.",
	})
	admissionDenied = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "amber_admission_denied_total",
		Help: "Requests on governed pods the API server refused on Amber's answer, by operation (CREATE, UPDATE, UPDATE/ephemeralcontainers, UPDATE/resize, CONNECT/exec, CONNECT/attach, CONNECT/portforward).",
	}, []string{"operation"})
	admissionWouldDeny = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "amber_admission_would_deny_total",
		Help: "Requests on pods of workloads in admission mode Audit that Enforce would have refused, let through and recorded, by operation.",
	}, []string{"operation"})
	driftRepairSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "amber_drift_repair_seconds",
		Help:    "Time from finding a pod drifted to deleting it, its replacement made (Ready, under the Replace action).",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60},
	})

	// The gauges below carry the state Amber's alerts (config/prometheus/rules.yaml) read.
	// Only the leader reconciles, so only the leader exports them; a replica that loses the
	// lease exits, and its series go with it.
	workloadCondition = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "amber_workload_condition",
		Help: "1 for each condition a GDPRWorkload's status carries now, by type, status and reason (kstatus: Ready, Reconciling, Stalled; ImagesPinned, InSync, AdmissionGuarded). A condition that changes status or reason replaces its series.",
	}, []string{"namespace", "name", "type", "status", "reason"})
	ledgerVerified = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "amber_ledger_verified",
		Help: "1 while an AuditLedger's chain and checkpoints verify (Verified=True), 0 while they do not (Verified=False); absent before the first verification.",
	}, []string{"namespace", "ledger"})
	ledgerLastVerified = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "amber_ledger_last_verified_timestamp_seconds",
		Help: "status.lastVerified of an AuditLedger as Unix time: when verification last found something new sound.",
	}, []string{"namespace", "ledger"})
	admissionConfigTampered = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "amber_admission_config_tampered_total",
		Help: "Objects of Amber's admission configuration found deleted (ConfigDeleted) or changed by another field manager (ConfigChanged) and put back, by kind and reason.",
	}, []string{"kind", "reason"})
)

// guardedKinds are the kinds of Amber's admission configuration; their tampering counters
// start at 0, so that the first tampering shows in increase() (a counter series that is born
// at 1 has no earlier sample to increase from).
var guardedKinds = []string{"ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}

func init() {
	metrics.Registry.MustRegister(driftDetected, driftReplacements, driftRepairSeconds, admissionDenied, admissionWouldDeny,
		workloadCondition, ledgerVerified, ledgerLastVerified, admissionConfigTampered)
	for _, kind := range guardedKinds {
		for _, reason := range []gdprv1alpha1.AuditReason{gdprv1alpha1.AuditReasonConfigDeleted, gdprv1alpha1.AuditReasonConfigChanged} {
			admissionConfigTampered.WithLabelValues(kind, string(reason))
		}
	}
}

// workloadConditions keeps, per workload, the label sets of amber_workload_condition it
// exports, so that a condition whose status or reason changed loses its old series without
// the workload's other series ever disappearing: a series missing from one scrape would
// restart the `for:` of an alert on it.
var workloadConditions = conditionSeries{exported: map[types.NamespacedName][]prometheus.Labels{}}

type conditionSeries struct {
	mu       sync.Mutex
	exported map[types.NamespacedName][]prometheus.Labels
}

// record exports the workload's conditions as they are now.
func (s *conditionSeries) record(w *gdprv1alpha1.GDPRWorkload) {
	key := types.NamespacedName{Namespace: w.Namespace, Name: w.Name}
	next := make([]prometheus.Labels, 0, len(w.Status.Conditions))
	for _, c := range w.Status.Conditions {
		next = append(next, prometheus.Labels{"namespace": w.Namespace, "name": w.Name, "type": c.Type, "status": string(c.Status), "reason": c.Reason})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, labels := range next {
		workloadCondition.With(labels).Set(1)
	}
	for _, old := range s.exported[key] {
		if !slices.ContainsFunc(next, func(l prometheus.Labels) bool { return maps.Equal(l, old) }) {
			workloadCondition.Delete(old)
		}
	}
	s.exported[key] = next
}

// forget drops every series of a workload that is gone.
func (s *conditionSeries) forget(key types.NamespacedName) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, old := range s.exported[key] {
		workloadCondition.Delete(old)
	}
	delete(s.exported, key)
}

// recordLedger exports whether the ledger's chain verifies and when it last did.
func recordLedger(l *gdprv1alpha1.AuditLedger) {
	if verified := meta.FindStatusCondition(l.Status.Conditions, gdprv1alpha1.VerifiedCondition); verified != nil && verified.Status != metav1.ConditionUnknown {
		value := 0.0
		if verified.Status == metav1.ConditionTrue {
			value = 1
		}
		ledgerVerified.WithLabelValues(l.Namespace, l.Name).Set(value)
	}
	if l.Status.LastVerified != nil {
		ledgerLastVerified.WithLabelValues(l.Namespace, l.Name).Set(float64(l.Status.LastVerified.Unix()))
	}
}

// forgetLedger drops the series of a ledger that is gone.
func forgetLedger(key types.NamespacedName) {
	ledgerVerified.DeleteLabelValues(key.Namespace, key.Name)
	ledgerLastVerified.DeleteLabelValues(key.Namespace, key.Name)
}
