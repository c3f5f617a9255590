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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

func TestQuarantineUsage(t *testing.T) {
	reason := []string{"--reason", "INC-123: unexpected egress"}
	for _, tc := range []struct {
		name       string
		args       []string
		wantStatus int
		want       string
	}{
		{"--help prints the usage and the flags and succeeds", []string{"quarantine", "--help"}, 0, "--keep string"},
		{"the pod is required", append([]string{"quarantine"}, reason...), 2, "name the pod to quarantine"},
		{"one pod only", append([]string{"quarantine", "web-1", "web-2"}, reason...), 2, `unexpected argument "web-2": quarantine takes one pod`},
		{"--reason is required, naming what it holds", []string{"quarantine", "web-1"}, 2, "--reason is required: why the pod is suspect, 8 to 1024 characters"},
		{"a reason too short to say anything is refused", []string{"quarantine", "web-1", "--reason", "bad"}, 2, `--reason "bad": want 8 to 1024 characters`},
		{"a keep over 7 days is refused, naming the bound", append([]string{"quarantine", "web-1", "--keep", "200h"}, reason...), 2, `--keep "200h": want a duration more than 0s and at most 168h (7 days), such as 24h`},
		{"a keep of days is refused, naming the form allowed", append([]string{"quarantine", "web-1", "--keep", "2d"}, reason...), 2, `--keep "2d": want a duration more than 0s and at most 168h`},
		{"a keep of zero is refused", append([]string{"quarantine", "web-1", "--keep", "0s"}, reason...), 2, `--keep "0s": want a duration more than 0s`},
		{"a name that cannot be a label value is refused", append([]string{"quarantine", "web-1", "--name", "Bad_Name"}, reason...), 2, `--name "Bad_Name": want at most 63 lowercase letters, digits and '-'`},
		{"a negative wait is refused", append([]string{"quarantine", "web-1", "--wait", "-1s"}, reason...), 2, "--wait -1s: want 0 or more"},
		{"an unknown flag is refused", append([]string{"quarantine", "web-1", "--force"}, reason...), 2, "unknown flag: --force"},
		{"an unreachable cluster is an error", append([]string{"quarantine", "web-1", "--server", "https://127.0.0.1:1", "--request-timeout", "5s", "--insecure-skip-tls-verify"}, reason...), 2, "kubectl amber quarantine: create the Quarantine of pod web-1"},
		{"the plugin's usage names quarantine", []string{"--help"}, 0, `kubectl amber quarantine POD --reason "..."`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			checkUsage(t, status, &stdout, &stderr, tc.wantStatus, tc.want)
		})
	}
}

func TestDescribeQuarantine(t *testing.T) {
	deleteAfter := metav1.NewTime(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	base := gdprv1alpha1.Quarantine{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1-q-abcde"},
		Spec:       gdprv1alpha1.QuarantineSpec{Pod: "web-1", Keep: metav1.Duration{Duration: 24 * time.Hour}},
	}
	for _, tc := range []struct {
		name   string
		status gdprv1alpha1.QuarantineStatus
		want   string
	}{
		{
			name:   "before a replacement exists it says the pod still serves and when it will go",
			status: gdprv1alpha1.QuarantineStatus{Phase: gdprv1alpha1.QuarantineReplacing},
			want: "replacement: not made yet; pod web-1 serves until one is Ready (kubectl get quarantine web-1-q-abcde -n shop)\n" +
				"pod web-1 is deleted 24h0m0s after it leaves service, or sooner when the Quarantine is deleted (kubectl delete quarantine web-1-q-abcde -n shop)\n",
		},
		{
			name:   "a replacement not Ready yet is named",
			status: gdprv1alpha1.QuarantineStatus{Phase: gdprv1alpha1.QuarantineReplacing, Replacement: "web-7"},
			want: "replacement: pod web-7, not Ready yet; pod web-1 serves until it is\n" +
				"pod web-1 is deleted 24h0m0s after it leaves service, or sooner when the Quarantine is deleted (kubectl delete quarantine web-1-q-abcde -n shop)\n",
		},
		{
			name:   "an isolated pod's replacement and deletion time are named",
			status: gdprv1alpha1.QuarantineStatus{Phase: gdprv1alpha1.QuarantineIsolated, Replacement: "web-7", NetworkPolicy: "web-1-q-abcde", DeleteAfter: &deleteAfter},
			want: "replacement: pod web-7 serves in its place; pod web-1 is out of every Service, isolated by NetworkPolicy web-1-q-abcde\n" +
				"pod web-1 is deleted at 2026-12-01T10:00:00Z, or sooner when the Quarantine is deleted (kubectl delete quarantine web-1-q-abcde -n shop)\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := base
			q.Status = tc.status
			if got := describeQuarantine(&q); got != tc.want {
				t.Errorf("describeQuarantine() =\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
