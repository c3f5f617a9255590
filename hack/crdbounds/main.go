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

// Command crdbounds writes the bounds of a GDPRWorkload's pod template into the CRD that
// controller-gen generated: maxItems on spec.template.spec.containers and initContainers,
// maxLength on their images, and maxItems and maxLength on the capabilities they add
// (api/v1alpha1 MaxTemplateContainers, MaxImageLength, MaxCapabilities and
// MaxCapabilityLength).
//
// The template is k8s.io/api's PodTemplateSpec, where kubebuilder markers cannot go; without
// the bounds the API server estimates the CEL rules that check every image against the
// reference grammar (or every added capability against the hardening profile) as too costly
// and refuses the CRD. `make manifests` runs it:
//
//	go run ./hack/crdbounds config/crd/bases/gdpr.amber.dev_gdprworkloads.yaml
//
// The file keeps controller-gen's layout (a leading "---", keys sorted), so that running
// it twice, or after a fresh generation, changes nothing.
package main

import (
	"bytes"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

const separator = "---\n"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: crdbounds CRD.yaml...")
		os.Exit(2)
	}
	for _, file := range os.Args[1:] {
		if err := bound(file); err != nil {
			fmt.Fprintf(os.Stderr, "crdbounds: %s: %v\n", file, err)
			os.Exit(1)
		}
	}
}

// bound rewrites file with the template bounds set in every version's schema.
func bound(file string) error {
	raw, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var crd map[string]any
	if err := yaml.Unmarshal(bytes.TrimPrefix(raw, []byte(separator)), &crd); err != nil {
		return err
	}
	versions, ok := dig(crd, "spec", "versions").([]any)
	if !ok || len(versions) == 0 {
		return fmt.Errorf("no spec.versions")
	}
	for _, v := range versions {
		version, _ := v.(map[string]any)
		podSpec, ok := dig(version, "schema", "openAPIV3Schema", "properties", "spec", "properties", "template", "properties", "spec", "properties").(map[string]any)
		if !ok {
			return fmt.Errorf("version %v: no spec.template.spec in the schema", version["name"])
		}
		for _, list := range []string{"containers", "initContainers"} {
			containers, ok := podSpec[list].(map[string]any)
			if !ok {
				return fmt.Errorf("version %v: no spec.template.spec.%s in the schema", version["name"], list)
			}
			image, ok := dig(containers, "items", "properties", "image").(map[string]any)
			if !ok {
				return fmt.Errorf("version %v: no spec.template.spec.%s[].image in the schema", version["name"], list)
			}
			add, ok := dig(containers, "items", "properties", "securityContext", "properties", "capabilities", "properties", "add").(map[string]any)
			if !ok {
				return fmt.Errorf("version %v: no spec.template.spec.%s[].securityContext.capabilities.add in the schema", version["name"], list)
			}
			capability, ok := add["items"].(map[string]any)
			if !ok {
				return fmt.Errorf("version %v: no items in spec.template.spec.%s[].securityContext.capabilities.add", version["name"], list)
			}
			containers["maxItems"] = gdprv1alpha1.MaxTemplateContainers
			image["maxLength"] = gdprv1alpha1.MaxImageLength
			add["maxItems"] = gdprv1alpha1.MaxCapabilities
			capability["maxLength"] = gdprv1alpha1.MaxCapabilityLength
		}
	}
	out, err := yaml.Marshal(crd)
	if err != nil {
		return err
	}
	return os.WriteFile(file, append([]byte(separator), out...), 0o644)
}

// dig follows keys through nested maps; nil when one is missing.
func dig(node any, keys ...string) any {
	for _, k := range keys {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[k]
	}
	return node
}
