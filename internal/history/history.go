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

// Package history lists a GDPRWorkload's revisions as `kubectl amber history` prints them:
// each revision with the digests it was pinned to, its hardening profile, when its pods ran
// (from the ledger's pod entries, not from what still exists) and who changed the template
// to it (the pseudonymised actor the ledger recorded). It holds no client: the CLI gathers
// the revisions and the ledger's entries, and everything here is a plain function of them.
package history

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/hardening"
	"github.com/amber-gdpr/amber/internal/revision"
)

// Input is what the history is made from.
type Input struct {
	// Namespace, Workload and WorkloadUID name the workload; the UID tells its entries from
	// those of an earlier workload of the same name, whose ledger this one continues.
	Namespace, Workload, WorkloadUID string
	// UpdateRevision is status.updateRevision: the revision new pods are made from.
	UpdateRevision string
	// Revisions are the workload's decoded ControllerRevisions.
	Revisions []revision.Revision
	// Entries are the entries of the workload's ledger, in any order.
	Entries []gdprv1alpha1.AuditEventSpec
}

// History is a workload's revisions, oldest number first.
type History struct {
	Namespace string `json:"namespace"`
	Workload  string `json:"workload"`
	Revisions []Row  `json:"revisions"`
}

// Row is one revision.
type Row struct {
	// Number orders revisions; a restored revision takes the next number.
	Number int64 `json:"number"`
	// ID is the revision's ID, the pods' gdpr.amber.dev/revision label.
	ID string `json:"id"`
	// Current is true for the revision new pods are made from (status.updateRevision).
	Current bool `json:"current"`
	// Hardening is the profile its pods are locked down by.
	Hardening gdprv1alpha1.HardeningProfile `json:"hardening"`
	// Images are its containers' images and the digests they were pinned to.
	Images []Image `json:"images"`
	// FirstPod is when its first pod was created; nil when the ledger holds none (no pod was
	// made yet, or the entries are past their retention).
	FirstPod *time.Time `json:"firstPod,omitempty"`
	// LastPod is when its last pod was deleted; nil while pods of it run, or when none ran.
	LastPod *time.Time `json:"lastPod,omitempty"`
	// RunningPods are its pods created and not deleted, as the ledger tells.
	RunningPods int `json:"runningPods"`
	// Cause is why it became the revision pods are made from: Created, SpecChanged or
	// HardeningChanged (the template, or its profile, was changed to it), TagMoved (a refresh
	// found a tag moved), or Rollback (an earlier revision restored); "" when the ledger no
	// longer tells.
	Cause string `json:"cause,omitempty"`
	// ChangedBy is who changed the template to it, as the ledger recorded them
	// (pseudonymised): "amber" for a revision a refresh made.
	ChangedBy string `json:"changedBy,omitempty"`
	// Generation is the workload's generation when it was pinned or last restored.
	Generation int64 `json:"generation,omitempty"`
}

// Image is one container's pinned image.
type Image struct {
	Container string `json:"container"`
	Image     string `json:"image"`
	Digest    string `json:"digest"`
}

// Build makes the history of a workload.
func Build(in Input) History {
	entries := ownEntries(in.Entries, in.WorkloadUID)
	runs := podRuns(entries)
	introduced := templateIntroductions(entries)

	h := History{Namespace: in.Namespace, Workload: in.Workload, Revisions: []Row{}}
	for _, rev := range in.Revisions {
		row := Row{
			Number: rev.Number, ID: rev.ID, Current: rev.ID == in.UpdateRevision,
			Hardening: hardening.Effective(rev.Hardening),
		}
		for _, p := range rev.Pins {
			row.Images = append(row.Images, Image{Container: p.Container, Image: p.Image, Digest: p.Digest})
		}
		if run, ok := runs[rev.ID]; ok {
			row.FirstPod, row.RunningPods = run.first, run.running
			if run.running == 0 {
				row.LastPod = run.last
			}
		}
		describeCause(&row, rev, entries, introduced)
		h.Revisions = append(h.Revisions, row)
	}
	slices.SortFunc(h.Revisions, func(a, b Row) int { return cmp.Or(cmp.Compare(a.Number, b.Number), cmp.Compare(a.ID, b.ID)) })
	return h
}

// ownEntries are the entries of the workload with uid, in sequence order: a ledger outlives
// its workload, and a workload created again with the same name continues it after a
// WorkloadCreated entry of its own. When no WorkloadCreated entry of uid is left (past the
// retention), every entry is taken.
func ownEntries(all []gdprv1alpha1.AuditEventSpec, uid string) []gdprv1alpha1.AuditEventSpec {
	sorted := slices.Clone(all)
	slices.SortFunc(sorted, func(a, b gdprv1alpha1.AuditEventSpec) int { return cmp.Compare(a.Sequence, b.Sequence) })
	start := slices.IndexFunc(sorted, func(e gdprv1alpha1.AuditEventSpec) bool {
		return e.Type == gdprv1alpha1.AuditWorkloadCreated && e.Subject.WorkloadUID == uid
	})
	if start < 0 {
		return sorted
	}
	own := sorted[start:]
	if end := slices.IndexFunc(own[1:], func(e gdprv1alpha1.AuditEventSpec) bool {
		return e.Type == gdprv1alpha1.AuditWorkloadCreated && e.Subject.WorkloadUID != uid
	}); end >= 0 {
		own = own[:end+1]
	}
	return own
}

// podRun is when a revision's pods ran.
type podRun struct {
	first, last *time.Time
	running     int
}

// podRuns tells, per revision ID, when its first pod was created, when its last was deleted,
// and how many are not deleted. A PodDeleted entry belongs to the revision of the pod's
// PodCreated entry (the pod's label, recorded when it was made).
func podRuns(entries []gdprv1alpha1.AuditEventSpec) map[string]*podRun {
	runs := map[string]*podRun{}
	revisionOf := map[string]string{}
	run := func(id string) *podRun {
		if runs[id] == nil {
			runs[id] = &podRun{}
		}
		return runs[id]
	}
	for _, e := range entries {
		at := e.Time.UTC()
		switch e.Type {
		case gdprv1alpha1.AuditPodCreated:
			if e.Subject.Revision == "" {
				continue
			}
			revisionOf[e.Subject.PodUID] = e.Subject.Revision
			r := run(e.Subject.Revision)
			if r.first == nil || at.Before(*r.first) {
				r.first = &at
			}
			r.running++
		case gdprv1alpha1.AuditPodDeleted:
			id, created := revisionOf[e.Subject.PodUID]
			if !created {
				continue // created before the entries kept: its run is not known
			}
			delete(revisionOf, e.Subject.PodUID)
			r := run(id)
			if r.last == nil || at.After(*r.last) {
				r.last = &at
			}
			r.running--
		}
	}
	return runs
}

// introduction is a workload entry whose generation set the template to a content the
// generation before did not have.
type introduction struct {
	sequence int64
	entry    gdprv1alpha1.AuditEventSpec
}

// templateIntroductions lists, per template hash, the WorkloadCreated and WorkloadSpecChanged
// entries that changed the template to it (a change of replicas alone introduces nothing).
func templateIntroductions(entries []gdprv1alpha1.AuditEventSpec) map[string][]introduction {
	found := map[string][]introduction{}
	previous := ""
	for _, e := range entries {
		if e.Type != gdprv1alpha1.AuditWorkloadCreated && e.Type != gdprv1alpha1.AuditWorkloadSpecChanged {
			continue
		}
		if e.Subject.Revision != previous {
			found[e.Subject.Revision] = append(found[e.Subject.Revision], introduction{sequence: e.Sequence, entry: e})
		}
		previous = e.Subject.Revision
	}
	return found
}

// describeCause fills in why rev became the revision pods are made from, and who did it: the
// newest RevisionPinned or RevisionRestored entry of its current number says which, and the
// workload entry that introduced its template before it says who, unless the restore was
// asked for by name (its entry then names who asked).
func describeCause(row *Row, rev revision.Revision, entries []gdprv1alpha1.AuditEventSpec, introduced map[string][]introduction) {
	var made *gdprv1alpha1.AuditEventSpec
	for i := range entries {
		e := &entries[i]
		if e.Subject.Revision == rev.ID && (e.Type == gdprv1alpha1.AuditRevisionPinned || e.Type == gdprv1alpha1.AuditRevisionRestored) {
			made = e
		}
	}
	if made == nil {
		return
	}
	row.Generation = made.Subject.Generation
	introducer := func() *gdprv1alpha1.AuditEventSpec {
		var found *gdprv1alpha1.AuditEventSpec
		for _, in := range introduced[rev.TemplateHash] {
			if in.sequence < made.Sequence {
				found = &in.entry
			}
		}
		return found
	}
	switch {
	case made.Type == gdprv1alpha1.AuditRevisionRestored:
		row.Cause = string(gdprv1alpha1.AuditReasonRollback)
		row.ChangedBy = made.Actor
		if in := introducer(); made.Actor == ownActor && in != nil {
			row.ChangedBy = in.Actor
		}
	case made.Reason == string(gdprv1alpha1.AuditReasonTagMoved):
		row.Cause, row.ChangedBy = made.Reason, made.Actor
	default:
		if in := introducer(); in != nil {
			row.Cause, row.ChangedBy = in.Reason, in.Actor
		}
	}
}

// ownActor is the actor of Amber's own entries.
const ownActor = "amber"

// Render writes the history as a table ("" or "table") or as JSON ("json").
func Render(w io.Writer, h History, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(h)
	case "", "table":
		return renderTable(w, h)
	}
	return fmt.Errorf("-o %q: want table or json", format)
}

func renderTable(w io.Writer, h History) error {
	if len(h.Revisions) == 0 {
		_, err := fmt.Fprintf(w, "No revisions of GDPRWorkload %s/%s are recorded.\n", h.Namespace, h.Workload)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "REVISION\tID\tPROFILE\tFIRST POD\tLAST POD\tCAUSE\tCHANGED BY\tIMAGES\n")
	for _, r := range h.Revisions {
		number := strconv.FormatInt(r.Number, 10)
		if r.Current {
			number += " (current)"
		}
		last := "-"
		switch {
		case r.RunningPods > 0:
			last = fmt.Sprintf("running (%d)", r.RunningPods)
		case r.LastPod != nil:
			last = r.LastPod.Format(time.RFC3339)
		}
		first := "-"
		if r.FirstPod != nil {
			first = r.FirstPod.Format(time.RFC3339)
		}
		images := make([]string, 0, len(r.Images))
		for _, i := range r.Images {
			images = append(images, i.Container+"="+i.Image+"@"+i.Digest)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", number, r.ID, r.Hardening, first, last,
			dash(r.Cause), dash(shortActor(r.ChangedBy)), strings.Join(images, ", "))
	}
	return tw.Flush()
}

// shortActor shortens a pseudonym to what tells actors apart on a screen; -o json has it whole.
func shortActor(actor string) string {
	const prefix, keep = "hmac-sha256:", 12
	if strings.HasPrefix(actor, prefix) && len(actor) > len(prefix)+keep {
		return actor[:len(prefix)+keep] + "..." // ASCII: tabwriter aligns bytes
	}
	return actor
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
