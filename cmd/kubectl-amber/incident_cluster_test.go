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
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/incident"
	"github.com/amber-gdpr/amber/internal/ledger/ledgertest"
)

// declaredWorkload is shop/payments as a user applies it: its record of processing declares
// what it processes.
const declaredWorkload = `
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: payments
  namespace: shop
spec:
  replicas: 1
  processing:
    role: Controller
    controller:
      name: Example Shop GmbH
      contact: privacy@shop.example
    purposes:
    - name: essential.service.payment_processing
      description: Takes card payments for orders.
      lawfulBasis: Contract
      dataCategories: [user.financial.bank_account, user.contact.email]
      dataSubjects: [customer]
      retention: P10Y
  template:
    spec:
      containers:
      - name: app
        image: registry.example/shop/payments:1.4
`

// TestIncidentReportFromTheCluster makes the report from a real API server: the entries
// listed in the namespace asked for, the public key read from the ConfigMap the manager
// publishes, the workloads' declarations and the time Amber found a chain broken read from
// the cluster.
func TestIncidentReportFromTheCluster(t *testing.T) {
	ctx := context.Background()
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start the API server (KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh)): %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gdprv1alpha1.AddToScheme(scheme))
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"amber-system", "shop", "other"} {
		must(c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}

	// The manager's key, published as the manager publishes it.
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	must(err)
	must(c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "amber-system", Name: audit.PublicKeyConfigMap},
		Data: map[string]string{"amber.pub": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}}))

	// Three ledgers: shop/payments with drift and its repair, shop/web whose workload is gone
	// and whose third entry was changed after it was written, and other/payments with an
	// access denial in another namespace.
	start := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	write := func(namespace, name string, n int, entry func(i int) gdprv1alpha1.AuditEventSpec, tamper func(*gdprv1alpha1.AuditEvent)) {
		t.Helper()
		chain, err := ledgertest.Chain(namespace, name, n, 3, key, start, entry)
		must(err)
		for i := range chain {
			e := &chain[i]
			if tamper != nil {
				tamper(e)
			}
			e.Labels = map[string]string{gdprv1alpha1.AuditLedgerLabel: name, gdprv1alpha1.AuditTypeLabel: string(e.Spec.Type)}
			must(c.Create(ctx, e))
		}
	}
	write("shop", "payments", 6, func(i int) gdprv1alpha1.AuditEventSpec {
		switch i {
		case 1:
			return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditDriftDetected, Reason: string(gdprv1alpha1.DriftImageChanged),
				Subject: gdprv1alpha1.AuditSubject{Pod: "payments-a"}, Message: "Pod changed in place", IdempotencyKey: "drift"}
		case 2:
			return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditPodReplaced, Reason: string(gdprv1alpha1.AuditReasonDrifted),
				Subject: gdprv1alpha1.AuditSubject{Pod: "payments-a"}, Message: "Replaced drifted pod payments-a", IdempotencyKey: "replaced"}
		}
		return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", Subject: gdprv1alpha1.AuditSubject{Pod: "payments-a"},
			Message: "Created the pod", IdempotencyKey: "created/" + string(rune('a'+i))}
	}, nil)
	write("shop", "web", 4, func(i int) gdprv1alpha1.AuditEventSpec {
		return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditAdmissionConfigTampered, Reason: string(gdprv1alpha1.AuditReasonConfigDeleted),
			Message: "Admission configuration deleted; Amber created it again", IdempotencyKey: "tampered/" + string(rune('a'+i))}
	}, func(e *gdprv1alpha1.AuditEvent) {
		if e.Spec.Sequence == 3 {
			e.Spec.Message = "Nothing happened"
		}
	})
	write("other", "payments", 2, func(i int) gdprv1alpha1.AuditEventSpec {
		return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditAccessDenied, Reason: string(gdprv1alpha1.AdmissionExec),
			Subject: gdprv1alpha1.AuditSubject{Pod: "payments-x"}, Message: "Refused exec", IdempotencyKey: "denied/" + string(rune('a'+i))}
	}, nil)

	var workload gdprv1alpha1.GDPRWorkload
	must(yaml.Unmarshal([]byte(declaredWorkload), &workload))
	must(c.Create(ctx, &workload))
	// Amber's own verification found web broken an hour ago.
	brokenAt := metav1.NewTime(start.Add(time.Hour))
	web := &gdprv1alpha1.AuditLedger{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}, Spec: gdprv1alpha1.AuditLedgerSpec{Workload: "web"}}
	must(c.Create(ctx, web))
	web.Status.Conditions = []metav1.Condition{{Type: gdprv1alpha1.VerifiedCondition, Status: metav1.ConditionFalse, Reason: gdprv1alpha1.ReasonChainBroken,
		Message: "entry 3: its content does not match its hash", LastTransitionTime: brokenAt}}
	must(c.Status().Update(ctx, web))

	// Someone allowed to read the namespace, with a kubeconfig of their own.
	user, err := env.ControlPlane.AddUser(envtest.User{Name: "dpo", Groups: []string{"system:masters"}}, nil)
	must(err)
	kubeconfig, err := user.KubeConfig()
	must(err)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	must(os.WriteFile(path, kubeconfig, 0o600))

	report := func(t *testing.T, wantStatus int, args ...string) incident.Report {
		t.Helper()
		var stdout, stderr bytes.Buffer
		status := run(ctx, append([]string{"incident", "report", "--kubeconfig", path, "-o", "json", "--since", "3h"}, args...), strings.NewReader(""), &stdout, &stderr)
		if status != wantStatus {
			t.Fatalf("exit status %d, want %d; stderr %q", status, wantStatus, stderr.String())
		}
		var r incident.Report
		if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
			t.Fatalf("output does not parse as incident.Report: %v\n%s", err, stdout.String())
		}
		return r
	}
	ledgers := func(r incident.Report) []string {
		var out []string
		for _, l := range r.Verification.Ledgers {
			out = append(out, l.Namespace+"/"+l.Ledger)
		}
		return out
	}

	t.Run("a namespace's report verifies its ledgers with the published key, and names the one broken since Amber found it", func(t *testing.T) {
		r := report(t, 1, "-n", "shop")
		if got := strings.Join(ledgers(r), " "); got != "shop/payments shop/web" {
			t.Errorf("ledgers %s, want shop/payments shop/web", got)
		}
		web := r.Verification.Ledgers[1]
		if web.Verified || web.FirstBadSequence != 3 || web.BrokenSince == nil || !web.BrokenSince.Equal(brokenAt.Time) {
			t.Errorf("web: %+v; want it failed at entry 3, broken since %s", web, brokenAt.Time)
		}
		if !r.Verification.Ledgers[0].Verified || len(r.Verification.CheckpointsReliedOn) == 0 {
			t.Errorf("payments: %+v, checkpoints relied on %v; want it verified with its checkpoints", r.Verification.Ledgers[0], r.Verification.CheckpointsReliedOn)
		}
		if d := r.FirstDetection; d == nil || d.Type != string(gdprv1alpha1.AuditAdmissionConfigTampered) || d.Workload != "web" || d.Sequence != 1 {
			t.Errorf("first detection %+v, want web's first AdmissionConfigTampered entry (written a second before payments' drift)", d)
		}
		var declarations []string
		for _, w := range r.Workloads {
			declarations = append(declarations, w.Name+":"+string(w.Declaration)+":"+strings.Join(w.DataCategories, ","))
		}
		if got, want := strings.Join(declarations, " "), "payments:Declared:user.contact.email,user.financial.bank_account web:UnknownWorkloadGone:"; got != want {
			t.Errorf("workloads affected %s, want %s", got, want)
		}
	})

	t.Run("--workload reads that workload's ledger alone", func(t *testing.T) {
		r := report(t, 0, "-n", "shop", "--workload", "payments")
		if got := strings.Join(ledgers(r), " "); got != "shop/payments" || !r.Verification.AllVerified {
			t.Errorf("ledgers %s (all verified %v), want shop/payments, verified", got, r.Verification.AllVerified)
		}
		if r.Scope != "namespace shop, workload payments" {
			t.Errorf("scope %q", r.Scope)
		}
	})

	t.Run("-A reads every namespace", func(t *testing.T) {
		r := report(t, 1, "-A")
		if got := strings.Join(ledgers(r), " "); got != "other/payments shop/payments shop/web" {
			t.Errorf("ledgers %s, want other/payments shop/payments shop/web", got)
		}
	})

	t.Run("without the published key the report is not made", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		status := run(ctx, []string{"incident", "report", "--kubeconfig", path, "-n", "shop", "--operator-namespace", "elsewhere"}, strings.NewReader(""), &stdout, &stderr)
		if status != 2 || !strings.Contains(stderr.String(), "read the public key from configmap elsewhere/amber-ledger-public-key (or give --public-key)") || stdout.Len() != 0 {
			t.Errorf("status %d, stdout %q, stderr %q; want 2, nothing printed and the ConfigMap named", status, stdout.String(), stderr.String())
		}
	})
}
