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
	"strings"
	"testing"
)

func TestDoorFlags(t *testing.T) {
	for _, tc := range []struct {
		name            string
		flags           doorFlags
		wantURL         string
		wantService     string
		wantErrContains string
	}{
		{"a manager in the cluster is reached through its Service, on port 443",
			doorFlags{service: "amber-system/amber-webhook-service", port: 9443}, "", "amber-system/amber-webhook-service", ""},
		{"a manager outside the cluster is reached by URL on loopback",
			doorFlags{url: "https://localhost:9443", service: "amber-system/amber-webhook-service", port: 9443}, "https://localhost:9443", "amber-system/amber-webhook-service", ""},
		{"a Service without a namespace is refused, naming the flag",
			doorFlags{service: "amber-webhook-service", port: 9443}, "", "", `--webhook-service="amber-webhook-service": want namespace/name`},
		{"plain HTTP is refused: the API server calls webhooks over TLS only",
			doorFlags{url: "http://localhost:9443", service: "a/b", port: 9443}, "", "", "want an https URL"},
		{"a host the certificate is not for is refused",
			doorFlags{url: "https://10.0.0.5:9443", service: "a/b", port: 9443}, "", "", "the serving certificate is for localhost and the Service's names only"},
		{"a port out of range is refused",
			doorFlags{service: "a/b", port: 70000}, "", "", "--webhook-port=70000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.flags.certDir = t.TempDir()
			endpoint, service, err := tc.flags.endpoint()
			if tc.wantErrContains != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrContains) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErrContains)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if endpoint.URL != tc.wantURL || service.Namespace+"/"+service.Name != tc.wantService || *service.Port != 443 {
				t.Errorf("endpoint %+v, service %+v", endpoint, service)
			}
			if wantHost := map[bool]string{true: "", false: "localhost"}[tc.wantURL == ""]; tc.flags.listenHost() != wantHost {
				t.Errorf("listens on %q, want %q", tc.flags.listenHost(), wantHost)
			}
			if (tc.wantURL == "") != (endpoint.Service != nil) {
				t.Errorf("endpoint %+v: exactly one of URL and Service", endpoint)
			}
		})
	}
}
