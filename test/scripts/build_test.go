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

// Package scripts tests the shell scripts under hack/ that users meet first.
package scripts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeGo stands in for the go command: it takes a few seconds, as a real build takes minutes,
// and leaves an executable wherever `go build -o` or `go install` (GOBIN) would.
const fakeGo = `#!/usr/bin/env bash
sleep "${FAKE_GO_SECONDS:-3}"
out= pkgs=()
while [ $# -gt 0 ]; do
  case "$1" in
    build|install|-trimpath) ;;
    -ldflags) shift ;;
    -o) shift; out=$1 ;;
    -*) ;;
    *) pkgs+=("$1") ;;
  esac
  shift
done
for p in "${pkgs[@]}"; do
  p=${p%@*}
  if [ -n "$out" ] && [ "${out%/}" = "$out" ]; then f=$out
  elif [ -n "$out" ]; then f=$out$(basename "$p")
  else f=$GOBIN/$(basename "$p"); fi
  case "$p" in go.etcd.io/etcd/server/v3) [ "${out%/}" != "$out" ] && f=${out}etcd ;; esac
  printf '#!/bin/sh\n' >"$f"; chmod +x "$f"
done
`

// TestColdControlPlaneBuildTalks runs hack/controlplane/build.sh on an empty cache with the go
// command faked: a new user's first `make demo`, `make test` or `make cluster` runs exactly this,
// and must say what it builds, how long that takes, and keep saying it is alive.
func TestColdControlPlaneBuildTalks(t *testing.T) {
	tools := t.TempDir()
	if err := os.WriteFile(filepath.Join(tools, "go"), []byte(fakeGo), 0o755); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	cmd := exec.Command("bash", filepath.Join("..", "..", "hack", "controlplane", "build.sh"))
	// A heartbeat left running after the script ends holds its standard error open: Wait then
	// fails with ErrWaitDelay instead of hanging.
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(),
		"PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"),
		"AMBER_CACHE_DIR="+cache,
		"AMBER_HEARTBEAT_SECONDS=1",
		"FAKE_GO_SECONDS=3",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, stderr.String())
	}
	log := stderr.String()

	bin := strings.TrimSpace(stdout.String())
	if !strings.HasPrefix(bin, cache) || strings.Contains(bin, "\n") {
		t.Fatalf("standard output is %q, want only the binary directory under %s", stdout.String(), cache)
	}
	for _, b := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl", "etcd", "kwok", "kwokctl", "registry"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			t.Errorf("%s was not put into %s: %v", b, bin, err)
		}
	}
	for _, want := range []string{
		"building Kubernetes", "20 to 30 minutes", // what and how long, before the first wait
		"still building Kubernetes", "still building etcd", "still building kwok", "still building the distribution registry",
		"ready after",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the build never said %q; it said:\n%s", want, log)
		}
	}
	if !regexp.MustCompile(`still building \S+.*: [0-9]+s elapsed`).MatchString(log) {
		t.Errorf("no heartbeat carries the elapsed time; the build said:\n%s", log)
	}

	// A second run finds everything and says nothing but the directory.
	again := exec.Command("bash", filepath.Join("..", "..", "hack", "controlplane", "build.sh"))
	again.Env, again.WaitDelay = cmd.Env, cmd.WaitDelay
	var out2, err2 bytes.Buffer
	again.Stdout, again.Stderr = &out2, &err2
	if err := again.Run(); err != nil || strings.TrimSpace(out2.String()) != bin || err2.Len() != 0 {
		t.Errorf("a warm run printed %q on stdout and %q on stderr (err %v), want only %s", out2.String(), err2.String(), err, bin)
	}
}

// TestNoEntryPointSilencesTheBuild keeps every caller of the control-plane build from throwing
// its standard error away: on a cold machine that call is the whole build, and `make demo`
// once printed nothing for 17 minutes that way.
func TestNoEntryPointSilencesTheBuild(t *testing.T) {
	files := []string{filepath.Join("..", "..", "Makefile"), filepath.Join("..", "..", ".ci", "run")}
	scripts, err := filepath.Glob(filepath.Join("..", "..", "hack", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, scripts...)
	callers := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if !strings.Contains(line, "controlplane/build.sh") || strings.HasPrefix(strings.TrimSpace(line), "#") {
				continue
			}
			callers++
			if strings.Contains(line, "2>/dev/null") || strings.Contains(line, "&>/dev/null") || strings.Contains(line, ">/dev/null 2>&1") {
				t.Errorf("%s:%d throws the build's progress away: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
	if callers < 3 {
		t.Errorf("found %d callers of hack/controlplane/build.sh, want at least the Makefile, cluster.sh and demo.sh", callers)
	}
}
