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

package revision

import (
	"errors"
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/pin"
)

// Facts is what choosing the revision to run looks at, gathered by the reconciler.
type Facts struct {
	// Revisions is the workload's history.
	Revisions []Revision
	// TemplateHash identifies the template as the user wrote it now.
	TemplateHash string
	// RefreshInterval is spec.imagePolicy.refreshInterval: how often tags are resolved again;
	// zero pins until the template changes.
	RefreshInterval time.Duration
	// AllowedRegistries is spec.imagePolicy.allowedRegistries.
	AllowedRegistries []string
	// CurrentRevision is status.currentRevision: the revision the workload last fully ran.
	CurrentRevision string
	// PodsAtTemplateHash is true when a pod of the workload carries the template hash as its
	// revision.
	PodsAtTemplateHash bool
	// RollbackTo is the gdpr.amber.dev/rollback-to annotation: the ID of the revision a
	// rollback asked for, "" when none. It is honoured only while that revision is of the
	// current template (RollbackTarget).
	RollbackTo string
	// Now is the reconcile's time.
	Now time.Time
}

// Resolution is what the registries answered for the template's images.
type Resolution struct {
	// Pins are the images pinned to digests, once every one is.
	Pins []gdprv1alpha1.PinnedImage
	// Pending is true while the registries are being asked.
	Pending bool
	// Err is why an image could not be pinned, a *pin.Error.
	Err error
	// RetryAfter is when to ask again after Err.
	RetryAfter time.Duration
}

// Action is what the reconciler does about the revision pods are made from.
type Action string

const (
	// Run makes pods from a recorded revision, restoring it first when it is not the newest.
	Run Action = "Run"
	// Create stores a new revision of the template's pins, then runs it.
	Create Action = "Create"
	// Hold keeps the pods as they are: no revision of the template can run yet. A missing
	// pod is made from the fallback, the revision the workload last fully ran.
	Hold Action = "Hold"
)

// Choice is the revision pods are made from, and what it takes to get there.
type Choice struct {
	Action Action
	// Revision is the revision to run (Run), or the fallback that missing pods are made
	// from while the template's revision is held (Hold; zero when there is none).
	Revision Revision
	// ID and Pins are the new revision's (Create).
	ID   string
	Pins []gdprv1alpha1.PinnedImage
	// MarkRefreshed is set when a refresh found every tag where it was pinned (Run).
	MarkRefreshed bool
	// RefreshErr is why a refresh of the revision's tags failed; it runs as pinned (Run).
	RefreshErr error
	// Resolving is true while the template's images are being resolved (Hold).
	Resolving bool
	// Blocked is why the template's revision cannot run (Hold): an image that could not be
	// pinned, or a pin outside the allowed registries; a *pin.Error.
	Blocked error
	// RecheckAfter is when to look again: the next refresh, or a retry; zero for no time.
	RecheckAfter time.Duration
}

// NeedsResolution reports whether the template's images must be resolved by the registries:
// when no revision of the template is recorded, or when its refresh is due.
func NeedsResolution(f Facts) bool {
	if _, asked := RollbackTarget(f); asked {
		return false // what a rollback asked for runs as recorded
	}
	latest, found := Latest(f.Revisions, f.TemplateHash)
	return !found || RefreshDue(latest, f.RefreshInterval, f.Now)
}

// Choose decides the revision pods are made from. The template's recorded revision runs with
// the digests it was pinned to (a rollback restores exactly what ran); a new revision is made
// once every image is pinned; until then the pods are held. res is nil when NeedsResolution
// said no resolution is needed.
//
// A revision a rollback asked for (Facts.RollbackTo) runs while it is of the template, with
// no refresh: two revisions of one template differ only by digests (a tag moved), and the
// person who rolled back chose the older bytes on purpose.
func Choose(f Facts, res *Resolution) Choice {
	if asked, ok := RollbackTarget(f); ok {
		return runAllowed(f, asked)
	}
	latest, found := Latest(f.Revisions, f.TemplateHash)
	if res == nil {
		choice := runAllowed(f, latest)
		if choice.Action == Run && f.RefreshInterval > 0 {
			choice.RecheckAfter = latest.CheckedAt.Add(f.RefreshInterval).Sub(f.Now)
		}
		return choice
	}
	switch {
	case found && ReasonOf(res.Err) == pin.RegistryNotAllowed:
		return runAllowed(f, latest) // refused there, with the reason
	case found && res.Pending:
		return runAllowed(f, latest) // a refresh that has not answered keeps the pins
	case found && res.Err != nil:
		choice := runAllowed(f, latest)
		if choice.Action == Run {
			choice.RefreshErr, choice.RecheckAfter = res.Err, res.RetryAfter
		}
		return choice
	case res.Pending:
		return hold(f, Choice{Resolving: true})
	case res.Err != nil && Stalls(res.Err):
		return hold(f, Choice{Blocked: res.Err}) // asking again changes nothing: no recheck
	case res.Err != nil:
		return hold(f, Choice{Blocked: res.Err, RecheckAfter: res.RetryAfter})
	case found && SameDigests(latest.Pins, res.Pins):
		return Choice{Action: Run, Revision: latest, MarkRefreshed: true, RecheckAfter: f.RefreshInterval}
	}
	// The same bytes pinned before for this template (a tag that moved back): that revision.
	if earlier, ok := FindPinned(f.Revisions, f.TemplateHash, res.Pins); ok {
		return Choice{Action: Run, Revision: earlier}
	}
	// The first revision of a template is named by its hash alone, unless pods already carry
	// that name: its ControllerRevision was deleted, and what they run may not be what the
	// registry serves now, so the new pins get a name of their own and replace them.
	id := f.TemplateHash
	if found || f.PodsAtTemplateHash {
		id = ID(f.TemplateHash, res.Pins, false)
	}
	if existing, ok := Find(f.Revisions, id); ok {
		return Choice{Action: Run, Revision: existing}
	}
	return Choice{Action: Create, ID: id, Pins: res.Pins, RecheckAfter: f.RefreshInterval}
}

// RollbackTarget is the revision Facts.RollbackTo names, when it is recorded and of the
// current template. A template changed since the rollback makes the annotation moot: the
// template then says what runs, as it did before the rollback.
func RollbackTarget(f Facts) (Revision, bool) {
	if f.RollbackTo == "" {
		return Revision{}, false
	}
	rev, ok := Find(f.Revisions, f.RollbackTo)
	return rev, ok && rev.TemplateHash == f.TemplateHash
}

// NeedsRestore reports whether running rev takes restoring it: it is not the newest of the
// history, so it gets the next number and the history shows it ran again.
func NeedsRestore(revisions []Revision, rev Revision) bool {
	return rev.Number != NextNumber(revisions)-1
}

// runAllowed runs a recorded revision if its images are still within the allowed
// registries, which may have been narrowed since it was pinned; otherwise it holds.
func runAllowed(f Facts, rev Revision) Choice {
	if err := Disallowed(rev, f.AllowedRegistries); err != nil {
		return hold(f, Choice{Blocked: err})
	}
	return Choice{Action: Run, Revision: rev}
}

// hold keeps the pods as they are; a pod that goes missing is replaced from the revision the
// workload last fully ran, if its images are still allowed.
func hold(f Facts, choice Choice) Choice {
	choice.Action, choice.Revision = Hold, Revision{}
	if rev, ok := Find(f.Revisions, f.CurrentRevision); ok && Disallowed(rev, f.AllowedRegistries) == nil {
		choice.Revision = rev
	}
	return choice
}

// Disallowed refuses a revision with an image outside the allowed registries.
func Disallowed(rev Revision, allowed []string) error {
	for _, p := range rev.Pins {
		if !pin.Allowed(p.Image, allowed) {
			return &pin.Error{Image: p.Image, Reason: pin.RegistryNotAllowed, Err: errors.New("it is not in spec.imagePolicy.allowedRegistries")}
		}
	}
	return nil
}

// Stalls reports whether a pinning failure needs a person: an image outside the allowed
// registries, or a reference that cannot be parsed, stays so until the workload changes.
func Stalls(err error) bool {
	reason := ReasonOf(err)
	return err != nil && (reason == pin.RegistryNotAllowed || reason == pin.InvalidReference)
}

// ReasonOf is the reason an image could not be pinned: a registry that did not answer when
// err says nothing more.
func ReasonOf(err error) pin.Reason {
	var pe *pin.Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return pin.RegistryUnavailable
}
