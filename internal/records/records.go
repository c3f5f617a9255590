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

package records

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/hardening"
	"github.com/amber-gdpr/amber/internal/residency"
)

// Input is what the command gathered from the cluster.
type Input struct {
	// Now is when the record is made; the evidence window ends then.
	Now time.Time
	// Window is how far back the evidence window reaches (--since).
	Window time.Duration
	// Taxonomy is what keys are checked against; Fideslang unless a test says otherwise.
	Taxonomy Taxonomy
	// Workloads are every workload the caller can see, in any order.
	Workloads []Workload
}

// Workload is one GDPRWorkload with the evidence about it.
type Workload struct {
	Namespace, Name string
	// UID tells this workload's entries from those of an earlier workload of the same name,
	// whose ledger it took over.
	UID string
	// Spec and Status are the workload's, as read.
	Spec   gdprv1alpha1.GDPRWorkloadSpec
	Status gdprv1alpha1.GDPRWorkloadStatus
	// Pods are the workload's pods now, with the hardening violations of each pod's spec.
	Pods []Pod
	// Entries are the ledger entries of the workload's ledger that the record reads
	// (WorkloadCreated, PodScheduled, PodDeleted and DriftDetected), of any age: a pod
	// scheduled before the window that still runs ran during it.
	Entries []gdprv1alpha1.AuditEventSpec
	// Ledger is the status of the workload's AuditLedger; nil when there is none.
	Ledger *gdprv1alpha1.AuditLedgerStatus
}

// Pod is one of a workload's pods.
type Pod struct {
	Name string
	UID  string
	// Node is the node it is bound to ("" while unscheduled).
	Node  string
	Phase corev1.PodPhase
	// Terminating is true once the pod has a deletion timestamp.
	Terminating bool
	// Violations say where the pod's spec falls short of the workload's hardening profile
	// ("containers[app].securityContext.readOnlyRootFilesystem is not true"); empty when
	// it complies.
	Violations []string
}

// running tells whether p is a running pod for the record: scheduled or waiting to be, not
// finished and not being deleted.
func (p Pod) running() bool {
	return !p.Terminating && p.Phase != corev1.PodSucceeded && p.Phase != corev1.PodFailed
}

// Record is the record of processing activities.
type Record struct {
	// GeneratedAt is when it was made; WindowStart is where the evidence window begins.
	GeneratedAt time.Time `json:"generatedAt"`
	WindowStart time.Time `json:"windowStart"`
	// Window is the window's length, as --since gave it.
	Window string `json:"window"`
	// Taxonomy names the taxonomy keys were checked against.
	Taxonomy string `json:"taxonomy"`
	// Systems are the workloads, by namespace and name.
	Systems []System `json:"workloads"`
}

// System is one workload's entry: what it declares, what Amber proves, and where the two
// disagree. It maps onto a fideslang system.
type System struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Processing is what the workload's spec.processing declares for the workload as a
	// whole; nil when it declares no processing. Its purposes are in Purposes.
	Processing *Declaration `json:"processing"`
	// Purposes are its purposes, by name, each with the findings about its own keys.
	Purposes []PurposeRecord `json:"purposes"`
	// Measures are what Amber enforces and can prove.
	Measures Measures `json:"measures"`
	// Findings are about the workload as a whole, in the order of the checks.
	Findings []Finding `json:"findings"`
}

// Declaration is the part of spec.processing about the workload as a whole, as the API
// spells it.
type Declaration struct {
	Role                  gdprv1alpha1.ProcessingRole         `json:"role"`
	Controller            gdprv1alpha1.Party                  `json:"controller"`
	Representative        *gdprv1alpha1.Party                 `json:"representative,omitempty"`
	DataProtectionOfficer *gdprv1alpha1.Party                 `json:"dataProtectionOfficer,omitempty"`
	ThirdCountryTransfers []gdprv1alpha1.ThirdCountryTransfer `json:"thirdCountryTransfers,omitempty"`
	LastReviewed          *gdprv1alpha1.Review                `json:"lastReviewed,omitempty"`
}

func declaration(p *gdprv1alpha1.Processing) *Declaration {
	if p == nil {
		return nil
	}
	p = p.DeepCopy()
	return &Declaration{Role: p.Role, Controller: p.Controller, Representative: p.Representative, DataProtectionOfficer: p.DataProtectionOfficer,
		ThirdCountryTransfers: p.ThirdCountryTransfers, LastReviewed: p.LastReviewed}
}

// PurposeRecord is one purpose of a workload and the findings about its keys.
type PurposeRecord struct {
	gdprv1alpha1.Purpose `json:",inline"`
	Findings             []Finding `json:"findings"`
}

// Measures are the technical and organisational measures Amber enforces on a workload and
// the evidence for them.
type Measures struct {
	// PinnedImages are the images of the current revision and the digests they are pinned to.
	PinnedImages []PinnedImage `json:"pinnedImages"`
	Hardening    Hardening     `json:"hardening"`
	Residency    Residency     `json:"residency"`
	Drift        Drift         `json:"drift"`
	Ledger       Ledger        `json:"ledger"`
}

// PinnedImage is an image and the reference pods run.
type PinnedImage struct {
	Container string `json:"container"`
	Pinned    string `json:"pinned"`
	Digest    string `json:"digest"`
}

// Hardening is the workload's profile and how many running pods comply with it.
type Hardening struct {
	Profile       gdprv1alpha1.HardeningProfile `json:"profile"`
	RunningPods   int                           `json:"runningPods"`
	CompliantPods int                           `json:"compliantPods"`
}

// Residency is where the workload's pods may run and where they ran during the window.
type Residency struct {
	AllowedRegions []string `json:"allowedRegions"`
	AllowedZones   []string `json:"allowedZones"`
	// RegionsUsed and ZonesUsed are those of every placement recorded in the ledger
	// (PodScheduled entries) of a pod that ran during the window, sorted; a node without
	// the label shows as "".
	RegionsUsed []string `json:"regionsUsed"`
	ZonesUsed   []string `json:"zonesUsed"`
	// Nodes is how many distinct nodes those placements name.
	Nodes int `json:"nodes"`
}

// Drift is the workload's drift policy and the drift the ledger recorded in the window.
type Drift struct {
	Policy gdprv1alpha1.DriftAction `json:"policy"`
	// Detected counts DriftDetected entries in the window, by reason.
	Detected []DriftCount `json:"detected"`
}

// DriftCount is how many drifts of one reason were found.
type DriftCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// Total is the number of drifts found in the window.
func (d Drift) Total() int {
	n := 0
	for _, c := range d.Detected {
		n += c.Count
	}
	return n
}

// Ledger is the state of the workload's audit ledger.
type Ledger struct {
	// Found is false when the workload has no AuditLedger.
	Found bool `json:"found"`
	// Head is the newest entry's sequence number and hash.
	Head     int64  `json:"head"`
	HeadHash string `json:"headHash"`
	// LastCheckpoint is the newest signed checkpoint, if any.
	LastCheckpoint *Checkpoint `json:"lastCheckpoint"`
	// Verified is the status of the ledger's Verified condition ("True", "False", or
	// "Unknown" when it has none yet), and VerifiedMessage its message.
	Verified        metav1.ConditionStatus `json:"verified"`
	VerifiedMessage string                 `json:"verifiedMessage"`
}

// Checkpoint is a signed checkpoint of a ledger.
type Checkpoint struct {
	// Entry is the sequence number of the Checkpoint entry; Covers the entry it signs.
	Entry  int64     `json:"entry"`
	Covers int64     `json:"covers"`
	Time   time.Time `json:"time"`
}

// FindingKind names what a finding is about.
type FindingKind string

// The findings, in the order Build checks them. Kinds whose Note() is true point out
// something a person should look at but that does not contradict the declaration: they do
// not fail --strict.
const (
	// FindingNoProcessing: the workload declares no spec.processing at all, so it has no
	// entry in the record although it runs under Amber, which exists for workloads that
	// process personal data.
	FindingNoProcessing FindingKind = "NoProcessing"
	// FindingImagesNotPinned: the status lists no pinned images, so Amber cannot show what
	// the pods run (the workload was never reconciled, or pinning failed).
	FindingImagesNotPinned FindingKind = "ImagesNotPinned"
	// FindingHardeningViolated: a running pod does not comply with the workload's
	// hardening profile.
	FindingHardeningViolated FindingKind = "HardeningViolated"
	// FindingOutsideResidency: the ledger shows a pod placed on a node outside the allowed
	// regions or zones during the window, or found there (OutOfRegion drift).
	FindingOutsideResidency FindingKind = "OutsideResidency"
	// FindingPlacementUnrecorded: a running pod is bound to a node but its ledger has no
	// PodScheduled entry for it, so where it runs is not part of the evidence (the entry
	// may be moments away for a pod bound just now).
	FindingPlacementUnrecorded FindingKind = "PlacementUnrecorded"
	// FindingLedgerUnverified: the workload's ledger is missing, or its Verified condition
	// is not True, so its history cannot be relied on.
	FindingLedgerUnverified FindingKind = "LedgerUnverified"
	// FindingReviewOverdue: the record was last reviewed more than a year before the report.
	// Art. 30 asks for a record kept up to date; a year is the longest interval regulators'
	// guidance (the ICO's, the Irish DPC's) lets pass without a review.
	FindingReviewOverdue FindingKind = "ReviewOverdue"
	// FindingUnknownKey: a purpose, data category or data subject is neither a fideslang
	// key nor a custom key under one.
	FindingUnknownKey FindingKind = "UnknownKey"

	// FindingCustomKey (a note): a custom key under a fideslang key, which fideslang allows.
	FindingCustomKey FindingKind = "CustomKey"
	// FindingDeprecatedKey (a note): a fideslang key that a later fideslang deprecated.
	FindingDeprecatedKey FindingKind = "DeprecatedKey"
	// FindingNeverReviewed (a note): the record does not say when it was last reviewed.
	FindingNeverReviewed FindingKind = "NeverReviewed"
)

// Note tells whether findings of kind k are notes, which do not fail --strict.
func (k FindingKind) Note() bool {
	return k == FindingCustomKey || k == FindingDeprecatedKey || k == FindingNeverReviewed
}

// Finding is one place where the evidence contradicts or does not support the declaration.
type Finding struct {
	Kind    FindingKind `json:"kind"`
	Message string      `json:"message"`
	// Note is true for findings that do not fail --strict.
	Note bool `json:"note,omitempty"`
}

func finding(kind FindingKind, format string, args ...any) Finding {
	return Finding{Kind: kind, Message: fmt.Sprintf(format, args...), Note: kind.Note()}
}

// Build makes the record from what the command gathered.
func Build(in Input) Record {
	start := in.Now.Add(-in.Window)
	r := Record{
		GeneratedAt: in.Now.UTC(),
		WindowStart: start.UTC(),
		Window:      FormatWindow(in.Window),
		Taxonomy:    in.Taxonomy.Version,
		Systems:     make([]System, 0, len(in.Workloads)),
	}
	for _, w := range in.Workloads {
		r.Systems = append(r.Systems, buildSystem(in, w, start))
	}
	slices.SortFunc(r.Systems, func(a, b System) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return r
}

func buildSystem(in Input, w Workload, start time.Time) System {
	w.Entries = ownEntries(w)
	s := System{Namespace: w.Namespace, Name: w.Name, Processing: declaration(w.Spec.Processing), Purposes: []PurposeRecord{}, Findings: []Finding{}}
	placements := placementsInWindow(w.Entries, start, in.Now)
	s.Measures = Measures{
		PinnedImages: pinnedImages(w.Status.PinnedImages),
		Hardening:    hardeningOf(w),
		Residency:    residencyUsed(w.Spec.Residency, placements),
		Drift:        driftInWindow(w, start, in.Now),
		Ledger:       ledger(w.Ledger),
	}

	if w.Spec.Processing == nil {
		s.Findings = append(s.Findings, finding(FindingNoProcessing,
			"declares no processing (spec.processing is empty): a workload under Amber processes personal data, and this one has no entry in the record"))
	}
	if len(s.Measures.PinnedImages) == 0 {
		s.Findings = append(s.Findings, finding(FindingImagesNotPinned,
			"no image is pinned to a digest in status.pinnedImages: what the pods run cannot be shown"))
	}
	s.Findings = append(s.Findings, hardeningFindings(w)...)
	s.Findings = append(s.Findings, residencyFindings(w, placements, start, in.Now)...)
	s.Findings = append(s.Findings, ledgerFindings(s.Measures.Ledger)...)
	if p := w.Spec.Processing; p != nil {
		s.Findings = append(s.Findings, reviewFindings(p.LastReviewed, in.Now)...)
		for _, purpose := range p.Purposes {
			s.Purposes = append(s.Purposes, PurposeRecord{Purpose: purpose, Findings: keyFindings(in.Taxonomy, purpose)})
		}
		slices.SortFunc(s.Purposes, func(a, b PurposeRecord) int { return cmp.Compare(a.Name, b.Name) })
	}
	return s
}

// ownEntries are the entries about w itself: a ledger has its workload's name and outlives
// it, so a workload that reuses a name continues the ledger of the one before; its own
// entries start at the WorkloadCreated entry that names its UID. When retention removed
// that entry, every entry kept is taken as its own.
func ownEntries(w Workload) []gdprv1alpha1.AuditEventSpec {
	first := int64(0)
	for _, e := range w.Entries {
		if e.Type == gdprv1alpha1.AuditWorkloadCreated && w.UID != "" && e.Subject.WorkloadUID == w.UID && e.Sequence > first {
			first = e.Sequence
		}
	}
	var out []gdprv1alpha1.AuditEventSpec
	for _, e := range w.Entries {
		if e.Sequence >= first {
			out = append(out, e)
		}
	}
	return out
}

func pinnedImages(pins []gdprv1alpha1.PinnedImage) []PinnedImage {
	out := make([]PinnedImage, 0, len(pins))
	for _, p := range pins {
		out = append(out, PinnedImage{Container: p.Container, Pinned: p.Pinned, Digest: p.Digest})
	}
	slices.SortFunc(out, func(a, b PinnedImage) int { return cmp.Compare(a.Container, b.Container) })
	return out
}

func hardeningOf(w Workload) Hardening {
	h := Hardening{Profile: hardening.Effective(w.Spec.Hardening.Profile)}
	for _, p := range w.Pods {
		if !p.running() {
			continue
		}
		h.RunningPods++
		if len(p.Violations) == 0 {
			h.CompliantPods++
		}
	}
	return h
}

func hardeningFindings(w Workload) []Finding {
	var out []Finding
	for _, p := range sortedPods(w.Pods) {
		if p.running() && len(p.Violations) > 0 {
			out = append(out, finding(FindingHardeningViolated, "pod %s does not comply with the %s hardening profile: %s",
				p.Name, hardening.Effective(w.Spec.Hardening.Profile), strings.Join(p.Violations, "; ")))
		}
	}
	return out
}

func sortedPods(pods []Pod) []Pod {
	out := slices.Clone(pods)
	slices.SortFunc(out, func(a, b Pod) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// placement is where one pod ran, from its PodScheduled entry until its PodDeleted entry
// (or until now, when the ledger records no end).
type placement struct {
	pod, podUID string
	at, until   time.Time
	where       gdprv1alpha1.AuditPlacement
}

// placementsInWindow returns the placements of pods that ran during [start, now], in the
// order they were recorded. A pod placed before the window that was still running when it
// began counts: the window asks where data was processed, not where pods were scheduled.
func placementsInWindow(entries []gdprv1alpha1.AuditEventSpec, start, now time.Time) []placement {
	entries = slices.Clone(entries)
	slices.SortStableFunc(entries, func(a, b gdprv1alpha1.AuditEventSpec) int { return cmp.Compare(a.Sequence, b.Sequence) })
	var all []placement
	for _, e := range entries {
		switch {
		case e.Type == gdprv1alpha1.AuditPodScheduled && e.Placement != nil:
			all = append(all, placement{pod: e.Subject.Pod, podUID: e.Subject.PodUID, at: e.Time.Time, until: now, where: *e.Placement})
		case e.Type == gdprv1alpha1.AuditPodDeleted:
			for i := range all {
				p := &all[i]
				if p.until.Equal(now) && samePod(p.pod, p.podUID, e.Subject) && !e.Time.Time.Before(p.at) {
					p.until = e.Time.Time
				}
			}
		}
	}
	var out []placement
	for _, p := range all {
		if !p.at.After(now) && !p.until.Before(start) {
			out = append(out, p)
		}
	}
	return out
}

// samePod tells whether an entry's subject is the pod named; by UID when both have one,
// since a name can come back on a new pod.
func samePod(name, uid string, s gdprv1alpha1.AuditSubject) bool {
	if uid != "" && s.PodUID != "" {
		return uid == s.PodUID
	}
	return name != "" && name == s.Pod
}

func residencyUsed(r gdprv1alpha1.Residency, placements []placement) Residency {
	regions, zones, nodes := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, p := range placements {
		regions[p.where.Region] = true
		zones[p.where.Zone] = true
		nodes[p.where.Node] = true
	}
	return Residency{
		AllowedRegions: sortedStrings(r.AllowedRegions),
		AllowedZones:   sortedStrings(r.AllowedZones),
		RegionsUsed:    sortedKeys(regions),
		ZonesUsed:      sortedKeys(zones),
		Nodes:          len(nodes),
	}
}

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	if out == nil {
		out = []string{}
	}
	slices.Sort(out)
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func residencyFindings(w Workload, placements []placement, start, now time.Time) []Finding {
	var out []Finding
	r := w.Spec.Residency
	if residency.Restricted(r) {
		// The placement's region and zone were read with the manager's label keys; checking
		// them under the default keys applies the same rule to the same values.
		for _, p := range placements {
			labels := map[string]string{residency.DefaultKeys.Region: p.where.Region, residency.DefaultKeys.Zone: p.where.Zone}
			if !residency.Allows(labels, residency.DefaultKeys, r) {
				out = append(out, finding(FindingOutsideResidency, "pod %s was placed on node %s in %s at %s, outside the allowed %s",
					p.pod, p.where.Node, where(p.where), formatTime(p.at), allowed(r)))
			}
		}
	}
	for _, e := range entriesInWindow(w.Entries, gdprv1alpha1.AuditDriftDetected, start, now) {
		if e.Reason == string(gdprv1alpha1.DriftOutOfRegion) {
			out = append(out, finding(FindingOutsideResidency, "pod %s was found on a node outside the allowed %s at %s (OutOfRegion drift, entry %d)",
				e.Subject.Pod, allowed(r), formatTime(e.Time.Time), e.Sequence))
		}
	}
	for _, p := range sortedPods(w.Pods) {
		if !p.running() || p.Node == "" || recordedPlacement(w.Entries, p) {
			continue
		}
		out = append(out, finding(FindingPlacementUnrecorded, "pod %s runs on node %s but the ledger has no PodScheduled entry for it: where it runs is not recorded",
			p.Name, p.Node))
	}
	return out
}

func recordedPlacement(entries []gdprv1alpha1.AuditEventSpec, p Pod) bool {
	return slices.ContainsFunc(entries, func(e gdprv1alpha1.AuditEventSpec) bool {
		return e.Type == gdprv1alpha1.AuditPodScheduled && e.Placement != nil && samePod(p.Name, p.UID, e.Subject)
	})
}

// where names a placement's region and zone as a person reads them.
func where(p gdprv1alpha1.AuditPlacement) string {
	region := "region " + p.Region
	if p.Region == "" {
		region = "no region (the node had no region label)"
	}
	if p.Zone != "" {
		region += ", zone " + p.Zone
	}
	return region
}

func allowed(r gdprv1alpha1.Residency) string {
	var parts []string
	if len(r.AllowedRegions) > 0 {
		parts = append(parts, "regions "+strings.Join(sortedStrings(r.AllowedRegions), ", "))
	}
	if len(r.AllowedZones) > 0 {
		parts = append(parts, "zones "+strings.Join(sortedStrings(r.AllowedZones), ", "))
	}
	if len(parts) == 0 {
		return "regions (any)"
	}
	return strings.Join(parts, " and ")
}

func entriesInWindow(entries []gdprv1alpha1.AuditEventSpec, t gdprv1alpha1.AuditEventType, start, now time.Time) []gdprv1alpha1.AuditEventSpec {
	var out []gdprv1alpha1.AuditEventSpec
	for _, e := range entries {
		if e.Type == t && !e.Time.Time.Before(start) && !e.Time.Time.After(now) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b gdprv1alpha1.AuditEventSpec) int { return cmp.Compare(a.Sequence, b.Sequence) })
	return out
}

func driftInWindow(w Workload, start, now time.Time) Drift {
	counts := map[string]int{}
	for _, e := range entriesInWindow(w.Entries, gdprv1alpha1.AuditDriftDetected, start, now) {
		counts[e.Reason]++
	}
	d := Drift{Policy: cmp.Or(w.Spec.DriftPolicy.Action, gdprv1alpha1.DriftReplace), Detected: []DriftCount{}}
	for _, reason := range sortedKeys(boolKeys(counts)) {
		d.Detected = append(d.Detected, DriftCount{Reason: reason, Count: counts[reason]})
	}
	return d
}

func boolKeys(m map[string]int) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func ledger(status *gdprv1alpha1.AuditLedgerStatus) Ledger {
	if status == nil {
		return Ledger{Verified: metav1.ConditionUnknown}
	}
	l := Ledger{Found: true, Head: status.Head.Sequence, HeadHash: status.Head.Hash, Verified: metav1.ConditionUnknown}
	if n := len(status.Checkpoints); n > 0 {
		c := status.Checkpoints[n-1]
		l.LastCheckpoint = &Checkpoint{Entry: c.Entry, Covers: c.Sequence, Time: c.Time.UTC()}
	}
	for _, c := range status.Conditions {
		if c.Type == gdprv1alpha1.VerifiedCondition {
			l.Verified, l.VerifiedMessage = c.Status, c.Message
		}
	}
	return l
}

func ledgerFindings(l Ledger) []Finding {
	switch {
	case !l.Found:
		return []Finding{finding(FindingLedgerUnverified, "has no AuditLedger: there is no verified history of its pods")}
	case l.Verified == metav1.ConditionFalse:
		return []Finding{finding(FindingLedgerUnverified, "its ledger does not verify: %s", cmp.Or(l.VerifiedMessage, "Verified is False"))}
	case l.Verified != metav1.ConditionTrue:
		return []Finding{finding(FindingLedgerUnverified, "its ledger has not been verified yet (no Verified condition True)")}
	}
	return nil
}

func reviewFindings(r *gdprv1alpha1.Review, now time.Time) []Finding {
	if r == nil {
		return []Finding{finding(FindingNeverReviewed, "spec.processing.lastReviewed is not set: when the record was last reviewed is not known")}
	}
	day, err := time.Parse(time.DateOnly, r.Date)
	if err != nil {
		// The API's format=date refuses this; an object stored before that rule can still have it.
		return []Finding{finding(FindingReviewOverdue, "spec.processing.lastReviewed.date %q is not a date (YYYY-MM-DD)", r.Date)}
	}
	// A calendar year, day by day: reviewed on 2025-11-25, due on 2026-11-25, overdue the day after.
	today := time.Date(now.UTC().Year(), now.UTC().Month(), now.UTC().Day(), 0, 0, 0, 0, time.UTC)
	if today.After(day.AddDate(1, 0, 0)) {
		return []Finding{finding(FindingReviewOverdue, "last reviewed on %s by %s, more than a year ago", r.Date, r.By)}
	}
	return nil
}

func keyFindings(t Taxonomy, p gdprv1alpha1.Purpose) []Finding {
	out := []Finding{}
	check := func(kind TaxonomyKind, field, key string) {
		c := t.Check(kind, key)
		switch c.Status {
		case KeyUnknown:
			out = append(out, finding(FindingUnknownKey, "%s %q is not in the %s taxonomy, nor under any of its keys", field, key, t.Version))
		case KeyCustom:
			out = append(out, finding(FindingCustomKey, "%s %q is a custom key under %q", field, key, c.Parent))
		case KeyDeprecated:
			msg := fmt.Sprintf("%s %q was deprecated in fideslang %s", field, key, c.Deprecated)
			if c.ReplacedBy != "" {
				msg += fmt.Sprintf(", replaced by %q", c.ReplacedBy)
			}
			out = append(out, finding(FindingDeprecatedKey, "%s", msg))
		}
	}
	check(DataUse, "purpose", p.Name)
	for _, k := range sortedStrings(p.DataCategories) {
		check(DataCategory, "data category", k)
	}
	for _, k := range sortedStrings(p.DataSubjects) {
		check(DataSubject, "data subject", k)
	}
	return out
}

// Count returns how many findings the record holds, and how many of them are notes.
func (r Record) Count() (findings, notes int) {
	for _, s := range r.Systems {
		all := slices.Clone(s.Findings)
		for _, p := range s.Purposes {
			all = append(all, p.Findings...)
		}
		for _, f := range all {
			if f.Note {
				notes++
			} else {
				findings++
			}
		}
	}
	return findings, notes
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
