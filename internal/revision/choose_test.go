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
	"testing"
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/pin"
)

func TestChoose(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	pinsA := []gdprv1alpha1.PinnedImage{pinnedImage("app", "r.example/app:1", "sha256:aa")}
	pinsB := []gdprv1alpha1.PinnedImage{pinnedImage("app", "r.example/app:1", "sha256:bb")}
	pinsOther := []gdprv1alpha1.PinnedImage{pinnedImage("app", "other.example/app:1", "sha256:cc")}
	fresh := Revision{ID: "tpl", TemplateHash: "tpl", Number: 2, Pins: pinsA, CheckedAt: now.Add(-time.Minute)}
	stale := Revision{ID: "tpl", TemplateHash: "tpl", Number: 2, Pins: pinsA, CheckedAt: now.Add(-2 * time.Hour)}
	older := Revision{ID: "old", TemplateHash: "old", Number: 1, Pins: pinsA}
	elsewhere := Revision{ID: "old", TemplateHash: "old", Number: 1, Pins: pinsOther}
	unavailable := &pin.Error{Image: "r.example/app:1", Reason: pin.RegistryUnavailable, Err: errors.New("down")}
	notAllowed := &pin.Error{Image: "r.example/app:1", Reason: pin.RegistryNotAllowed, Err: errors.New("no")}

	tests := []struct {
		name   string
		facts  Facts
		res    *Resolution
		want   Choice
		blocks pin.Reason
	}{
		{
			name:  "a recorded revision not due for refresh runs as pinned, looked at again when the refresh is due",
			facts: Facts{Revisions: []Revision{older, fresh}, TemplateHash: "tpl", RefreshInterval: time.Hour},
			want:  Choice{Action: Run, Revision: fresh, RecheckAfter: 59 * time.Minute},
		},
		{
			name:  "a recorded revision with no refresh interval runs with no recheck",
			facts: Facts{Revisions: []Revision{fresh}, TemplateHash: "tpl"},
			want:  Choice{Action: Run, Revision: fresh},
		},
		{
			name:   "a recorded revision outside narrowed allowed registries is held, with no fallback outside them either",
			facts:  Facts{Revisions: []Revision{older, fresh}, TemplateHash: "tpl", AllowedRegistries: []string{"other.example"}, CurrentRevision: "old"},
			want:   Choice{Action: Hold},
			blocks: pin.RegistryNotAllowed,
		},
		{
			name:  "a new template whose images are being resolved is held at the revision last run",
			facts: Facts{Revisions: []Revision{older}, TemplateHash: "tpl", CurrentRevision: "old"},
			res:   &Resolution{Pending: true},
			want:  Choice{Action: Hold, Revision: older, Resolving: true},
		},
		{
			name:   "a new template that cannot be pinned is held, retried when the pinner says",
			facts:  Facts{Revisions: []Revision{older}, TemplateHash: "tpl", CurrentRevision: "old"},
			res:    &Resolution{Err: unavailable, RetryAfter: 4 * time.Second},
			want:   Choice{Action: Hold, Revision: older, RecheckAfter: 4 * time.Second},
			blocks: pin.RegistryUnavailable,
		},
		{
			name:   "a new template with an invalid reference is held with no recheck: only a person can help",
			facts:  Facts{Revisions: []Revision{older}, TemplateHash: "tpl", CurrentRevision: "old"},
			res:    &Resolution{Err: &pin.Error{Reason: pin.InvalidReference, Err: errors.New("bad")}, RetryAfter: time.Second},
			want:   Choice{Action: Hold, Revision: older},
			blocks: pin.InvalidReference,
		},
		{
			name:   "the fallback is dropped when its own images are no longer allowed",
			facts:  Facts{Revisions: []Revision{elsewhere}, TemplateHash: "tpl", CurrentRevision: "old", AllowedRegistries: []string{"r.example"}},
			res:    &Resolution{Err: unavailable, RetryAfter: time.Second},
			want:   Choice{Action: Hold, RecheckAfter: time.Second},
			blocks: pin.RegistryUnavailable,
		},
		{
			name:  "a refresh still being asked keeps the revision as pinned",
			facts: Facts{Revisions: []Revision{stale}, TemplateHash: "tpl", RefreshInterval: time.Hour},
			res:   &Resolution{Pending: true},
			want:  Choice{Action: Run, Revision: stale},
		},
		{
			name:  "a failed refresh keeps the revision as pinned and says why",
			facts: Facts{Revisions: []Revision{stale}, TemplateHash: "tpl", RefreshInterval: time.Hour},
			res:   &Resolution{Err: unavailable, RetryAfter: 2 * time.Second},
			want:  Choice{Action: Run, Revision: stale, RefreshErr: unavailable, RecheckAfter: 2 * time.Second},
		},
		{
			name:   "a refresh refused by the allowed registries holds the revision too",
			facts:  Facts{Revisions: []Revision{stale}, TemplateHash: "tpl", RefreshInterval: time.Hour, AllowedRegistries: []string{"other.example"}},
			res:    &Resolution{Err: notAllowed},
			want:   Choice{Action: Hold},
			blocks: pin.RegistryNotAllowed,
		},
		{
			name:  "a refresh that finds the tags where they were pinned marks the revision refreshed",
			facts: Facts{Revisions: []Revision{stale}, TemplateHash: "tpl", RefreshInterval: time.Hour},
			res:   &Resolution{Pins: pinsA},
			want:  Choice{Action: Run, Revision: stale, MarkRefreshed: true, RecheckAfter: time.Hour},
		},
		{
			name:  "a refresh that finds a tag moved makes a revision of its own",
			facts: Facts{Revisions: []Revision{stale}, TemplateHash: "tpl", RefreshInterval: time.Hour},
			res:   &Resolution{Pins: pinsB},
			want:  Choice{Action: Create, ID: ID("tpl", pinsB, false), Pins: pinsB, RecheckAfter: time.Hour},
		},
		{
			name: "a tag that moved back runs the revision pinned to those bytes before",
			facts: Facts{Revisions: []Revision{{ID: "tpl", TemplateHash: "tpl", Number: 1, Pins: pinsA},
				{ID: ID("tpl", pinsB, false), TemplateHash: "tpl", Number: 2, Pins: pinsB, CheckedAt: now.Add(-2 * time.Hour)}},
				TemplateHash: "tpl", RefreshInterval: time.Hour},
			res:  &Resolution{Pins: pinsA},
			want: Choice{Action: Run, Revision: Revision{ID: "tpl", TemplateHash: "tpl", Number: 1, Pins: pinsA}},
		},
		{
			name: "a rollback to an earlier revision of the same template runs it as recorded, though the newer one is the template's latest",
			facts: Facts{Revisions: []Revision{{ID: "tpl", TemplateHash: "tpl", Number: 1, Pins: pinsA},
				{ID: ID("tpl", pinsB, false), TemplateHash: "tpl", Number: 2, Pins: pinsB, CheckedAt: now}},
				TemplateHash: "tpl", RollbackTo: "tpl"},
			want: Choice{Action: Run, Revision: Revision{ID: "tpl", TemplateHash: "tpl", Number: 1, Pins: pinsA}},
		},
		{
			name: "a rollback's revision is not moved off by a refresh that is due, and asks for no recheck",
			facts: Facts{Revisions: []Revision{{ID: "tpl", TemplateHash: "tpl", Number: 1, Pins: pinsA, CheckedAt: now.Add(-2 * time.Hour)},
				{ID: ID("tpl", pinsB, false), TemplateHash: "tpl", Number: 2, Pins: pinsB, CheckedAt: now}},
				TemplateHash: "tpl", RefreshInterval: time.Hour, RollbackTo: "tpl"},
			want: Choice{Action: Run, Revision: Revision{ID: "tpl", TemplateHash: "tpl", Number: 1, Pins: pinsA}},
		},
		{
			name:  "a rollback's revision of another template is moot once the template changed: the template's revision runs",
			facts: Facts{Revisions: []Revision{older, fresh}, TemplateHash: "tpl", RollbackTo: "old"},
			want:  Choice{Action: Run, Revision: fresh},
		},
		{
			name:  "a rollback naming a revision no longer recorded is moot: the template's revision runs",
			facts: Facts{Revisions: []Revision{fresh}, TemplateHash: "tpl", RollbackTo: "pruned"},
			want:  Choice{Action: Run, Revision: fresh},
		},
		{
			name:   "a rollback's revision outside narrowed allowed registries is held like any other",
			facts:  Facts{Revisions: []Revision{elsewhere}, TemplateHash: "old", RollbackTo: "old", AllowedRegistries: []string{"r.example"}},
			want:   Choice{Action: Hold},
			blocks: pin.RegistryNotAllowed,
		},
		{
			name:  "the first revision of a template is named by its hash",
			facts: Facts{Revisions: []Revision{older}, TemplateHash: "tpl"},
			res:   &Resolution{Pins: pinsA},
			want:  Choice{Action: Create, ID: "tpl", Pins: pinsA},
		},
		{
			name:  "a first revision whose name pods still carry gets a name of its own",
			facts: Facts{TemplateHash: "tpl", PodsAtTemplateHash: true},
			res:   &Resolution{Pins: pinsA},
			want:  Choice{Action: Create, ID: ID("tpl", pinsA, false), Pins: pinsA},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.facts.Now = now
			if tt.facts.TemplateHash == "" {
				t.Fatal("test case without a template hash")
			}
			if got := NeedsResolution(tt.facts); got != (tt.res != nil) {
				t.Fatalf("NeedsResolution() = %v, but the case resolves: %v", got, tt.res != nil)
			}
			got := Choose(tt.facts, tt.res)
			if reason := ReasonOf(got.Blocked); got.Blocked != nil && reason != tt.blocks || got.Blocked == nil && tt.blocks != "" {
				t.Errorf("Blocked = %v, want reason %q", got.Blocked, tt.blocks)
			}
			got.Blocked = nil
			if got.Action != tt.want.Action || got.Revision.ID != tt.want.Revision.ID || got.Revision.Number != tt.want.Revision.Number ||
				got.ID != tt.want.ID || !SameDigests(got.Pins, tt.want.Pins) || len(got.Pins) != len(tt.want.Pins) ||
				got.MarkRefreshed != tt.want.MarkRefreshed || !errors.Is(got.RefreshErr, tt.want.RefreshErr) ||
				got.Resolving != tt.want.Resolving || got.RecheckAfter != tt.want.RecheckAfter {
				t.Errorf("Choose() =\n  %+v\nwant\n  %+v", got, tt.want)
			}
		})
	}
}

func TestNeedsRestore(t *testing.T) {
	revs := []Revision{{ID: "a", Number: 1}, {ID: "b", Number: 2}}
	if NeedsRestore(revs, revs[1]) {
		t.Error("the newest revision is restored")
	}
	if !NeedsRestore(revs, revs[0]) {
		t.Error("an older revision runs without being restored")
	}
}
