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

// The CEL rules that refuse malformed globs and image references are regular expressions in
// kubebuilder markers. These tests read them from the generated CRD, the text the API server
// runs, and hold them against the code that reads the same strings later: path.Match for
// spec.driftPolicy.ignoreMetadata, go-containerregistry's name.ParseReference (Amber) and
// distribution's reference grammar (the kubelet) for images. CEL's matches() is RE2, as Go's
// regexp package is, so a regular expression accepts the same strings in both.
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

	"github.com/distribution/reference"
	"github.com/google/go-containerregistry/pkg/name"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
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

// templateSchema is spec.template's schema in the CRD's only version.
func templateSchema(t testing.TB) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	return workloadCRD(t).Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["template"]
}

// imageRule is the regular expression the template's container and init container images
// must match.
func imageRule(t testing.TB) *regexp.Regexp {
	t.Helper()
	var rules []apiextensionsv1.ValidationRule
	for _, r := range templateSchema(t).XValidations {
		if strings.Contains(r.Rule, ".matches(") {
			rules = append(rules, r)
		}
	}
	if len(rules) != 2 {
		t.Fatalf("want one image rule for containers and one for initContainers, found %d", len(rules))
	}
	return ruleRegexp(t, rules)
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

func TestImageRuleAgreesWithTheReferenceParsers(t *testing.T) {
	const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name  string
		image string
		// valid is what the rule says. Unless differs explains otherwise, it is what both
		// parsers say: Amber's (name.ParseReference, which pins the image) and the kubelet's
		// (distribution's reference.ParseNormalizedNamed, which pulls it).
		valid   bool
		differs string
	}{
		{name: "a Docker Hub name", image: "nginx", valid: true},
		{name: "a Docker Hub name and tag", image: "nginx:1.27", valid: true},
		{name: "a Docker Hub namespace", image: "library/nginx:latest", valid: true},
		{name: "a registry on a loopback address and port", image: "127.0.0.1:5001/team/app:v1", valid: true},
		{name: "a registry and a digest", image: "registry.example.com/a/b@sha256:" + hex64, valid: true},
		{name: "a tag and a digest", image: "a/b:tag@sha256:" + hex64, valid: true},
		{name: "a sha512 digest", image: "registry.example/app@sha512:" + hex64 + hex64, valid: true},
		{name: "localhost with a port", image: "localhost:5000/x", valid: true},
		{name: "localhost without a port", image: "localhost/x", valid: true},
		{name: "localhost and a port alone are a Docker Hub name and tag", image: "localhost:5000", valid: true},
		{name: "an uppercase registry host", image: "Registry.Example/app", valid: true},
		{name: "an IPv6 registry", image: "[::1]:5000/app", valid: true},
		{name: "separators inside path components", image: "ghcr.io/a_b/c__d/e-f--g.h:1.0.0-rc.1", valid: true},
		{name: "an uppercase tag", image: "nginx:A_Tag-1.2", valid: true},
		{name: "a tag of 128 characters", image: "registry.example/a:" + strings.Repeat("t", 128), valid: true},
		{name: "a repository of 255 characters", image: "registry.example/" + strings.Repeat("a", 255), valid: true},

		{name: "an uppercase repository and a double colon", image: "UPPER/Case::bad", valid: false},
		{name: "an uppercase repository under a registry", image: "registry.example/Upper/Case:1", valid: false},
		{name: "an uppercase Docker Hub name", image: "Nginx", valid: false},
		{name: "an uppercase first component: a repository to Amber, a host to the kubelet", image: "Foo/bar", valid: false},
		{name: "an uppercase localhost", image: "LOCALHOST/x", valid: false},
		{name: "an empty tag", image: "nginx:", valid: false},
		{name: "a tag without a name", image: ":tag", valid: false},
		{name: "a tag starting with a dash", image: "nginx:-tag", valid: false},
		{name: "a tag of 129 characters", image: "registry.example/a:" + strings.Repeat("t", 129), valid: false},
		{name: "an empty path component", image: "a//b", valid: false},
		{name: "a trailing slash", image: "a/", valid: false},
		{name: "a leading slash", image: "/a", valid: false},
		{name: "a leading dash", image: "-a", valid: false},
		{name: "a trailing dash", image: "a-", valid: false},
		{name: "two dots in a row", image: "a..b", valid: false},
		{name: "three underscores in a row", image: "a___b", valid: false},
		{name: "a space", image: "nginx 1.27", valid: false},
		{name: "a URL scheme", image: "https://registry.example/app", valid: false},
		{name: "an empty port", image: "registry.example:/app", valid: false},
		{name: "a short digest", image: "nginx@sha256:0123", valid: false},
		{name: "an uppercase digest", image: "nginx@sha256:" + strings.ToUpper(hex64), valid: false},
		{name: "an unknown digest algorithm", image: "nginx@md5:" + hex64[:32], valid: false},
		{name: "two digests", image: "nginx@sha256:" + hex64 + "@sha256:" + hex64, valid: false},
		{name: "nothing", image: "", valid: false},

		{
			name: "a repository longer than 255 characters", image: "registry.example/" + strings.Repeat("a", 256), valid: true,
			differs: "lengths are not in the rule: both parsers refuse it, and Amber stalls the workload (InvalidReference)",
		},
		{
			name: "an IPv6 literal that is no address", image: "[:]/app", valid: true,
			differs: "the rule checks an IPv6 literal's characters, not that it is an address: Amber refuses it and stalls",
		},
		{
			name: "a name of 64 hex digits", image: hex64, valid: true,
			differs: "the kubelet takes it for an image ID; Amber reads a Docker Hub name, whose pinning fails",
		},
	}
	rule := imageRule(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rule.MatchString(tc.image); got != tc.valid {
				t.Errorf("the rule accepts %q: %v, want %v", tc.image, got, tc.valid)
			}
			_, amberErr := name.ParseReference(tc.image)
			_, kubeletErr := reference.ParseNormalizedNamed(tc.image)
			parsersAccept := amberErr == nil && kubeletErr == nil
			if agree := parsersAccept == tc.valid; agree != (tc.differs == "") {
				t.Errorf("%q: rule %v, Amber's parser %v (%v), the kubelet's %v (%v); differs: %q",
					tc.image, tc.valid, amberErr == nil, amberErr, kubeletErr == nil, kubeletErr, tc.differs)
			}
		})
	}
}

// The image rules pass the API server's cost estimate only with these bounds, which
// hack/crdbounds writes after controller-gen: a fresh controller-gen alone drops them.
func TestTemplateImagesAreBoundedInTheCRD(t *testing.T) {
	podSpec := templateSchema(t).Properties["spec"]
	for _, list := range []string{"containers", "initContainers"} {
		containers := podSpec.Properties[list]
		if containers.MaxItems == nil || *containers.MaxItems != gdprv1alpha1.MaxTemplateContainers {
			t.Errorf("spec.template.spec.%s maxItems = %v, want %d (run `make manifests`)", list, containers.MaxItems, gdprv1alpha1.MaxTemplateContainers)
		}
		if containers.Items == nil || containers.Items.Schema == nil {
			t.Fatalf("spec.template.spec.%s has no items schema", list)
		}
		image := containers.Items.Schema.Properties["image"]
		if image.MaxLength == nil || *image.MaxLength != gdprv1alpha1.MaxImageLength {
			t.Errorf("spec.template.spec.%s[].image maxLength = %v, want %d (run `make manifests`)", list, image.MaxLength, gdprv1alpha1.MaxImageLength)
		}
	}
}
