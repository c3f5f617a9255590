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

// Package breakglass decides about BreakGlass windows: when one is open, which requests it
// lets through, and which pods must be replaced once it ends. Everything here is a plain
// function of its inputs; admission, the BreakGlass status, the CLI and the incident report
// all ask the same functions, so that they can never disagree about whether a window is
// open (Kyverno's expired PolicyExceptions, still honoured by its background scans, show
// what happens when they do).
package breakglass

import (
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// DefaultDuration is spec.duration's default, should an object reach Amber without it.
const DefaultDuration = 30 * time.Minute

// Window is when a BreakGlass is open: from its admission (metadata.creationTimestamp, set
// by the API server and never changed) for spec.duration (immutable). Both ends are fixed
// when the object is admitted and never move, whatever its status says.
func Window(bg *gdprv1alpha1.BreakGlass) (notBefore, notAfter time.Time) {
	notBefore = bg.CreationTimestamp.UTC()
	d := bg.Spec.Duration.Duration
	if d <= 0 {
		d = DefaultDuration
	}
	return notBefore, notBefore.Add(d)
}

// Open reports whether the BreakGlass lets requests through at now: inside its window and
// not being deleted. The window is half-open: at notAfter it is closed.
func Open(bg *gdprv1alpha1.BreakGlass, now time.Time) bool {
	if !bg.DeletionTimestamp.IsZero() {
		return false
	}
	notBefore, notAfter := Window(bg)
	return !now.Before(notBefore) && now.Before(notAfter)
}

// Phase is the BreakGlass's phase at now: Active while open, Ended once deleted before its
// window closed, Expired after.
func Phase(bg *gdprv1alpha1.BreakGlass, now time.Time) gdprv1alpha1.BreakGlassPhase {
	_, notAfter := Window(bg)
	switch {
	case Open(bg, now):
		return gdprv1alpha1.BreakGlassActive
	case !bg.DeletionTimestamp.IsZero() && bg.DeletionTimestamp.Time.Before(notAfter):
		return gdprv1alpha1.BreakGlassEnded
	}
	return gdprv1alpha1.BreakGlassExpired
}
