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

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/records"
)

func TestRecordsUsage(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		wantStatus int
		want       string
	}{
		{"--help prints the usage and the flags and succeeds", []string{"records", "--help"}, 0, "--since string"},
		{"an unknown format is refused, naming the formats", []string{"records", "-o", "yaml"}, 2, `-o "yaml": want one of markdown, csv, json, fides`},
		{"a window in weeks is refused, naming the forms allowed", []string{"records", "--since", "4w"}, 2, `--since "4w": want a number of days such as 30d, or a duration such as 720h`},
		{"records takes no argument", []string{"records", "payments"}, 2, `unexpected argument "payments": records takes flags only`},
		{"an unknown flag is refused", []string{"records", "--all"}, 2, "unknown flag: --all"},
		{"an unreachable cluster is an error, not an empty record", []string{"records", "--server", "https://127.0.0.1:1", "--request-timeout", "5s", "--insecure-skip-tls-verify"}, 2, "kubectl amber records: "},
		{"the plugin's usage names records", []string{"--help"}, 0, "kubectl amber records [-n NAMESPACE | -A]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			checkUsage(t, status, &stdout, &stderr, tc.wantStatus, tc.want)
		})
	}
}

func ownedPod(namespace, name, uid string, owner *gdprv1alpha1.GDPRWorkload, spec corev1.PodSpec) corev1.Pod {
	p := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID(uid), Labels: map[string]string{gdprv1alpha1.WorkloadLabel: owner.Name}},
		Spec:       spec,
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if owner.UID != "" {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: gdprv1alpha1.GroupVersion.String(), Kind: "GDPRWorkload", Name: owner.Name, UID: owner.UID, Controller: ptr.To(true)}}
	}
	return p
}

func TestRecordInput(t *testing.T) {
	payments := gdprv1alpha1.GDPRWorkload{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "payments", UID: "w-1"},
		Spec: gdprv1alpha1.GDPRWorkloadSpec{Hardening: gdprv1alpha1.Hardening{Profile: gdprv1alpha1.HardeningBaseline}}}
	other := gdprv1alpha1.GDPRWorkload{ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "payments", UID: "w-2"},
		Spec: gdprv1alpha1.GDPRWorkloadSpec{Hardening: gdprv1alpha1.Hardening{Profile: gdprv1alpha1.HardeningBaseline}}}
	earlier := gdprv1alpha1.GDPRWorkload{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "payments", UID: "w-0"}}
	unowned := gdprv1alpha1.GDPRWorkload{ObjectMeta: metav1.ObjectMeta{Name: "payments"}}

	pods := []corev1.Pod{
		ownedPod("shop", "payments-a", "p-a", &payments, corev1.PodSpec{NodeName: "eu-1"}),
		ownedPod("shop", "payments-b", "p-b", &payments, corev1.PodSpec{NodeName: "eu-2", HostNetwork: true}),
		ownedPod("shop", "payments-old", "p-o", &earlier, corev1.PodSpec{NodeName: "eu-1"}),
		ownedPod("shop", "payments-fake", "p-f", &unowned, corev1.PodSpec{NodeName: "eu-1"}),
		ownedPod("other", "payments-x", "p-x", &other, corev1.PodSpec{NodeName: "us-1"}),
	}
	entry := func(namespace, ledger string, seq int64) gdprv1alpha1.AuditEvent {
		return gdprv1alpha1.AuditEvent{ObjectMeta: metav1.ObjectMeta{Namespace: namespace}, Spec: gdprv1alpha1.AuditEventSpec{Ledger: ledger, Sequence: seq, Type: gdprv1alpha1.AuditPodScheduled}}
	}
	entries := []gdprv1alpha1.AuditEvent{entry("shop", "payments", 1), entry("other", "payments", 1), entry("shop", "payments", 2), entry("shop", "web", 1)}
	ledgers := []gdprv1alpha1.AuditLedger{
		{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "payments"}, Status: gdprv1alpha1.AuditLedgerStatus{Head: gdprv1alpha1.AuditLedgerHead{Sequence: 2}}},
		{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}, Status: gdprv1alpha1.AuditLedgerStatus{Head: gdprv1alpha1.AuditLedgerHead{Sequence: 9}}},
	}

	got := recordInput([]gdprv1alpha1.GDPRWorkload{payments, other}, pods, entries, ledgers)
	want := []records.Workload{
		{
			Namespace: "shop", Name: "payments", UID: "w-1", Spec: payments.Spec,
			// The earlier workload's pod and a pod that only carries the label are not its pods.
			Pods: []records.Pod{
				{Name: "payments-a", UID: "p-a", Node: "eu-1", Phase: corev1.PodRunning},
				{Name: "payments-b", UID: "p-b", Node: "eu-2", Phase: corev1.PodRunning, Violations: []string{"spec.hostNetwork must not be true"}},
			},
			Entries: []gdprv1alpha1.AuditEventSpec{entries[0].Spec, entries[2].Spec},
			Ledger:  &ledgers[0].Status,
		},
		{
			Namespace: "other", Name: "payments", UID: "w-2", Spec: other.Spec,
			Pods:    []records.Pod{{Name: "payments-x", UID: "p-x", Node: "us-1", Phase: corev1.PodRunning}},
			Entries: []gdprv1alpha1.AuditEventSpec{entries[1].Spec},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recordInput (-want +got):\n%s", diff)
	}
}
