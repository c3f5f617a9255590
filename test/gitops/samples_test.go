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

// Package gitops checks the GitOps examples users copy (config/samples/gitops) the way the
// tools will read them: Flux's manifests decoded strictly with Flux's own Go API types, and
// Argo CD's Application created on a real kube-apiserver that serves Argo CD's published CRD
// (Argo CD's Go module does not build with this Go, so its CRD schema is the contract).
package gitops

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	kustomizev1 "github.com/fluxcd/kustomize-controller/api/v1"
	sourcev1 "github.com/fluxcd/source-controller/api/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// repoRoot is the repository's root, relative to this package.
var repoRoot = filepath.Join("..", "..")

var samples = filepath.Join(repoRoot, "config", "samples", "gitops")

// documents splits a multi-document YAML file.
func documents(t *testing.T, path string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	var docs [][]byte
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
}

// fluxObjects decodes the documents of a Flux manifest strictly (a field the type does not
// have fails, as a typo would make Flux's API server refuse or silently drop it) into Flux's
// published Go types.
func fluxObjects(docs [][]byte) (*sourcev1.GitRepository, *kustomizev1.Kustomization, error) {
	var repo *sourcev1.GitRepository
	var ks *kustomizev1.Kustomization
	for i, doc := range docs {
		var typeMeta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &typeMeta); err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", i, err)
		}
		switch typeMeta.GroupVersionKind() {
		case sourcev1.GroupVersion.WithKind(sourcev1.GitRepositoryKind):
			repo = &sourcev1.GitRepository{}
			if err := yaml.UnmarshalStrict(doc, repo); err != nil {
				return nil, nil, fmt.Errorf("document %d, GitRepository: %w", i, err)
			}
		case kustomizev1.GroupVersion.WithKind(kustomizev1.KustomizationKind):
			ks = &kustomizev1.Kustomization{}
			if err := yaml.UnmarshalStrict(doc, ks); err != nil {
				return nil, nil, fmt.Errorf("document %d, Kustomization: %w", i, err)
			}
		default:
			return nil, nil, fmt.Errorf("document %d is a %s, not a Flux GitRepository or Kustomization", i, typeMeta.GroupVersionKind())
		}
	}
	if repo == nil || ks == nil {
		return nil, nil, errors.New("the file holds no GitRepository or no Kustomization")
	}
	return repo, ks, nil
}

// sampleWorkloadName is the name of the GDPRWorkload config/samples applies.
func sampleWorkloadName(t *testing.T) string {
	t.Helper()
	docs := documents(t, filepath.Join(repoRoot, "config", "samples", "gdpr_v1alpha1_gdprworkload.yaml"))
	w := &gdprv1alpha1.GDPRWorkload{}
	if err := yaml.UnmarshalStrict(docs[0], w); err != nil {
		t.Fatal(err)
	}
	return w.Name
}

func TestFluxKustomizationIsWhatFluxDecodesAndChecksTheWorkloadsHealth(t *testing.T) {
	repo, ks, err := fluxObjects(documents(t, filepath.Join(samples, "flux.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	if ks.Spec.SourceRef.Kind != sourcev1.GitRepositoryKind || ks.Spec.SourceRef.Name != repo.Name ||
		(ks.Spec.SourceRef.Namespace != "" && ks.Spec.SourceRef.Namespace != repo.Namespace) || ks.Namespace != repo.Namespace {
		t.Errorf("spec.sourceRef is %+v in namespace %s: it must name the GitRepository %s/%s of the same file", ks.Spec.SourceRef, ks.Namespace, repo.Namespace, repo.Name)
	}
	path := filepath.Join(repoRoot, filepath.FromSlash(ks.Spec.Path))
	if _, err := os.Stat(filepath.Join(path, "kustomization.yaml")); err != nil {
		t.Errorf("spec.path %q: no kustomization.yaml there: %v", ks.Spec.Path, err)
	}
	if !ks.Spec.Prune {
		t.Error("spec.prune is false: the sample shows pruning, which Amber's finalizer lets through")
	}
	if ks.Spec.Wait {
		t.Error("spec.wait is true: Flux then ignores spec.healthChecks")
	}

	workload := sampleWorkloadName(t)
	checked := map[string]bool{}
	for _, hc := range ks.Spec.HealthChecks {
		gv, err := schema.ParseGroupVersion(hc.APIVersion)
		if err != nil {
			t.Errorf("healthChecks %s/%s: apiVersion %q: %v", hc.Kind, hc.Name, hc.APIVersion, err)
			continue
		}
		if gv != gdprv1alpha1.GroupVersion {
			continue
		}
		if hc.Namespace != ks.Spec.TargetNamespace {
			t.Errorf("healthChecks %s/%s: namespace %q, where the Kustomization applies to %q", hc.Kind, hc.Name, hc.Namespace, ks.Spec.TargetNamespace)
		}
		if hc.Name != workload {
			t.Errorf("healthChecks %s/%s: config/samples names its workload %q", hc.Kind, hc.Name, workload)
		}
		checked[hc.Kind] = true
	}
	for _, kind := range []string{"GDPRWorkload", "AuditLedger"} {
		if !checked[kind] {
			t.Errorf("spec.healthChecks has no %s of group %s: %+v", kind, gdprv1alpha1.GroupVersion.Group, ks.Spec.HealthChecks)
		}
		if _, err := scheme().New(gdprv1alpha1.GroupVersion.WithKind(kind)); err != nil {
			t.Errorf("%s is not a kind of %s: %v", kind, gdprv1alpha1.GroupVersion, err)
		}
	}
}

// The strict decoding above is what makes the test worth having: a misspelt field fails.
func TestFluxDecodingRefusesAFieldFluxDoesNotHave(t *testing.T) {
	docs := documents(t, filepath.Join(samples, "flux.yaml"))
	for i, doc := range docs {
		if bytes.Contains(doc, []byte("healthChecks:")) {
			docs[i] = bytes.Replace(doc, []byte("healthChecks:"), []byte("healthCheck:"), 1)
		}
	}
	_, _, err := fluxObjects(docs)
	if err == nil || !strings.Contains(err.Error(), `unknown field "healthCheck"`) {
		t.Fatalf("decoding a Kustomization with spec.healthCheck: got %v, want an unknown field error", err)
	}
}

// scheme knows Amber's kinds.
func scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(gdprv1alpha1.AddToScheme(s))
	return s
}

func TestArgoCDApplicationIsAcceptedByTheAPIServerServingArgoCDsCRD(t *testing.T) {
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("testdata", "argocd-application-crd.yaml")},
		ErrorIfCRDPathMissing: true,
		// A busy machine (CI, parallel builds) can take longer than envtest's 20s default.
		ControlPlaneStartTimeout: 2 * time.Minute,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start envtest (KUBEBUILDER_ASSETS=$(hack/controlplane/build.sh)): %v", err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	docs := documents(t, filepath.Join(samples, "argocd-application.yaml"))
	if len(docs) != 1 {
		t.Fatalf("argocd-application.yaml holds %d documents, want 1", len(docs))
	}
	app := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(docs[0], &app.Object); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: app.GetNamespace()}}); err != nil {
		t.Fatal(err)
	}
	// Strict field validation, as `kubectl apply` asks for by default: an unknown or
	// duplicated field is an error, not a warning.
	create := func(obj *unstructured.Unstructured) error {
		return c.Create(ctx, obj, client.DryRunAll, client.FieldValidation(metav1.FieldValidationStrict))
	}
	if err := create(app.DeepCopy()); err != nil {
		t.Fatalf("the API server refuses config/samples/gitops/argocd-application.yaml: %v", err)
	}

	path, _, _ := unstructured.NestedString(app.Object, "spec", "source", "path")
	if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(path), "kustomization.yaml")); err != nil {
		t.Errorf("spec.source.path %q: no kustomization.yaml there: %v", path, err)
	}
	options, _, _ := unstructured.NestedStringSlice(app.Object, "spec", "syncPolicy", "syncOptions")
	if !slices.Contains(options, "ServerSideApply=true") {
		t.Errorf("spec.syncPolicy.syncOptions %v: the no-diff guarantee is proved for server-side apply", options)
	}

	// The schema is not a formality: a misspelt field, and a wrong type, are refused.
	typo := app.DeepCopy()
	source, _, _ := unstructured.NestedMap(typo.Object, "spec", "source")
	source["targetRevison"] = "main"
	if err := unstructured.SetNestedMap(typo.Object, source, "spec", "source"); err != nil {
		t.Fatal(err)
	}
	if err := create(typo); err == nil || !strings.Contains(err.Error(), `targetRevison`) {
		t.Errorf("an Application with spec.source.targetRevison: got %v, want an unknown field error", err)
	}
	wrongType := app.DeepCopy()
	if err := unstructured.SetNestedField(wrongType.Object, "yes", "spec", "syncPolicy", "automated", "prune"); err != nil {
		t.Fatal(err)
	}
	if err := create(wrongType); err == nil || !strings.Contains(err.Error(), "spec.syncPolicy.automated.prune") {
		t.Errorf("an Application with spec.syncPolicy.automated.prune: \"yes\": got %v, want a type error", err)
	}
}
