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

// Command pushimage builds a small image with go-containerregistry (no Docker) and pushes it
// to a registry, printing its digest: what `make demo` runs its sample workload from.
//
//	go run ./hack/pushimage 127.0.0.1:5001/amber/payments:1.4
//	go run ./hack/pushimage -platforms linux/amd64,linux/arm64 127.0.0.1:5001/amber/payments:1.5
//	go run ./hack/pushimage -username amber -password secret registry.internal:5000/amber/payments:1.4
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/amber-gdpr/amber/test/cluster"
)

func main() {
	var (
		username  string
		password  string
		platforms string
		text      string
	)
	flag.StringVar(&username, "username", "", "User name for the registry's basic auth (default: anonymous).")
	flag.StringVar(&password, "password", "", "Password for the registry's basic auth; $PUSHIMAGE_PASSWORD when empty.")
	flag.StringVar(&platforms, "platforms", "linux/amd64", "Comma-separated platforms; more than one pushes an image index with an image for each.")
	flag.StringVar(&text, "text", "", "What the image's one file says (default: the reference); a different text makes a different digest.")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] REGISTRY/REPOSITORY:TAG\n\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	ref := flag.Arg(0)
	if text == "" {
		text = "Amber sample image " + ref
	}
	if password == "" {
		password = os.Getenv("PUSHIMAGE_PASSWORD")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	digest, err := push(ctx, ref, text, strings.Split(platforms, ","), username, password)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pushimage: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(digest)
}

func push(ctx context.Context, ref, text string, platforms []string, username, password string) (string, error) {
	var artifact remote.Taggable
	var err error
	if len(platforms) == 1 {
		artifact, err = cluster.SmallImage(platforms[0], text)
	} else {
		artifact, err = cluster.SmallIndex(text, platforms...)
	}
	if err != nil {
		return "", fmt.Errorf("build image: %w", err)
	}
	var auth authn.Authenticator
	if username != "" {
		auth = &authn.Basic{Username: username, Password: password}
	}
	digest, err := cluster.Push(ctx, ref, artifact, auth)
	if err != nil {
		return "", err
	}
	return digest.String(), nil
}
