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

package admission

import (
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

func TestDesired(t *testing.T) {
	service := &admissionregistrationv1.ServiceReference{Namespace: "amber-system", Name: "amber-webhook-service"}
	for _, tc := range []struct {
		name      string
		opts      Options
		wantURL   map[string]string
		wantPath  map[string]string
		wantMatch string
	}{
		{"a manager outside the cluster is reached by URL, each webhook on its path",
			Options{Endpoint: Endpoint{URL: "https://localhost:9443/"}, ManagerUsername: "kubernetes-admin"},
			map[string]string{PodsWebhook: "https://localhost:9443/validate-pods", ConnectWebhook: "https://localhost:9443/validate-pods", WorkloadsWebhook: "https://localhost:9443/validate-gdprworkloads",
				BreakGlassesWebhook: "https://localhost:9443/validate-breakglasses", BreakGlassDefaultsWebhook: "https://localhost:9443/default-breakglasses"},
			nil, "request.userInfo.username != 'kubernetes-admin'"},
		{"a manager in the cluster is reached through its Service, and its own name is quoted safely",
			Options{Endpoint: Endpoint{Service: service}, ManagerUsername: `system:serviceaccount:amber-system:it's`},
			nil,
			map[string]string{PodsWebhook: "/validate-pods", ConnectWebhook: "/validate-pods", WorkloadsWebhook: "/validate-gdprworkloads",
				BreakGlassesWebhook: "/validate-breakglasses", BreakGlassDefaultsWebhook: "/default-breakglasses"},
			`request.userInfo.username != 'system:serviceaccount:amber-system:it\'s'`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Desired(tc.opts)
			if got.Name != ConfigurationName || len(got.Webhooks) != 4 {
				t.Fatalf("Desired = %s with %d webhooks", got.Name, len(got.Webhooks))
			}
			mutating := DesiredMutating(tc.opts)
			if mutating.Name != ConfigurationName || len(mutating.Webhooks) != 1 {
				t.Fatalf("DesiredMutating = %s with %d webhooks", mutating.Name, len(mutating.Webhooks))
			}
			m := mutating.Webhooks[0]
			all := append(got.Webhooks, admissionregistrationv1.ValidatingWebhook{Name: m.Name, ClientConfig: m.ClientConfig,
				MatchConditions: m.MatchConditions, FailurePolicy: m.FailurePolicy})
			for _, w := range all {
				if tc.wantURL != nil && (w.ClientConfig.URL == nil || *w.ClientConfig.URL != tc.wantURL[w.Name] || w.ClientConfig.Service != nil) {
					t.Errorf("%s: clientConfig %+v, want URL %s", w.Name, w.ClientConfig, tc.wantURL[w.Name])
				}
				if tc.wantPath != nil && (w.ClientConfig.Service == nil || *w.ClientConfig.Service.Path != tc.wantPath[w.Name] || w.ClientConfig.URL != nil) {
					t.Errorf("%s: clientConfig %+v, want the Service on %s", w.Name, w.ClientConfig, tc.wantPath[w.Name])
				}
				if len(w.MatchConditions) != 1 || w.MatchConditions[0].Expression != tc.wantMatch {
					t.Errorf("%s: matchConditions %+v, want %q", w.Name, w.MatchConditions, tc.wantMatch)
				}
				if *w.FailurePolicy != admissionregistrationv1.Fail {
					t.Errorf("%s: failurePolicy %s, want Fail: an integrity control that fails open is not one", w.Name, *w.FailurePolicy)
				}
			}
			if service.Path != nil {
				t.Error("Desired wrote into the caller's ServiceReference")
			}
		})
	}
}
