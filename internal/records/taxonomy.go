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
	_ "embed"
	"fmt"
	"strings"
)

// TaxonomyKind is one of fideslang's three taxonomies.
type TaxonomyKind string

// The taxonomies a purpose's keys are checked against, named as the data file names them.
const (
	// DataCategory: what kind of personal data ("user.contact.email").
	DataCategory TaxonomyKind = "category"
	// DataUse: what the data is used for, a purpose ("essential.service.payment_processing").
	DataUse TaxonomyKind = "use"
	// DataSubject: whom the data is about ("customer").
	DataSubject TaxonomyKind = "subject"
)

// fideslangTaxonomy is the key list of fideslang's default taxonomy, with its attribution
// (CC-BY-4.0, Ethyca, Inc.) in its header. Shipped as data rather than Go so that the
// attribution travels with it and a new fideslang release is one regeneration away.
//
//go:embed fideslang-taxonomy.txt
var fideslangTaxonomy string

// taxonomyEntry is one key of the default taxonomy.
type taxonomyEntry struct {
	deprecated string // the fideslang version that deprecated it, or ""
	replacedBy string // its replacement, or ""
}

// Taxonomy is a set of taxonomy keys.
type Taxonomy struct {
	// Version names the taxonomy's source ("fideslang 3.1.2"), for the report.
	Version string
	keys    map[TaxonomyKind]map[string]taxonomyEntry
}

// Fideslang is fideslang's default taxonomy, read from the embedded data file.
var Fideslang = mustParseTaxonomy(fideslangTaxonomy)

func mustParseTaxonomy(text string) Taxonomy {
	t, err := ParseTaxonomy(text)
	if err != nil {
		panic(fmt.Sprintf("the embedded fideslang-taxonomy.txt: %v", err))
	}
	return t
}

// ParseTaxonomy reads a taxonomy in the format of fideslang-taxonomy.txt: "# " comment
// lines, the first naming the source ("# The default taxonomy of fideslang 3.1.2 …"),
// then one "KIND KEY [deprecated=VERSION] [replaced_by=KEY]" line per key.
func ParseTaxonomy(text string) (Taxonomy, error) {
	t := Taxonomy{keys: map[TaxonomyKind]map[string]taxonomyEntry{DataCategory: {}, DataUse: {}, DataSubject: {}}}
	for n, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "#") {
			if t.Version == "" {
				if _, after, ok := strings.Cut(line, "taxonomy of "); ok {
					t.Version, _, _ = strings.Cut(after, " (")
				}
			}
			continue
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		kind := TaxonomyKind(fields[0])
		keys, ok := t.keys[kind]
		if !ok || len(fields) < 2 {
			return Taxonomy{}, fmt.Errorf("line %d: want KIND KEY with KIND category, use or subject, got %q", n+1, line)
		}
		var e taxonomyEntry
		for _, f := range fields[2:] {
			name, value, _ := strings.Cut(f, "=")
			switch name {
			case "deprecated":
				e.deprecated = value
			case "replaced_by":
				e.replacedBy = value
			default:
				return Taxonomy{}, fmt.Errorf("line %d: unknown attribute %q (want deprecated= or replaced_by=)", n+1, f)
			}
		}
		keys[fields[1]] = e
	}
	if t.Version == "" {
		return Taxonomy{}, fmt.Errorf("no header line naming the taxonomy's source (\"# The default taxonomy of fideslang X.Y.Z …\")")
	}
	return t, nil
}

// KeyStatus says how a key stands against the taxonomy.
type KeyStatus int

const (
	// KeyKnown: the key is in the taxonomy.
	KeyKnown KeyStatus = iota
	// KeyDeprecated: the key is in the taxonomy but deprecated.
	KeyDeprecated
	// KeyCustom: the key is not in the taxonomy, but extends one that is (a custom key
	// under a taxonomy parent, which fideslang allows).
	KeyCustom
	// KeyUnknown: neither the key nor any of its parents is in the taxonomy.
	KeyUnknown
)

// KeyCheck is the answer of Check.
type KeyCheck struct {
	Status KeyStatus
	// Parent is the nearest taxonomy key a custom key extends.
	Parent string
	// Deprecated is the version that deprecated a deprecated key; ReplacedBy its replacement.
	Deprecated, ReplacedBy string
}

// Check tells whether key is in the taxonomy of kind, deprecated, a custom key under one
// of its keys, or unknown. Fideslang keys are dotted paths, a child extending its parent
// ("user.contact.email" under "user.contact"), so the parents of a custom key are its
// prefixes up to a dot.
func (t Taxonomy) Check(kind TaxonomyKind, key string) KeyCheck {
	keys := t.keys[kind]
	if e, ok := keys[key]; ok {
		if e.deprecated != "" {
			return KeyCheck{Status: KeyDeprecated, Deprecated: e.deprecated, ReplacedBy: e.replacedBy}
		}
		return KeyCheck{Status: KeyKnown}
	}
	for parent := key; ; {
		i := strings.LastIndex(parent, ".")
		if i < 0 {
			return KeyCheck{Status: KeyUnknown}
		}
		parent = parent[:i]
		if _, ok := keys[parent]; ok {
			return KeyCheck{Status: KeyCustom, Parent: parent}
		}
	}
}
