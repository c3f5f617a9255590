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
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

// countingRegistry counts manifest requests reaching the registry.
func countingRegistry(t *testing.T) (string, *atomic.Int64) {
	var n atomic.Int64
	_, host := testRegistry(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v2/" {
				n.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	})
	return host, &n
}

func TestCacheSharesOneRequestPerTTL(t *testing.T) {
	host, requests := countingRegistry(t)
	digest := push(t, host+"/app:1", randomImage(t))
	requests.Store(0)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cache := &Cache{Resolver: resolver(host), TTL: time.Minute, FailureTTL: 5 * time.Second, Now: func() time.Time { return now }}

	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := cache.Resolve(context.Background(), host+"/app:1", nil)
			if err != nil || got.Digest != digest.String() {
				t.Errorf("Resolve = %v, %v", got.Digest, err)
			}
		}()
	}
	wg.Wait()
	if got := cache.Requests(); got != 1 {
		t.Errorf("%d resolutions reached the registry for 100 concurrent workloads, want 1", got)
	}
	if got := requests.Load(); got != 1 {
		t.Errorf("%d manifest requests, want 1", got)
	}

	now = now.Add(2 * time.Minute)
	if _, err := cache.Resolve(context.Background(), host+"/app:1", nil); err != nil {
		t.Fatal(err)
	}
	if got := cache.Requests(); got != 2 {
		t.Errorf("%d resolutions after the TTL, want 2", got)
	}
}

func TestCacheKeepsCredentialsApart(t *testing.T) {
	host, _ := countingRegistry(t)
	push(t, host+"/app:1", randomImage(t))
	cache := &Cache{Resolver: resolver(host), TTL: time.Minute}
	alice := staticKeychain{authn.FromConfig(authn.AuthConfig{Username: "alice", Password: "a"})}
	bob := staticKeychain{authn.FromConfig(authn.AuthConfig{Username: "bob", Password: "b"})}
	for _, k := range []authn.Keychain{alice, bob, alice, nil} {
		if _, err := cache.Resolve(context.Background(), host+"/app:1", k); err != nil {
			t.Fatal(err)
		}
	}
	if got := cache.Requests(); got != 3 {
		t.Errorf("%d resolutions, want 3: one each for alice, bob and no credentials", got)
	}
}

func TestCacheRemembersFailuresBriefly(t *testing.T) {
	srv, host := testRegistry(t, nil)
	srv.Close()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	cache := &Cache{Resolver: resolver(host), TTL: time.Minute, FailureTTL: 5 * time.Second, Now: func() time.Time { return now }}
	for range 3 {
		_, err := cache.Resolve(context.Background(), host+"/app:1", nil)
		wantReason(t, err, RegistryUnavailable)
	}
	if got := cache.Requests(); got != 1 {
		t.Errorf("%d resolutions while the registry is down, want 1 per failure TTL", got)
	}
	now = now.Add(6 * time.Second)
	_, _ = cache.Resolve(context.Background(), host+"/app:1", nil)
	if got := cache.Requests(); got != 2 {
		t.Errorf("%d resolutions after the failure TTL, want 2", got)
	}
}

func TestCachedNeverAsksTheRegistry(t *testing.T) {
	_, host := testRegistry(t, nil)
	push(t, host+"/app:1", randomImage(t))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &Cache{Resolver: resolver(host), TTL: time.Minute, Now: func() time.Time { return now }}
	if _, ok, _ := c.Cached(host+"/app:1", nil); ok {
		t.Fatal("Cached found an entry in an empty cache")
	}
	if c.Requests() != 0 {
		t.Fatal("Cached asked the registry")
	}
	want, err := c.Resolve(context.Background(), host+"/app:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Cached(host+"/app:1", nil)
	if !ok || err != nil || got.Digest != want.Digest {
		t.Fatalf("Cached = %v, %v, %v; want the resolution", got, ok, err)
	}
	now = now.Add(time.Minute)
	if _, ok, _ := c.Cached(host+"/app:1", nil); ok {
		t.Error("Cached returned an expired entry")
	}
}
