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
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// nonroot is the user the manager runs as: distroless's nonroot, which config/manager and the
// Dockerfile name too.
const nonroot = 65532

// epoch is the time of every file and of the config: a fixed time keeps the digest the same
// from one build to the next, as long as the CA bundle is.
var epoch = time.Unix(0, 0).UTC()

// baseFile is one entry of the base image's only layer.
type baseFile struct {
	name     string
	typeflag byte
	mode     int64
	uid      int
	body     []byte
}

// baseFiles is what a static Go binary needs around it, distroless/static's set: users for
// "65532" to have a name, a home, a writable /tmp, name resolution through DNS after
// /etc/hosts, and the CA bundle for TLS to registries. No shell, no package manager.
func baseFiles(caBundle []byte) []baseFile {
	dir := func(name string, mode int64, uid int) baseFile {
		return baseFile{name: name, typeflag: tar.TypeDir, mode: mode, uid: uid}
	}
	file := func(name string, body string) baseFile {
		return baseFile{name: name, typeflag: tar.TypeReg, mode: 0o644, body: []byte(body)}
	}
	return []baseFile{
		dir("etc/", 0o755, 0),
		file("etc/group", "root:x:0:\nnonroot:x:65532:\n"),
		file("etc/nsswitch.conf", "hosts: files dns\n"),
		file("etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"),
		dir("etc/ssl/", 0o755, 0),
		dir("etc/ssl/certs/", 0o755, 0),
		{name: "etc/ssl/certs/ca-certificates.crt", typeflag: tar.TypeReg, mode: 0o644, body: caBundle},
		dir("home/", 0o755, 0),
		dir("home/nonroot/", 0o700, nonroot),
		dir("root/", 0o700, 0),
		// Sticky and writable by all, as on any Linux: the manager writes nothing there with a
		// read-only root filesystem, but Go's os.TempDir points there.
		dir("tmp/", 0o1777, 0),
	}
}

// baseLayer tars files in the order given, with fixed times and owners.
func baseLayer(files []baseFile) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{
			Name: f.name, Typeflag: f.typeflag, Mode: f.mode, Size: int64(len(f.body)),
			Uid: f.uid, Gid: f.uid, ModTime: epoch, Format: tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("tar %s: %w", f.name, err)
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, fmt.Errorf("tar %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	content := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// baseIndex is an index with one image per platform: the same layer (the files are text) under
// configs that name each platform, as ko picks the base of each platform it builds from the index.
func baseIndex(caBundle []byte, platforms []string) (v1.ImageIndex, error) {
	layer, err := baseLayer(baseFiles(caBundle))
	if err != nil {
		return nil, err
	}
	adds := make([]mutate.IndexAddendum, 0, len(platforms))
	for _, p := range platforms {
		platform, err := v1.ParsePlatform(p)
		if err != nil {
			return nil, fmt.Errorf("-platforms: %q: %w", p, err)
		}
		img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:   layer,
			History: v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "hack/image base", Comment: "users, /tmp, CA certificates"},
		})
		if err != nil {
			return nil, err
		}
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture, cfg.Variant = platform.OS, platform.Architecture, platform.Variant
		cfg.Created = v1.Time{Time: epoch}
		cfg.Config.User = fmt.Sprintf("%d:%d", nonroot, nonroot)
		cfg.Config.WorkingDir = "/"
		cfg.Config.Env = []string{
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		}
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			return nil, err
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: platform}})
	}
	return mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...), nil
}

// push pushes an image or an index and returns its digest reference. Loopback registries are
// reached over plain HTTP (go-containerregistry's default for 127.0.0.1 and localhost).
func push(ctx context.Context, ref string, artifact remote.Taggable) (string, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return "", fmt.Errorf("parse reference %q: %w", ref, err)
	}
	d, ok := artifact.(interface{ Digest() (v1.Hash, error) })
	if !ok {
		return "", fmt.Errorf("push %s: %T has no digest", ref, artifact)
	}
	digest, err := d.Digest()
	if err != nil {
		return "", err
	}
	if err := remote.Push(r, artifact, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	return r.Context().Digest(digest.String()).String(), nil
}
