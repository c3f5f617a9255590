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

package incident

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/ledger"
)

// NotificationPeriod is the time Art. 33(1) gives to notify the supervisory authority, "where
// feasible, not later than 72 hours after having become aware of" a breach.
const NotificationPeriod = 72 * time.Hour

// Input is everything a report is made from.
type Input struct {
	// GeneratedAt is when the report is made: the time left before the deadline is counted
	// from it, and a broken chain with no known time of discovery was found then.
	GeneratedAt time.Time
	// Since and Until bound the window of entries the report covers, both included.
	Since, Until time.Time
	// Scope says in words what was read ("namespace shop", "all namespaces", "file
	// events.json"), for the report's header.
	Scope string
	// Ledgers are the ledgers read, each with every entry kept (not only the window's:
	// verification needs them all) and its verification.
	Ledgers []Ledger
	// DeclarationsRead is false when the workloads could not be read (a report made from a
	// file of saved entries): then no declaration is known, rather than every workload gone.
	DeclarationsRead bool
	// Workloads are the GDPRWorkloads that exist, with what they declare.
	Workloads []Workload
}

// Ledger is one verified ledger.
type Ledger struct {
	Namespace, Name string
	// Entries are its entries, in any order.
	Entries []gdprv1alpha1.AuditEventSpec
	// Verification is what ledger.Verify found.
	Verification ledger.Report
	// BrokenSince is when Amber's own verification first found the chain broken (the
	// AuditLedger's Verified condition turning False); zero when unknown or verified.
	BrokenSince time.Time
}

// Workload is a GDPRWorkload that exists and what its record of processing declares; a nil
// Processing declares nothing. UID tells it apart from an earlier workload of the same name,
// whose entries its ledger also holds.
type Workload struct {
	Namespace, Name, UID string
	Processing           *gdprv1alpha1.Processing
}

// FromVerified groups entries by ledger beside their verification reports (ledger.VerifyAll's
// output), in the reports' order. A ledger without a report is left out: it was not verified.
func FromVerified(entries []gdprv1alpha1.AuditEvent, reports []ledger.Report) []Ledger {
	type key struct{ namespace, name string }
	byLedger := map[key][]gdprv1alpha1.AuditEventSpec{}
	for _, e := range entries {
		k := key{e.Namespace, e.Spec.Ledger}
		byLedger[k] = append(byLedger[k], e.Spec)
	}
	out := make([]Ledger, 0, len(reports))
	for _, r := range reports {
		out = append(out, Ledger{Namespace: r.Namespace, Name: r.Ledger, Entries: byLedger[key{r.Namespace, r.Ledger}], Verification: r})
	}
	return out
}

// Draft is the sentence every report carries first.
const Draft = "DRAFT for the data-protection officer, not a notification: whether a personal data breach occurred, " +
	"when the controller became aware of it, and what to notify to the supervisory authority (Art. 33) and to the " +
	"people concerned (Art. 34) are the data-protection officer's decisions."

// Report is the Art. 33 timeline. Its JSON form (`-o json`) is a stable interface: fields
// are added, never renamed or removed, and their meaning does not change.
type Report struct {
	// Draft is the Draft sentence: the report is not a notification.
	Draft string `json:"draft"`
	// GeneratedAt is when the report was made.
	GeneratedAt time.Time `json:"generatedAt"`
	// Since and Until bound the window, both included.
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Scope says what was read.
	Scope string `json:"scope"`
	// Verification says whether every chain verified and what the report relied on.
	Verification Verification `json:"verification"`
	// FirstDetection is the earliest abnormal finding in the window; nil when there is none.
	FirstDetection *Detection `json:"firstDetection"`
	// NotificationDeadline is FirstDetection's time plus NotificationPeriod; nil without a
	// detection.
	NotificationDeadline *time.Time `json:"notificationDeadline"`
	// DeadlinePassed is true when NotificationDeadline is before GeneratedAt.
	DeadlinePassed bool `json:"deadlinePassed"`
	// Detections counts the abnormal findings of the window by type, in type order.
	Detections []Count `json:"detections"`
	// Workloads are the workloads affected: each ledger with an abnormal finding or a measure
	// in the window, by namespace and name.
	Workloads []AffectedWorkload `json:"workloadsAffected"`
	// Measures are the measures taken in the window, in timeline order.
	Measures []Measure `json:"measures"`
	// Timeline is every relevant entry of the window, by time, then ledger, then sequence.
	Timeline []Event `json:"timeline"`
}

// Verification is the outcome of verifying every ledger read.
type Verification struct {
	// AllVerified is true when every chain and its signed checkpoints verify.
	AllVerified bool `json:"allVerified"`
	// Ledgers are the ledgers read, by namespace and name.
	Ledgers []LedgerVerification `json:"ledgers"`
	// CheckpointsReliedOn are the signed checkpoints that vouch for the timeline's entries
	// and for each ledger's last entry in the window, by ledger and sequence.
	CheckpointsReliedOn []Checkpoint `json:"checkpointsReliedOn"`
	// Chained is how many timeline entries no signed checkpoint covers yet: only the hash
	// chain vouches for them.
	Chained int `json:"chained"`
	// Untrusted is how many timeline entries are at or after the first bad entry of a chain
	// that does not verify.
	Untrusted int `json:"untrusted"`
}

// LedgerVerification is one ledger's verification.
type LedgerVerification struct {
	Namespace string `json:"namespace"`
	Ledger    string `json:"ledger"`
	// Verified is true when the chain and its checkpoints verify.
	Verified bool `json:"verified"`
	// Entries is how many entries verified; First and Head the oldest and newest of them.
	Entries int   `json:"entries"`
	First   int64 `json:"first"`
	Head    int64 `json:"head"`
	// Checkpoints is how many signed checkpoints verified.
	Checkpoints int `json:"checkpoints"`
	// Unsigned is how many entries at the end no checkpoint covers yet.
	Unsigned int `json:"unsigned"`
	// FirstBadSequence is the first bad entry of a chain that does not verify: the ledger's
	// timeline cannot be trusted from it on. 0 when the chain verifies.
	FirstBadSequence int64 `json:"firstBadSequence,omitempty"`
	// Problem says what is wrong with that entry.
	Problem string `json:"problem,omitempty"`
	// BrokenSince is when Amber's own verification first found the chain broken, when known.
	BrokenSince *time.Time `json:"brokenSince,omitempty"`
}

// Checkpoint is a signed checkpoint the report relied on.
type Checkpoint struct {
	Namespace string `json:"namespace"`
	Ledger    string `json:"ledger"`
	// Sequence is the Checkpoint entry's own sequence number.
	Sequence int64 `json:"sequence"`
	// Covers is the entry it signs, and with the chain every entry before it.
	Covers int64 `json:"covers"`
	// KeyID names the key it is signed with.
	KeyID string `json:"keyID"`
	// Time is when it was signed.
	Time time.Time `json:"time"`
}

// Detection is an abnormal finding.
type Detection struct {
	Time      time.Time `json:"time"`
	Namespace string    `json:"namespace"`
	Workload  string    `json:"workload"`
	// Sequence is the entry's, or for LedgerTampered the first bad entry's.
	Sequence int64 `json:"sequence"`
	// Type is the entry's type, or LedgerTampered for a chain that does not verify.
	Type   string `json:"type"`
	Reason string `json:"reason"`
	Pod    string `json:"pod,omitempty"`
	// Message is the entry's message, or what is wrong with the chain.
	Message string `json:"message"`
	// Proof is what vouches for the entry (ProofSigned, ProofChained, ProofUntrusted); for
	// LedgerTampered, ProofVerification.
	Proof Proof `json:"proof"`
}

// Count is how many findings of one type the window holds.
type Count struct {
	Type  string `json:"type"`
	Count int    `json:"count"`
}

// Declaration says what is known of a workload's record of processing.
type Declaration string

// The declarations.
const (
	// DeclarationDeclared: the workload exists and its spec.processing declares what it
	// processes.
	DeclarationDeclared Declaration = "Declared"
	// DeclarationNone: the workload exists and declares no processing.
	DeclarationNone Declaration = "NotDeclared"
	// DeclarationUnknownWorkloadGone: the workload no longer exists (its ledger outlives
	// it), so what it declared is unknown.
	DeclarationUnknownWorkloadGone Declaration = "UnknownWorkloadGone"
	// DeclarationUnknownEarlierWorkload: a workload of that name exists, but the window's
	// detections or measures concern an earlier one of the same name (deleted and created
	// again since, its ledger shared), whose declaration is unknown.
	DeclarationUnknownEarlierWorkload Declaration = "UnknownEarlierWorkload"
	// DeclarationNotRead: the workloads were not read (a report made from saved entries).
	DeclarationNotRead Declaration = "NotRead"
)

// AffectedWorkload is a workload with an abnormal finding or a measure in the window.
type AffectedWorkload struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Declaration says whether the rest was declared, not declared or is unknown.
	Declaration Declaration `json:"declaration"`
	// Purposes, DataCategories, DataSubjects and SpecialCategories are the union, sorted,
	// of what spec.processing.purposes declare.
	Purposes          []string `json:"purposes"`
	DataCategories    []string `json:"dataCategories"`
	DataSubjects      []string `json:"dataSubjects"`
	SpecialCategories []string `json:"specialCategories"`
	// Pods are the distinct pods the window's timeline names for it, sorted; PodsTouched
	// is how many.
	PodsTouched int      `json:"podsTouched"`
	Pods        []string `json:"pods"`
	// Detections and Measures count its abnormal findings and measures in the window.
	Detections int `json:"detections"`
	Measures   int `json:"measures"`
	// Verified is false when its ledger does not verify.
	Verified bool `json:"verified"`
}

// Measure is a measure taken, from its entry.
type Measure struct {
	Time      time.Time `json:"time"`
	Namespace string    `json:"namespace"`
	Workload  string    `json:"workload"`
	Sequence  int64     `json:"sequence"`
	Type      string    `json:"type"`
	Reason    string    `json:"reason"`
	Pod       string    `json:"pod,omitempty"`
	// What says what the measure did, in words.
	What string `json:"what"`
	// Proof and Checkpoint are as on the timeline's Event.
	Proof      Proof `json:"proof"`
	Checkpoint int64 `json:"checkpoint,omitempty"`
}

// Proof says what vouches for an entry.
type Proof string

// The proofs.
const (
	// ProofSigned: a signed checkpoint covers the entry (Event.Checkpoint names it).
	ProofSigned Proof = "Signed"
	// ProofChained: the hash chain verifies up to the entry, but no checkpoint signs it yet.
	ProofChained Proof = "Chained"
	// ProofUntrusted: the entry is at or after the first bad entry of a chain that does not
	// verify; it may have been forged, altered or moved.
	ProofUntrusted Proof = "Untrusted"
	// ProofVerification: the finding is verification's own (LedgerTampered).
	ProofVerification Proof = "Verification"
)

// Event is one timeline entry.
type Event struct {
	Time      time.Time `json:"time"`
	Namespace string    `json:"namespace"`
	Workload  string    `json:"workload"`
	Sequence  int64     `json:"sequence"`
	Type      string    `json:"type"`
	Reason    string    `json:"reason"`
	Pod       string    `json:"pod,omitempty"`
	// Actor is who acted, as the ledger holds it: pseudonymised ("hmac-sha256:…") unless the
	// manager was told otherwise.
	Actor string `json:"actor,omitempty"`
	// Request is what was asked, on admission and break-glass entries: the operation, the
	// subresource and an exec's first word (never the command line, of which the ledger
	// holds only an HMAC).
	Request string `json:"request,omitempty"`
	Message string `json:"message"`
	// Recovered is true for an entry Amber wrote from what it found after the fact.
	Recovered bool `json:"recovered,omitempty"`
	// Abnormal and Measure say what the entry counts as; an entry can be both
	// (AdmissionConfigTampered) or neither (context).
	Abnormal bool `json:"abnormal"`
	Measure  bool `json:"measure"`
	// Proof says what vouches for it; Checkpoint is the sequence of the checkpoint that
	// signs it, when Signed.
	Proof      Proof `json:"proof"`
	Checkpoint int64 `json:"checkpoint,omitempty"`
}

// LedgerTampered is the type of the detection a chain that does not verify makes (the
// AuditLedger's event reason for the same finding).
const LedgerTampered = gdprv1alpha1.EventLedgerTampered

// classify says whether an entry is abnormal, a measure, or context, and false when it is
// not relevant to the timeline.
func classify(e *gdprv1alpha1.AuditEventSpec) (abnormal, measure, relevant bool) {
	reason := gdprv1alpha1.AuditReason(e.Reason)
	switch e.Type {
	case gdprv1alpha1.AuditDriftDetected, gdprv1alpha1.AuditAccessDenied, gdprv1alpha1.AuditAdmissionWouldDeny, gdprv1alpha1.AuditBreakGlassUsed:
		return true, false, true
	case gdprv1alpha1.AuditAdmissionConfigTampered:
		return true, true, true
	case gdprv1alpha1.AuditPodReplaced, gdprv1alpha1.AuditPodQuarantined, gdprv1alpha1.AuditBreakGlassEnded:
		return false, true, true
	case gdprv1alpha1.AuditPodDeleted:
		switch reason {
		case gdprv1alpha1.AuditReasonQuarantineEnded:
			return false, true, true
		case gdprv1alpha1.AuditReasonDrifted:
			return false, false, true
		}
	case gdprv1alpha1.AuditRevisionRestored:
		return false, reason == gdprv1alpha1.AuditReasonRollback, true
	case gdprv1alpha1.AuditRevisionPinned:
		return false, false, reason == gdprv1alpha1.AuditReasonTagMoved
	case gdprv1alpha1.AuditBreakGlassGranted, gdprv1alpha1.AuditWorkloadSpecChanged, gdprv1alpha1.AuditWorkloadDeleted:
		return false, false, true
	}
	return false, false, false
}

// measureText says what a measure did.
func measureText(e *gdprv1alpha1.AuditEventSpec) string {
	reason := gdprv1alpha1.AuditReason(e.Reason)
	switch e.Type {
	case gdprv1alpha1.AuditPodReplaced:
		switch reason {
		case gdprv1alpha1.AuditReasonDrifted:
			return "Drifted pod replaced by a fresh pod of its revision"
		case gdprv1alpha1.AuditReasonBreakGlassEnded:
			return "Pod touched under a break-glass replaced by a fresh pod of its revision"
		case gdprv1alpha1.AuditReasonQuarantined:
			return "Fresh pod made to take the quarantined pod's place"
		}
		return "Pod replaced by a fresh pod of its revision"
	case gdprv1alpha1.AuditPodQuarantined:
		switch reason {
		case gdprv1alpha1.AuditReasonRequested:
			return "Quarantine of the pod requested"
		case gdprv1alpha1.AuditReasonIsolated:
			return "Pod taken out of service and kept for examination"
		}
		return "Quarantine step on the pod"
	case gdprv1alpha1.AuditPodDeleted:
		return "Quarantined pod deleted"
	case gdprv1alpha1.AuditRevisionRestored:
		return "Workload rolled back to an earlier revision with its recorded digests"
	case gdprv1alpha1.AuditBreakGlassEnded:
		switch reason {
		case gdprv1alpha1.AuditReasonExpired:
			return "Break-glass window closed: it expired"
		case gdprv1alpha1.AuditReasonBreakGlassDeleted:
			return "Break-glass window closed: the BreakGlass was deleted"
		}
		return "Break-glass window closed"
	case gdprv1alpha1.AuditAdmissionConfigTampered:
		return "Admission configuration put back by Amber"
	}
	return string(e.Type)
}

// requestText is what an admission or break-glass entry says was asked.
func requestText(r *gdprv1alpha1.AuditRequest) string {
	if r == nil {
		return ""
	}
	s := r.Operation
	if r.Subresource != "" {
		s += " pods/" + r.Subresource
	}
	if r.Command != "" {
		s += " " + r.Command
	}
	return s
}

// proofs says what vouches for each sequence of one ledger.
type proofs struct {
	firstBad    int64
	checkpoints []Checkpoint // verified checkpoints, by Covers
}

func newProofs(l *Ledger) proofs {
	p := proofs{}
	if l.Verification.Problem != nil {
		p.firstBad = l.Verification.Problem.Sequence
	}
	for i := range l.Entries {
		e := &l.Entries[i]
		if e.Type != gdprv1alpha1.AuditCheckpoint || e.Checkpoint == nil || (p.firstBad > 0 && e.Sequence >= p.firstBad) {
			continue
		}
		p.checkpoints = append(p.checkpoints, Checkpoint{Namespace: l.Namespace, Ledger: l.Name, Sequence: e.Sequence,
			Covers: e.Checkpoint.Sequence, KeyID: e.Checkpoint.KeyID, Time: e.Time.UTC()})
	}
	slices.SortFunc(p.checkpoints, func(a, b Checkpoint) int { return cmp.Compare(a.Covers, b.Covers) })
	return p
}

// of returns what vouches for entry seq, and the checkpoint that signs it.
func (p proofs) of(seq int64) (Proof, *Checkpoint) {
	if p.firstBad > 0 && seq >= p.firstBad {
		return ProofUntrusted, nil
	}
	i, _ := slices.BinarySearchFunc(p.checkpoints, seq, func(c Checkpoint, s int64) int { return cmp.Compare(c.Covers, s) })
	if i < len(p.checkpoints) {
		return ProofSigned, &p.checkpoints[i]
	}
	return ProofChained, nil
}

// Build makes the report.
func Build(in Input) Report {
	r := Report{
		Draft: Draft, GeneratedAt: in.GeneratedAt.UTC(), Since: in.Since.UTC(), Until: in.Until.UTC(), Scope: in.Scope,
		Verification: Verification{AllVerified: true, Ledgers: []LedgerVerification{}, CheckpointsReliedOn: []Checkpoint{}},
		Detections:   []Count{}, Workloads: []AffectedWorkload{}, Measures: []Measure{}, Timeline: []Event{},
	}
	inWindow := func(t time.Time) bool { return !t.Before(in.Since) && !t.After(in.Until) }

	ledgers := slices.Clone(in.Ledgers)
	slices.SortFunc(ledgers, func(a, b Ledger) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	type ledgerKey struct{ namespace, name string }
	type checkpointKey struct {
		namespace, name string
		sequence        int64
	}
	relied := map[checkpointKey]Checkpoint{}
	for i := range ledgers {
		l := &ledgers[i]
		v := l.Verification
		lv := LedgerVerification{Namespace: l.Namespace, Ledger: l.Name, Verified: v.Problem == nil, Entries: v.Entries,
			First: v.First, Head: v.Head, Checkpoints: v.Checkpoints, Unsigned: v.Unsigned}
		if v.Problem != nil {
			r.Verification.AllVerified = false
			lv.FirstBadSequence, lv.Problem = v.Problem.Sequence, v.Problem.What
			found := in.GeneratedAt.UTC()
			if !l.BrokenSince.IsZero() {
				found = l.BrokenSince.UTC()
				lv.BrokenSince = &found
			}
			if inWindow(found) {
				r.Timeline = append(r.Timeline, Event{Time: found, Namespace: l.Namespace, Workload: l.Name, Sequence: v.Problem.Sequence,
					Type: LedgerTampered, Reason: gdprv1alpha1.ReasonChainBroken, Message: problemText(v.Problem),
					Abnormal: true, Proof: ProofVerification})
			}
		}
		r.Verification.Ledgers = append(r.Verification.Ledgers, lv)

		p := newProofs(l)
		var last *gdprv1alpha1.AuditEventSpec // the ledger's last entry in the window, not a checkpoint
		for j := range l.Entries {
			e := &l.Entries[j]
			if !inWindow(e.Time.Time) {
				continue
			}
			if e.Type != gdprv1alpha1.AuditCheckpoint && (last == nil || e.Sequence > last.Sequence) {
				last = e
			}
			abnormal, measure, relevant := classify(e)
			if !relevant {
				continue
			}
			proof, cp := p.of(e.Sequence)
			ev := Event{Time: e.Time.UTC(), Namespace: l.Namespace, Workload: l.Name, Sequence: e.Sequence, Type: string(e.Type),
				Reason: e.Reason, Pod: e.Subject.Pod, Actor: e.Actor, Request: requestText(e.Request), Message: e.Message,
				Recovered: e.Recovered, Abnormal: abnormal, Measure: measure, Proof: proof}
			switch proof {
			case ProofSigned:
				ev.Checkpoint = cp.Sequence
				relied[checkpointKey{cp.Namespace, cp.Ledger, cp.Sequence}] = *cp
			case ProofChained:
				r.Verification.Chained++
			case ProofUntrusted:
				r.Verification.Untrusted++
			}
			r.Timeline = append(r.Timeline, ev)
		}
		if last != nil {
			if proof, cp := p.of(last.Sequence); proof == ProofSigned {
				relied[checkpointKey{cp.Namespace, cp.Ledger, cp.Sequence}] = *cp
			}
		}
	}
	slices.SortStableFunc(r.Timeline, func(a, b Event) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Workload, b.Workload), cmp.Compare(a.Sequence, b.Sequence))
	})
	for _, c := range relied {
		r.Verification.CheckpointsReliedOn = append(r.Verification.CheckpointsReliedOn, c)
	}
	slices.SortFunc(r.Verification.CheckpointsReliedOn, func(a, b Checkpoint) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Ledger, b.Ledger), cmp.Compare(a.Sequence, b.Sequence))
	})

	// Detections, measures and the workloads they concern, in timeline order.
	affected := map[ledgerKey]*AffectedWorkload{}
	var order []ledgerKey
	touch := func(namespace, name string) *AffectedWorkload {
		k := ledgerKey{namespace, name}
		if w, ok := affected[k]; ok {
			return w
		}
		w := &AffectedWorkload{Namespace: namespace, Name: name, Verified: true}
		affected[k] = w
		order = append(order, k)
		return w
	}
	counts := map[string]int{}
	var detections []Detection
	pods := map[ledgerKey]map[string]bool{}
	for _, ev := range r.Timeline {
		k := ledgerKey{ev.Namespace, ev.Workload}
		if ev.Abnormal {
			detections = append(detections, Detection{Time: ev.Time, Namespace: ev.Namespace, Workload: ev.Workload, Sequence: ev.Sequence,
				Type: ev.Type, Reason: ev.Reason, Pod: ev.Pod, Message: ev.Message, Proof: ev.Proof})
			touch(ev.Namespace, ev.Workload).Detections++
			counts[ev.Type]++
		}
		if ev.Measure {
			e := Measure{Time: ev.Time, Namespace: ev.Namespace, Workload: ev.Workload, Sequence: ev.Sequence, Type: ev.Type,
				Reason: ev.Reason, Pod: ev.Pod, What: measureText(&gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditEventType(ev.Type), Reason: ev.Reason}), Proof: ev.Proof, Checkpoint: ev.Checkpoint}
			r.Measures = append(r.Measures, e)
			touch(ev.Namespace, ev.Workload).Measures++
		}
		if ev.Pod != "" {
			if pods[k] == nil {
				pods[k] = map[string]bool{}
			}
			pods[k][ev.Pod] = true
		}
	}
	if len(detections) > 0 {
		first := detections[0]
		deadline := first.Time.Add(NotificationPeriod)
		r.FirstDetection, r.NotificationDeadline = &first, &deadline
		r.DeadlinePassed = deadline.Before(r.GeneratedAt)
	}
	for _, t := range slices.Sorted(maps.Keys(counts)) {
		r.Detections = append(r.Detections, Count{Type: t, Count: counts[t]})
	}

	existing := map[ledgerKey]*Workload{}
	for i := range in.Workloads {
		w := &in.Workloads[i]
		existing[ledgerKey{w.Namespace, w.Name}] = w
	}
	// created is the sequence of the WorkloadCreated entry of each existing workload's own
	// UID; entries before it belong to an earlier workload of that name.
	created := map[ledgerKey]int64{}
	for i := range ledgers {
		l := &ledgers[i]
		k := ledgerKey{l.Namespace, l.Name}
		if l.Verification.Problem != nil && affected[k] != nil {
			affected[k].Verified = false
		}
		w := existing[k]
		if w == nil || w.UID == "" {
			continue
		}
		for _, e := range l.Entries {
			if e.Type == gdprv1alpha1.AuditWorkloadCreated && e.Subject.WorkloadUID == w.UID {
				created[k] = e.Sequence
			}
		}
	}
	earlier := map[ledgerKey]bool{}
	for _, ev := range r.Timeline {
		k := ledgerKey{ev.Namespace, ev.Workload}
		if (ev.Abnormal || ev.Measure) && ev.Proof != ProofVerification && ev.Sequence < created[k] {
			earlier[k] = true
		}
	}
	slices.SortFunc(order, func(a, b ledgerKey) int {
		return cmp.Or(cmp.Compare(a.namespace, b.namespace), cmp.Compare(a.name, b.name))
	})
	for _, k := range order {
		w := affected[k]
		w.Pods = slices.Sorted(maps.Keys(pods[k]))
		w.PodsTouched = len(w.Pods)
		switch {
		case !in.DeclarationsRead:
			w.Declaration = DeclarationNotRead
		case existing[k] == nil:
			w.Declaration = DeclarationUnknownWorkloadGone
		case earlier[k]:
			w.Declaration = DeclarationUnknownEarlierWorkload
		case existing[k].Processing == nil:
			w.Declaration = DeclarationNone
		default:
			w.Declaration = DeclarationDeclared
			fillDeclaration(w, existing[k].Processing)
		}
		for _, list := range []*[]string{&w.Pods, &w.Purposes, &w.DataCategories, &w.DataSubjects, &w.SpecialCategories} {
			if *list == nil {
				*list = []string{}
			}
		}
		r.Workloads = append(r.Workloads, *w)
	}
	return r
}

// problemText says what is wrong with a chain as `kubectl amber verify` says it.
func problemText(p *ledger.Problem) string {
	return fmt.Sprintf("FAILED at entry %d: %s", p.Sequence, p.What)
}

// fillDeclaration copies the union of what the purposes declare.
func fillDeclaration(w *AffectedWorkload, p *gdprv1alpha1.Processing) {
	purposes, categories, subjects, special := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, pu := range p.Purposes {
		purposes[pu.Name] = true
		for _, c := range pu.DataCategories {
			categories[c] = true
		}
		for _, s := range pu.DataSubjects {
			subjects[s] = true
		}
		for _, s := range pu.SpecialCategories {
			special[string(s)] = true
		}
	}
	w.Purposes = slices.Sorted(maps.Keys(purposes))
	w.DataCategories = slices.Sorted(maps.Keys(categories))
	w.DataSubjects = slices.Sorted(maps.Keys(subjects))
	w.SpecialCategories = slices.Sorted(maps.Keys(special))
}
