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
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
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
)

func init() {
	metrics.Registry.MustRegister(driftDetected, driftReplacements, driftRepairSeconds, admissionDenied, admissionWouldDeny)
}
