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
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// The names config/default gives: its namePrefix and its namespace. The chart replaces them
// with the release's.
const (
	NamePrefix = "amber-"
	Namespace  = "amber-system"
)

// Placeholders set into the objects before they are written, replaced by template actions
// after: the objects stay plain data until the last step.
var placeholders = strings.NewReplacer(
	"__FULLNAME__", `{{ include "amber.fullname" . }}`,
	"__NAMESPACE__", "{{ .Release.Namespace }}",
	"__RELEASE_SERVICE__", "{{ .Release.Service }}",
	"__RELEASE_NAME__", "{{ .Release.Name }}",
)

// crdKeep is the annotation line that becomes helm.sh/resource-policy: keep when crd.keep is
// set, so that uninstalling the chart does not delete every GDPRWorkload and ledger with the CRDs.
var crdKeep = regexp.MustCompile(`(?m)^( *)__CRD_KEEP__: ""$`)

const generatedHeader = "# Generated from config/ by `make helm-chart`; do not edit.\n"

// ChartTemplates returns the chart's generated templates, by path under dist/chart/templates:
// config/default's CRDs (templates/crd, under crd.enable) and its ServiceAccount, roles and
// bindings (templates/rbac; the roles and bindings under rbac.enable), with the release's name
// and namespace in place of config/default's. The Deployment, the Services and the namespace
// are the chart's own templates (templates/manager, metrics, webhook): they hold the values.
func ChartTemplates(dir string) (map[string][]byte, error) {
	objects, err := Objects(dir, "")
	if err != nil {
		return nil, err
	}
	templates := map[string][]byte{}
	for _, o := range objects {
		var file, condition string
		switch o.GetKind() {
		case "CustomResourceDefinition":
			file, condition = path.Join("crd", o.GetName()+".yaml"), ".Values.crd.enable"
			annotations := o.GetAnnotations()
			annotations["__CRD_KEEP__"] = ""
			o.SetAnnotations(annotations)
		case "ServiceAccount":
			file = path.Join("rbac", strings.ToLower(o.GetKind())+"-"+strings.TrimPrefix(o.GetName(), NamePrefix)+".yaml")
		case "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
			file, condition = path.Join("rbac", strings.ToLower(o.GetKind())+"-"+strings.TrimPrefix(o.GetName(), NamePrefix)+".yaml"), ".Values.rbac.enable"
		default:
			continue
		}
		if err := releaseNames(o); err != nil {
			return nil, err
		}
		data, err := yaml.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("write %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		text := crdKeep.ReplaceAllString(string(data), "$1{{- if .Values.crd.keep }}\n${1}helm.sh/resource-policy: keep\n$1{{- end }}")
		text = placeholders.Replace(text)
		if condition != "" {
			text = "{{- if " + condition + " }}\n" + text + "{{- end }}\n"
		}
		if _, dup := templates[file]; dup {
			return nil, fmt.Errorf("two objects of config/default would be written to templates/%s", file)
		}
		templates[file] = []byte(generatedHeader + text)
	}
	return templates, nil
}

// releaseNames puts placeholders for the release's name and namespace where config/default
// put its prefix and namespace: the object's own, its role reference and its subjects.
func releaseNames(o *unstructured.Unstructured) error {
	release := func(name string) string {
		if rest, ok := strings.CutPrefix(name, NamePrefix); ok {
			return "__FULLNAME__-" + rest
		}
		return name
	}
	if !strings.HasPrefix(o.GetName(), NamePrefix) && o.GetKind() != "CustomResourceDefinition" {
		return fmt.Errorf("%s %s: want config/default's prefix %s", o.GetKind(), o.GetName(), NamePrefix)
	}
	if o.GetKind() != "CustomResourceDefinition" {
		o.SetName(release(o.GetName()))
	}
	if o.GetNamespace() != "" {
		o.SetNamespace("__NAMESPACE__")
	}
	labels := o.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels["app.kubernetes.io/managed-by"] = "__RELEASE_SERVICE__"
	labels["app.kubernetes.io/instance"] = "__RELEASE_NAME__"
	o.SetLabels(labels)
	if ref, ok, _ := unstructured.NestedString(o.Object, "roleRef", "name"); ok {
		if err := unstructured.SetNestedField(o.Object, release(ref), "roleRef", "name"); err != nil {
			return err
		}
	}
	subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
	for _, s := range subjects {
		subject := s.(map[string]any)
		if subject["kind"] == "ServiceAccount" {
			subject["name"] = release(subject["name"].(string))
			subject["namespace"] = "__NAMESPACE__"
		}
	}
	if subjects != nil {
		return unstructured.SetNestedSlice(o.Object, subjects, "subjects")
	}
	return nil
}

// GeneratedDirs are the template directories ChartTemplates fills entirely: a file there that
// it did not write is left from an object since removed.
var GeneratedDirs = []string{"crd", "rbac"}

// SortedPaths returns the keys of templates in order.
func SortedPaths(templates map[string][]byte) []string {
	paths := make([]string, 0, len(templates))
	for p := range templates {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}
