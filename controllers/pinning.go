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

package controllers

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/event"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/pin"
	"github.com/amber-gdpr/amber/internal/revision"
)

// pinRetryMax caps the backoff between attempts to pin a revision's images.
const pinRetryMax = 30 * time.Second

// pinJobTTL is how long a finished resolution waits for its workload's reconcile to collect it.
const pinJobTTL = 2 * time.Minute

// imagePinner resolves the images of a revision to digests off the reconcile path: a
// reconcile that finds every image in the resolution cache pins at once; otherwise the
// registries are asked in the background and the workload is reconciled again when they
// have answered, so that a slow or unreachable registry holds up no other workload.
type imagePinner struct {
	cache *pin.Cache
	// wake receives the workloads whose resolution finished.
	wake chan event.GenericEvent

	mu       sync.Mutex
	jobs     map[pinJobKey]*pinJob
	failures map[types.NamespacedName]int
}

// pinJobKey names a background resolution: a workload (its UID too, so that one recreated
// under the same name starts afresh) and the template whose images are resolved.
type pinJobKey struct {
	workload     types.NamespacedName
	uid          types.UID
	templateHash string
}

type pinJob struct {
	done     bool
	finished time.Time
	pins     []gdprv1alpha1.PinnedImage
	err      error
}

func newImagePinner(cache *pin.Cache) *imagePinner {
	return &imagePinner{
		cache:    cache,
		wake:     make(chan event.GenericEvent, 1024),
		jobs:     map[pinJobKey]*pinJob{},
		failures: map[types.NamespacedName]int{},
	}
}

// pinResult is what one attempt to pin a revision's images came to.
type pinResult struct {
	pins []gdprv1alpha1.PinnedImage
	// err is the first image that could not be pinned, a *pin.Error.
	err error
	// pending is true while the registries are being asked.
	pending bool
	// retryAfter is when to try again after a failure.
	retryAfter time.Duration
}

// pin returns the pins of images for workload, from the cache or from a finished background
// resolution, or starts one and reports pending. allowed is the workload's allowedRegistries.
func (p *imagePinner) pin(workload *gdprv1alpha1.GDPRWorkload, templateHash string, images []revision.Image, keychain authn.Keychain, now time.Time) pinResult {
	key := pinJobKey{workload: types.NamespacedName{Namespace: workload.Namespace, Name: workload.Name}, uid: workload.UID, templateHash: templateHash}
	for _, img := range images {
		if _, err := name.ParseReference(img.Image); err != nil {
			return p.failed(key.workload, &pin.Error{Image: img.Image, Reason: pin.InvalidReference, Err: err}, false)
		}
		if !pin.Allowed(img.Image, workload.Spec.ImagePolicy.AllowedRegistries) {
			return p.failed(key.workload, &pin.Error{Image: img.Image, Reason: pin.RegistryNotAllowed,
				Err: errors.New("it is not in spec.imagePolicy.allowedRegistries")}, false)
		}
	}

	if pins, err, ok := p.fromCache(images, keychain); ok {
		// A resolution finished in the background is older than this answer: drop it, or a
		// later miss would take it for a fresh one.
		p.mu.Lock()
		if job, found := p.jobs[key]; found && job.done {
			delete(p.jobs, key)
		}
		p.mu.Unlock()
		return p.result(key.workload, pins, err, false)
	}

	p.mu.Lock()
	p.expireLocked(now)
	job, ok := p.jobs[key]
	if ok && job.done {
		delete(p.jobs, key)
		p.mu.Unlock()
		return p.result(key.workload, job.pins, job.err, true)
	}
	if !ok {
		job = &pinJob{}
		p.jobs[key] = job
		go p.run(job, workload.DeepCopy(), images, keychain)
	}
	p.mu.Unlock()
	return pinResult{pending: true}
}

// run resolves in the background and wakes the workload when done. It stamps the time it
// finished itself: it outlives the reconcile that started it.
func (p *imagePinner) run(job *pinJob, workload *gdprv1alpha1.GDPRWorkload, images []revision.Image, keychain authn.Keychain) {
	pins, err := p.resolve(images, keychain)
	p.mu.Lock()
	job.done, job.finished, job.pins, job.err = true, time.Now(), pins, err
	p.mu.Unlock()
	p.wake <- event.GenericEvent{Object: workload}
}

// fromCache pins every image from the cache, or reports !ok when one is not there.
func (p *imagePinner) fromCache(images []revision.Image, keychain authn.Keychain) ([]gdprv1alpha1.PinnedImage, error, bool) {
	pins := make([]gdprv1alpha1.PinnedImage, 0, len(images))
	for _, img := range images {
		pinned, ok, err := p.cache.Cached(img.Image, keychain)
		if !ok {
			return nil, nil, false
		}
		if err != nil {
			return nil, err, true
		}
		pins = append(pins, pinnedImage(img.Container, pinned))
	}
	return pins, nil, true
}

// resolve asks the registries (through the cache, which shares requests between workloads).
func (p *imagePinner) resolve(images []revision.Image, keychain authn.Keychain) ([]gdprv1alpha1.PinnedImage, error) {
	pins := make([]gdprv1alpha1.PinnedImage, 0, len(images))
	for _, img := range images {
		pinned, err := p.cache.Resolve(context.Background(), img.Image, keychain)
		if err != nil {
			return nil, err
		}
		pins = append(pins, pinnedImage(img.Container, pinned))
	}
	return pins, nil
}

// result turns an answer into a pinResult; asked says whether the registry was asked for it
// (rather than the answer coming from the cache), which counts towards the backoff.
func (p *imagePinner) result(workload types.NamespacedName, pins []gdprv1alpha1.PinnedImage, err error, asked bool) pinResult {
	if err != nil {
		return p.failed(workload, err, asked)
	}
	p.mu.Lock()
	delete(p.failures, workload)
	p.mu.Unlock()
	return pinResult{pins: pins}
}

// failed says when to try again: exponentially later with each failed request to the
// registries (counted when asked), from one second up to pinRetryMax, or when a
// rate-limiting registry asked.
func (p *imagePinner) failed(workload types.NamespacedName, err error, asked bool) pinResult {
	p.mu.Lock()
	n := p.failures[workload]
	if asked {
		p.failures[workload] = n + 1
	}
	p.mu.Unlock()
	delay := min(time.Second<<min(n, 10), pinRetryMax)
	var pe *pin.Error
	if errors.As(err, &pe) && pe.RetryAfter > delay {
		delay = pe.RetryAfter
	}
	return pinResult{err: err, retryAfter: delay}
}

// forget drops what is remembered of a workload that no longer exists.
func (p *imagePinner) forget(workload types.NamespacedName) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.failures, workload)
	for key := range p.jobs {
		if key.workload == workload && p.jobs[key].done {
			delete(p.jobs, key)
		}
	}
}

// expireLocked drops finished resolutions nobody collected (their workload changed again).
func (p *imagePinner) expireLocked(now time.Time) {
	for key, job := range p.jobs {
		if job.done && now.Sub(job.finished) > pinJobTTL {
			delete(p.jobs, key)
		}
	}
}

func pinnedImage(container string, p pin.Pinned) gdprv1alpha1.PinnedImage {
	return gdprv1alpha1.PinnedImage{
		Container:       container,
		Image:           p.Image,
		Pinned:          p.Reference,
		Digest:          p.Digest,
		Platforms:       p.Platforms,
		PlatformDigests: p.PlatformDigests,
		ResolvedAt:      metav1.NewTime(p.ResolvedAt.Truncate(time.Second)),
	}
}
