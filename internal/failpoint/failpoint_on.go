//go:build failpoints

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

package failpoint

import (
	"fmt"
	"os"
)

// Enabled tells whether this build has failpoints.
const Enabled = true

// points are the points armed when the process started.
var points = parse(os.Getenv(EnvVar))

// Crash ends the process with ExitCode when p is armed for the ledger namespace/name.
func Crash(p Point, namespace, name string) {
	if !points.matches(p, namespace, name) {
		return
	}
	fmt.Fprintf(os.Stderr, "failpoint %s hit at %s/%s: exiting with code %d\n", p, namespace, name, ExitCode)
	os.Exit(ExitCode)
}
