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

// Package pin resolves container images to the registry digests pods run them by. It talks to
// registries only: credentials come in as a keychain, and what to do with a failure is the
// caller's decision, guided by the failure's Reason.
package pin

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Reason classifies a failure by what should happen next; the values are the ImagesPinned
// condition's reasons, defined in api/v1alpha1.
type Reason string

// The failure reasons.
const (
	// RegistryUnavailable: the registry did not answer, or answered with a server error. Retry.
	RegistryUnavailable Reason = gdprv1alpha1.ReasonRegistryUnavailable
	// RegistryRateLimited: the registry asked to slow down (HTTP 429). Retry after RetryAfter.
	RegistryRateLimited Reason = gdprv1alpha1.ReasonRegistryRateLimited
	// ImageNotFound: the registry has no such tag or digest.
	ImageNotFound Reason = gdprv1alpha1.ReasonImageNotFound
	// Unauthorized: the registry refused the credentials, or asked for some and got none.
	Unauthorized Reason = gdprv1alpha1.ReasonUnauthorized
	// RegistryNotAllowed: the image is outside the workload's allowed registries.
	RegistryNotAllowed Reason = gdprv1alpha1.ReasonRegistryNotAllowed
	// InvalidReference: the image is not a valid reference.
	InvalidReference Reason = gdprv1alpha1.ReasonInvalidReference
)

// Error is a failure to pin one image.
type Error struct {
	Image  string
	Reason Reason
	// RetryAfter is how long the registry asked to wait, for RegistryRateLimited.
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	return fmt.Sprintf("pin image %q: %s: %v", e.Image, e.Reason, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Pinned is an image resolved to a digest.
type Pinned struct {
	// Image is the reference as written in the pod template.
	Image string
	// Reference is what pods run: the repository, the tag if one was written, and the digest
	// (registry.example/app:1.4@sha256:…), so that people can still read the tag.
	Reference string
	// Digest is the manifest's (or, for a multi-architecture image, the index's) digest.
	Digest string
	// Platforms lists an index's platforms (os/architecture[/variant]); empty for a single image.
	Platforms []string
	// PlatformDigests lists the digests of an index's manifests.
	PlatformDigests []string
	// ResolvedAt is when the registry answered.
	ResolvedAt time.Time
}

// errPlainHTTP is returned for a plain-HTTP request to a registry the manager was not told
// to reach that way.
var errPlainHTTP = errors.New("plain HTTP is refused: name the registry in the manager's --insecure-registries flag to allow it")

// Resolver resolves images against registries.
type Resolver struct {
	// Insecure names the registries (host[:port]) that may be reached over plain HTTP or with
	// certificates nobody vouches for. Empty by default: every registry needs valid TLS.
	Insecure map[string]bool
	// Timeout bounds each resolution, so that a slow registry holds up nothing else for long.
	Timeout time.Duration
	// Transport carries the requests; http.DefaultTransport when nil.
	Transport http.RoundTripper
}

// Resolve pins image to the digest the registry serves for it now, authenticating with
// keychain. An image written with a digest is checked to exist.
func (r *Resolver) Resolve(ctx context.Context, image string, keychain authn.Keychain) (Pinned, error) {
	ref, err := name.ParseReference(image, name.StrictValidation)
	if err != nil {
		// StrictValidation refuses a reference without a tag or digest; the kubelet reads
		// that as :latest, and so does Amber.
		if ref, err = name.ParseReference(image); err != nil {
			return Pinned{}, &Error{Image: image, Reason: InvalidReference, Err: err}
		}
	}
	insecure := r.Insecure[ref.Context().RegistryStr()]
	if insecure {
		ref, _ = name.ParseReference(ref.String(), name.Insecure)
	}
	if r.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.Timeout)
		defer cancel()
	}
	base := r.Transport
	if base == nil {
		base = http.DefaultTransport
		if insecure {
			t := http.DefaultTransport.(*http.Transport).Clone()
			t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // only for registries the operator named
			base = t
		}
	}
	// The registry client falls back to plain HTTP for loopback and private addresses by
	// itself; Amber allows that only for registries the operator named.
	rt := &retryAfterRecorder{next: &plainHTTPGuard{next: base, allowed: insecure}}
	if keychain == nil {
		keychain = authn.DefaultKeychain
	}
	desc, err := remote.Get(ref,
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(keychain),
		remote.WithTransport(rt),
		// The caller retries with its own backoff, honouring a registry's Retry-After.
		remote.WithRetryBackoff(remote.Backoff{Steps: 1}),
	)
	if err != nil {
		return Pinned{}, classify(image, err, rt.retryAfter())
	}

	pinned := Pinned{Image: image, Digest: desc.Digest.String(), ResolvedAt: time.Now()}
	repo := ref.Context().Name()
	if _, byDigest := ref.(name.Digest); byDigest {
		// Already pinned by whoever wrote it (perhaps with a tag to read, "app:1.4@sha256:…"):
		// kept as written, now known to exist.
		pinned.Reference = image
	} else if tag, ok := ref.(name.Tag); ok && tag.TagStr() != "" && strings.Contains(image, ":"+tag.TagStr()) {
		pinned.Reference = fmt.Sprintf("%s:%s@%s", repo, tag.TagStr(), pinned.Digest)
	} else {
		pinned.Reference = fmt.Sprintf("%s@%s", repo, pinned.Digest)
	}
	if desc.MediaType.IsIndex() {
		index, err := desc.ImageIndex()
		if err != nil {
			return Pinned{}, classify(image, err, rt.retryAfter())
		}
		manifest, err := index.IndexManifest()
		if err != nil {
			return Pinned{}, classify(image, err, rt.retryAfter())
		}
		for _, m := range manifest.Manifests {
			if m.Platform != nil {
				pinned.Platforms = append(pinned.Platforms, platformString(m.Platform))
			}
			pinned.PlatformDigests = append(pinned.PlatformDigests, m.Digest.String())
		}
	}
	return pinned, nil
}

func platformString(p *v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// classify turns a registry client error into an Error whose Reason says what to do next.
func classify(image string, err error, retryAfter time.Duration) error {
	var terr *transport.Error
	var netErr net.Error
	switch {
	case errors.Is(err, errPlainHTTP):
		return &Error{Image: image, Reason: RegistryNotAllowed, Err: errPlainHTTP}
	case errors.As(err, &terr):
		switch {
		case terr.StatusCode == http.StatusTooManyRequests:
			return &Error{Image: image, Reason: RegistryRateLimited, RetryAfter: retryAfter, Err: err}
		case terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden:
			return &Error{Image: image, Reason: Unauthorized, Err: err}
		case terr.StatusCode == http.StatusNotFound:
			return &Error{Image: image, Reason: ImageNotFound, Err: err}
		}
		for _, d := range terr.Errors {
			switch d.Code {
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
				return &Error{Image: image, Reason: ImageNotFound, Err: err}
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				return &Error{Image: image, Reason: Unauthorized, Err: err}
			case transport.TooManyRequestsErrorCode:
				return &Error{Image: image, Reason: RegistryRateLimited, RetryAfter: retryAfter, Err: err}
			}
		}
	case errors.As(err, &netErr), errors.Is(err, context.DeadlineExceeded):
		return &Error{Image: image, Reason: RegistryUnavailable, Err: err}
	}
	return &Error{Image: image, Reason: RegistryUnavailable, Err: err}
}

// plainHTTPGuard refuses plain-HTTP requests unless allowed.
type plainHTTPGuard struct {
	next    http.RoundTripper
	allowed bool
}

func (t *plainHTTPGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !t.allowed {
		return nil, errPlainHTTP
	}
	return t.next.RoundTrip(req)
}

// retryAfterRecorder remembers the Retry-After a registry sent with a 429, which the registry
// client's error does not carry.
type retryAfterRecorder struct {
	next  http.RoundTripper
	mu    sync.Mutex
	after time.Duration
}

func (t *retryAfterRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		if secs, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && secs >= 0 {
			t.mu.Lock()
			t.after = time.Duration(secs) * time.Second
			t.mu.Unlock()
		}
	}
	return resp, err
}

func (t *retryAfterRecorder) retryAfter() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.after
}

// Allowed reports whether image comes from one of the allowed registries or repository
// prefixes ("registry.example", "registry.example/team/"). An empty list allows every image.
func Allowed(image string, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	ref, err := name.ParseReference(image)
	if err != nil {
		return false
	}
	repo := ref.Context().Name() // registry/repository, Docker Hub as index.docker.io
	for _, a := range allowed {
		a = strings.TrimSuffix(a, "/")
		if a == "docker.io" || strings.HasPrefix(a, "docker.io/") {
			a = "index." + a // Docker Hub as people write it
		}
		if repo == a || strings.HasPrefix(repo, a+"/") {
			return true
		}
	}
	return false
}
