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

package installer

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// root is the repository's root, which holds config/ and dist/.
var root = filepath.Join("..", "..")

var configDefault = filepath.Join(root, "config", "default")

// The committed release manifest is what `make build-installer` writes from today's config/
// for the image it names: a change to config/ without a fresh manifest fails here, as
// verify-generated fails for the CRDs.
func TestTheCommittedManifestIsInStepWithConfig(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join(root, "dist", "install.yaml"))
	if err != nil {
		t.Fatalf("read dist/install.yaml (make build-installer writes it): %v", err)
	}
	image := managerImage(t, committed)
	fresh, err := Manifest(configDefault, image)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, fresh) {
		t.Fatalf("dist/install.yaml differs from config/default; run `make build-installer IMG=%s` and commit it", image)
	}
}

// The committed chart templates under templates/crd and templates/rbac are what `make
// helm-chart` writes from today's config/, with no file left over from an object since removed.
func TestTheCommittedChartTemplatesAreInStepWithConfig(t *testing.T) {
	fresh, err := ChartTemplates(configDefault)
	if err != nil {
		t.Fatal(err)
	}
	templates := filepath.Join(root, "dist", "chart", "templates")
	for _, p := range SortedPaths(fresh) {
		committed, err := os.ReadFile(filepath.Join(templates, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(committed, fresh[p]) {
			t.Errorf("dist/chart/templates/%s differs from config/ or is missing; run `make helm-chart` and commit it", p)
		}
	}
	for _, dir := range GeneratedDirs {
		entries, err := os.ReadDir(filepath.Join(templates, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if _, ok := fresh[dir+"/"+e.Name()]; !ok {
				t.Errorf("dist/chart/templates/%s/%s comes from no object of config/; run `make helm-chart`", dir, e.Name())
			}
		}
	}
}

func TestTheManifestRunsTheImageItIsGiven(t *testing.T) {
	for _, image := range []string{
		"registry.example/amber:v1.2.3",
		"registry.example/amber@sha256:" + strings.Repeat("ab", 32),
	} {
		manifest, err := Manifest(configDefault, image)
		if err != nil {
			t.Fatal(err)
		}
		if got := managerImage(t, manifest); got != image {
			t.Errorf("image %s: the Deployment runs %s", image, got)
		}
	}
}

// The manifest holds everything the manager needs to install its own webhook configuration:
// a namespace, the Service the configuration points at, and the ServiceAccount bound to roles
// that let it write its serving certificate's Secret and the configuration.
func TestTheManifestHoldsWhatTheManagerNeedsToServeItsWebhooks(t *testing.T) {
	manifest, err := Manifest(configDefault, "registry.example/amber:v1")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, o := range decode(t, manifest) {
		kinds[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = true
	}
	for _, want := range []string{
		"Namespace//amber-system",
		"Service/amber-system/amber-webhook-service",
		"ServiceAccount/amber-system/amber-controller-manager",
		"ClusterRole//amber-manager-role",
		"ClusterRoleBinding//amber-manager-rolebinding",
		"Role/amber-system/amber-manager-role",
		"RoleBinding/amber-system/amber-manager-rolebinding",
		"Deployment/amber-system/amber-controller-manager",
		"CustomResourceDefinition//gdprworkloads.gdpr.amber.dev",
	} {
		if !kinds[want] {
			t.Errorf("the manifest lacks %s", want)
		}
	}
}

func TestABuildWithoutAManagerContainerIsRefused(t *testing.T) {
	if _, err := Manifest(filepath.Join(root, "config", "rbac"), "registry.example/amber:v1"); err == nil ||
		!strings.Contains(err.Error(), `want one Deployment with a "manager" container`) {
		t.Fatalf("config/rbac has no Deployment: want an error, got %v", err)
	}
}

// managerImage reads the image of the manager's container from a manifest.
func managerImage(t *testing.T, manifest []byte) string {
	t.Helper()
	for _, o := range decode(t, manifest) {
		if o.GetKind() != "Deployment" {
			continue
		}
		containers, _, _ := unstructured.NestedSlice(o.Object, "spec", "template", "spec", "containers")
		for _, c := range containers {
			if c := c.(map[string]any); c["name"] == ManagerContainer {
				return c["image"].(string)
			}
		}
	}
	t.Fatal("the manifest has no Deployment with a manager container")
	return ""
}

func decode(t *testing.T, manifest []byte) []*unstructured.Unstructured {
	t.Helper()
	var objects []*unstructured.Unstructured
	for _, doc := range strings.Split(string(manifest), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		if m != nil {
			objects = append(objects, &unstructured.Unstructured{Object: m})
		}
	}
	return objects
}
