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
)

func TestHistoryAndRollbackUsage(t *testing.T) {
	unreachable := []string{"--server", "https://127.0.0.1:1", "--request-timeout", "5s", "--insecure-skip-tls-verify"}
	for _, tc := range []struct {
		name       string
		args       []string
		wantStatus int
		want       string
	}{
		{"history --help prints the usage and the flags and succeeds", []string{"history", "--help"}, 0, "kubectl amber history WORKLOAD"},
		{"history wants a workload name", []string{"history"}, 2, "want one GDPRWorkload name, got 0 arguments"},
		{"history takes one workload, not two", []string{"history", "a", "b"}, 2, "want one GDPRWorkload name, got 2 arguments"},
		{"history refuses an unknown format, naming the formats", []string{"history", "pay", "-o", "yaml"}, 2, `-o "yaml": want table or json`},
		{"history of an unreachable cluster is an error, not an empty history", append([]string{"history", "pay"}, unreachable...), 2, "kubectl amber history: read GDPRWorkload"},
		{"rollback --help prints the usage and the flags and succeeds", []string{"rollback", "--help"}, 0, "--to-revision int"},
		{"rollback wants a workload name", []string{"rollback", "--to-revision", "2"}, 2, "want one GDPRWorkload name, got 0 arguments"},
		{"rollback refuses a negative revision, saying what is allowed", []string{"rollback", "pay", "--to-revision", "-1"}, 2,
			"--to-revision -1: want a revision number of 1 or more from 'kubectl amber history', or 0 for the previous revision"},
		{"rollback refuses a revision that is not a number, naming the flag", []string{"rollback", "pay", "--to-revision", "last"}, 2, `invalid argument "last" for "--to-revision" flag`},
		{"rollback refuses an unknown flag", []string{"rollback", "pay", "--force"}, 2, "unknown flag: --force"},
		{"rollback against an unreachable cluster writes nothing and says so", append([]string{"rollback", "pay"}, unreachable...), 2, "kubectl amber rollback: read GDPRWorkload"},
		{"the plugin's usage names history and rollback", []string{"--help"}, 0, "kubectl amber rollback WORKLOAD [--to-revision N]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			checkUsage(t, status, &stdout, &stderr, tc.wantStatus, tc.want)
		})
	}
}
