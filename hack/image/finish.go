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
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entrypoint is where the Dockerfile puts the manager, and what config/manager runs.
const entrypoint = "/manager"

// sbomSuffix ends the tag of an SBOM attached to sha256:<hex> as ko (through cosign's
// attachment convention) does: sha256-<hex>.sbom, in the same repository. `cosign download
// sbom` reads it there.
const sbomSuffix = ".sbom"

// finish reads the index ko pushed as from, lays each image out as the Dockerfile does, pushes
// the new index as to, and attaches ko's SBOMs to the new digests. It returns the digest
// reference of the new index.
func finish(ctx context.Context, from, to string) (string, error) {
	src, err := name.ParseReference(from)
	if err != nil {
		return "", fmt.Errorf("parse reference %q: %w", from, err)
	}
	dst, err := name.ParseReference(to)
	if err != nil {
		return "", fmt.Errorf("parse reference %q: %w", to, err)
	}
	opts := []remote.Option{remote.WithContext(ctx)}
	desc, err := remote.Get(src, opts...)
	if err != nil {
		return "", fmt.Errorf("read what ko pushed, %s: %w", src, err)
	}
	if !desc.MediaType.IsIndex() {
		// One platform asked for (ko build --platform): ko pushes a single image.
		img, err := desc.Image()
		if err != nil {
			return "", err
		}
		return finishImage(ctx, src, dst, img)
	}
	koIndex, err := desc.ImageIndex()
	if err != nil {
		return "", err
	}
	im, err := koIndex.IndexManifest()
	if err != nil {
		return "", err
	}
	// newDigests maps every digest ko's SBOMs name (each image's, the index's) to the one it
	// has now.
	newDigests := map[v1.Hash]v1.Hash{}
	adds := make([]mutate.IndexAddendum, 0, len(im.Manifests))
	for _, desc := range im.Manifests {
		img, err := koIndex.Image(desc.Digest)
		if err != nil {
			return "", fmt.Errorf("read image %s of %s: %w", desc.Digest, src, err)
		}
		laidOut, err := relayout(img)
		if err != nil {
			return "", fmt.Errorf("image %s (%s): %w", desc.Digest, desc.Platform, err)
		}
		if newDigests[desc.Digest], err = laidOut.Digest(); err != nil {
			return "", err
		}
		adds = append(adds, mutate.IndexAddendum{Add: laidOut, Descriptor: v1.Descriptor{Platform: desc.Platform, Annotations: desc.Annotations}})
	}
	index := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, im.MediaType), adds...)
	if len(im.Annotations) > 0 {
		index = mutate.Annotations(index, im.Annotations).(v1.ImageIndex)
	}
	oldIndexDigest, err := koIndex.Digest()
	if err != nil {
		return "", err
	}
	if newDigests[oldIndexDigest], err = index.Digest(); err != nil {
		return "", err
	}
	ref, err := push(ctx, dst.String(), index)
	if err != nil {
		return "", err
	}
	for old, now := range newDigests {
		if err := moveSBOM(ctx, src.Context().Tag(sbomTag(old)), dst.Context().Tag(sbomTag(now)), newDigests); err != nil {
			return "", err
		}
	}
	return ref, nil
}

// finishImage is finish for a single image.
func finishImage(ctx context.Context, src, dst name.Reference, img v1.Image) (string, error) {
	laidOut, err := relayout(img)
	if err != nil {
		return "", err
	}
	old, err := img.Digest()
	if err != nil {
		return "", err
	}
	now, err := laidOut.Digest()
	if err != nil {
		return "", err
	}
	ref, err := push(ctx, dst.String(), laidOut)
	if err != nil {
		return "", err
	}
	newDigests := map[v1.Hash]v1.Hash{old: now}
	return ref, moveSBOM(ctx, src.Context().Tag(sbomTag(old)), dst.Context().Tag(sbomTag(now)), newDigests)
}

func sbomTag(digest v1.Hash) string {
	return digest.Algorithm + "-" + digest.Hex + sbomSuffix
}

// relayout moves the binary ko put at its entrypoint (/ko-app/<name>) to /manager, in the same
// layer, and points the entrypoint and PATH at the new place. Everything else stays: the
// base's layers, the user, the labels ko set, the manifest's annotations naming the base.
func relayout(img v1.Image) (v1.Image, error) {
	manifest, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	if len(cfg.Config.Entrypoint) != 1 || len(layers) == 0 {
		return nil, fmt.Errorf("want ko's entrypoint, one binary in the last layer; got entrypoint %q and %d layers", cfg.Config.Entrypoint, len(layers))
	}
	// History has an entry per layer (none of these images has empty layers): checked, as the
	// layers are appended with their entries below.
	if len(cfg.History) != len(layers) {
		return nil, fmt.Errorf("%d history entries for %d layers", len(cfg.History), len(layers))
	}
	koBinary := cfg.Config.Entrypoint[0]
	last := len(layers) - 1
	moved, err := moveBinary(layers[last], koBinary)
	if err != nil {
		return nil, err
	}
	layers[last] = moved
	history := cfg.History
	history[last].Comment = "go build output, at " + entrypoint

	cfg = cfg.DeepCopy()
	cfg.Config.Entrypoint = []string{entrypoint}
	cfg.Config.Env = withoutPathEntry(cfg.Config.Env, path.Dir(koBinary))
	cfg.RootFS.DiffIDs = nil
	cfg.History = nil

	out := mutate.ConfigMediaType(mutate.MediaType(empty.Image, manifest.MediaType), manifest.Config.MediaType)
	if out, err = mutate.ConfigFile(out, cfg); err != nil {
		return nil, err
	}
	adds := make([]mutate.Addendum, len(layers))
	for i, l := range layers {
		adds[i] = mutate.Addendum{Layer: l, History: history[i], MediaType: manifest.Layers[i].MediaType}
	}
	if out, err = mutate.Append(out, adds...); err != nil {
		return nil, err
	}
	if len(manifest.Annotations) > 0 {
		out = mutate.Annotations(out, manifest.Annotations).(v1.Image)
	}
	return out, nil
}

// moveBinary rewrites ko's binary layer (the directory ko-app and the binary in it) into one
// holding the binary at /manager, with the same mode, times and bytes.
func moveBinary(layer v1.Layer, koBinary string) (v1.Layer, error) {
	mediaType, err := layer.MediaType()
	if err != nil {
		return nil, err
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer func() { _ = rc.Close() }()
	koDir := strings.Trim(path.Dir(koBinary), "/")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tr := tar.NewReader(rc)
	found := false
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read layer: %w", err)
		}
		switch strings.Trim(hdr.Name, "/") {
		case koDir:
			continue
		case strings.Trim(koBinary, "/"):
			hdr.Name = strings.TrimPrefix(entrypoint, "/")
			found = true
		default:
			return nil, fmt.Errorf("the last layer holds %s besides the binary %s; want only ko's binary", hdr.Name, koBinary)
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return nil, err
		}
	}
	if !found {
		return nil, fmt.Errorf("the last layer does not hold ko's binary %s", koBinary)
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	content := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	}, tarball.WithMediaType(mediaType))
}

// withoutPathEntry drops dir from the PATH in env (ko appends its /ko-app).
func withoutPathEntry(env []string, dir string) []string {
	out := make([]string, 0, len(env))
	for _, e := range env {
		if value, ok := strings.CutPrefix(e, "PATH="); ok {
			var kept []string
			for _, p := range strings.Split(value, ":") {
				if p != dir {
					kept = append(kept, p)
				}
			}
			e = "PATH=" + strings.Join(kept, ":")
		}
		out = append(out, e)
	}
	return out
}

// moveSBOM copies the SBOM attached as from to the tag to, with every digest it names
// replaced by the new one: ko's SPDX documents describe the image (or index) by digest, and
// the packages in them (the Go modules of the binary) are the same.
func moveSBOM(ctx context.Context, from, to name.Tag, newDigests map[v1.Hash]v1.Hash) error {
	attachment, err := remote.Image(from, remote.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("read ko's SBOM %s: %w", from, err)
	}
	manifest, err := attachment.Manifest()
	if err != nil {
		return err
	}
	layers, err := attachment.Layers()
	if err != nil {
		return err
	}
	if len(layers) != 1 {
		return fmt.Errorf("SBOM %s: %d layers, want one (the document)", from, len(layers))
	}
	mediaType, err := layers[0].MediaType()
	if err != nil {
		return err
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		return err
	}
	doc, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil {
		return fmt.Errorf("read SBOM %s: %w", from, err)
	}
	text := string(doc)
	for old, now := range newDigests {
		text = strings.ReplaceAll(text, old.Hex, now.Hex)
	}
	// The same shape as ko's (cosign's static.NewFile): an OCI manifest, one layer holding the
	// document under its media type.
	out := mutate.ConfigMediaType(mutate.MediaType(empty.Image, manifest.MediaType), manifest.Config.MediaType)
	if out, err = mutate.AppendLayers(out, static.NewLayer([]byte(text), mediaType)); err != nil {
		return err
	}
	if len(manifest.Annotations) > 0 {
		out = mutate.Annotations(out, manifest.Annotations).(v1.Image)
	}
	if err := remote.Write(to, out, remote.WithContext(ctx)); err != nil {
		return fmt.Errorf("push SBOM %s: %w", to, err)
	}
	return nil
}
