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

// Package installer builds what users install Amber from out of config/: the release manifest
// (dist/install.yaml, kubebuilder's `make build-installer`) and the generated part of the Helm
// chart (dist/chart/templates/crd and rbac). Both come from one kustomize build of
// config/default, run in process with kustomize's own library (krusty, what kubectl kustomize
// runs), so the manifest, the chart and `kubectl apply -k config/default` cannot disagree.
package installer

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// ManagerContainer is the name of the manager's container in config/manager's Deployment.
const ManagerContainer = "manager"

// Build runs kustomize on the kustomization in dir (config/default) and, when image is not
// empty, sets the manager container's image to it, as `kustomize edit set image` would
// without editing config/manager.
func Build(dir, image string) (resmap.ResMap, error) {
	// Sorted as `kubectl kustomize` sorts (kustomize's legacy order): the namespace and CRDs
	// first, so that a plain `kubectl apply` creates each object before what needs it.
	options := krusty.MakeDefaultOptions()
	options.Reorder = krusty.ReorderOptionLegacy
	resources, err := krusty.MakeKustomizer(options).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	if image == "" {
		return resources, nil
	}
	set := 0
	for _, r := range resources.Resources() {
		if r.GetKind() != "Deployment" {
			continue
		}
		container, err := r.Pipe(kyaml.Lookup("spec", "template", "spec", "containers", "[name="+ManagerContainer+"]"))
		if err != nil {
			return nil, fmt.Errorf("find the %s container of Deployment %s: %w", ManagerContainer, r.GetName(), err)
		}
		if container == nil {
			continue
		}
		if err := container.PipeE(kyaml.SetField("image", kyaml.NewStringRNode(image))); err != nil {
			return nil, fmt.Errorf("set the image of Deployment %s: %w", r.GetName(), err)
		}
		set++
	}
	if set != 1 {
		return nil, fmt.Errorf("kustomize build %s: want one Deployment with a %q container to set the image in, found %d", dir, ManagerContainer, set)
	}
	return resources, nil
}

// Manifest is the release manifest: every object of config/default, the manager's image set,
// as one multi-document YAML file in kustomize's order (namespace, CRDs, RBAC, Services,
// Deployment), so that `kubectl apply` creates each before what needs it.
func Manifest(dir, image string) ([]byte, error) {
	resources, err := Build(dir, image)
	if err != nil {
		return nil, err
	}
	out, err := resources.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("write the manifest: %w", err)
	}
	return append([]byte(manifestHeader), out...), nil
}

const manifestHeader = `# Amber's release manifest, generated from config/default by ` + "`make build-installer`" + `; do not edit.
# kubectl apply --server-side -f install.yaml
`

// Objects returns config/default's objects as unstructured values, for callers that pick
// some (the e2e suite applies the RBAC and the ServiceAccount without the Deployment).
func Objects(dir, image string) ([]*unstructured.Unstructured, error) {
	resources, err := Build(dir, image)
	if err != nil {
		return nil, err
	}
	var objects []*unstructured.Unstructured
	for _, r := range resources.Resources() {
		// Through JSON, as a client decodes an object: integers come out as int64.
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("read %s %s: %w", r.GetKind(), r.GetName(), err)
		}
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("read %s %s: %w", r.GetKind(), r.GetName(), err)
		}
		objects = append(objects, o)
	}
	return objects, nil
}
