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

package pin

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// testRegistry runs go-containerregistry's registry in process, behind handler wrappers.
func testRegistry(t *testing.T, wrap func(http.Handler) http.Handler) (*httptest.Server, string) {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, strings.TrimPrefix(srv.URL, "http://")
}

func push(t *testing.T, ref string, img v1.Image, opts ...remote.Option) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, opts...); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func resolver(host string) *Resolver {
	return &Resolver{Insecure: map[string]bool{host: true}, Timeout: 5 * time.Second}
}

func wantReason(t *testing.T, err error, want Reason) *Error {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v, want a pin.Error with reason %s", err, want)
	}
	if pe.Reason != want {
		t.Fatalf("reason %s (%v), want %s", pe.Reason, err, want)
	}
	return pe
}

func TestResolveTag(t *testing.T) {
	_, host := testRegistry(t, nil)
	digest := push(t, host+"/shop/payments:1.4", randomImage(t))

	got, err := resolver(host).Resolve(context.Background(), host+"/shop/payments:1.4", authn.DefaultKeychain)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != digest.String() {
		t.Errorf("digest %s, want %s", got.Digest, digest)
	}
	if want := host + "/shop/payments:1.4@" + digest.String(); got.Reference != want {
		t.Errorf("reference %s, want %s (the tag kept for people to read)", got.Reference, want)
	}
	if len(got.Platforms) != 0 {
		t.Errorf("platforms %v, want none for a single image", got.Platforms)
	}
}

func TestResolveTagMovedAfterPinning(t *testing.T) {
	_, host := testRegistry(t, nil)
	first := push(t, host+"/app:stable", randomImage(t))
	r := resolver(host)
	before, err := r.Resolve(context.Background(), host+"/app:stable", nil)
	if err != nil {
		t.Fatal(err)
	}
	second := push(t, host+"/app:stable", randomImage(t))
	after, err := r.Resolve(context.Background(), host+"/app:stable", nil)
	if err != nil {
		t.Fatal(err)
	}
	if before.Digest != first.String() || after.Digest != second.String() || before.Digest == after.Digest {
		t.Errorf("resolved %s then %s, want %s then %s", before.Digest, after.Digest, first, second)
	}
}

func TestResolveDigestChecksItExists(t *testing.T) {
	_, host := testRegistry(t, nil)
	digest := push(t, host+"/app:1", randomImage(t))
	r := resolver(host)

	got, err := r.Resolve(context.Background(), host+"/app@"+digest.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := host + "/app@" + digest.String(); got.Reference != want {
		t.Errorf("reference %s, want %s", got.Reference, want)
	}
	tagged := host + "/app:1@" + digest.String()
	if got, err := r.Resolve(context.Background(), tagged, nil); err != nil || got.Reference != tagged {
		t.Errorf("tag and digest as written: reference %s, %v; want %s, kept to read", got.Reference, err, tagged)
	}
	missing := "sha256:" + strings.Repeat("0", 64)
	_, err = r.Resolve(context.Background(), host+"/app@"+missing, nil)
	wantReason(t, err, ImageNotFound)
}

func TestResolveMultiArchitectureIndex(t *testing.T) {
	_, host := testRegistry(t, nil)
	index := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: randomImage(t), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: randomImage(t), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	ref, err := name.ParseReference(host+"/multi:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, index); err != nil {
		t.Fatal(err)
	}
	indexDigest, err := index.Digest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := resolver(host).Resolve(context.Background(), host+"/multi:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != indexDigest.String() {
		t.Errorf("digest %s, want the index's %s so that every platform keeps working", got.Digest, indexDigest)
	}
	if strings.Join(got.Platforms, ",") != "linux/amd64,linux/arm64/v8" {
		t.Errorf("platforms %v, want linux/amd64 and linux/arm64/v8", got.Platforms)
	}
}

func TestResolveFailures(t *testing.T) {
	ctx := context.Background()

	t.Run("a missing tag is ImageNotFound", func(t *testing.T) {
		_, host := testRegistry(t, nil)
		push(t, host+"/app:1", randomImage(t))
		_, err := resolver(host).Resolve(ctx, host+"/app:2", nil)
		wantReason(t, err, ImageNotFound)
	})
	t.Run("a stopped registry is RegistryUnavailable", func(t *testing.T) {
		srv, host := testRegistry(t, nil)
		srv.Close()
		_, err := resolver(host).Resolve(ctx, host+"/app:1", nil)
		wantReason(t, err, RegistryUnavailable)
	})
	t.Run("a registry answering 503 is RegistryUnavailable", func(t *testing.T) {
		_, host := testRegistry(t, func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) })
		})
		_, err := resolver(host).Resolve(ctx, host+"/app:1", nil)
		wantReason(t, err, RegistryUnavailable)
	})
	t.Run("a 429 is RegistryRateLimited with the registry's Retry-After", func(t *testing.T) {
		_, host := testRegistry(t, func(http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "42")
				w.WriteHeader(http.StatusTooManyRequests)
			})
		})
		_, err := resolver(host).Resolve(ctx, host+"/app:1", nil)
		if pe := wantReason(t, err, RegistryRateLimited); pe.RetryAfter != 42*time.Second {
			t.Errorf("RetryAfter %s, want 42s", pe.RetryAfter)
		}
	})
	t.Run("a slow registry times out as RegistryUnavailable", func(t *testing.T) {
		_, host := testRegistry(t, func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-time.After(2 * time.Second):
				case <-r.Context().Done():
				}
				next.ServeHTTP(w, r)
			})
		})
		r := resolver(host)
		r.Timeout = 200 * time.Millisecond
		start := time.Now()
		_, err := r.Resolve(ctx, host+"/app:1", nil)
		wantReason(t, err, RegistryUnavailable)
		if elapsed := time.Since(start); elapsed > time.Second {
			t.Errorf("took %s, want the 200ms timeout to hold", elapsed)
		}
	})
	t.Run("an invalid reference is InvalidReference", func(t *testing.T) {
		_, err := (&Resolver{}).Resolve(ctx, "Registry.Example/UPPER:case", nil)
		wantReason(t, err, InvalidReference)
	})
}

func TestResolveWithBasicAuth(t *testing.T) {
	_, host := testRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if user, pass, ok := r.BasicAuth(); !ok || user != "ci" || pass != "s3cret" {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	right := authn.FromConfig(authn.AuthConfig{Username: "ci", Password: "s3cret"})
	push(t, host+"/private:1", randomImage(t), remote.WithAuth(right))

	r := resolver(host)
	for _, tc := range []struct {
		name     string
		keychain authn.Keychain
		want     Reason
	}{
		{"no credentials", authn.NewMultiKeychain(), Unauthorized},
		{"wrong credentials", staticKeychain{authn.FromConfig(authn.AuthConfig{Username: "ci", Password: "guess"})}, Unauthorized},
		{"right credentials", staticKeychain{right}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Resolve(context.Background(), host+"/private:1", tc.keychain)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantReason(t, err, tc.want)
		})
	}
}

type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

func TestAllowed(t *testing.T) {
	tests := []struct {
		image   string
		allowed []string
		want    bool
	}{
		{"registry.example/app:1", nil, true},
		{"registry.example/app:1", []string{"registry.example"}, true},
		{"registry.example/team/app:1", []string{"registry.example/team/"}, true},
		{"registry.example/other/app:1", []string{"registry.example/team"}, false},
		{"registry.example.evil/app:1", []string{"registry.example"}, false},
		{"nginx:1", []string{"registry.example"}, false},
		{"nginx:1", []string{"index.docker.io/library"}, true},
		{"nginx:1", []string{"docker.io/library"}, true},
		{"docker.io/bitnami/redis:7", []string{"docker.io"}, true},
	}
	for _, tt := range tests {
		if got := Allowed(tt.image, tt.allowed); got != tt.want {
			t.Errorf("Allowed(%q, %v) = %v, want %v", tt.image, tt.allowed, got, tt.want)
		}
	}
}

func TestResolvePlainHTTPOnlyWhenNamed(t *testing.T) {
	_, host := testRegistry(t, nil)
	push(t, host+"/app:1", randomImage(t))

	_, err := (&Resolver{Timeout: 5 * time.Second}).Resolve(context.Background(), host+"/app:1", nil)
	pe := wantReason(t, err, RegistryNotAllowed)
	if !strings.Contains(pe.Error(), "--insecure-registries") {
		t.Errorf("message %q does not say how to allow the registry", pe.Error())
	}
	if _, err := resolver(host).Resolve(context.Background(), host+"/app:1", nil); err != nil {
		t.Errorf("a registry named as insecure: %v", err)
	}
}

func TestResolveStampsResolutionTime(t *testing.T) {
	_, host := testRegistry(t, nil)
	push(t, host+"/app:1", randomImage(t))
	before := time.Now()
	got, err := resolver(host).Resolve(context.Background(), host+"/app:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.ResolvedAt.Before(before) || got.ResolvedAt.After(time.Now()) {
		t.Errorf("ResolvedAt %v is not the time of the request", got.ResolvedAt)
	}
}
