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
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

func TestBreakGlassUsage(t *testing.T) {
	reason := []string{"--reason", "INC-123: inspect the queue"}
	with := func(args ...string) []string { return append(append([]string{"breakglass"}, args...), reason...) }
	for _, tc := range []struct {
		name       string
		args       []string
		wantStatus int
		want       string
	}{
		{"--help prints the usage and the flags and succeeds", []string{"breakglass", "--help"}, 0, "--ops strings"},
		{"a workload is required", with("--ops", "exec"), 2, "WORKLOAD is required"},
		{"one workload only", with("payments", "orders", "--ops", "exec"), 2, `unexpected argument "orders": breakglass takes one WORKLOAD`},
		{"the argument and --workload must agree", with("payments", "--workload", "orders", "--ops", "exec"), 2, `WORKLOAD "payments" and --workload "orders" differ`},
		{"--ops is required, naming the operations", with("payments"), 2, "--ops is required: one or more of exec, attach, debug, portForward"},
		{"an unknown operation is refused, naming the operations", with("payments", "--ops", "exec,shell"), 2, `--ops "shell": want exec, attach, debug or portForward`},
		{"kubectl's spelling of port-forward is not the API's", with("payments", "--ops", "port-forward"), 2, `--ops "port-forward": want exec, attach, debug or portForward`},
		{"--for needs user: or group:", with("payments", "--ops", "exec", "--for", "alice"), 2, `--for "alice": want user:NAME or group:NAME`},
		{"--for needs a name", with("payments", "--ops", "exec", "--for", "group:"), 2, `--for "group:": want user:NAME or group:NAME`},
		{"a duration over 4h is refused", with("payments", "--ops", "exec", "--duration", "5h"), 2, "--duration 5h0m0s: want more than 0s and at most 4h"},
		{"a zero duration is refused", with("payments", "--ops", "exec", "--duration", "0s"), 2, "--duration 0s: want more than 0s and at most 4h"},
		{"a reason is required", []string{"breakglass", "payments", "--ops", "exec"}, 2, "--reason is required, at least 8 characters"},
		{"an unknown flag is refused", with("payments", "--ops", "exec", "--forever"), 2, "unknown flag: --forever"},
		{"an unreachable cluster is an error", with("payments", "--ops", "exec", "--server", "https://127.0.0.1:1", "--request-timeout", "5s", "--insecure-skip-tls-verify"), 1, "kubectl amber breakglass: "},
		{"the plugin's usage names breakglass", []string{"--help"}, 0, "kubectl amber breakglass WORKLOAD --ops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			checkUsage(t, status, &stdout, &stderr, tc.wantStatus, tc.want)
		})
	}
}

func TestParseBreakGlass(t *testing.T) {
	got, err := parseBreakGlass([]string{"payments"}, "", []string{"exec", "portForward"}, []string{"payments-0"},
		[]string{"user:alice", "group:oncall"}, 45*time.Minute, "INC-123: inspect the queue", "")
	if err != nil {
		t.Fatal(err)
	}
	want := gdprv1alpha1.BreakGlassSpec{Workload: "payments", Pods: []string{"payments-0"},
		Operations: []gdprv1alpha1.BreakGlassOperation{gdprv1alpha1.BreakGlassExec, gdprv1alpha1.BreakGlassPortForward},
		Reason:     "INC-123: inspect the queue", Duration: metav1.Duration{Duration: 45 * time.Minute},
		Users: []string{"alice"}, Groups: []string{"oncall"}}
	if diff := cmp.Diff(want, got.spec); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	if p := generateNameFor(strings.Repeat("w", 60)); len(p)+5 > 63 {
		t.Errorf("generateName %q makes names over 63 characters", p)
	}
}
