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

// Package samples keeps a benchmark's raw samples and summarises them: every figure a bench
// prints is computed here from what it measured, and every sample is written to a CSV file so
// that a run can be checked, or compared with another, after the fact.
package samples

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// DefaultPath is where a bench writes its samples unless told otherwise:
// test/bench/results/<bench>-<date>.csv, relative to the module root.
func DefaultPath(bench string, now time.Time) string {
	return filepath.Join("test", "bench", "results", fmt.Sprintf("%s-%s.csv", bench, now.Format("2006-01-02")))
}

// Recorder collects samples as rows of (round, config, label, metric, value): round is the
// repetition (1, 2, …; 0 for samples outside the rounds), config what was measured, label the
// sample's own name (a workload, an entry type), metric the quantity and its unit.
// It is safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	rows [][]string
}

// Add records one sample.
func (r *Recorder) Add(round int, config, label, metric string, value float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, []string{strconv.Itoa(round), config, label, metric, strconv.FormatFloat(value, 'f', -1, 64)})
}

// WriteCSV writes every sample to path, creating its directory.
func (r *Recorder) WriteCSV(path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"round", "config", "label", "metric", "value"})
	_ = w.WriteAll(r.rows)
	if err := w.Error(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// Summary is the median and range of a set of values.
type Summary struct {
	N                int
	Min, Median, Max float64
}

// Summarise sorts a copy of values and takes its median (the mean of the middle two for an
// even count) and range.
func Summarise(values []float64) Summary {
	if len(values) == 0 {
		return Summary{}
	}
	s := slices.Clone(values)
	slices.Sort(s)
	median := s[len(s)/2]
	if len(s)%2 == 0 {
		median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Summary{N: len(s), Min: s[0], Median: median, Max: s[len(s)-1]}
}

// Percentile is the nearest-rank p-th percentile of values (0 for none): the smallest value
// that at least p percent of the values do not exceed.
func Percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := slices.Clone(values)
	slices.Sort(s)
	rank := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(rank, len(s)-1))]
}

// Verdict says whether value meets a target: "meets" or "MISSED", computed, never assumed.
// atLeast says the target is a floor (throughput) rather than a ceiling (size, latency).
func Verdict(value, target float64, atLeast bool) string {
	if (atLeast && value >= target) || (!atLeast && value <= target) {
		return "meets"
	}
	return "MISSED"
}
