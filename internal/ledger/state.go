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

package ledger

import (
	"maps"
	"strings"
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// State is what a ledger's chain says, folded from its entries: where the chain ends, how
// much of it no checkpoint covers yet, and what it records of the workload's pods, specs and
// drift. The chain, not a status field or a counter in memory, is the authority for all of
// it, so a restarted manager folds the chain again and knows what the one before knew.
//
// The zero State is that of an empty chain. A State is not safe for concurrent use.
type State struct {
	// Head and HeadHash are the sequence and hash of the newest entry folded in: the next
	// entry is sealed after them.
	Head     int64
	HeadHash string
	// Unsigned counts the entries since the last checkpoint; FirstUnsigned is the time of the
	// oldest of them, and zero when Unsigned is.
	Unsigned      int
	FirstUnsigned time.Time
	// Recorded maps the idempotency key of every entry to its sequence number.
	Recorded map[string]int64
	// OpenPods maps the UID of every pod with a PodCreated entry and no PodDeleted entry to
	// its name.
	OpenPods map[string]string
	// Baselines maps the UID of every open pod to the fingerprint of what the API server
	// admitted when it was created, where its PodCreated entry records one.
	Baselines map[string]string
	// Workloads holds, by workload UID, the newest spec recorded.
	Workloads map[string]WorkloadRecord
	// Drift tallies the chain's DriftDetected and PodReplaced entries.
	Drift DriftTally
	// Unrepaired maps the UID of every pod with a DriftDetected entry and no PodReplaced
	// entry to what the DriftDetected entry names. It outlives the pod's PodDeleted entry:
	// a crash between deleting a drifted pod and recording its repair leaves the pod here,
	// and only the chain can tell a restarted manager that the repair went unrecorded.
	Unrepaired map[string]DriftedPod
}

// DriftedPod names a pod the ledger records as drifted.
type DriftedPod struct {
	Name, Revision string
}

// DriftTally is what a ledger records of drift: the authority for a workload's drift status,
// which a lost status write or a restart cannot make miscount.
type DriftTally struct {
	// Detected counts DriftDetected entries by reason.
	Detected map[string]int64
	// Replaced counts PodReplaced entries.
	Replaced int64
	// Last is the newest DriftDetected entry, if any.
	Last *LastDrift
}

// LastDrift is the newest drift a ledger records.
type LastDrift struct {
	Pod, PodUID, Reason string
	DetectedAt          time.Time
	// RepairedAt is the time of the pod's PodReplaced entry; zero until there is one.
	RepairedAt time.Time
}

// WorkloadRecord is what a ledger last recorded of a workload's spec.
type WorkloadRecord struct {
	// Generation is the newest metadata.generation recorded.
	Generation int64
	// Fingerprint is the spec fingerprint recorded with it.
	Fingerprint string
	// Hardening is the hardening profile that generation asked for, as its entry's message
	// ends (HardeningNote); empty when the entry does not say (written before Amber recorded
	// profiles).
	Hardening gdprv1alpha1.HardeningProfile
	// Deleted is true once the workload's deletion is recorded.
	Deleted bool
}

// Clone returns a copy of t that shares nothing with it, for handing out a tally that the
// next folded entry must not change under its reader.
func (t DriftTally) Clone() DriftTally {
	clone := DriftTally{Detected: maps.Clone(t.Detected), Replaced: t.Replaced}
	if t.Last != nil {
		last := *t.Last
		clone.Last = &last
	}
	return clone
}

// Fold folds a whole chain, given in sequence order, into the State it ends in. Its maps are
// never nil, even for an empty chain.
func Fold(chain []gdprv1alpha1.AuditEvent) State {
	var s State
	s.init()
	for i := range chain {
		s.Apply(&chain[i].Spec)
	}
	return s
}

// Apply folds the next entry of the chain into s; a writer applies each entry it appends, so
// it never reads the chain twice. Entries must come in sequence order, each once. Apply
// checks nothing of the chain's integrity: that is Verify's job, and a writer folds only
// entries it sealed itself or found continuing its head.
func (s *State) Apply(spec *gdprv1alpha1.AuditEventSpec) {
	s.init()
	s.Head, s.HeadHash = spec.Sequence, spec.Hash
	s.Recorded[spec.IdempotencyKey] = spec.Sequence
	if spec.Type == gdprv1alpha1.AuditCheckpoint {
		s.Unsigned, s.FirstUnsigned = 0, time.Time{}
	} else {
		if s.Unsigned == 0 {
			s.FirstUnsigned = spec.Time.Time
		}
		s.Unsigned++
	}
	subject := spec.Subject
	switch spec.Type {
	case gdprv1alpha1.AuditPodCreated:
		s.OpenPods[subject.PodUID] = subject.Pod
		if spec.Fingerprints.After != "" {
			s.Baselines[subject.PodUID] = spec.Fingerprints.After
		}
	case gdprv1alpha1.AuditPodDeleted:
		delete(s.OpenPods, subject.PodUID)
		delete(s.Baselines, subject.PodUID)
	case gdprv1alpha1.AuditWorkloadCreated, gdprv1alpha1.AuditWorkloadSpecChanged:
		// A late entry of an older generation (say, from a replica that read a stale
		// workload) must not roll the recorded spec back: the newest generation stays.
		if subject.Generation >= s.Workloads[subject.WorkloadUID].Generation {
			s.Workloads[subject.WorkloadUID] = WorkloadRecord{Generation: subject.Generation, Fingerprint: spec.Fingerprints.After, Hardening: hardeningIn(spec.Message)}
		}
	case gdprv1alpha1.AuditDriftDetected:
		s.Drift.Detected[spec.Reason]++
		s.Drift.Last = &LastDrift{Pod: subject.Pod, PodUID: subject.PodUID, Reason: spec.Reason, DetectedAt: spec.Time.Time}
		s.Unrepaired[subject.PodUID] = DriftedPod{Name: subject.Pod, Revision: subject.Revision}
	case gdprv1alpha1.AuditPodReplaced:
		_, drifted := s.Unrepaired[subject.PodUID]
		delete(s.Unrepaired, subject.PodUID)
		// A pod retired for an incident (a closed BreakGlass, a Quarantine) that never drifted
		// was not repaired: the drift tally counts repairs of drift only.
		if !drifted && (spec.Reason == string(gdprv1alpha1.AuditReasonBreakGlassEnded) || spec.Reason == string(gdprv1alpha1.AuditReasonQuarantined)) {
			break
		}
		s.Drift.Replaced++
		// Only the last drift shows whether it was repaired; a replacement of an earlier
		// drifted pod counts, but does not mark a newer drift repaired.
		if s.Drift.Last != nil && s.Drift.Last.PodUID == subject.PodUID {
			s.Drift.Last.RepairedAt = spec.Time.Time
		}
	case gdprv1alpha1.AuditWorkloadDeleted:
		rec := s.Workloads[subject.WorkloadUID]
		rec.Deleted = true
		s.Workloads[subject.WorkloadUID] = rec
		// Its pods went with it and nothing replaces them: a workload made again under the
		// same name must not take its pods for the replacements of drifted pods of this one.
		clear(s.Unrepaired)
	}
}

// init makes the maps a zero State lacks.
func (s *State) init() {
	if s.Recorded == nil {
		s.Recorded = map[string]int64{}
	}
	if s.OpenPods == nil {
		s.OpenPods = map[string]string{}
	}
	if s.Baselines == nil {
		s.Baselines = map[string]string{}
	}
	if s.Workloads == nil {
		s.Workloads = map[string]WorkloadRecord{}
	}
	if s.Unrepaired == nil {
		s.Unrepaired = map[string]DriftedPod{}
	}
	if s.Drift.Detected == nil {
		s.Drift.Detected = map[string]int64{}
	}
}

// hardeningNotePrefix begins the sentence that names a generation's hardening profile.
const hardeningNotePrefix = "Hardening profile: "

// HardeningNote is the sentence a WorkloadCreated or WorkloadSpecChanged entry's message ends
// with: the hardening profile of the generation it records. The fold reads it back
// (WorkloadRecord.Hardening), so that the next change of the spec can tell whether the
// profile changed, and from which: the chain, not the manager's memory, holds what was
// asked for before. The entry's schema is left as it is, and so its hash.
func HardeningNote(profile gdprv1alpha1.HardeningProfile) string {
	return hardeningNotePrefix + string(profile) + "."
}

// hardeningIn reads the profile HardeningNote wrote into message; empty when there is none.
func hardeningIn(message string) gdprv1alpha1.HardeningProfile {
	i := strings.LastIndex(message, hardeningNotePrefix)
	if i < 0 {
		return ""
	}
	rest := message[i+len(hardeningNotePrefix):]
	end := strings.IndexByte(rest, '.')
	if end <= 0 {
		return ""
	}
	return gdprv1alpha1.HardeningProfile(rest[:end])
}
