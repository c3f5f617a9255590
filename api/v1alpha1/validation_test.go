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

// The CEL rule that refuses malformed globs is a regular expression in a kubebuilder marker.
// These tests read it from the generated CRD, the text the API server runs, and hold it
// against the code that reads the same strings later: path.Match for
// spec.driftPolicy.ignoreMetadata. CEL's matches() is RE2, as Go's regexp package is, so a
// regular expression accepts the same strings in both.
// Whether the API server takes the CRD and applies the rules is tested in controllers/.
package v1alpha1_test

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// workloadCRD reads the GDPRWorkload CRD as `make manifests` wrote it.
func workloadCRD(t testing.TB) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "config", "crd", "bases", "gdpr.amber.dev_gdprworkloads.yaml"))
	if err != nil {
		t.Fatalf("read the generated CRD (run `make manifests`): %v", err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(raw, crd); err != nil {
		t.Fatal(err)
	}
	if len(crd.Spec.Versions) == 0 {
		t.Fatal("the CRD has no versions")
	}
	return crd
}

// matchesArgument finds the regular expression of each matches(r'…') call in a CEL expression.
var matchesArgument = regexp.MustCompile(`\.matches\(r'([^']*)'\)`)

// ruleRegexp compiles the one regular expression the matches() calls of rules hold: each rule
// and message expression that names it must name the same one.
func ruleRegexp(t testing.TB, rules []apiextensionsv1.ValidationRule) *regexp.Regexp {
	t.Helper()
	var found []string
	for _, r := range rules {
		for _, expr := range []string{r.Rule, r.MessageExpression} {
			for _, m := range matchesArgument.FindAllStringSubmatch(expr, -1) {
				found = append(found, m[1])
			}
		}
	}
	if len(found) == 0 {
		t.Fatal("no matches(r'…') in the rules")
	}
	for _, other := range found[1:] {
		if other != found[0] {
			t.Fatalf("the rules hold different regular expressions:\n%s\n%s", found[0], other)
		}
	}
	if !strings.HasPrefix(found[0], "^") || !strings.HasSuffix(found[0], "$") {
		t.Fatalf("%s is not anchored: CEL's matches() accepts a match anywhere in the string", found[0])
	}
	return regexp.MustCompile(found[0])
}

// globRule is the regular expression spec.driftPolicy.ignoreMetadata's entries must match.
func globRule(t testing.TB) *regexp.Regexp {
	t.Helper()
	crd := workloadCRD(t)
	items := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["driftPolicy"].Properties["ignoreMetadata"].Items
	if items == nil || items.Schema == nil {
		t.Fatal("no spec.driftPolicy.ignoreMetadata items in the CRD")
	}
	return ruleRegexp(t, items.Schema.XValidations)
}

// globCases are globs and whether path.Match can read them.
var globCases = []struct {
	name  string
	glob  string
	valid bool
}{
	{"a key prefix and a star", "app.kubernetes.io/*", true},
	{"a lone star", "*", true},
	{"a question mark", "a?b", true},
	{"a plain key", "sidecar.istio.io/status", true},
	{"a character class", "[abc]", true},
	{"a range followed by a literal", "[a-z]x", true},
	{"a negated class", "[^a]", true},
	{"a negated class of the caret itself", "[^^]", true},
	{"a caret after the first character is literal", "[a^]", true},
	{"an escaped star", `\*`, true},
	{"an escaped backslash", `a\\b`, true},
	{"an open bracket inside a class is literal", "[[]", true},
	{"an escaped close bracket inside a class", `[\]]`, true},
	{"an escaped dash inside a class", `[a\-z]`, true},
	{"an escaped caret opens a class of the caret", `[\^]`, true},
	{"a range whose bounds are escaped", `[\a-\z]`, true},
	{"a reversed range reads, and matches nothing", "[z-a]", true},
	{"a star inside a class", "[*]", true},
	{"a lone close bracket is literal", "]", true},
	{"a lone dash is literal", "-", true},
	{"a class after stars", "**[ab]*", true},
	{"a class of a multibyte character", "[é-ü]x", true},
	{"two open brackets", "[[", false},
	{"an open bracket alone", "[", false},
	{"an open bracket at the end", "a[", false},
	{"an empty class", "[]", false},
	{"a close bracket first in a class", "[]a]", false},
	{"an empty negated class", "[^]", false},
	{"a range without an upper bound", "[a-]", false},
	{"a range without a lower bound", "[-a]", false},
	{"a range whose upper bound is a dash", "[a--]", false},
	{"two ranges sharing a bound", "[a-b-c]", false},
	{"a class that never closes", "[abc", false},
	{"a class whose close bracket is escaped", `[a\]`, false},
	{"a trailing backslash", `a\`, false},
	{"a lone backslash", `\`, false},
	{"a trailing backslash inside a class", `[a\`, false},
	{"a malformed class after a star", "*[", false},
	{"a malformed class after a literal that cannot match", "x[", false},
}

func TestIgnoreMetadataRuleAcceptsWhatPathMatchReads(t *testing.T) {
	rule := globRule(t)
	for _, tc := range globCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := path.Match(tc.glob, "")
			if readable := err == nil; readable != tc.valid {
				t.Fatalf("path.Match(%q) error %v; the case says valid=%v", tc.glob, err, tc.valid)
			}
			if got := rule.MatchString(tc.glob); got != tc.valid {
				t.Errorf("the rule accepts %q: %v, want %v", tc.glob, got, tc.valid)
			}
		})
	}
}

// FuzzIgnoreMetadataRule holds the rule against path.Match on any glob: `go test -fuzz
// FuzzIgnoreMetadataRule ./api/v1alpha1/` explores; a plain `go test` runs the seeds.
func FuzzIgnoreMetadataRule(f *testing.F) {
	rule := globRule(f)
	for _, tc := range globCases {
		f.Add(tc.glob)
	}
	f.Fuzz(func(t *testing.T, glob string) {
		if !utf8.ValidString(glob) {
			t.Skip("the API server holds only valid UTF-8")
		}
		_, err := path.Match(glob, "")
		if got, want := rule.MatchString(glob), err == nil; got != want {
			t.Errorf("the rule accepts %q: %v, path.Match reads it: %v", glob, got, want)
		}
	})
}
