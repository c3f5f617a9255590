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

package records

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestRenderGolden renders the realistic record in every format and compares it with the
// golden file; `go test ./internal/records/ -run TestRenderGolden -update` rewrites them.
func TestRenderGolden(t *testing.T) {
	r := Build(realistic())
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var out bytes.Buffer
			if err := Render(&out, r, f); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "record."+string(f)+".golden")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to write it)", err)
			}
			if diff := cmp.Diff(string(want), out.String()); diff != "" {
				t.Errorf("%s differs from %s (-want +got; run with -update if the change is meant):\n%s", f, golden, diff)
			}
		})
	}
}

// The golden files are only as good as the input: every kind of finding must be in it.
func TestRealisticInputHoldsEveryFinding(t *testing.T) {
	r := Build(realistic())
	seen := map[FindingKind]bool{}
	for _, s := range r.Systems {
		for _, f := range s.Findings {
			seen[f.Kind] = true
		}
		for _, p := range s.Purposes {
			for _, f := range p.Findings {
				seen[f.Kind] = true
			}
		}
	}
	for _, k := range []FindingKind{FindingNoProcessing, FindingImagesNotPinned, FindingHardeningViolated, FindingOutsideResidency,
		FindingPlacementUnrecorded, FindingLedgerUnverified, FindingReviewOverdue, FindingUnknownKey,
		FindingCustomKey, FindingDeprecatedKey, FindingNeverReviewed} {
		if !seen[k] {
			t.Errorf("the realistic input has no %s finding", k)
		}
	}
}

// Each format must parse back as what it claims to be, with one row per workload and purpose.
func TestRenderedFormatsParse(t *testing.T) {
	r := Build(realistic())
	rows := len(r.rows())

	var out bytes.Buffer
	if err := CSV(&out, r); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if len(records) != rows+1 {
		t.Errorf("CSV has %d lines, want a header and %d rows", len(records), rows)
	}
	for i, rec := range records {
		if len(rec) != len(csvHeader) {
			t.Errorf("CSV line %d has %d columns, want %d", i+1, len(rec), len(csvHeader))
		}
	}

	out.Reset()
	if err := JSON(&out, r); err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(out.Bytes(), &back); err != nil {
		t.Fatalf("JSON does not parse: %v", err)
	}
	if diff := cmp.Diff(r, back); diff != "" {
		t.Errorf("JSON does not read back as the record (-want +got):\n%s", diff)
	}

	out.Reset()
	if err := Fides(&out, r); err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		System []struct {
			FidesKey            string `yaml:"fides_key"`
			PrivacyDeclarations []struct {
				DataUse                   string `yaml:"data_use"`
				LegalBasisForProcessing   string `yaml:"legal_basis_for_processing"`
				SpecialCategoryLegalBasis string `yaml:"special_category_legal_basis"`
			} `yaml:"privacy_declarations"`
		} `yaml:"system"`
	}
	if err := yaml.Unmarshal(out.Bytes(), &manifest); err != nil {
		t.Fatalf("fides manifest does not parse: %v", err)
	}
	var keys []string
	declarations := 0
	for _, s := range manifest.System {
		keys = append(keys, s.FidesKey)
		declarations += len(s.PrivacyDeclarations)
		for _, d := range s.PrivacyDeclarations {
			if !slices.Contains(fidesEnumValues(fidesLegalBasis), d.LegalBasisForProcessing) {
				t.Errorf("%s %s: legal_basis_for_processing %q is not a fideslang value", s.FidesKey, d.DataUse, d.LegalBasisForProcessing)
			}
			if d.SpecialCategoryLegalBasis != "" && !slices.Contains(fidesEnumValues(fidesSpecialCategoryBasis), d.SpecialCategoryLegalBasis) {
				t.Errorf("%s %s: special_category_legal_basis %q is not a fideslang value", s.FidesKey, d.DataUse, d.SpecialCategoryLegalBasis)
			}
		}
	}
	if want := []string{"clinic.records", "legacy.batch-export", "marketing.newsletter", "shop.payments"}; !slices.Equal(keys, want) {
		t.Errorf("fides_keys = %v, want %v", keys, want)
	}
	if declarations != 4 {
		t.Errorf("fides manifest has %d privacy declarations, want one per purpose: 4", declarations)
	}
}

func fidesEnumValues[K comparable](m map[K]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
