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

package v1alpha1_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// processingSchema is spec.processing's schema in the CRD's only version.
func processingSchema(t testing.TB) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	spec := workloadCRD(t).Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	processing, ok := spec.Properties["processing"]
	if !ok {
		t.Fatal("no spec.processing in the CRD")
	}
	return processing
}

// explainWidth is how wide kubectl explain prints a field's description (78 columns less
// the field's indentation, k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl): it wraps
// a longer line of the doc comment, leaving a ragged paragraph.
const explainWidth = 76

// `kubectl explain gdprworkload.spec.processing` is the guide a data-protection officer reads
// to fill the record in: every field and every list's items must say what goes there, in
// lines kubectl prints as they are.
func TestProcessingFieldsAreDescribedForKubectlExplain(t *testing.T) {
	var walk func(path string, s apiextensionsv1.JSONSchemaProps)
	walk = func(path string, s apiextensionsv1.JSONSchemaProps) {
		// The items of a list of strings are described by the list: kubectl explain shows
		// no more of them than their type.
		scalarItems := strings.HasSuffix(path, "[]") && s.Type != "object"
		if strings.TrimSpace(s.Description) == "" && !scalarItems {
			t.Errorf("%s has no description: write a doc comment for kubectl explain", path)
		}
		for _, line := range strings.Split(s.Description, "\n") {
			if !scalarItems && utf8.RuneCountInString(line) > explainWidth {
				t.Errorf("%s: %q is longer than %d characters: kubectl explain would break it mid-line", path, line, explainWidth)
			}
		}
		for name, p := range s.Properties {
			walk(path+"."+name, p)
		}
		if s.Items != nil && s.Items.Schema != nil {
			walk(path+"[]", *s.Items.Schema)
		}
	}
	processing := processingSchema(t)
	if len(processing.Properties) == 0 {
		t.Fatal("spec.processing has no fields in the CRD")
	}
	walk("spec.processing", processing)
}

// The rules spell out the fideslang roots and the EU/EEA countries; code reading a record uses
// the package's lists. They must be the same.
func TestProcessingRulesNameTheseLists(t *testing.T) {
	processing := processingSchema(t)
	purpose := processing.Properties["purposes"].Items.Schema

	name := purpose.Properties["name"]
	wantName := `self.matches(r'^(` + strings.Join(gdprv1alpha1.FidesDataUseRoots, "|") + `)(\.[a-z0-9_]+)*$')`
	if len(name.XValidations) != 1 || name.XValidations[0].Rule != wantName {
		t.Errorf("spec.processing.purposes[].name rules = %+v, want the one rule %s", name.XValidations, wantName)
	} else {
		for _, root := range gdprv1alpha1.FidesDataUseRoots {
			for _, text := range []string{name.XValidations[0].Message, name.XValidations[0].MessageExpression} {
				if !strings.Contains(text, root+",") && !strings.Contains(text, root+" (") {
					t.Errorf("spec.processing.purposes[].name message %q does not list %s", text, root)
				}
			}
		}
	}

	categories := purpose.Properties["dataCategories"].Items.Schema
	wantCategories := `self.matches(r'^(` + strings.Join(gdprv1alpha1.FidesDataCategoryRoots, "|") + `)(\.[a-z0-9_]+)*$')`
	if len(categories.XValidations) != 1 || categories.XValidations[0].Rule != wantCategories {
		t.Errorf("spec.processing.purposes[].dataCategories[] rules = %+v, want the one rule %s", categories.XValidations, wantCategories)
	}

	country := processing.Properties["thirdCountryTransfers"].Items.Schema.Properties["country"]
	quoted := make([]string, len(gdprv1alpha1.EEACountries))
	for i, c := range gdprv1alpha1.EEACountries {
		quoted[i] = "'" + c + "'"
	}
	wantCountry := "!(self in [" + strings.Join(quoted, ", ") + "])"
	i := slices.IndexFunc(country.XValidations, func(r apiextensionsv1.ValidationRule) bool { return r.Rule == wantCountry })
	if i < 0 {
		t.Fatalf("spec.processing.thirdCountryTransfers[].country has no rule %s: %+v", wantCountry, country.XValidations)
	}
	if !slices.IsSorted(gdprv1alpha1.EEACountries) || len(gdprv1alpha1.EEACountries) != 27+3+1 {
		t.Errorf("EEACountries must be sorted and hold the EU's 27, IS, LI, NO and EL: %v", gdprv1alpha1.EEACountries)
	}
	for _, c := range gdprv1alpha1.EEACountries {
		for _, text := range []string{country.XValidations[i].Message, country.XValidations[i].MessageExpression} {
			if !strings.Contains(text, c) {
				t.Errorf("the EU/EEA message %q does not name %s", text, c)
			}
		}
	}
}
