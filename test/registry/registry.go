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

// Package registry runs a real OCI registry (go-containerregistry's) on loopback for tests
// and benchmarks, with images made by go-containerregistry: no Docker, no network.
package registry

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry is an OCI registry serving on a loopback port. Its content lives in memory and
// survives Stop and Restart, which close and reopen the port for real.
type Registry struct {
	// Host is host:port, the registry part of image references.
	Host string

	handler  http.Handler
	username string
	password string
	latency  time.Duration
	requests atomic.Int64

	mu     sync.Mutex
	server *http.Server
}

// Option configures a Registry.
type Option func(*Registry)

// WithBasicAuth makes the registry refuse requests without these credentials.
func WithBasicAuth(username, password string) Option {
	return func(r *Registry) { r.username, r.password = username, password }
}

// WithLatency delays every answer, as a registry across a network would.
func WithLatency(d time.Duration) Option {
	return func(r *Registry) { r.latency = d }
}

// Start runs a registry on a free loopback port.
func Start(opts ...Option) (*Registry, error) {
	r := &Registry{handler: ggcrregistry.New(ggcrregistry.Logger(log.New(io.Discard, "", 0)))}
	for _, o := range opts {
		o(r)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.Host = l.Addr().String()
	r.serve(l)
	return r, nil
}

func (r *Registry) serve(l net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(r.serveHTTP), ReadHeaderTimeout: 10 * time.Second}
	r.mu.Lock()
	r.server = srv
	r.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

func (r *Registry) serveHTTP(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	if r.latency > 0 {
		time.Sleep(r.latency)
	}
	if r.username != "" {
		if u, p, ok := req.BasicAuth(); !ok || u != r.username || p != r.password {
			w.Header().Set("WWW-Authenticate", `Basic realm="test registry"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
	}
	r.handler.ServeHTTP(w, req)
}

// Requests is how many HTTP requests the registry has answered.
func (r *Registry) Requests() int64 { return r.requests.Load() }

// Stop closes the registry's port: clients get "connection refused".
func (r *Registry) Stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.server == nil {
		return errors.New("registry is not running")
	}
	err := r.server.Close()
	r.server = nil
	return err
}

// Restart serves again on the same port, with the same content.
func (r *Registry) Restart() error {
	var l net.Listener
	var err error
	// The port was ours a moment ago; give the kernel a moment if it is slow to let go.
	for range 50 {
		if l, err = net.Listen("tcp", r.Host); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("listen on %s again: %w", r.Host, err)
	}
	r.serve(l)
	return nil
}

// Close stops the registry for good.
func (r *Registry) Close() {
	_ = r.Stop()
}

// Ref is the reference of repository:tag (or repository@digest) in this registry.
func (r *Registry) Ref(repoAndTag string) string {
	return r.Host + "/" + repoAndTag
}

func (r *Registry) options() []remote.Option {
	if r.username == "" {
		return nil
	}
	return []remote.Option{remote.WithAuth(&authn.Basic{Username: r.username, Password: r.password})}
}

// Push pushes a small random single-platform image as repoAndTag ("app:1") and returns
// its digest.
func (r *Registry) Push(repoAndTag string) (v1.Hash, error) {
	img, err := random.Image(512, 1)
	if err != nil {
		return v1.Hash{}, err
	}
	return r.PushImage(repoAndTag, img)
}

// PushImage pushes img as repoAndTag and returns its digest.
func (r *Registry) PushImage(repoAndTag string, img v1.Image) (v1.Hash, error) {
	ref, err := name.ParseReference(r.Ref(repoAndTag), name.Insecure)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := remote.Write(ref, img, r.options()...); err != nil {
		return v1.Hash{}, fmt.Errorf("push %s: %w", ref, err)
	}
	return img.Digest()
}

// PushIndex pushes a multi-architecture index with one random image per platform
// ("linux/amd64", "linux/arm64/v8") as repoAndTag and returns the index's digest.
func (r *Registry) PushIndex(repoAndTag string, platforms ...string) (v1.Hash, error) {
	var adds []mutate.IndexAddendum
	for _, p := range platforms {
		platform, err := v1.ParsePlatform(p)
		if err != nil {
			return v1.Hash{}, err
		}
		img, err := random.Image(256, 1)
		if err != nil {
			return v1.Hash{}, err
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: platform}})
	}
	index := mutate.AppendManifests(empty.Index, adds...)
	ref, err := name.ParseReference(r.Ref(repoAndTag), name.Insecure)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := remote.WriteIndex(ref, index, r.options()...); err != nil {
		return v1.Hash{}, fmt.Errorf("push index %s: %w", ref, err)
	}
	return index.Digest()
}

// Delete deletes a tag (or a digest) from the registry.
func (r *Registry) Delete(repoAndTag string) error {
	ref, err := name.ParseReference(r.Ref(repoAndTag), name.Insecure)
	if err != nil {
		return err
	}
	return remote.Delete(ref, r.options()...)
}
