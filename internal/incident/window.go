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
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultSince is how far back the report reads when --since is not given: as far as
// `kubectl amber records` does, so that a detection days before anyone noticed is found.
const DefaultSince = 30 * 24 * time.Hour

// ParseTime reads the --since or --until flag (named by flag): a time in RFC 3339
// ("2026-11-24T09:00:00Z"), or a duration back from now, as Go writes it ("72h", "90m") or
// in days ("7d").
func ParseTime(flag, value string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, value); err == nil {
		return t.UTC(), nil
	}
	bad := fmt.Errorf("--%s %q: want a time in RFC 3339 (such as 2026-11-24T09:00:00Z) or a duration back from now (such as 72h, 90m or 7d), not negative", flag, value)
	var d time.Duration
	if days, ok := strings.CutSuffix(value, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > int64(time.Duration(1<<63-1)/(24*time.Hour)) {
			return time.Time{}, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(value); err != nil || d < 0 {
			return time.Time{}, bad
		}
	}
	return now.Add(-d).UTC(), nil
}

// Window reads --since and --until ("" for their defaults: DefaultSince back from now, and
// now) and checks that the window is not empty.
func Window(since, until string, now time.Time) (time.Time, time.Time, error) {
	from, to := now.Add(-DefaultSince).UTC(), now.UTC()
	var err error
	if since != "" {
		if from, err = ParseTime("since", since, now); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if until != "" {
		if to, err = ParseTime("until", until, now); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if from.After(to) {
		return time.Time{}, time.Time{}, fmt.Errorf("--since %s is after --until %s: the window must start before it ends",
			from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	return from, to, nil
}
