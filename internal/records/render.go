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
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Format is an output format of the record.
type Format string

// The formats -o takes.
const (
	FormatMarkdown Format = "markdown"
	FormatCSV      Format = "csv"
	FormatJSON     Format = "json"
	FormatFides    Format = "fides"
)

// Formats lists the formats, the default first.
var Formats = []Format{FormatMarkdown, FormatCSV, FormatJSON, FormatFides}

// ParseFormat reads -o.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("-o %q: want one of %s", s, strings.Join(names, ", "))
}

// Render writes r in format f.
func Render(w io.Writer, r Record, f Format) error {
	switch f {
	case FormatMarkdown:
		return Markdown(w, r)
	case FormatCSV:
		return CSV(w, r)
	case FormatJSON:
		return JSON(w, r)
	case FormatFides:
		return Fides(w, r)
	}
	return fmt.Errorf("unknown format %q", f)
}

// The Art. 6(1) and 9(2) points and the Chapter V articles, for people reading the record.
var (
	lawfulBasisArticle = map[gdprv1alpha1.LawfulBasis]string{
		gdprv1alpha1.BasisConsent:             "Art. 6(1)(a)",
		gdprv1alpha1.BasisContract:            "Art. 6(1)(b)",
		gdprv1alpha1.BasisLegalObligation:     "Art. 6(1)(c)",
		gdprv1alpha1.BasisVitalInterests:      "Art. 6(1)(d)",
		gdprv1alpha1.BasisPublicTask:          "Art. 6(1)(e)",
		gdprv1alpha1.BasisLegitimateInterests: "Art. 6(1)(f)",
	}
	conditionArticle = map[gdprv1alpha1.SpecialCategoryCondition]string{
		gdprv1alpha1.ConditionExplicitConsent:               "Art. 9(2)(a)",
		gdprv1alpha1.ConditionEmploymentAndSocialProtection: "Art. 9(2)(b)",
		gdprv1alpha1.ConditionVitalInterests:                "Art. 9(2)(c)",
		gdprv1alpha1.ConditionNotForProfitBody:              "Art. 9(2)(d)",
		gdprv1alpha1.ConditionMadePublicByDataSubject:       "Art. 9(2)(e)",
		gdprv1alpha1.ConditionLegalClaims:                   "Art. 9(2)(f)",
		gdprv1alpha1.ConditionSubstantialPublicInterest:     "Art. 9(2)(g)",
		gdprv1alpha1.ConditionHealthOrSocialCare:            "Art. 9(2)(h)",
		gdprv1alpha1.ConditionPublicHealth:                  "Art. 9(2)(i)",
		gdprv1alpha1.ConditionArchivingResearchStatistics:   "Art. 9(2)(j)",
	}
	safeguardArticle = map[gdprv1alpha1.TransferSafeguard]string{
		gdprv1alpha1.SafeguardAdequacyDecision:           "Art. 45",
		gdprv1alpha1.SafeguardStandardContractualClauses: "Art. 46(2)(c)",
		gdprv1alpha1.SafeguardBindingCorporateRules:      "Art. 47",
		gdprv1alpha1.SafeguardDerogation:                 "Art. 49",
	}
)

func withArticle[K ~string](value K, articles map[K]string) string {
	if value == "" {
		return ""
	}
	if a, ok := articles[value]; ok {
		return fmt.Sprintf("%s (%s)", value, a)
	}
	return string(value)
}

func party(p *gdprv1alpha1.Party) string {
	if p == nil {
		return ""
	}
	return fmt.Sprintf("%s (%s)", p.Name, p.Contact)
}

func transfers(p *Declaration) (countries, safeguards []string) {
	for _, t := range p.ThirdCountryTransfers {
		countries = append(countries, fmt.Sprintf("%s: %s", t.Country, t.Recipient))
		s := withArticle(t.Safeguard, safeguardArticle)
		if s == "" {
			s = "none"
		}
		safeguards = append(safeguards, fmt.Sprintf("%s: %s", t.Country, s))
	}
	return countries, safeguards
}

func specialCategories(p gdprv1alpha1.Purpose) string {
	names := make([]string, len(p.SpecialCategories))
	for i, c := range p.SpecialCategories {
		names[i] = string(c)
	}
	return strings.Join(sortedStrings(names), ", ")
}

// The measures, each as a person reads it.

func (m Measures) imagesText() string {
	if len(m.PinnedImages) == 0 {
		return "none pinned"
	}
	parts := make([]string, len(m.PinnedImages))
	for i, p := range m.PinnedImages {
		parts[i] = fmt.Sprintf("%s: %s", p.Container, p.Pinned)
	}
	return strings.Join(parts, "; ")
}

func (m Measures) hardeningText() string {
	h := m.Hardening
	if h.RunningPods == 0 {
		return fmt.Sprintf("%s; no running pod", h.Profile)
	}
	return fmt.Sprintf("%s; %d of %d running pods comply", h.Profile, h.CompliantPods, h.RunningPods)
}

func listOrAny(values []string, what string) string {
	if len(values) == 0 {
		return "any " + what
	}
	return strings.Join(values, ", ")
}

func (m Measures) allowedText() string {
	r := m.Residency
	s := listOrAny(r.AllowedRegions, "region")
	if len(r.AllowedZones) > 0 {
		s += " (zones " + strings.Join(r.AllowedZones, ", ") + ")"
	}
	return s
}

func (m Measures) usedText() string {
	r := m.Residency
	if r.Nodes == 0 {
		return "no placement recorded in the window"
	}
	regions := make([]string, len(r.RegionsUsed))
	for i, region := range r.RegionsUsed {
		regions[i] = region
		if region == "" {
			regions[i] = "(no region label)"
		}
	}
	nodes := "nodes"
	if r.Nodes == 1 {
		nodes = "node"
	}
	return fmt.Sprintf("%s (%d %s)", strings.Join(regions, ", "), r.Nodes, nodes)
}

func (m Measures) driftText() string {
	d := m.Drift
	if d.Total() == 0 {
		return "none"
	}
	parts := make([]string, len(d.Detected))
	for i, c := range d.Detected {
		parts[i] = fmt.Sprintf("%s %d", c.Reason, c.Count)
	}
	return fmt.Sprintf("%d (%s)", d.Total(), strings.Join(parts, ", "))
}

func (m Measures) checkpointText() string {
	c := m.Ledger.LastCheckpoint
	if c == nil {
		return "none"
	}
	return fmt.Sprintf("entry %d at %s", c.Entry, formatTime(c.Time))
}

func (m Measures) verifiedText() string {
	l := m.Ledger
	if !l.Found {
		return "no ledger"
	}
	if l.Verified == metav1.ConditionTrue || l.VerifiedMessage == "" {
		return string(l.Verified)
	}
	return fmt.Sprintf("%s: %s", l.Verified, l.VerifiedMessage)
}

// ledgerText is the ledger's state in one line, its head hash shortened.
func (m Measures) ledgerText() string {
	if !m.Ledger.Found {
		return "none"
	}
	return "head " + m.headText(true) + "; last checkpoint " + m.checkpointText() + "; Verified " + m.verifiedText()
}

func (m Measures) headText(short bool) string {
	l := m.Ledger
	if !l.Found {
		return "no ledger"
	}
	hash := l.HeadHash
	if short && len(hash) > 12 {
		hash = hash[:12] + "…"
	}
	if hash == "" {
		return strconv.FormatInt(l.Head, 10)
	}
	return fmt.Sprintf("%d (%s)", l.Head, hash)
}

// findingLines are a row's findings, the workload's first, as lines of text.
func findingLines(s System, p *PurposeRecord) []string {
	all := s.Findings
	if p != nil {
		all = append(append([]Finding{}, s.Findings...), p.Findings...)
	}
	lines := make([]string, len(all))
	for i, f := range all {
		kind := string(f.Kind)
		if f.Note {
			kind = "note: " + kind
		}
		lines[i] = fmt.Sprintf("[%s] %s", kind, f.Message)
	}
	return lines
}

// rows are the record's rows: one per workload and purpose, and one for a workload that
// declares no purpose.
func (r Record) rows() []row {
	var out []row
	for _, s := range r.Systems {
		if len(s.Purposes) == 0 {
			out = append(out, row{system: s})
			continue
		}
		for i := range s.Purposes {
			out = append(out, row{system: s, purpose: &s.Purposes[i]})
		}
	}
	return out
}

type row struct {
	system  System
	purpose *PurposeRecord
}

// Markdown writes the record as a Markdown document: one table row per workload and
// purpose, the declared fields first, the measures Amber proves and the findings beside them.
func Markdown(w io.Writer, r Record) error {
	findings, notes := r.Count()
	b := &strings.Builder{}
	fmt.Fprintf(b, "# Record of processing activities (GDPR Art. 30)\n\n")
	fmt.Fprintf(b, "Made by `kubectl amber records` at %s from the cluster and its audit ledgers. "+
		"Evidence window: %s to %s (%s). Keys checked against the %s taxonomy (CC-BY-4.0, Ethyca, Inc.).\n\n",
		formatTime(r.GeneratedAt), formatTime(r.WindowStart), formatTime(r.GeneratedAt), r.Window, r.Taxonomy)
	fmt.Fprintf(b, "%s, %s, %s, %s.\n\n", count(len(r.Systems), "workload"), count(len(r.rows()), "row"), count(findings, "finding"), count(notes, "note"))

	header := []string{"Workload", "Role", "Controller", "Purpose", "Lawful basis", "Data subjects", "Personal data",
		"Special categories", "Recipients", "Third-country transfers", "Retention", "Review",
		"Measures Amber proves", "Findings"}
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat(" --- |", len(header)) + "\n")
	for _, rw := range r.rows() {
		s, p := rw.system, rw.purpose
		measures := []string{
			"**Images pinned:** " + s.Measures.imagesText(),
			"**Hardening:** " + s.Measures.hardeningText(),
			"**Regions allowed:** " + s.Measures.allowedText(),
			"**Regions used:** " + s.Measures.usedText(),
			"**Drift policy:** " + string(s.Measures.Drift.Policy) + "; found in the window: " + s.Measures.driftText(),
			"**Ledger:** " + s.Measures.ledgerText(),
		}
		cells := []string{cell(s.Namespace + "/" + s.Name)}
		if proc := s.Processing; proc != nil && p != nil {
			controller := []string{party(&proc.Controller)}
			if proc.Representative != nil {
				controller = append(controller, "Representative: "+party(proc.Representative))
			}
			if proc.DataProtectionOfficer != nil {
				controller = append(controller, "DPO: "+party(proc.DataProtectionOfficer))
			}
			purpose := []string{"`" + p.Name + "`", p.Description}
			basis := []string{withArticle(p.LawfulBasis, lawfulBasisArticle)}
			if p.LegitimateInterest != "" {
				basis = append(basis, "Interest: "+p.LegitimateInterest)
			}
			special := "none"
			if len(p.SpecialCategories) > 0 {
				special = specialCategories(p.Purpose) + "; " + withArticle(p.SpecialCategoryCondition, conditionArticle)
			}
			retention := []string{p.Retention}
			if p.Source != "" {
				retention = append(retention, "Source: "+p.Source)
			}
			countries, safeguards := transfers(proc)
			transfer := []string{"none"}
			if len(countries) > 0 {
				transfer = nil
				for i := range countries {
					transfer = append(transfer, countries[i]+", "+strings.SplitN(safeguards[i], ": ", 2)[1])
				}
			}
			review := "not recorded"
			if proc.LastReviewed != nil {
				review = proc.LastReviewed.Date + " by " + proc.LastReviewed.By
			}
			cells = append(cells, cell(string(proc.Role)), cellLines(controller), cellLines(purpose), cellLines(basis),
				codeList(p.DataSubjects), codeList(p.DataCategories), cell(special), cell(orNone(strings.Join(sortedStrings(p.Recipients), ", "))),
				cellLines(transfer), cellLines(retention), cell(review))
		} else {
			cells = append(cells, "", "", "*no processing declared*", "", "", "", "", "", "", "", "")
		}
		cells = append(cells, strings.Join(measures, "<br>"), cellLines(orNoneLines(findingLines(s, p))))
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// count writes n things, in the plural unless n is 1.
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func orNoneLines(lines []string) []string {
	if len(lines) == 0 {
		return []string{"none"}
	}
	return lines
}

// markup escapes what HTML reads as markup; quotes are left alone, they are not markup in
// a table cell.
var markup = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// cell escapes text for a Markdown table cell: HTML (cells carry <br> line breaks, so
// text must not be read as markup) and the column separator.
func cell(s string) string {
	s = markup.Replace(s)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

func cellLines(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = cell(l)
	}
	return strings.Join(out, "<br>")
}

func codeList(keys []string) string {
	sorted := sortedStrings(keys)
	out := make([]string, len(sorted))
	for i, k := range sorted {
		out[i] = "`" + cell(k) + "`"
	}
	return strings.Join(out, ", ")
}

// csvHeader is the CSV's columns. The declared ones follow the order of the UK ICO's
// controller documentation template and its list "What do we need to document under
// Article 30 of the UK GDPR?" (ico.org.uk, accountability and governance, documentation),
// which the Irish DPC's guidance note "Records of Processing Activities (RoPA) under
// Article 30 GDPR" (April 2023) and its templates follow too: the controller, its
// representative and DPO; the purpose; the categories of individuals, of personal data and
// of recipients; third countries and the safeguards of transfers; the retention schedule;
// the security measures (here the measures Amber proves, one column each). Then what the
// ICO asks to document beside Art. 30 (the Art. 6 lawful basis, the Art. 9 condition, the
// source) and the review, and last the findings.
var csvHeader = []string{
	"Namespace", "Workload", "Role",
	"Controller", "Representative", "Data protection officer",
	"Purpose of processing", "Description of the purpose",
	"Categories of individuals", "Categories of personal data", "Categories of recipients",
	"Third countries or international organisations", "Safeguards for transfers",
	"Retention schedule",
	"Measures: images pinned", "Measures: hardening profile", "Measures: running pods complying",
	"Measures: allowed regions", "Measures: regions used in the window", "Measures: drift policy", "Measures: drift found in the window",
	"Measures: ledger head", "Measures: last checkpoint", "Measures: ledger verified",
	"Lawful basis (Art. 6)", "Legitimate interest", "Special categories (Art. 9)", "Condition for special categories (Art. 9(2))",
	"Source of the data", "Last reviewed", "Reviewed by",
	"Findings",
}

// CSV writes the record as CSV, one row per workload and purpose, lists joined by "; ".
func CSV(w io.Writer, r Record) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, rw := range r.rows() {
		s, p := rw.system, rw.purpose
		m := s.Measures
		declared := make([]string, 11)
		var basis, interest, special, condition, source, reviewed, by string
		if proc := s.Processing; proc != nil && p != nil {
			countries, safeguards := transfers(proc)
			declared = []string{
				party(&proc.Controller), party(proc.Representative), party(proc.DataProtectionOfficer),
				p.Name, p.Description,
				strings.Join(sortedStrings(p.DataSubjects), "; "), strings.Join(sortedStrings(p.DataCategories), "; "), strings.Join(sortedStrings(p.Recipients), "; "),
				strings.Join(countries, "; "), strings.Join(safeguards, "; "),
				p.Retention,
			}
			basis, interest = withArticle(p.LawfulBasis, lawfulBasisArticle), p.LegitimateInterest
			special, condition = strings.ReplaceAll(specialCategories(p.Purpose), ", ", "; "), withArticle(p.SpecialCategoryCondition, conditionArticle)
			source = p.Source
			if proc.LastReviewed != nil {
				reviewed, by = proc.LastReviewed.Date, proc.LastReviewed.By
			}
		}
		role := ""
		if s.Processing != nil {
			role = string(s.Processing.Role)
		}
		record := []string{s.Namespace, s.Name, role}
		record = append(record, declared...)
		record = append(record,
			m.imagesText(), string(m.Hardening.Profile), fmt.Sprintf("%d of %d", m.Hardening.CompliantPods, m.Hardening.RunningPods),
			m.allowedText(), m.usedText(), string(m.Drift.Policy), m.driftText(),
			m.headText(false), m.checkpointText(), m.verifiedText(),
			basis, interest, special, condition, source, reviewed, by,
			strings.Join(findingLines(s, p), "\n"),
		)
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// JSON writes the record as JSON: the workloads, each with its declaration as in the API,
// its purposes with their findings, its measures and its own findings.
func JSON(w io.Writer, r Record) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
