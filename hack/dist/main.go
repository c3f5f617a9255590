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

// Command dist writes what users install Amber from, out of config/:
//
//	go run ./hack/dist installer -img IMAGE   dist/install.yaml (make build-installer)
//	go run ./hack/dist chart                  dist/chart/templates/crd and rbac (make helm-chart)
//
// internal/installer's tests fail when the committed files differ from a fresh generation.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/amber-gdpr/amber/internal/installer"
)

func main() {
	img := flag.String("img", "", "The manager's image in the release manifest (IMG), as registry/repository:tag or @digest.")
	root := flag.String("root", ".", "The repository's root, which holds config/ and dist/.")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: dist installer -img IMAGE [-root DIR] | dist chart [-root DIR]")
		flag.PrintDefaults()
	}
	if len(os.Args) < 2 {
		flag.Usage()
		os.Exit(2)
	}
	command := os.Args[1]
	_ = flag.CommandLine.Parse(os.Args[2:]) // exits on a bad flag
	var err error
	switch command {
	case "installer":
		err = writeInstaller(*root, *img)
	case "chart":
		err = writeChart(*root)
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

func writeInstaller(root, img string) error {
	if img == "" {
		return fmt.Errorf("-img: want the manager's image, as ghcr.io/amber-gdpr/amber:v0.1.0")
	}
	manifest, err := installer.Manifest(filepath.Join(root, "config", "default"), img)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(root, "dist"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "dist", "install.yaml"), manifest, 0o644)
}

// writeChart replaces the generated template directories whole, so that a template of an
// object removed from config/ goes with it.
func writeChart(root string) error {
	templates, err := installer.ChartTemplates(filepath.Join(root, "config", "default"))
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "dist", "chart", "templates")
	for _, d := range installer.GeneratedDirs {
		if err := os.RemoveAll(filepath.Join(dir, d)); err != nil {
			return err
		}
	}
	for _, p := range installer.SortedPaths(templates) {
		file := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, templates[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}
