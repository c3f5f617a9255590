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
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/admission"
)

// exportedMetric reads a series from controller-runtime's registry, as the metrics endpoint
// serves it: nil when no series of that name has exactly these labels. Reading through the
// metric vectors instead would create the series it asks about.
func exportedMetric(name string, labels map[string]string) func() *float64 {
	return func() *float64 {
		families, err := metrics.Registry.Gather()
		if err != nil {
			panic(err)
		}
		for _, family := range families {
			if family.GetName() != name {
				continue
			}
			for _, m := range family.GetMetric() {
				if labelsAre(m.GetLabel(), labels) {
					switch {
					case m.Gauge != nil:
						return new(m.Gauge.GetValue())
					case m.Counter != nil:
						return new(m.Counter.GetValue())
					}
				}
			}
		}
		return nil
	}
}

func labelsAre(pairs []*dto.LabelPair, want map[string]string) bool {
	if len(pairs) != len(want) {
		return false
	}
	for _, p := range pairs {
		if v, ok := want[p.GetName()]; !ok || v != p.GetValue() {
			return false
		}
	}
	return true
}

// conditionLabels is the label set of amber_workload_condition for one condition.
func conditionLabels(namespace, name, conditionType string, status metav1.ConditionStatus, reason string) map[string]string {
	return map[string]string{"namespace": namespace, "name": name, "type": conditionType, "status": string(status), "reason": reason}
}

func TestWorkloadConditionSeries(t *testing.T) {
	w := &gdprv1alpha1.GDPRWorkload{ObjectMeta: metav1.ObjectMeta{Namespace: "metrics-unit", Name: "payments"}}
	set := func(conditions ...metav1.Condition) {
		w.Status.Conditions = conditions
		workloadConditions.record(w)
	}
	has := func(t *testing.T, conditionType string, status metav1.ConditionStatus, reason string, want bool) {
		t.Helper()
		got := exportedMetric("amber_workload_condition", conditionLabels(w.Namespace, w.Name, conditionType, status, reason))()
		switch {
		case want && (got == nil || *got != 1):
			t.Errorf("%s=%s (%s) not exported as 1: %v", conditionType, status, reason, got)
		case !want && got != nil:
			t.Errorf("%s=%s (%s) still exported", conditionType, status, reason)
		}
	}
	pinned := func(status metav1.ConditionStatus, reason string) metav1.Condition {
		return metav1.Condition{Type: gdprv1alpha1.ImagesPinnedCondition, Status: status, Reason: reason}
	}
	ready := metav1.Condition{Type: gdprv1alpha1.ReadyCondition, Status: metav1.ConditionTrue, Reason: gdprv1alpha1.ReasonReplicasReady}

	t.Run("each condition the status carries is a series of value 1", func(t *testing.T) {
		set(ready, pinned(metav1.ConditionFalse, gdprv1alpha1.ReasonRegistryUnavailable))
		has(t, gdprv1alpha1.ReadyCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonReplicasReady, true)
		has(t, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionFalse, gdprv1alpha1.ReasonRegistryUnavailable, true)
	})
	t.Run("a condition whose reason changed loses its old series, the others stay", func(t *testing.T) {
		set(ready, pinned(metav1.ConditionFalse, gdprv1alpha1.ReasonRegistryRateLimited))
		has(t, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionFalse, gdprv1alpha1.ReasonRegistryUnavailable, false)
		has(t, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionFalse, gdprv1alpha1.ReasonRegistryRateLimited, true)
		has(t, gdprv1alpha1.ReadyCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonReplicasReady, true)
	})
	t.Run("a condition removed from the status loses its series", func(t *testing.T) {
		set(ready)
		has(t, gdprv1alpha1.ImagesPinnedCondition, metav1.ConditionFalse, gdprv1alpha1.ReasonRegistryRateLimited, false)
	})
	t.Run("a workload that is gone loses every series", func(t *testing.T) {
		workloadConditions.forget(types.NamespacedName{Namespace: w.Namespace, Name: w.Name})
		has(t, gdprv1alpha1.ReadyCondition, metav1.ConditionTrue, gdprv1alpha1.ReasonReplicasReady, false)
	})
}

func TestLedgerSeries(t *testing.T) {
	l := &gdprv1alpha1.AuditLedger{ObjectMeta: metav1.ObjectMeta{Namespace: "metrics-unit", Name: "payments"}}
	labels := map[string]string{"namespace": l.Namespace, "ledger": l.Name}
	verified := exportedMetric("amber_ledger_verified", labels)
	lastVerified := exportedMetric("amber_ledger_last_verified_timestamp_seconds", labels)
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

	t.Run("a ledger never verified has no series", func(t *testing.T) {
		recordLedger(l)
		if verified() != nil || lastVerified() != nil {
			t.Errorf("series before any verification: %v %v", verified(), lastVerified())
		}
	})
	t.Run("a chain that verifies is 1, with the time it last did", func(t *testing.T) {
		l.Status.Conditions = []metav1.Condition{{Type: gdprv1alpha1.VerifiedCondition, Status: metav1.ConditionTrue, Reason: gdprv1alpha1.ReasonChainVerified}}
		l.Status.LastVerified = &metav1.Time{Time: at}
		recordLedger(l)
		if v := verified(); v == nil || *v != 1 {
			t.Errorf("amber_ledger_verified %v, want 1", v)
		}
		if v := lastVerified(); v == nil || *v != float64(at.Unix()) {
			t.Errorf("amber_ledger_last_verified_timestamp_seconds %v, want %d", v, at.Unix())
		}
	})
	t.Run("a chain that does not verify is 0", func(t *testing.T) {
		l.Status.Conditions[0].Status, l.Status.Conditions[0].Reason = metav1.ConditionFalse, gdprv1alpha1.ReasonChainBroken
		recordLedger(l)
		if v := verified(); v == nil || *v != 0 {
			t.Errorf("amber_ledger_verified %v, want 0", v)
		}
	})
	t.Run("a ledger that is gone loses its series", func(t *testing.T) {
		forgetLedger(types.NamespacedName{Namespace: l.Namespace, Name: l.Name})
		if verified() != nil || lastVerified() != nil {
			t.Errorf("series left: %v %v", verified(), lastVerified())
		}
	})
}

func TestTamperingCountersStartAtZero(t *testing.T) {
	var kinds []string
	for _, o := range (&AdmissionGuard{}).objects(admission.Options{Endpoint: admission.Endpoint{URL: "https://localhost:9443"}}) {
		kinds = append(kinds, o.kind)
	}
	if !slices.Equal(kinds, guardedKinds) {
		t.Fatalf("guardedKinds %v, but the guard keeps %v", guardedKinds, kinds)
	}
	// increase() needs a sample before the first tampering: every kind and reason is exported from the start.
	for _, kind := range guardedKinds {
		for _, reason := range []gdprv1alpha1.AuditReason{gdprv1alpha1.AuditReasonConfigDeleted, gdprv1alpha1.AuditReasonConfigChanged} {
			if exportedMetric("amber_admission_config_tampered_total", map[string]string{"kind": kind, "reason": string(reason)})() == nil {
				t.Errorf("no series for %s %s", kind, reason)
			}
		}
	}
}

func TestLeaderElectionStatusIsExported(t *testing.T) {
	// AmberNoLeader reads leader_election_master_status, which controller-runtime (not Amber)
	// registers on its registry for client-go's leader elector: registering it again must be
	// refused, or the alert would read a metric nobody serves.
	again := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "leader_election_master_status",
		Help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
	}, []string{"name"})
	var already prometheus.AlreadyRegisteredError
	if err := metrics.Registry.Register(again); !errors.As(err, &already) {
		t.Fatalf("leader_election_master_status is not registered on controller-runtime's registry: Register returned %v", err)
	}
}
