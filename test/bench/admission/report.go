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
	"encoding/csv"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/amber-gdpr/amber/test/bench/samples"
)

// sample is one timed patch.
type sample struct {
	round int
	phase string
	kind  string
	ms    float64
}

// kindRound is one kind of pod in one round: its latencies without and with the webhook
// configuration, and what admission added.
type kindRound struct {
	round, nOff, nOn int
	kind             string
	off50, off99     float64
	on50, on99       float64
	added50, added99 float64
	target           float64
}

// analyse computes the rounds' table from the samples: per kind of pod, the p50 and p99 of
// each phase and their differences. A kind measured in one phase only is left out: there is
// nothing to subtract.
func analyse(all []sample, round int) []kindRound {
	byKindPhase := map[string]map[string][]float64{}
	for _, s := range all {
		if s.round != round {
			continue
		}
		if byKindPhase[s.kind] == nil {
			byKindPhase[s.kind] = map[string][]float64{}
		}
		byKindPhase[s.kind][s.phase] = append(byKindPhase[s.kind][s.phase], s.ms)
	}
	var rows []kindRound
	for _, kind := range orderedKinds(byKindPhase) {
		off, on := byKindPhase[kind][phaseOff], byKindPhase[kind][phaseOn]
		if len(off) == 0 || len(on) == 0 {
			continue
		}
		r := kindRound{
			round: round, kind: kind, nOff: len(off), nOn: len(on), target: targets[kind],
			off50: samples.Percentile(off, 50), off99: samples.Percentile(off, 99),
			on50: samples.Percentile(on, 50), on99: samples.Percentile(on, 99),
		}
		r.added50, r.added99 = r.on50-r.off50, r.on99-r.off99
		rows = append(rows, r)
	}
	return rows
}

// orderedKinds lists the kinds in allKinds' order, any unknown one (from a CSV) after them by name.
func orderedKinds[V any](m map[string]V) []string {
	var kinds []string
	for kind := range m {
		kinds = append(kinds, kind)
	}
	slices.SortFunc(kinds, func(a, b string) int {
		ia, ib := slices.Index(allKinds, a), slices.Index(allKinds, b)
		if ia < 0 {
			ia = len(allKinds)
		}
		if ib < 0 {
			ib = len(allKinds)
		}
		if ia != ib {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	return kinds
}

func printRound(rows []kindRound) {
	fmt.Printf("%-17s %6s %6s %9s %9s %9s %9s %10s %10s %8s\n", "kind of pod", "n off", "n on", "off p50", "off p99", "on p50", "on p99", "added p50", "added p99", "target")
	for _, r := range rows {
		fmt.Printf("%-17s %6d %6d %9s %9s %9s %9s %10s %10s %8s %s\n", r.kind, r.nOff, r.nOn, ms(r.off50), ms(r.off99), ms(r.on50), ms(r.on99),
			ms(r.added50), ms(r.added99), "<"+ms(r.target), samples.Verdict(r.added99, r.target, false))
	}
}

// kindSummary is one kind of pod over every round.
type kindSummary struct {
	kind           string
	added50        samples.Summary
	added99        samples.Summary
	target         float64
	roundsMeetingT int
}

// summarise takes, per kind of pod, the median and range over the rounds of the added p50
// and p99, and counts the rounds whose added p99 meets the target.
func summarise(all []sample) []kindSummary {
	var rounds []int
	for _, s := range all {
		if !slices.Contains(rounds, s.round) {
			rounds = append(rounds, s.round)
		}
	}
	slices.Sort(rounds)
	added50, added99 := map[string][]float64{}, map[string][]float64{}
	for _, round := range rounds {
		for _, r := range analyse(all, round) {
			added50[r.kind] = append(added50[r.kind], r.added50)
			added99[r.kind] = append(added99[r.kind], r.added99)
		}
	}
	var out []kindSummary
	for _, kind := range orderedKinds(added99) {
		s := kindSummary{kind: kind, added50: samples.Summarise(added50[kind]), added99: samples.Summarise(added99[kind]), target: targets[kind]}
		for _, v := range added99[kind] {
			if v <= s.target {
				s.roundsMeetingT++
			}
		}
		out = append(out, s)
	}
	return out
}

func printSummary(summary []kindSummary) {
	rounds := 0
	for _, s := range summary {
		rounds = max(rounds, s.added99.N)
	}
	fmt.Printf("\nover %d rounds (every round, none left out): the latency admission adds to a label patch\n\n", rounds)
	fmt.Printf("%-17s %30s %30s %9s %18s %s\n", "kind of pod", "added p50 median", "added p99 median", "target", "rounds meeting it", "verdict (median)")
	for _, s := range summary {
		fmt.Printf("%-17s %30s %30s %9s %18s %s\n", s.kind, spread(s.added50), spread(s.added99), "<"+ms(s.target),
			fmt.Sprintf("%d of %d", s.roundsMeetingT, s.added99.N), samples.Verdict(s.added99.Median, s.target, false))
	}
}

// spread prints a summary as "median (min to max)".
func spread(s samples.Summary) string {
	return fmt.Sprintf("%s (%s to %s)", ms(s.Median), ms(s.Min), ms(s.Max))
}

func ms(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "ms" }

// csvHeader is samples.Recorder's: round, phase as config, kind of pod as label.
var csvHeader = []string{"round", "config", "label", "metric", "value"}

func writeCSV(all []sample, path string) error {
	rec := &samples.Recorder{}
	for _, s := range all {
		rec.Add(s.round, s.phase, s.kind, metric, s.ms)
	}
	return rec.WriteCSV(path)
}

// readCSV reads the samples writeCSV wrote.
func readCSV(path string) ([]sample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], csvHeader) {
		return nil, fmt.Errorf("%s: the first line must be %s", path, strings.Join(csvHeader, ","))
	}
	var all []sample
	for i, row := range rows[1:] {
		line := i + 2
		round, err := strconv.Atoi(row[0])
		if err != nil {
			return nil, fmt.Errorf("%s line %d, column round: %w", path, line, err)
		}
		if row[1] != phaseOff && row[1] != phaseOn {
			return nil, fmt.Errorf("%s line %d, column config: %q is neither %s nor %s", path, line, row[1], phaseOff, phaseOn)
		}
		if row[3] != metric {
			return nil, fmt.Errorf("%s line %d, column metric: %q, want %s", path, line, row[3], metric)
		}
		v, err := strconv.ParseFloat(row[4], 64)
		if err != nil {
			return nil, fmt.Errorf("%s line %d, column value: %w", path, line, err)
		}
		all = append(all, sample{round: round, phase: row[1], kind: row[2], ms: v})
	}
	return all, nil
}

// recompute prints every round's table and the summary of a CSV an earlier run wrote.
func recompute(path string) error {
	all, err := readCSV(path)
	if err != nil {
		return err
	}
	var rounds []int
	for _, s := range all {
		if !slices.Contains(rounds, s.round) {
			rounds = append(rounds, s.round)
		}
	}
	slices.Sort(rounds)
	for _, round := range rounds {
		fmt.Printf("\nround %d (from %s)\n", round, path)
		printRound(analyse(all, round))
	}
	printSummary(summarise(all))
	return nil
}
