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
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Format is an output format of the report.
type Format string

// The formats -o takes.
const (
	FormatMarkdown Format = "markdown"
	FormatJSON     Format = "json"
)

// Formats lists the formats, the default first.
var Formats = []Format{FormatMarkdown, FormatJSON}

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
func Render(w io.Writer, r Report, f Format) error {
	switch f {
	case FormatMarkdown:
		return Markdown(w, r)
	case FormatJSON:
		return JSON(w, r)
	}
	return fmt.Errorf("unknown format %q", f)
}

// JSON writes the report as one indented JSON object (the Report type documents its fields).
func JSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Markdown writes the report as a Markdown document: the draft warning, the verification,
// the first detection and the deadline, the workloads affected, the measures and the
// timeline.
func Markdown(w io.Writer, r Report) error {
	b := &strings.Builder{}
	b.WriteString("# DRAFT: personal data breach timeline (GDPR Art. 33)\n\n")
	fmt.Fprintf(b, "> **%s**\n>\n> Made by `kubectl amber incident report` at %s from Amber's audit ledgers alone (%s), "+
		"window %s to %s.\n\n", r.Draft, formatTime(r.GeneratedAt), r.Scope, formatTime(r.Since), formatTime(r.Until))

	markdownVerification(b, r)
	markdownDetection(b, r)
	markdownWorkloads(b, r)
	markdownMeasures(b, r)
	markdownTimeline(b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

func markdownVerification(b *strings.Builder, r Report) {
	v := r.Verification
	b.WriteString("## Verification\n\n")
	switch {
	case len(v.Ledgers) == 0:
		b.WriteString("**No ledger was read**: nothing below is backed by a verified chain.\n\n")
	case v.AllVerified:
		fmt.Fprintf(b, "**Every chain verified**, signed checkpoints included (%s).\n\n", count(len(v.Ledgers), "ledger"))
	default:
		broken := 0
		for _, l := range v.Ledgers {
			if !l.Verified {
				broken++
			}
		}
		fmt.Fprintf(b, "**NOT every chain verified: %d of %s %s not.** Their entries from the first bad one on may have been "+
			"forged, altered, moved or removed; they are marked Untrusted below.\n\n", broken, count(len(v.Ledgers), "ledger"), doesDo(broken))
		for _, l := range v.Ledgers {
			if l.Verified {
				continue
			}
			fmt.Fprintf(b, "- **%s/%s does not verify**: FAILED at entry %d: %s. **The timeline for this ledger cannot be trusted from entry %d on**",
				l.Namespace, l.Ledger, l.FirstBadSequence, l.Problem, l.FirstBadSequence)
			if l.BrokenSince != nil {
				fmt.Fprintf(b, "; Amber found the chain broken at %s", formatTime(*l.BrokenSince))
			}
			b.WriteString(".\n")
		}
		b.WriteString("\n")
	}
	if len(v.Ledgers) > 0 {
		b.WriteString("| Ledger | Result | Entries verified | Signed checkpoints | Entries after the last checkpoint |\n| --- | --- | --- | --- | --- |\n")
		for _, l := range v.Ledgers {
			result := "verified"
			if !l.Verified {
				result = fmt.Sprintf("FAILED at entry %d", l.FirstBadSequence)
			}
			entries := "none"
			if l.Entries > 0 {
				entries = fmt.Sprintf("%d to %d", l.First, l.Head)
			}
			fmt.Fprintf(b, "| %s/%s | %s | %s | %d | %d |\n", cell(l.Namespace), cell(l.Ledger), result, entries, l.Checkpoints, l.Unsigned)
		}
		b.WriteString("\n")
	}
	if len(v.CheckpointsReliedOn) == 0 {
		b.WriteString("No signed checkpoint was relied on: none covers the window's entries yet.\n\n")
	} else {
		b.WriteString("Signed checkpoints relied on (each vouches for its ledger's entries up to the one it covers):\n\n")
		b.WriteString("| Ledger | Checkpoint entry | Covers entries up to | Key ID | Signed at |\n| --- | --- | --- | --- | --- |\n")
		for _, c := range v.CheckpointsReliedOn {
			fmt.Fprintf(b, "| %s/%s | %d | %d | `%s` | %s |\n", cell(c.Namespace), cell(c.Ledger), c.Sequence, c.Covers, c.KeyID, formatTime(c.Time))
		}
		b.WriteString("\n")
	}
	if v.Chained > 0 {
		fmt.Fprintf(b, "%s of the timeline %s after the last signed checkpoint of %s ledger: the hash chain vouches for %s, no signature yet.\n\n",
			count(v.Chained, "entry"), isAre(v.Chained), theirIts(v.Chained), themIt(v.Chained))
	}
}

func markdownDetection(b *strings.Builder, r Report) {
	b.WriteString("## First detection and the 72-hour deadline\n\n")
	d := r.FirstDetection
	if d == nil {
		b.WriteString("Nothing abnormal in the window: no drift, access denied, admission configuration tampered, " +
			"ledger tampered or break-glass use.\n\n")
		return
	}
	what := d.Type
	if d.Reason != "" {
		what += " (" + d.Reason + ")"
	}
	where := d.Namespace + "/" + d.Workload
	if d.Pod != "" {
		where = "pod " + d.Pod + " of " + where
	}
	fmt.Fprintf(b, "- **First detection:** %s, %s on %s, entry %d: %s", formatTime(d.Time), what, where, d.Sequence, strings.TrimRight(d.Message, "."))
	if d.Proof == ProofUntrusted {
		b.WriteString(" (**Untrusted**: the entry is past the first bad entry of its chain)")
	}
	b.WriteString(".\n")
	left := r.NotificationDeadline.Sub(r.GeneratedAt)
	state := fmt.Sprintf("%s left when this draft was made", hours(left))
	if r.DeadlinePassed {
		state = fmt.Sprintf("passed %s before this draft was made", hours(-left))
	}
	fmt.Fprintf(b, "- **Notification deadline:** **%s**, 72 hours after the first detection (Art. 33(1)); %s.\n",
		formatTime(*r.NotificationDeadline), state)
	parts := make([]string, len(r.Detections))
	for i, c := range r.Detections {
		parts[i] = fmt.Sprintf("%s %d", c.Type, c.Count)
	}
	fmt.Fprintf(b, "- **Detections in the window:** %s.\n\n", strings.Join(parts, ", "))
	b.WriteString("Art. 33(1) counts the 72 hours from when the controller became aware of a personal data breach. " +
		"Amber's first detection is the earliest that awareness can be dated from the ledger; the data-protection officer " +
		"decides when it began, and a notification later than 72 hours must give the reasons for the delay.\n\n")
}

func markdownWorkloads(b *strings.Builder, r Report) {
	b.WriteString("## Workloads affected\n\n")
	if len(r.Workloads) == 0 {
		b.WriteString("None.\n\n")
		return
	}
	b.WriteString("What each workload's record of processing (Art. 30, `spec.processing`) declares it processes, as of this report.\n\n")
	b.WriteString("| Workload | Record of processing | Purposes | Personal data | Data subjects | Special categories | Pods touched | Detections | Measures | Ledger |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, w := range r.Workloads {
		var declaration string
		purposes, categories, subjects, special := "", "", "", ""
		switch w.Declaration {
		case DeclarationDeclared:
			declaration = "declared"
			purposes, categories, subjects = codeList(w.Purposes), codeList(w.DataCategories), codeList(w.DataSubjects)
			special = "none"
			if len(w.SpecialCategories) > 0 {
				special = "**" + strings.Join(w.SpecialCategories, ", ") + "**"
			}
		case DeclarationNone:
			declaration = "**none declared** (spec.processing is empty)"
		case DeclarationUnknownWorkloadGone:
			declaration = "**unknown**: the workload no longer exists"
		case DeclarationUnknownEarlierWorkload:
			declaration = "**unknown**: the entries concern an earlier workload of this name, deleted and created again since"
		case DeclarationNotRead:
			declaration = "**unknown**: not read (report made from saved entries)"
		}
		pods := fmt.Sprintf("%d", w.PodsTouched)
		if w.PodsTouched > 0 {
			pods += ": " + strings.Join(w.Pods, ", ")
		}
		verified := "verified"
		if !w.Verified {
			verified = "**does not verify**"
		}
		fmt.Fprintf(b, "| %s/%s | %s | %s | %s | %s | %s | %s | %d | %d | %s |\n", cell(w.Namespace), cell(w.Name), declaration,
			purposes, categories, subjects, special, cell(pods), w.Detections, w.Measures, verified)
	}
	b.WriteString("\n")
}

func markdownMeasures(b *strings.Builder, r Report) {
	b.WriteString("## Measures taken\n\n")
	if len(r.Measures) == 0 {
		b.WriteString("None recorded in the window.\n\n")
		return
	}
	b.WriteString("| Time | Workload | Measure | Pod | Entry | Proof |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, m := range r.Measures {
		fmt.Fprintf(b, "| %s | %s/%s | %s | %s | %d %s %s | %s |\n", formatTime(m.Time), cell(m.Namespace), cell(m.Workload), cell(m.What),
			cell(m.Pod), m.Sequence, m.Type, m.Reason, proofText(m.Proof, m.Checkpoint))
	}
	b.WriteString("\n")
}

func markdownTimeline(b *strings.Builder, r Report) {
	b.WriteString("## Timeline\n\n")
	if len(r.Timeline) == 0 {
		b.WriteString("No relevant entry in the window.\n")
		return
	}
	b.WriteString("Every relevant entry of the window, by time, ledger and sequence. **!** marks a detection, **+** a measure. " +
		"Actors are as the ledger holds them (pseudonymised unless the manager was told otherwise).\n\n")
	b.WriteString("| Time | Workload | Entry | | Type | Reason | Pod | Actor | Request | Message | Proof |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, e := range r.Timeline {
		mark := ""
		if e.Abnormal {
			mark += "!"
		}
		if e.Measure {
			mark += "+"
		}
		if mark != "" {
			mark = "**" + mark + "**"
		}
		proof := proofText(e.Proof, e.Checkpoint)
		message := e.Message
		if e.Recovered {
			message += " (recovered)"
		}
		fmt.Fprintf(b, "| %s | %s/%s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", formatTime(e.Time), cell(e.Namespace), cell(e.Workload),
			e.Sequence, mark, e.Type, cell(e.Reason), cell(e.Pod), cell(shortActor(e.Actor)), cell(e.Request), cell(message), proof)
	}
}

// proofText says what vouches for an entry, naming its checkpoint.
func proofText(p Proof, checkpoint int64) string {
	switch p {
	case ProofSigned:
		return fmt.Sprintf("Signed (checkpoint %d)", checkpoint)
	case ProofUntrusted:
		return "**Untrusted**"
	}
	return string(p)
}

// shortActor shortens a pseudonym to its first 16 hex digits, enough to tell actors apart in
// a report; the JSON form keeps it whole.
func shortActor(actor string) string {
	if hex, ok := strings.CutPrefix(actor, "hmac-sha256:"); ok && len(hex) > 16 {
		return "hmac-sha256:" + hex[:16] + "…"
	}
	return actor
}

// hours writes a duration in whole hours and minutes.
func hours(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := d/time.Hour, (d%time.Hour)/time.Minute
	if m == 0 {
		return fmt.Sprintf("%dh", h)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}

func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	if strings.HasSuffix(thing, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(thing, "y"))
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

func doesDo(n int) string {
	if n == 1 {
		return "does"
	}
	return "do"
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func theirIts(n int) string {
	if n == 1 {
		return "its"
	}
	return "their"
}

func themIt(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func codeList(values []string) string {
	if len(values) == 0 {
		return "none"
	}
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = "`" + cell(v) + "`"
	}
	return strings.Join(out, ", ")
}

// markup escapes what HTML reads as markup, for a Markdown table cell.
var markup = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// cell escapes text for a Markdown table cell: HTML and the column separator, and keeps it
// on one line.
func cell(s string) string {
	s = markup.Replace(s)
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
