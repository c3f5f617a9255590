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

package v1alpha1

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// healthDir is the Argo CD health check of the group; its health_test.yaml lists objects that
// the controllers envtest read from the API server and checked with kstatus.
const healthDir = "../../config/argocd/resource_customizations/gdpr.amber.dev/_"

// TestEveryKindWithAStatusFollowsKstatus goes over every kind registered in this package's
// scheme, so a kind added later cannot be left out of the health contract: each root kind has
// a CRD in config/crd/bases; each one with a status has status.observedGeneration (int64),
// status.conditions ([]metav1.Condition), the status subresource, and objects of it among the
// health script's test cases (captured, checked with kstatus, by controllers/health_test.go).
func TestEveryKindWithAStatusFollowsKstatus(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	crds := crdsByKind(t)
	covered := healthCaseKinds(t)
	var withStatus []string
	for kind, typ := range scheme.KnownTypes(GroupVersion) {
		if _, ok := typ.FieldByName("ObjectMeta"); !ok {
			continue // WatchEvent, ListOptions and the like, and lists
		}
		t.Run(kind, func(t *testing.T) {
			crd, ok := crds[kind]
			if !ok {
				t.Fatalf("kind %s has no CRD in config/crd/bases (make manifests)", kind)
			}
			version := crd.Spec.Versions[slices.IndexFunc(crd.Spec.Versions, func(v apiextensionsv1.CustomResourceDefinitionVersion) bool { return v.Name == GroupVersion.Version })]
			status, hasStatus := typ.FieldByName("Status")
			if !hasStatus {
				if version.Subresources != nil && version.Subresources.Status != nil {
					t.Errorf("kind %s has no Status field but its CRD enables the status subresource", kind)
				}
				return
			}
			withStatus = append(withStatus, kind)
			if f, ok := status.Type.FieldByName("ObservedGeneration"); !ok || f.Type.Kind() != reflect.Int64 || f.Tag.Get("json") != "observedGeneration,omitempty" {
				t.Errorf("kind %s: status.observedGeneration (int64) missing", kind)
			}
			if f, ok := status.Type.FieldByName("Conditions"); !ok || f.Type != reflect.TypeFor[[]metav1.Condition]() {
				t.Errorf("kind %s: status.conditions ([]metav1.Condition) missing", kind)
			}
			if version.Subresources == nil || version.Subresources.Status == nil {
				t.Errorf("kind %s: its CRD lacks the status subresource (+kubebuilder:subresource:status)", kind)
			}
			if d := version.Schema.OpenAPIV3Schema.Properties["status"].Default; d == nil || string(d.Raw) != `{"observedGeneration":-1}` {
				t.Errorf("kind %s: status defaults to %v, want observedGeneration -1 so kstatus reads a new object as InProgress", kind, d)
			}
			if !covered[kind] {
				t.Errorf("kind %s has no case in %s/health_test.yaml: add its lifecycle to controllers/health_test.go and capture it with AMBER_UPDATE_HEALTH_TESTDATA=1", kind, healthDir)
			}
		})
	}
	if len(withStatus) < 4 {
		t.Errorf("found %d kinds with a status (%v), want at least GDPRWorkload, AuditLedger, BreakGlass and Quarantine", len(withStatus), withStatus)
	}
}

func crdsByKind(t *testing.T) map[string]apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	files, err := filepath.Glob("../../config/crd/bases/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no CRD in config/crd/bases: %v", err)
	}
	crds := map[string]apiextensionsv1.CustomResourceDefinition{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &crd); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		crds[crd.Spec.Names.Kind] = crd
	}
	return crds
}

// healthCaseKinds is the kinds of the objects health_test.yaml lists.
func healthCaseKinds(t *testing.T) map[string]bool {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(healthDir, "health_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests []struct {
			InputPath string `json:"inputPath"`
		} `json:"tests"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, c := range doc.Tests {
		data, err := os.ReadFile(filepath.Join(healthDir, c.InputPath))
		if err != nil {
			t.Fatal(err)
		}
		var obj struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(data, &obj); err != nil {
			t.Fatal(err)
		}
		kinds[obj.Kind] = true
	}
	return kinds
}
