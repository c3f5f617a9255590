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

// Command image holds the two steps of `make image` that ko does not do, both with
// go-containerregistry (no Docker engine):
//
//	go run ./hack/image base -platforms linux/amd64,linux/arm64 127.0.0.1:5001/amber/base:static
//	go run ./hack/image finish 127.0.0.1:5001/amber/ko-build@sha256:… 127.0.0.1:5001/amber/manager:latest
//
// base builds the image the manager runs on: nothing can be pulled from the internet here (no
// distroless, no Chainguard), so it is made from a few files, the same bytes on every run.
//
// finish lays out what ko built as the Dockerfile does: ko always puts the binary at
// /ko-app/<name> and makes that the entrypoint, while the manifests (config/manager) run
// /manager. It moves the binary to /manager, sets Entrypoint ["/manager"], and carries ko's
// SPDX SBOMs over to the new digests. Both print the digest reference of what they pushed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var (
		ref string
		err error
	)
	switch os.Args[1] {
	case "base":
		ref, err = runBase(ctx, os.Args[2:])
	case "finish":
		ref, err = runFinish(ctx, os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "image %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	fmt.Println(ref)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: image base [-platforms P,…] [-ca-certificates FILE] REF")
	fmt.Fprintln(os.Stderr, "       image finish KO-REF REF")
	os.Exit(2)
}

func runBase(ctx context.Context, args []string) (string, error) {
	fs := flag.NewFlagSet("base", flag.ExitOnError)
	platforms := fs.String("platforms", "linux/amd64,linux/arm64", "Comma-separated platforms of the index.")
	caFile := fs.String("ca-certificates", "/etc/ssl/certs/ca-certificates.crt",
		"The CA bundle to ship (Debian's package ca-certificates installs it): the manager talks TLS to registries.")
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		return "", fmt.Errorf("want one argument, the reference to push to; got %d", fs.NArg())
	}
	ca, err := os.ReadFile(*caFile)
	if err != nil {
		return "", fmt.Errorf("-ca-certificates: %w (install the Debian package ca-certificates)", err)
	}
	index, err := baseIndex(ca, strings.Split(*platforms, ","))
	if err != nil {
		return "", err
	}
	return push(ctx, fs.Arg(0), index)
}

func runFinish(ctx context.Context, args []string) (string, error) {
	fs := flag.NewFlagSet("finish", flag.ExitOnError)
	_ = fs.Parse(args)
	if fs.NArg() != 2 {
		return "", fmt.Errorf("want two arguments, the index ko pushed and the reference to push to; got %d", fs.NArg())
	}
	return finish(ctx, fs.Arg(0), fs.Arg(1))
}
