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

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// phaseSamples makes the samples of one kind, round and phase: values 1..n times scale ms.
func phaseSamples(round int, phase, kind string, n int, scale float64) []sample {
	var out []sample
	for i := 1; i <= n; i++ {
		out = append(out, sample{round: round, phase: phase, kind: kind, ms: float64(i) * scale})
	}
	return out
}

func TestAddedLatencyIsTheDifferenceOfEachPhasesPercentiles(t *testing.T) {
	var all []sample
	all = append(all, phaseSamples(1, phaseOff, kindUngoverned, 100, 0.1)...) // p50 5ms, p99 9.9ms
	all = append(all, phaseSamples(1, phaseOn, kindUngoverned, 100, 0.12)...) // p50 6ms, p99 11.88ms
	all = append(all, phaseSamples(2, phaseOn, kindUngoverned, 100, 9)...)    // another round: ignored
	rows := analyse(all, 1)
	if len(rows) != 1 {
		t.Fatalf("got %d rows, want 1: %+v", len(rows), rows)
	}
	r := rows[0]
	if r.nOff != 100 || r.nOn != 100 || r.off50 != 5 || r.on50 != 6 || !near(r.off99, 9.9) || !near(r.on99, 11.88) {
		t.Errorf("round 1: %+v", r)
	}
	if !near(r.added50, 1) || !near(r.added99, 1.98) {
		t.Errorf("added p50 %v, p99 %v; want 1 and 1.98", r.added50, r.added99)
	}
	if r.target != 5 {
		t.Errorf("the ungoverned target is %v, want 5", r.target)
	}
}

func TestAKindMeasuredInOnePhaseOnlyIsLeftOutOfTheTable(t *testing.T) {
	all := phaseSamples(1, phaseOn, kindAudit, 10, 1)
	all = append(all, phaseSamples(1, phaseOff, kindUngoverned, 10, 1)...)
	all = append(all, phaseSamples(1, phaseOn, kindUngoverned, 10, 1)...)
	rows := analyse(all, 1)
	if len(rows) != 1 || rows[0].kind != kindUngoverned {
		t.Errorf("rows %+v, want the ungoverned kind alone", rows)
	}
}

func TestTheSummaryTakesTheMedianAndRangeOverRoundsAndCountsTheRoundsMeetingTheTarget(t *testing.T) {
	var all []sample
	// Governed Audit pods: added p99 of 4, 30 and 12 ms in rounds 1 to 3 (target 20 ms).
	for round, added := range map[int]float64{1: 4, 2: 30, 3: 12} {
		all = append(all, phaseSamples(round, phaseOff, kindAudit, 100, 0.1)...)
		on := phaseSamples(round, phaseOn, kindAudit, 100, 0.1)
		for i := range on {
			on[i].ms += added
		}
		all = append(all, on...)
	}
	// Ungoverned pods, listed first whatever the order of the samples.
	all = append(all, phaseSamples(1, phaseOff, kindUngoverned, 10, 1)...)
	all = append(all, phaseSamples(1, phaseOn, kindUngoverned, 10, 1)...)
	summary := summarise(all)
	if len(summary) != 2 || summary[0].kind != kindUngoverned || summary[1].kind != kindAudit {
		t.Fatalf("summary %+v, want ungoverned then governed-audit", summary)
	}
	s := summary[1]
	if s.added99.N != 3 || !near(s.added99.Median, 12) || !near(s.added99.Min, 4) || !near(s.added99.Max, 30) {
		t.Errorf("added p99 over rounds %+v, want median 12, 4 to 30, n 3", s.added99)
	}
	if s.roundsMeetingT != 2 {
		t.Errorf("%d rounds meet the 20 ms target, want 2", s.roundsMeetingT)
	}
}

func TestTheCSVGivesBackWhatTheRunMeasured(t *testing.T) {
	all := []sample{
		{round: 1, phase: phaseOff, kind: kindUngoverned, ms: 2.913},
		{round: 1, phase: phaseOn, kind: kindEnforce, ms: 7.5},
		{round: 2, phase: phaseOn, kind: kindAudit, ms: 11},
	}
	path := filepath.Join(t.TempDir(), "results", "admission.csv")
	if err := writeCSV(all, path); err != nil {
		t.Fatal(err)
	}
	back, err := readCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(all) {
		t.Fatalf("read %d samples, wrote %d", len(back), len(all))
	}
	for i := range all {
		if back[i] != all[i] {
			t.Errorf("sample %d: read %+v, wrote %+v", i, back[i], all[i])
		}
	}
}

func TestACSVOfAnotherShapeIsRefusedNamingTheLineAndColumn(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"another header", "round,tick\n1,2\n", "the first line must be round,config,label,metric,value"},
		{"an unknown phase", "round,config,label,metric,value\n1,webhook-maybe,ungoverned,patch_latency_ms,1\n", `line 2, column config: "webhook-maybe"`},
		{"another metric", "round,config,label,metric,value\n1,webhook-on,ungoverned,pin_latency_ms,1\n", `line 2, column metric: "pin_latency_ms"`},
		{"a value that is no number", "round,config,label,metric,value\n1,webhook-on,ungoverned,patch_latency_ms,fast\n", "line 2, column value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.csv")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := readCSV(path); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("readCSV = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestKindsAreCheckedAndDeduplicated(t *testing.T) {
	kinds, err := parseKinds("ungoverned, governed-audit,ungoverned")
	if err != nil || strings.Join(kinds, ",") != "ungoverned,governed-audit" {
		t.Errorf("parseKinds = %v, %v", kinds, err)
	}
	if _, err := parseKinds("governed"); err == nil || !strings.Contains(err.Error(), `-kinds: "governed" is not a kind of pod; allowed: ungoverned, governed-audit, governed-enforce`) {
		t.Errorf("parseKinds(governed) = %v", err)
	}
}

func near(a, b float64) bool { return a-b < 1e-6 && b-a < 1e-6 }
