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

// Package plugins holds Amber's krew plugin manifest, amber.yaml, and the completion
// executable the release archives ship beside kubectl-amber; its tests check the manifest
// with krew's own tools and the archives 'make plugin-archives' writes.
package plugins

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// manifest is the part of krew's index.Plugin (sigs.k8s.io/krew/pkg/index) the test reads.
// krew's module cannot be a dependency of Amber's (it requires client-go
// v11.0.0+incompatible), so krew's own validate-krew-manifest, built in its module,
// validates the whole manifest with krew's types and rules.
type manifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		ShortDescription string `json:"shortDescription"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			Sha256 string `json:"sha256"`
			Bin    string `json:"bin"`
			Files  []struct {
				From string `json:"from"`
				To   string `json:"to"`
			} `json:"files"`
		} `json:"platforms"`
	} `json:"spec"`
}

func readManifest(t *testing.T, file string) manifest {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// Not strict: the fields this struct lacks are validate-krew-manifest's to check.
	var m manifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("decode %s: %v", file, err)
	}
	return m
}

// krewTools builds (or finds cached) krew and validate-krew-manifest at KREW_VERSION.
func krewTools(t *testing.T) string {
	t.Helper()
	out, err := exec.Command(filepath.Join("..", "hack", "krew", "build.sh")).Output()
	if err != nil {
		t.Fatalf("hack/krew/build.sh: %v", err)
	}
	return strings.TrimSpace(string(out))
}

func validate(t *testing.T, tools, file string) {
	t.Helper()
	out, err := exec.Command(filepath.Join(tools, "validate-krew-manifest"), "-manifest", file, "-skip-install").CombinedOutput()
	if err != nil {
		t.Fatalf("validate-krew-manifest %s: %v\n%s", file, err, out)
	}
}

// checkPlatforms checks what krew's validation leaves to the author: each platform's
// archive named as 'make plugin-archives' names it under the release of spec.version, a
// sha256, the plugin as bin and the completion executable among the files.
func checkPlatforms(t *testing.T, m manifest, want []string) {
	t.Helper()
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "amber" || m.Spec.ShortDescription == "" {
		t.Errorf("apiVersion %q, kind %q, name %q, shortDescription %q; want krew's v1alpha2 Plugin amber with a short description",
			m.APIVersion, m.Kind, m.Metadata.Name, m.Spec.ShortDescription)
	}
	var got []string
	for _, p := range m.Spec.Platforms {
		goos, arch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
		got = append(got, goos+"/"+arch)
		archive := fmt.Sprintf("kubectl-amber_%s_%s_%s.tar.gz", m.Spec.Version, goos, arch)
		if p.URI != "https://github.com/amber-gdpr/amber/releases/download/"+m.Spec.Version+"/"+archive {
			t.Errorf("%s/%s: uri %s, want the release %s's %s", goos, arch, p.URI, m.Spec.Version, archive)
		}
		if b, err := hex.DecodeString(p.Sha256); err != nil || len(b) != sha256.Size {
			t.Errorf("%s/%s: sha256 %q, want 64 hexadecimal digits", goos, arch, p.Sha256)
		}
		bin := "kubectl-amber"
		if goos == "windows" {
			bin += ".exe"
		}
		if p.Bin != bin {
			t.Errorf("%s/%s: bin %q, want %q", goos, arch, p.Bin, bin)
		}
		var froms []string
		for _, f := range p.Files {
			froms = append(froms, f.From)
		}
		if !strings.Contains(strings.Join(froms, " "), "kubectl_complete-amber") {
			t.Errorf("%s/%s: files %v do not install kubectl_complete-amber", goos, arch, froms)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("platforms %v, want %v", got, want)
	}
}

// releasePlatforms are the platforms the release archives are built for: hack/plugin-archives.sh's.
var releasePlatforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

func TestKrewManifest(t *testing.T) {
	tools := krewTools(t)

	t.Run("the committed manifest passes krew's validation and names release archives", func(t *testing.T) {
		validate(t, tools, "amber.yaml")
		m := readManifest(t, "amber.yaml")
		// Every release platform, each once (validate-krew-manifest checks the once): the
		// committed manifest is written by a plain 'make plugin-archives VERSION=…'.
		var platforms []string
		for _, p := range m.Spec.Platforms {
			platforms = append(platforms, p.Selector.MatchLabels["os"]+"/"+p.Selector.MatchLabels["arch"])
		}
		if !slices.Equal(platforms, releasePlatforms) {
			t.Errorf("platforms %v, want %v: run make plugin-archives VERSION=%s", platforms, releasePlatforms, m.Spec.Version)
		}
		checkPlatforms(t, m, platforms)
	})

	t.Run("make plugin-archives writes the sha256 of the archives it builds, and krew installs them", func(t *testing.T) {
		dir := t.TempDir()
		platform := runtime.GOOS + "/" + runtime.GOARCH
		const version = "v0.0.0-test.1"
		file := filepath.Join(dir, "amber.yaml")
		make := exec.Command("make", "-C", "..", "plugin-archives", "VERSION="+version, "DIST="+dir, "MANIFEST="+file, "PLATFORMS="+platform)
		if out, err := make.CombinedOutput(); err != nil {
			t.Fatalf("make plugin-archives: %v\n%s", err, out)
		}
		validate(t, tools, file)
		m := readManifest(t, file)
		checkPlatforms(t, m, []string{platform})
		if m.Spec.Version != version {
			t.Errorf("spec.version %q, want %q", m.Spec.Version, version)
		}
		archive := filepath.Join(dir, path.Base(m.Spec.Platforms[0].URI))
		data, err := os.ReadFile(archive)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != m.Spec.Platforms[0].Sha256 {
			t.Fatalf("%s has sha256 %x, the manifest says %s", archive, sum, m.Spec.Platforms[0].Sha256)
		}

		krewRoot := filepath.Join(dir, "krew")
		install := func(manifest string) ([]byte, error) {
			cmd := exec.Command(filepath.Join(tools, "krew"), "install", "--manifest="+manifest, "--archive="+archive)
			cmd.Env = append(os.Environ(), "KREW_ROOT="+krewRoot, "KREW_NO_UPGRADE_CHECK=1")
			return cmd.CombinedOutput()
		}

		// krew checks the archive against the manifest's sha256: one digit off and it refuses.
		tampered := filepath.Join(dir, "tampered", "amber.yaml")
		if err := os.MkdirAll(filepath.Dir(tampered), 0o755); err != nil {
			t.Fatal(err)
		}
		sha := m.Spec.Platforms[0].Sha256
		other := "0"
		if sha[0] == '0' {
			other = "1"
		}
		text, _ := os.ReadFile(file)
		if err := os.WriteFile(tampered, bytes.Replace(text, []byte(sha), []byte(other+sha[1:]), 1), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := install(tampered); err == nil || !strings.Contains(string(out), "checksum does not match") {
			t.Fatalf("krew installed an archive whose sha256 is not the manifest's: %v\n%s", err, out)
		}

		if out, err := install(file); err != nil {
			t.Fatalf("krew install: %v\n%s", err, out)
		}
		plugin := filepath.Join(krewRoot, "bin", "kubectl-amber")
		if out, err := exec.Command(plugin, "verify", "--help").CombinedOutput(); err != nil || !strings.Contains(string(out), "kubectl amber verify") {
			t.Errorf("the installed kubectl-amber verify --help: %v\n%s", err, out)
		}
		// kubectl runs kubectl_complete-amber with the words after 'kubectl amber'.
		complete := exec.Command(filepath.Join(krewRoot, "store", "amber", version, "kubectl_complete-amber"), "re")
		complete.Env = append(os.Environ(), "PATH="+filepath.Join(krewRoot, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
		if out, err := complete.Output(); err != nil || !strings.Contains(string(out), "records\t") || !strings.HasSuffix(string(out), ":4\n") {
			t.Errorf("kubectl_complete-amber re: %v, %q; want records and :4", err, out)
		}

		// And kubectl itself finds it: the link the manifest's caveats ask for, then
		// 'kubectl amber records -o <TAB>' as kubectl's own completion asks it.
		if err := os.Symlink(filepath.Join(krewRoot, "store", "amber", version, "kubectl_complete-amber"), filepath.Join(krewRoot, "bin", "kubectl_complete-amber")); err != nil {
			t.Fatal(err)
		}
		controlplane, err := exec.Command(filepath.Join("..", "hack", "controlplane", "build.sh")).Output()
		if err != nil {
			t.Fatalf("hack/controlplane/build.sh: %v", err)
		}
		kubectl := exec.Command(filepath.Join(strings.TrimSpace(string(controlplane)), "kubectl"), "__complete", "amber", "records", "-o", "")
		kubectl.Env = complete.Env
		if out, err := kubectl.Output(); err != nil || string(out) != "markdown\ncsv\njson\nfides\n:4\n" {
			t.Errorf("kubectl __complete amber records -o '': %v, %q; want the four formats and :4", err, out)
		}
	})
}
