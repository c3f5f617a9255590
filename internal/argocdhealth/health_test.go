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

package argocdhealth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// scriptDir is Amber's health check for the whole gdpr.amber.dev group, in Argo CD's layout.
const scriptDir = "../../config/argocd/resource_customizations/gdpr.amber.dev/_"

func readScript(t *testing.T) string {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(scriptDir, "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	return string(script)
}

// TestHealthScript runs health.lua on every case of health_test.yaml (objects the controllers
// envtest captured from the API server) as Argo CD's own tests do, with every standard
// library, and as argocd-cm scripts run by default, without them.
func TestHealthScript(t *testing.T) {
	script := readScript(t)
	cases, err := ReadCases(filepath.Join(scriptDir, "health_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("health_test.yaml lists no case")
	}
	seen := map[string]bool{}
	for _, c := range cases {
		data, err := os.ReadFile(filepath.Join(scriptDir, c.InputPath))
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(data, &obj); err != nil {
			t.Fatalf("%s: %v", c.InputPath, err)
		}
		if kind, _ := obj["kind"].(string); kind != "" {
			seen[kind] = true
		}
		for _, openLibs := range []bool{true, false} {
			name := c.InputPath + " without the standard libraries"
			if openLibs {
				name = c.InputPath + " with the standard libraries"
			}
			t.Run(name, func(t *testing.T) {
				got, err := Run(script, obj, openLibs)
				if err != nil {
					t.Fatal(err)
				}
				if got != c.HealthStatus {
					t.Errorf("health = %+v, want %+v", got, c.HealthStatus)
				}
			})
		}
	}
	for _, kind := range []string{"GDPRWorkload", "AuditLedger", "BreakGlass", "Quarantine"} {
		if !seen[kind] {
			t.Errorf("no case of kind %s in health_test.yaml", kind)
		}
	}
}

// TestRunWithoutLibrariesHasNoStringLibrary: the run without libraries is what argocd-cm scripts
// get, so a script calling string.* fails there although it works with every library.
func TestRunWithoutLibrariesHasNoStringLibrary(t *testing.T) {
	script := `return {status = string.lower("HEALTHY") == "healthy" and "Healthy" or "Degraded"}`
	if got, err := Run(script, map[string]any{}, true); err != nil || got.Status != "Healthy" {
		t.Fatalf("with the libraries: %+v, %v", got, err)
	}
	if _, err := Run(script, map[string]any{}, false); err == nil {
		t.Fatal("without the libraries string.lower ran: the run does not mirror argocd-cm")
	}
}

// TestArgoCDConfigMapInstallsTheScript: the argocd-cm snippet carries health.lua as it is, for
// every kind of the group, without the standard libraries.
func TestArgoCDConfigMapInstallsTheScript(t *testing.T) {
	data, err := os.ReadFile("../../config/argocd/argocd-cm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cm := corev1.ConfigMap{}
	if err := yaml.UnmarshalStrict(data, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Name != "argocd-cm" {
		t.Errorf("metadata.name = %q, want argocd-cm", cm.Name)
	}
	var overrides map[string]map[string]any
	if err := yaml.UnmarshalStrict([]byte(cm.Data["resource.customizations"]), &overrides); err != nil {
		t.Fatalf("data[resource.customizations]: %v", err)
	}
	group, ok := overrides["gdpr.amber.dev/*"]
	if !ok || len(overrides) != 1 {
		t.Fatalf("resource.customizations = %v, want one entry gdpr.amber.dev/*", overrides)
	}
	if got, _ := group["health.lua"].(string); got != readScript(t) {
		t.Errorf("health.lua in argocd-cm differs from %s/health.lua:\n%s", scriptDir, got)
	}
	if _, set := group["health.lua.useOpenLibs"]; set {
		t.Error("health.lua.useOpenLibs is set: the script needs no standard library")
	}
	if strings.Contains(readScript(t), "string.") {
		t.Error("health.lua calls string.*: argocd-cm scripts run without the string library")
	}
}
