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

// Package failure classifies what stops a reconcile by what happens next, as Flux's
// source-controller does: a stalling failure needs a person (only a change to the workload,
// or to an input it names, can end it), so nothing is retried until then; a waiting failure
// ends by itself after a known time; any other error is retried with the controller's
// backoff. The class decides the kstatus condition (Stalled or Reconciling) and whether the
// reconcile is queued again, in one place.
package failure

import (
	"errors"
	"time"
)

// Stalling is a failure that only a person can end: retrying would meet it again. The
// workload is Stalled with Reason, and it is not reconciled again until something it
// depends on changes.
type Stalling struct {
	// Reason is the Stalled and Ready conditions' reason: a constant of api/v1alpha1.
	Reason string
	// Err says what went wrong, for the conditions' message.
	Err error
}

// Stall wraps err as a stalling failure with reason.
func Stall(reason string, err error) *Stalling { return &Stalling{Reason: reason, Err: err} }

func (e *Stalling) Error() string { return e.Err.Error() }
func (e *Stalling) Unwrap() error { return e.Err }

// Waiting is a failure that is expected to pass by itself: a registry that is down, or
// that asked to be left alone for a while. The workload stays Reconciling with Reason and
// is looked at again after RetryAfter.
type Waiting struct {
	// Reason is the Reconciling and Ready conditions' reason: a constant of api/v1alpha1.
	Reason string
	// Err says what went wrong, for the conditions' message.
	Err error
	// RetryAfter is when to try again.
	RetryAfter time.Duration
}

// Wait wraps err as a failure that passes after retryAfter, with reason.
func Wait(reason string, err error, retryAfter time.Duration) *Waiting {
	return &Waiting{Reason: reason, Err: err, RetryAfter: retryAfter}
}

func (e *Waiting) Error() string { return e.Err.Error() }
func (e *Waiting) Unwrap() error { return e.Err }

// StallingOf returns the stalling failure in err's chain, nil if there is none.
func StallingOf(err error) *Stalling {
	var stalling *Stalling
	if errors.As(err, &stalling) {
		return stalling
	}
	return nil
}

// WaitingOf returns the waiting failure in err's chain, nil if there is none.
func WaitingOf(err error) *Waiting {
	var waiting *Waiting
	if errors.As(err, &waiting) {
		return waiting
	}
	return nil
}
