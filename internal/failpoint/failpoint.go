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

// Package failpoint crashes the manager at the points where a crash matters most to the
// ledger: between an action on the cluster and the entry that records it. End-to-end tests
// arm a point and check that a restarted manager completes the ledger from what it finds.
//
// Failpoints exist only in a build with the failpoints tag (go build -tags failpoints), as
// etcd's gofail does. In any other build Crash is an empty function the compiler inlines
// away, so a released manager holds neither the points nor the code that reads EnvVar
// (TestReleaseBuildHasNoFailpoints checks the binary).
//
// In a failpoints build, EnvVar arms points: a comma-separated list of terms, each a point
// name ("after-pod-create"), or a point name and the ledger it is limited to
// ("after-pod-create@team-a/payments"). An armed point makes the process print what it hit
// and exit at once with ExitCode, as a crash would: no deferred function runs, nothing is
// flushed.
package failpoint

import "strings"

// Point names a place in the manager where a test may crash it.
type Point string

const (
	// AfterPodCreate is after the API server created a pod and before its PodCreated entry.
	AfterPodCreate Point = "after-pod-create"
	// AfterPodDelete is after the API server accepted a pod's deletion (scaling down,
	// replacing a drifted or escaped pod, emptying a deleted workload) and before its
	// PodDeleted entry.
	AfterPodDelete Point = "after-pod-delete"
	// AfterCheckpointSign is after a checkpoint was signed and before it is appended.
	AfterCheckpointSign Point = "after-checkpoint-sign"
	// MidRetention is in a retention pass, after it removed an expired entry and before it
	// removes the next.
	MidRetention Point = "mid-retention"
)

// EnvVar is the environment variable that arms failpoints in a failpoints build.
const EnvVar = "AMBER_FAILPOINTS"

// ExitCode is what a process stopped by a failpoint exits with: neither success, nor an
// error the manager reports (1), nor a signal (128+n).
const ExitCode = 42

// armed is the set of armed points, each with the ledgers (namespace/name) it is limited to;
// an empty list arms the point everywhere.
type armed map[Point][]string

// parse reads EnvVar's value. Unknown point names are kept: they never match, as a misspelt
// gofail term never fires, and the test that armed one sees no crash.
func parse(value string) armed {
	points := armed{}
	for term := range strings.SplitSeq(value, ",") {
		term = strings.TrimSpace(term)
		if term == "" {
			continue
		}
		name, ledger, limited := strings.Cut(term, "@")
		p := Point(name)
		if !limited {
			points[p] = nil
			continue
		}
		if scopes, ok := points[p]; ok && scopes == nil {
			continue // armed everywhere already
		}
		points[p] = append(points[p], ledger)
	}
	return points
}

// matches reports whether point p, reached for the ledger namespace/name, is armed.
func (a armed) matches(p Point, namespace, name string) bool {
	scopes, ok := a[p]
	if !ok {
		return false
	}
	if scopes == nil {
		return true
	}
	for _, s := range scopes {
		if s == namespace+"/"+name {
			return true
		}
	}
	return false
}
