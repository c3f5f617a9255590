//go:build image

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

// Package image checks the manager image `make image` pushed (AMBER_IMAGE, a digest
// reference to its index) against what the Dockerfile promises: both platforms, non-root
// user 65532, no shell, the entrypoint /manager holding an ELF of the right architecture, the
// OCI labels naming the source and this revision, and an SPDX SBOM for each image and for the
// index. Run by `make test-image` (hack/image.sh test), which builds the image first.
package image

import (
	"archive/tar"
	"bytes"
	"crypto/x509"
	"debug/buildinfo"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// wantPlatforms are the platforms the index must hold, each with the ELF machine of its binary.
var wantPlatforms = map[string]elf.Machine{
	"linux/amd64": elf.EM_X86_64,
	"linux/arm64": elf.EM_AARCH64,
}

// forbidden are base names that must appear nowhere in any layer: shells, and the package
// managers and shell-providing multi-call binaries that would bring one back.
var forbidden = []string{"sh", "bash", "ash", "dash", "zsh", "ksh", "busybox", "toybox", "apt", "apt-get", "dpkg", "apk", "yum", "dnf", "rpm", "microdnf"}

func imageRef(t *testing.T) name.Reference {
	t.Helper()
	s := os.Getenv("AMBER_IMAGE")
	if s == "" {
		t.Fatal("AMBER_IMAGE is empty: run `make test-image`, or set it to the digest reference `make image` printed")
	}
	ref, err := name.ParseReference(s)
	if err != nil {
		t.Fatalf("AMBER_IMAGE=%q: %v", s, err)
	}
	return ref
}

func headRevision(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// layerFile is a file found while walking an image's layers.
type layerFile struct {
	hdr  tar.Header
	body []byte
}

// walkLayers reads every entry of every layer, failing on a shell or package manager; it
// returns the files the test reads further, by cleaned absolute path.
func walkLayers(t *testing.T, img v1.Image, keep ...string) map[string]layerFile {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]layerFile{}
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		tr := tar.NewReader(rc)
		for {
			hdr, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("layer %d: %v", i, err)
			}
			p := path.Clean("/" + hdr.Name)
			if slices.Contains(forbidden, path.Base(p)) {
				t.Errorf("layer %d holds %s (%c): the image must have no shell and no package manager", i, p, hdr.Typeflag)
			}
			if strings.HasPrefix(p, "/ko-app") {
				t.Errorf("layer %d holds %s: the binary belongs at /manager, as the Dockerfile puts it", i, p)
			}
			if slices.Contains(keep, p) {
				body, err := io.ReadAll(tr)
				if err != nil {
					t.Fatalf("layer %d, %s: %v", i, p, err)
				}
				found[p] = layerFile{hdr: *hdr, body: body}
			}
		}
		_ = rc.Close()
	}
	return found
}

// spdxDocument is the part of an SPDX 2.x JSON document the test reads.
type spdxDocument struct {
	SPDXVersion string `json:"spdxVersion"`
	Packages    []struct {
		Name    string `json:"name"`
		Version string `json:"versionInfo"`
	} `json:"packages"`
}

// readSBOM reads the SPDX document attached to digest in repo under ko's tag
// (sha256-<hex>.sbom) and returns it with the names of its packages.
func readSBOM(t *testing.T, repo name.Repository, digest v1.Hash) (spdxDocument, []string) {
	t.Helper()
	tag := repo.Tag(digest.Algorithm + "-" + digest.Hex + ".sbom")
	attachment, err := remote.Image(tag)
	if err != nil {
		t.Fatalf("the SBOM of %s (%s): %v", digest, tag, err)
	}
	layers, err := attachment.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("the SBOM %s: want one layer, got %d (%v)", tag, len(layers), err)
	}
	mt, err := layers[0].MediaType()
	if err != nil {
		t.Fatal(err)
	}
	if mt != "text/spdx+json" {
		t.Errorf("the SBOM %s has media type %q, want text/spdx+json", tag, mt)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	var doc spdxDocument
	if err := json.NewDecoder(rc).Decode(&doc); err != nil {
		t.Fatalf("the SBOM %s is not JSON: %v", tag, err)
	}
	if !strings.HasPrefix(doc.SPDXVersion, "SPDX-2.") {
		t.Errorf("the SBOM %s has spdxVersion %q, want SPDX-2.x", tag, doc.SPDXVersion)
	}
	names := make([]string, 0, len(doc.Packages))
	for _, p := range doc.Packages {
		names = append(names, p.Name)
	}
	return doc, names
}

func TestManagerImage(t *testing.T) {
	ref := imageRef(t)
	revision := headRevision(t)
	index, err := remote.Index(ref)
	if err != nil {
		t.Fatalf("read the index %s: %v", ref, err)
	}
	im, err := index.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, desc := range im.Manifests {
		if desc.Platform != nil {
			platforms = append(platforms, desc.Platform.String())
		}
	}
	slices.Sort(platforms)
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Fatalf("the index holds images for %v, want linux/amd64 and linux/arm64", platforms)
	}

	indexDigest, err := index.Digest()
	if err != nil {
		t.Fatal(err)
	}
	_, indexPackages := readSBOM(t, ref.Context(), indexDigest)
	for _, desc := range im.Manifests {
		if !slices.Contains(indexPackages, desc.Digest.String()) {
			t.Errorf("the index's SBOM does not name its image %s (%s); it names %v", desc.Digest, desc.Platform, indexPackages)
		}
	}

	for _, desc := range im.Manifests {
		t.Run(desc.Platform.String(), func(t *testing.T) {
			img, err := index.Image(desc.Digest)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Platform().String(); got != desc.Platform.String() {
				t.Errorf("the config says platform %s, the index %s", got, desc.Platform)
			}
			if cfg.Config.User != "65532:65532" {
				t.Errorf("User = %q, want 65532:65532 (nonroot)", cfg.Config.User)
			}
			if !slices.Equal(cfg.Config.Entrypoint, []string{"/manager"}) || len(cfg.Config.Cmd) != 0 {
				t.Errorf("Entrypoint = %q, Cmd = %q; want [/manager] and no Cmd", cfg.Config.Entrypoint, cfg.Config.Cmd)
			}
			labels := cfg.Config.Labels
			for key, want := range map[string]string{
				"org.opencontainers.image.source":   "https://github.com/amber-gdpr/amber",
				"org.opencontainers.image.revision": revision,
				"org.opencontainers.image.licenses": "Apache-2.0",
				"org.opencontainers.image.title":    "amber",
			} {
				if labels[key] != want {
					t.Errorf("label %s = %q, want %q", key, labels[key], want)
				}
			}
			for _, key := range []string{"org.opencontainers.image.version", "org.opencontainers.image.description"} {
				if labels[key] == "" {
					t.Errorf("label %s is missing", key)
				}
			}

			files := walkLayers(t, img, "/manager", "/etc/passwd", "/etc/group", "/etc/ssl/certs/ca-certificates.crt", "/tmp")
			manager, ok := files["/manager"]
			if !ok {
				t.Fatal("no /manager in any layer")
			}
			if manager.hdr.Typeflag != tar.TypeReg || manager.hdr.Mode&0o111 == 0 {
				t.Errorf("/manager is type %c mode %o, want an executable regular file", manager.hdr.Typeflag, manager.hdr.Mode)
			}
			bin, err := elf.NewFile(bytes.NewReader(manager.body))
			if err != nil {
				t.Fatalf("/manager is not an ELF binary: %v", err)
			}
			if want := wantPlatforms[desc.Platform.String()]; bin.Machine != want {
				t.Errorf("/manager is built for %s, want %s", bin.Machine, want)
			}
			info, err := buildinfo.Read(bytes.NewReader(manager.body))
			if err != nil {
				t.Fatalf("/manager has no Go build info: %v", err)
			}
			if info.Path != "github.com/amber-gdpr/amber/cmd" {
				t.Errorf("/manager was built from %s, want github.com/amber-gdpr/amber/cmd", info.Path)
			}
			settings := map[string]string{}
			for _, s := range info.Settings {
				settings[s.Key] = s.Value
			}
			// Go records no -ldflags when building with -trimpath; the version set with -X is
			// looked for in the binary instead.
			for key, want := range map[string]string{"-trimpath": "true", "CGO_ENABLED": "0", "GOOS": desc.Platform.OS, "GOARCH": desc.Platform.Architecture} {
				if settings[key] != want {
					t.Errorf("/manager was built with %s=%q, want %q", key, settings[key], want)
				}
			}
			if version := labels["org.opencontainers.image.version"]; version == "" || !bytes.Contains(manager.body, []byte(version)) {
				t.Errorf("/manager does not hold the version %q of its label (-X main.version)", version)
			}

			if !strings.Contains(string(files["/etc/passwd"].body), "nonroot:x:65532:65532:") {
				t.Errorf("/etc/passwd does not name user 65532: %q", files["/etc/passwd"].body)
			}
			if !strings.Contains(string(files["/etc/group"].body), "nonroot:x:65532:") {
				t.Errorf("/etc/group does not name group 65532: %q", files["/etc/group"].body)
			}
			if !x509.NewCertPool().AppendCertsFromPEM(files["/etc/ssl/certs/ca-certificates.crt"].body) {
				t.Error("/etc/ssl/certs/ca-certificates.crt holds no certificate: the manager could not verify a registry's TLS")
			}
			if tmp, ok := files["/tmp"]; !ok || tmp.hdr.Typeflag != tar.TypeDir || tmp.hdr.Mode&0o1777 != 0o1777 {
				t.Errorf("/tmp is missing or not a sticky world-writable directory: %+v", tmp.hdr)
			}

			_, packages := readSBOM(t, ref.Context(), desc.Digest)
			if !slices.Contains(packages, desc.Digest.String()) {
				t.Errorf("the SBOM does not describe this image %s; it names %v", desc.Digest, packages)
			}
			for _, module := range []string{"github.com/amber-gdpr/amber", "sigs.k8s.io/controller-runtime", "k8s.io/client-go", "github.com/google/go-containerregistry"} {
				if !slices.Contains(packages, module) {
					t.Errorf("the SBOM does not name module %s; it names %v", module, packages)
				}
			}
		})
	}
}
