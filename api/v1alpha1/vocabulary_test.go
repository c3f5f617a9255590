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

package v1alpha1

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// constants parses the string constants of the Go files in dir: name → value, type name and
// doc comment. A constant defined as another package's constant (gdprv1alpha1.ReasonX) takes
// that constant's value from known.
type constant struct {
	value, typ, doc string
}

func constants(t *testing.T, dir string, known map[string]constant) map[string]constant {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]constant{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				typ := ""
				if id, ok := vs.Type.(*ast.Ident); ok {
					typ = id.Name
				}
				for i, n := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					doc := vs.Doc.Text()
					if doc == "" {
						doc = gen.Doc.Text() // a const declared alone
					}
					c := constant{typ: typ, doc: doc}
					switch v := vs.Values[i].(type) {
					case *ast.BasicLit:
						c.value, _ = strconv.Unquote(v.Value)
					case *ast.SelectorExpr:
						c.value = known[v.Sel.Name].value
					}
					if c.value != "" {
						found[n.Name] = c
					}
				}
			}
		}
	}
	return found
}

// documentedReasons reads the README's table of ledger reasons: entry type → reasons.
func documentedReasons(t *testing.T) map[string][]string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	begin, end := strings.Index(text, "<!-- ledger-reasons:begin -->"), strings.Index(text, "<!-- ledger-reasons:end -->")
	if begin < 0 || end < begin {
		t.Fatal("README.md has no ledger-reasons table")
	}
	code := regexp.MustCompile("`([A-Za-z]+)`")
	documented := map[string][]string{}
	for _, line := range strings.Split(text[begin:end], "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.Contains(cells[1], "`") {
			continue
		}
		typ := code.FindStringSubmatch(cells[1])[1]
		for _, m := range code.FindAllStringSubmatch(cells[2], -1) {
			documented[typ] = append(documented[typ], m[1])
		}
		slices.Sort(documented[typ])
	}
	return documented
}

// TestLedgerReasonsAreDocumented compares every reason Amber's code can write, per entry type,
// with the README's table. The code's reasons come from the constants it draws them from:
// AuditReason constants (their comments name the entry types they go with), the kinds of
// drift (DriftDetected), the pinning failures (PinningFailed) and the plan phases that create
// pods (PodCreated). TestLedgerReasonsAreConstants makes sure there are no others.
func TestLedgerReasonsAreDocumented(t *testing.T) {
	api := constants(t, ".", nil)
	types := map[string]bool{}
	for _, c := range api {
		if c.typ == "AuditEventType" {
			types[c.value] = true
		}
	}
	emitted := map[string][]string{}
	add := func(typ, reason string) {
		if !slices.Contains(emitted[typ], reason) {
			emitted[typ] = append(emitted[typ], reason)
		}
	}
	entryTypes := regexp.MustCompile(`^\w+ \(([^)]*)\)`)
	for name, c := range api {
		switch c.typ {
		case "AuditReason", "AdmissionReason":
			m := entryTypes.FindStringSubmatch(c.doc)
			if m == nil {
				t.Errorf("%s: its comment does not begin with the entry types it goes with, as `%s (PodDeleted): …`", name, name)
				continue
			}
			for _, typ := range strings.Split(m[1], ",") {
				typ = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(typ), "recovered"))
				if typ == "" {
					continue
				}
				if !types[typ] {
					t.Errorf("%s names %q, not an entry type", name, typ)
				}
				add(typ, c.value)
			}
		case "DriftReason":
			add(string(AuditDriftDetected), c.value)
		}
	}
	for _, c := range constants(t, "../../internal/pin", api) {
		if c.typ == "Reason" {
			add(string(AuditPinningFailed), c.value)
		}
	}
	for _, c := range constants(t, "../../internal/podplan", api) {
		// A plan that creates pods is scaling, rolling out or repairing; Converged and
		// WaitingForPods create none.
		if c.typ == "Phase" && c.value != "Converged" && c.value != ReasonWaitingForPods {
			add(string(AuditPodCreated), c.value)
		}
	}
	for typ := range emitted {
		slices.Sort(emitted[typ])
	}
	documented := documentedReasons(t)
	for _, typ := range slices.Sorted(maps.Keys(types)) {
		if !slices.Equal(emitted[typ], documented[typ]) {
			t.Errorf("%s: the code writes reasons %v, README.md documents %v", typ, emitted[typ], documented[typ])
		}
	}
	for typ := range documented {
		if !types[typ] {
			t.Errorf("README.md documents reasons of %q, not an entry type", typ)
		}
	}
}

// TestLedgerReasonsAreConstants fails when code that writes ledger entries gives an entry a
// reason written out as a string rather than drawn from a constant: such a reason would
// escape the vocabulary above.
func TestLedgerReasonsAreConstants(t *testing.T) {
	for _, dir := range []string{"../../controllers", "../../internal/audit", "../../internal/ledger"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			literal := func(e ast.Expr) bool {
				if call, ok := e.(*ast.CallExpr); ok && len(call.Args) == 1 {
					e = call.Args[0] // string(...)
				}
				_, ok := e.(*ast.BasicLit)
				return ok
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CompositeLit:
					sel, ok := n.Type.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "AuditEventSpec" {
						return true
					}
					for _, elt := range n.Elts {
						if kv, ok := elt.(*ast.KeyValueExpr); ok && kv.Key.(*ast.Ident).Name == "Reason" && literal(kv.Value) {
							t.Errorf("%s: an entry's reason written out; use a constant of api/v1alpha1", fset.Position(kv.Pos()))
						}
					}
				case *ast.AssignStmt:
					for i, lhs := range n.Lhs {
						if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Reason" && i < len(n.Rhs) && literal(n.Rhs[i]) {
							t.Errorf("%s: a reason written out; use a constant of api/v1alpha1", fset.Position(n.Pos()))
						}
					}
				}
				return true
			})
		}
	}
}

// TestReasonConstantsAreUsed fails for a condition or ledger reason the API defines and no
// code outside the API uses: kubectl explain and the README would promise what never happens.
func TestReasonConstantsAreUsed(t *testing.T) {
	var sources strings.Builder
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || path == filepath.Join("..", "..", "api")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sources.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range constants(t, ".", nil) {
		if c.typ != "AuditReason" && c.typ != "AdmissionReason" && c.typ != "DriftReason" && !strings.HasPrefix(name, "Reason") {
			continue
		}
		if !strings.Contains(sources.String(), "gdprv1alpha1."+name) {
			t.Errorf("%s (%q) is defined in api/v1alpha1 and used nowhere", name, c.value)
		}
	}
}
