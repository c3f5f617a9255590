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
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Case is one test of a health script in Argo CD's health_test.yaml: the object in
// inputPath (relative to the script's directory) and the health the script must return.
type Case struct {
	HealthStatus Health `json:"healthStatus"`
	InputPath    string `json:"inputPath"`
}

// cases is the health_test.yaml document.
type cases struct {
	Tests []Case `json:"tests"`
}

// ReadCases reads a health_test.yaml.
func ReadCases(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc cases
	if err := yaml.UnmarshalStrict(data, &doc); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return doc.Tests, nil
}

// UpsertCase adds c to the health_test.yaml at path, or replaces the case with its inputPath,
// keeping the cases sorted by inputPath.
func UpsertCase(path string, c Case) error {
	existing, err := ReadCases(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	existing = slices.DeleteFunc(existing, func(e Case) bool { return e.InputPath == c.InputPath })
	existing = append(existing, c)
	slices.SortFunc(existing, func(a, b Case) int { return strings.Compare(a.InputPath, b.InputPath) })
	data, err := yaml.Marshal(cases{Tests: existing})
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
