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
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// sweepAbove is the number of entries past which expired ones are dropped as new ones come
// in, so that images no longer used do not stay in memory.
const sweepAbove = 1024

// Cache remembers resolutions for a short while, so that many workloads on one image cost
// about one registry request per TTL, and concurrent requests for the same image share one
// registry request. Entries are keyed by the image as written and the identity of the
// credentials used, so that a workload never benefits from another's credentials.
type Cache struct {
	// Resolver does the registry requests.
	Resolver *Resolver
	// TTL is how long a resolution is reused.
	TTL time.Duration
	// FailureTTL is how long a failure is reused, so that a registry that is down is not
	// asked again by every workload at once; a rate limit's Retry-After overrides it.
	FailureTTL time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu       sync.Mutex
	entries  map[cacheKey]cacheEntry
	inflight map[cacheKey]*call
	requests int64
}

type cacheKey struct {
	image      string
	credential string
}

type cacheEntry struct {
	pinned  Pinned
	err     error
	expires time.Time
}

type call struct {
	done   chan struct{}
	pinned Pinned
	err    error
}

// Requests is how many resolutions reached the registry.
func (c *Cache) Requests() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Cached returns the cached resolution of image for these credentials, without asking the
// registry: a pin, or a failure remembered for FailureTTL. ok is false when there is none,
// or it has expired.
func (c *Cache) Cached(image string, keychain authn.Keychain) (pinned Pinned, ok bool, err error) {
	key := cacheKey{image: image, credential: credentialIdentity(image, keychain)}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, found := c.entries[key]
	if !found || !c.now().Before(e.expires) {
		return Pinned{}, false, nil
	}
	return e.pinned, true, e.err
}

// Resolve returns a cached resolution of image for these credentials, or resolves it.
func (c *Cache) Resolve(ctx context.Context, image string, keychain authn.Keychain) (Pinned, error) {
	key := cacheKey{image: image, credential: credentialIdentity(image, keychain)}
	c.mu.Lock()
	if c.entries == nil {
		c.entries, c.inflight = map[cacheKey]cacheEntry{}, map[cacheKey]*call{}
	}
	if e, ok := c.entries[key]; ok && c.now().Before(e.expires) {
		c.mu.Unlock()
		return e.pinned, e.err
	}
	if inflight, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-inflight.done:
			return inflight.pinned, inflight.err
		case <-ctx.Done():
			return Pinned{}, &Error{Image: image, Reason: RegistryUnavailable, Err: ctx.Err()}
		}
	}
	cl := &call{done: make(chan struct{})}
	c.inflight[key] = cl
	c.requests++
	c.mu.Unlock()

	cl.pinned, cl.err = c.Resolver.Resolve(ctx, image, keychain)

	c.mu.Lock()
	delete(c.inflight, key)
	ttl := c.TTL
	if cl.err != nil {
		ttl = c.FailureTTL
		if pe := (*Error)(nil); errors.As(cl.err, &pe) && pe.RetryAfter > ttl {
			ttl = pe.RetryAfter
		}
	}
	if ttl > 0 {
		now := c.now()
		if len(c.entries) >= sweepAbove {
			for k, e := range c.entries {
				if !now.Before(e.expires) {
					delete(c.entries, k)
				}
			}
		}
		c.entries[key] = cacheEntry{pinned: cl.pinned, err: cl.err, expires: now.Add(ttl)}
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.pinned, cl.err
}

// credentialIdentity names the credentials keychain gives for image's repository by a hash of
// them, so that keys never hold secrets.
func credentialIdentity(image string, keychain authn.Keychain) string {
	if keychain == nil {
		return ""
	}
	ref, err := name.ParseReference(image)
	if err != nil {
		return ""
	}
	auth, err := keychain.Resolve(ref.Context())
	if err != nil || auth == nil || auth == authn.Anonymous {
		return ""
	}
	cfg, err := auth.Authorization()
	if err != nil || cfg == nil {
		return ""
	}
	sum := sha256.Sum256([]byte(cfg.Username + "\x00" + cfg.Password + "\x00" + cfg.Auth + "\x00" + cfg.IdentityToken + "\x00" + cfg.RegistryToken))
	return hex.EncodeToString(sum[:])
}
