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

package incident

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// deleteAccessDenied removes the access denial from the sealed payments ledger, as someone
// erasing their trace would, and leaves the rest as it was.
func deleteAccessDenied(payments []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
	return slices.DeleteFunc(payments, func(e gdprv1alpha1.AuditEvent) bool { return e.Spec.Type == gdprv1alpha1.AuditAccessDenied })
}

// goldenInputs are the scripted incident as written, and with an entry deleted, which Amber's
// own verification found at 12:10.
func goldenInputs(t *testing.T) map[string]Input {
	tampered := scripted(t, deleteAccessDenied)
	for i := range tampered.Ledgers {
		if tampered.Ledgers[i].Name == "payments" {
			tampered.Ledgers[i].BrokenSince = at("12:10:00")
		}
	}
	return map[string]Input{"incident": scripted(t, nil), "incident-tampered": tampered}
}

// TestRenderGolden renders the scripted incident in every format and compares it with the
// golden files; `go test ./internal/incident/ -run TestRenderGolden -update` rewrites them.
func TestRenderGolden(t *testing.T) {
	for name, in := range goldenInputs(t) {
		r := Build(in)
		for _, f := range Formats {
			t.Run(name+"."+string(f), func(t *testing.T) {
				var out bytes.Buffer
				if err := Render(&out, r, f); err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", name+"."+string(f)+".golden")
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
}

// The JSON form is an interface: it must read back as the report it was written from.
func TestJSONReadsBack(t *testing.T) {
	for name, in := range goldenInputs(t) {
		r := Build(in)
		var out bytes.Buffer
		if err := JSON(&out, r); err != nil {
			t.Fatal(err)
		}
		var back Report
		if err := json.Unmarshal(out.Bytes(), &back); err != nil {
			t.Fatalf("%s: JSON does not parse: %v", name, err)
		}
		if diff := cmp.Diff(r, back); diff != "" {
			t.Errorf("%s: JSON does not read back as the report (-want +got):\n%s", name, diff)
		}
	}
}

// The golden files are only as good as the script: it must hold every kind of detection and
// measure the report knows, and the tampered variant must name its first bad entry.
func TestScriptHoldsEveryKind(t *testing.T) {
	r := Build(scripted(t, nil))
	seen := map[string]bool{}
	for _, e := range r.Timeline {
		seen[e.Type+"/"+e.Reason] = true
	}
	for _, want := range []string{"DriftDetected/ImageChanged", "AccessDenied/Exec", "BreakGlassGranted/Granted", "BreakGlassUsed/Exec",
		"BreakGlassEnded/Expired", "PodReplaced/BreakGlassEnded", "PodReplaced/Drifted", "PodQuarantined/Requested", "PodReplaced/Quarantined",
		"PodQuarantined/Isolated", "PodDeleted/QuarantineEnded", "RevisionRestored/Rollback", "AdmissionConfigTampered/ConfigChanged"} {
		if !seen[want] {
			t.Errorf("the scripted incident has no %s entry in its timeline", want)
		}
	}
	if !r.Verification.AllVerified {
		t.Errorf("the scripted incident does not verify: %+v", r.Verification.Ledgers)
	}

	tampered := Build(scripted(t, deleteAccessDenied))
	if tampered.Verification.AllVerified {
		t.Fatal("the tampered incident verifies")
	}
	for _, l := range tampered.Verification.Ledgers {
		if l.Ledger == "payments" && (l.FirstBadSequence != 10 || l.Verified) {
			t.Errorf("payments: first bad sequence %d, verified %v; want 10 (the deleted access denial), false", l.FirstBadSequence, l.Verified)
		}
	}
}

// The README shows an excerpt of the golden file; every line of it must still be there, so
// that the README shows what the command prints.
func TestREADMEExcerptIsFromTheGoldenFile(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	begin, end := strings.Index(text, "<!-- incident-excerpt:begin -->"), strings.Index(text, "<!-- incident-excerpt:end -->")
	if begin < 0 || end < begin {
		t.Fatal("README.md has no incident excerpt between <!-- incident-excerpt:begin --> and <!-- incident-excerpt:end -->")
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "incident.markdown.golden"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(golden), "\n")
	shown := 0
	for _, line := range strings.Split(text[begin:end], "\n")[1:] {
		if line == "" || line == "…" || strings.HasPrefix(line, "```") {
			continue
		}
		shown++
		if !slices.Contains(lines, line) {
			t.Errorf("the README's excerpt shows a line the golden file does not hold:\n%s", line)
		}
	}
	if shown < 20 {
		t.Errorf("the README's excerpt shows %d lines of the report, want at least 20", shown)
	}
}
