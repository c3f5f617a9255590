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
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultWindow is the evidence window when --since is not given: 30 days.
const DefaultWindow = 30 * 24 * time.Hour

const day = 24 * time.Hour

// ParseWindow reads --since: a number of days ("30d"), or a Go duration ("720h", "90m").
// Days are what a DPO thinks in; Go's durations stop at hours.
func ParseWindow(s string) (time.Duration, error) {
	bad := fmt.Errorf("--since %q: want a number of days such as 30d, or a duration such as 720h or 90m, greater than zero", s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n > int64(time.Duration(1<<63-1)/day) {
			return 0, bad
		}
		d = time.Duration(n) * day
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}

// FormatWindow writes a window as ParseWindow reads it: whole days as "30d", others as a
// Go duration.
func FormatWindow(d time.Duration) string {
	if d > 0 && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	return d.String()
}
