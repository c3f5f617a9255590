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
	"strings"
	"testing"
	"time"
)

func TestEmbeddedTaxonomy(t *testing.T) {
	if Fideslang.Version != "fideslang 3.1.2" {
		t.Errorf("Version = %q, want fideslang 3.1.2", Fideslang.Version)
	}
	// fideslang 3.1.2 defines 85 data categories, 56 data uses and 15 data subjects.
	for kind, want := range map[TaxonomyKind]int{DataCategory: 85, DataUse: 56, DataSubject: 15} {
		if got := len(Fideslang.keys[kind]); got != want {
			t.Errorf("%d %s keys, want %d", got, kind, want)
		}
	}
	if !strings.Contains(fideslangTaxonomy, "CC-BY-4.0") || !strings.Contains(fideslangTaxonomy, "Ethyca, Inc.") {
		t.Error("the taxonomy file lost its CC-BY-4.0 attribution to Ethyca, Inc.")
	}
}

func TestTaxonomyCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind TaxonomyKind
		key  string
		want KeyCheck
	}{
		{"a data category of the taxonomy is known", DataCategory, "user.financial.bank_account", KeyCheck{Status: KeyKnown}},
		{"a data use of the taxonomy is known", DataUse, "essential.service.payment_processing", KeyCheck{Status: KeyKnown}},
		{"a data subject of the taxonomy is known", DataSubject, "customer", KeyCheck{Status: KeyKnown}},
		{"a top-level key is known", DataCategory, "user", KeyCheck{Status: KeyKnown}},
		{"a deprecated data use names its replacement", DataUse, "personalize.profiling",
			KeyCheck{Status: KeyDeprecated, Deprecated: "2.1.1", ReplacedBy: "personalize.content.profiling"}},
		{"a key under a taxonomy key is custom", DataCategory, "user.financial.bank_account.iban", KeyCheck{Status: KeyCustom, Parent: "user.financial.bank_account"}},
		{"a custom data subject extends a subject", DataSubject, "customer.premium", KeyCheck{Status: KeyCustom, Parent: "customer"}},
		{"a key whose prefix only looks like a key is unknown", DataCategory, "username.first", KeyCheck{Status: KeyUnknown}},
		{"a key of another taxonomy is unknown in this one", DataUse, "customer", KeyCheck{Status: KeyUnknown}},
		{"an empty key is unknown", DataSubject, "", KeyCheck{Status: KeyUnknown}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Fideslang.Check(tc.kind, tc.key); got != tc.want {
				t.Errorf("Check(%s, %q) = %+v, want %+v", tc.kind, tc.key, got, tc.want)
			}
		})
	}
}

func TestParseTaxonomy(t *testing.T) {
	header := "# The default taxonomy of fideslang 9.9.9 (commit abc),\n"
	for _, tc := range []struct {
		name, text, wantErr string
	}{
		{"a file with a header and keys parses", header + "category user\nuse marketing deprecated=1.0 replaced_by=sales\nsubject customer\n", ""},
		{"a file without a header naming its source is refused", "category user\n", "no header line naming the taxonomy's source"},
		{"an unknown kind is refused with its line", header + "purpose marketing\n", "line 2: want KIND KEY with KIND category, use or subject"},
		{"a kind without a key is refused", header + "use\n", "line 2: want KIND KEY"},
		{"an unknown attribute is refused", header + "use marketing since=1.0\n", `line 2: unknown attribute "since=1.0"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := ParseTaxonomy(tc.text)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if tx.Version != "fideslang 9.9.9" || tx.Check(DataUse, "marketing").ReplacedBy != "sales" {
					t.Errorf("parsed %+v", tx)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"days are read as 24 hours each", "30d", 30 * 24 * time.Hour, true},
		{"a Go duration is read as Go reads it", "720h", 720 * time.Hour, true},
		{"minutes are allowed, for a short look back", "90m", 90 * time.Minute, true},
		{"zero is refused: there would be no window", "0d", 0, false},
		{"a negative window is refused", "-1h", 0, false},
		{"weeks are not a unit", "4w", 0, false},
		{"fractional days are refused", "1.5d", 0, false},
		{"an empty value is refused", "", 0, false},
		{"a number of days too large for a duration is refused", "200000000d", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseWindow(tc.in)
			if tc.ok != (err == nil) || got != tc.want {
				t.Errorf("ParseWindow(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "--since") {
				t.Errorf("error %q does not name --since", err)
			}
		})
	}
	if FormatWindow(30*24*time.Hour) != "30d" || FormatWindow(90*time.Minute) != "1h30m0s" {
		t.Errorf("FormatWindow: %q, %q", FormatWindow(30*24*time.Hour), FormatWindow(90*time.Minute))
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || err.Error() != `-o "yaml": want one of markdown, csv, json, fides` {
		t.Errorf("ParseFormat(yaml) error = %v", err)
	}
}
