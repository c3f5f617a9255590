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
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestReleaseBuildHasNoFailpoints builds the manager as `make build` and a release do, and
// as the end-to-end suite does (-tags failpoints), and looks for the failpoints in each
// binary: the names of the points and of the variable that arms them must be in the second
// only. The second build shows the search finds them when they are there.
func TestReleaseBuildHasNoFailpoints(t *testing.T) {
	dir := t.TempDir()
	build := func(name string, flags ...string) []byte {
		t.Helper()
		binary := filepath.Join(dir, name)
		cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", binary, "./cmd")...)
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build %v ./cmd: %v\n%s", flags, err, out)
		}
		data, err := os.ReadFile(binary)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	release, withFailpoints := build("manager"), build("manager-failpoints", "-tags", "failpoints")

	for _, s := range []string{EnvVar, string(AfterPodCreate), string(AfterPodDelete), string(AfterCheckpointSign), string(MidRetention)} {
		if bytes.Contains(release, []byte(s)) {
			t.Errorf("the release build contains %q", s)
		}
		if !bytes.Contains(withFailpoints, []byte(s)) {
			t.Errorf("the failpoints build does not contain %q", s)
		}
	}
}
