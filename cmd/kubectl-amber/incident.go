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

package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/incident"
	"github.com/amber-gdpr/amber/internal/ledger"
)

const incidentLong = `Drafts, from Amber's audit ledgers alone, the timeline a data-protection officer needs to
decide on a personal data breach notification (GDPR Art. 33): the first detection of
anything abnormal (drift, access denied, admission configuration tampered, a ledger that
does not verify, break-glass use) and the 72-hour deadline from it; every relevant entry in
order; the workloads affected with what their record of processing (Art. 30) declares they
process and how many pods were touched; and the measures taken (replacements, quarantines,
rollbacks, break-glass ended). It is a draft, not a notification, and says so.

Every chain is verified first, with the code of 'kubectl amber verify' and the manager's
public key (the amber-ledger-public-key ConfigMap, or --public-key); the report says whether
every chain verified, names the signed checkpoints it relied on and, for a chain that does
not verify, its first bad entry, past which that ledger's timeline cannot be trusted.

T is a time in RFC 3339 (2026-11-24T09:00:00Z) or a duration back from now (72h, 90m, 7d).
--since defaults to 30d, --until to now. Without -n or -A, the kubeconfig's namespace is read.
With -f, the entries saved with 'kubectl get ae -o json' (or the manager's export) are read
instead of the cluster, so an auditor can make the report offline; the workloads'
declarations are then unknown.

Exit status: 0 when the report was printed and every chain verified, 1 when it was printed
but a chain does not verify, 2 on bad usage or when the entries cannot be read.`

// incidentOptions are the flags of 'kubectl amber incident report' beside kubectl's own.
type incidentOptions struct {
	since, until, output, workload, publicKey, operatorNamespace, file string
	allNamespaces                                                      bool
	maxUnsigned                                                        int
}

// newIncidentCommand is 'kubectl amber incident', whose one command is report.
func newIncidentCommand(kube *genericclioptions.ConfigFlags, s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incident",
		Short: "Draft, from the verified ledgers, an incident's timeline for GDPR Art. 33",
		Long: `Incident commands:

  kubectl amber incident report [--since T] [--until T] [-n NAMESPACE | -A] [--workload NAME] [-o markdown|json]
  kubectl amber incident report -f FILE --public-key amber.pub [--since T] [--until T] [-n NAMESPACE] [--workload NAME]

draft, from Amber's verified audit ledgers, the timeline a data-protection officer needs to
decide on a personal data breach notification (GDPR Art. 33).`,
		// A group without a known command is bad usage.
		RunE: groupRunE(s, "want report"),
	}
	cmd.AddCommand(newIncidentReportCommand(kube, s))
	return cmd
}

func newIncidentReportCommand(kube *genericclioptions.ConfigFlags, s streams) *cobra.Command {
	var opts incidentOptions
	cmd := &cobra.Command{
		Use:   "report [--since T] [--until T] [-n NAMESPACE | -A] [--workload NAME] [-o markdown|json]",
		Short: "Draft, from the verified ledgers, an incident's timeline for GDPR Art. 33",
		Long:  incidentLong,
		Example: `  kubectl amber incident report -n shop --since 72h
  kubectl amber incident report -A --since 2026-11-24T09:00:00Z -o json
  kubectl amber incident report -f events.json --public-key amber.pub --workload payments`,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(incidentReport(cmd.Context(), cmd, kube, opts, args, s))
		},
	}
	fs := cmd.Flags()
	fs.BoolVarP(&opts.allNamespaces, "all-namespaces", "A", false, "Read the ledgers of every namespace.")
	fs.StringVar(&opts.workload, "workload", "", "Read only this workload's ledger (a ledger has its workload's name).")
	fs.StringVarP(&opts.output, "output", "o", string(incident.FormatMarkdown), "Format: markdown or json (the fields of internal/incident's Report).")
	fs.StringVar(&opts.since, "since", "", "Start of the window: a time in RFC 3339 or a duration back from now (72h, 7d). Default 30d.")
	fs.StringVar(&opts.until, "until", "", "End of the window, as --since. Default now.")
	fs.StringVar(&opts.publicKey, "public-key", "", "PEM file of the ledger's public key (the amber.pub of the amber-ledger-public-key ConfigMap). Online, read from the cluster when not given.")
	fs.StringVar(&opts.operatorNamespace, "operator-namespace", "amber-system", "Namespace of Amber's manager, which publishes the public key (online).")
	fs.StringVarP(&opts.file, "filename", "f", "", "File of entries as 'kubectl get ae -o json' prints them, or the manager's JSON-lines export; - reads standard input. Needs --public-key.")
	fs.IntVar(&opts.maxUnsigned, "max-unsigned", 100, "Most entries allowed in a row without a signed checkpoint: the manager's --audit-checkpoint-every. 0 for no limit.")
	completeOutput(cmd, incident.Formats...)
	return cmd
}

func incidentReport(ctx context.Context, cmd *cobra.Command, kube *genericclioptions.ConfigFlags, opts incidentOptions, args []string, s streams) int {
	const name = "kubectl amber incident"
	stdin, stdout, stderr := s.in, s.out, s.errOut
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, name+": "+format+"\n", a...)
		return 2
	}
	if len(args) > 0 {
		return fail("unexpected argument %q: report takes flags only (--workload names a workload)", args[0])
	}
	format, err := incident.ParseFormat(opts.output)
	if err != nil {
		return fail("%v", err)
	}
	now := time.Now()
	since, until, err := incident.Window(opts.since, opts.until, now)
	if err != nil {
		return fail("%v", err)
	}
	if opts.allNamespaces && cmd.Flags().Changed("namespace") {
		return fail("-n and -A: give one namespace with -n, or every namespace with -A, not both")
	}
	if opts.file != "" && opts.publicKey == "" {
		return fail("--public-key is required with -f (the amber.pub of the amber-ledger-public-key ConfigMap): a file carries no key to verify it with")
	}
	if opts.maxUnsigned < 0 {
		return fail("--max-unsigned %d: want 0 (no limit) or more", opts.maxUnsigned)
	}

	in := incident.Input{GeneratedAt: now, Since: since, Until: until}
	if opts.file != "" {
		// A file is read whole unless -n narrows it: the kubeconfig's namespace is not the file's.
		err = readIncidentFile(&in, opts, *kube.Namespace, stdin)
	} else {
		var namespace string
		if namespace, err = namespaceScope(cmd, kube, opts.allNamespaces, false); err == nil {
			err = readIncidentCluster(ctx, &in, opts, kube, namespace)
		}
	}
	if err != nil {
		return fail("%v", err)
	}
	report := incident.Build(in)
	if err := incident.Render(stdout, report, format); err != nil {
		return fail("%v", err)
	}
	if !report.Verification.AllVerified {
		fmt.Fprintf(stderr, "%s: a chain does not verify: its timeline cannot be trusted past its first bad entry (see the report's Verification)\n", name)
		return 1
	}
	return 0
}

// readIncidentFile fills in from saved entries: an auditor's copy, verified with the key given.
func readIncidentFile(in *incident.Input, opts incidentOptions, namespace string, stdin io.Reader) error {
	keys, err := readPublicKey(opts.publicKey)
	if err != nil {
		return err
	}
	r := stdin
	if opts.file != "-" {
		f, err := os.Open(opts.file)
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }()
		r = f
	}
	entries, err := decodeEntries(bufio.NewReader(r))
	if err != nil {
		return fmt.Errorf("read %s: %w", opts.file, err)
	}
	entries = slices.DeleteFunc(dropRepeats(entries), func(e gdprv1alpha1.AuditEvent) bool {
		return (namespace != "" && e.Namespace != namespace) || (opts.workload != "" && e.Spec.Ledger != opts.workload)
	})
	in.Scope = "file " + opts.file
	if namespace != "" {
		in.Scope += ", namespace " + namespace
	}
	if opts.workload != "" {
		in.Scope += ", workload " + opts.workload
	}
	in.Ledgers = incident.FromVerified(entries, ledger.VerifyAll(entries, keys, ledger.Options{MaxUnsigned: opts.maxUnsigned}))
	return nil
}

// readIncidentCluster fills in from the cluster: every entry of the ledgers in scope (the
// whole chain, which verification needs, not only the window's), the workloads' declarations,
// and when Amber found a chain broken.
func readIncidentCluster(ctx context.Context, in *incident.Input, opts incidentOptions, kube *genericclioptions.ConfigFlags, namespace string) error {
	c, err := newClient(kube)
	if err != nil {
		return err
	}
	keys, err := publicKeys(ctx, c, opts.publicKey, opts.operatorNamespace)
	if err != nil {
		return err
	}
	var scope []client.ListOption
	in.Scope = "all namespaces"
	if namespace != "" {
		scope = append(scope, client.InNamespace(namespace))
		in.Scope = "namespace " + namespace
	}
	entryScope := scope
	if opts.workload != "" {
		entryScope = append(slices.Clone(scope), client.MatchingLabels{gdprv1alpha1.AuditLedgerLabel: opts.workload})
		in.Scope += ", workload " + opts.workload
	}
	var entries gdprv1alpha1.AuditEventList
	if err := c.List(ctx, &entries, entryScope...); err != nil {
		return fmt.Errorf("list ledger entries: %w", err)
	}
	var workloads gdprv1alpha1.GDPRWorkloadList
	if err := c.List(ctx, &workloads, scope...); err != nil {
		return fmt.Errorf("list GDPRWorkloads: %w", err)
	}
	var ledgers gdprv1alpha1.AuditLedgerList
	if err := c.List(ctx, &ledgers, scope...); err != nil {
		return fmt.Errorf("list AuditLedgers: %w", err)
	}
	reports := ledger.VerifyAll(entries.Items, keys, ledger.Options{MaxUnsigned: opts.maxUnsigned})
	in.Ledgers, in.Workloads = incidentInput(entries.Items, reports, workloads.Items, ledgers.Items)
	in.DeclarationsRead = true
	return nil
}

// incidentInput pairs the verified ledgers with when Amber's own verification found each
// broken (its AuditLedger's Verified condition turning False), and lists the workloads with
// what they declare.
func incidentInput(entries []gdprv1alpha1.AuditEvent, reports []ledger.Report, workloads []gdprv1alpha1.GDPRWorkload, ledgers []gdprv1alpha1.AuditLedger) ([]incident.Ledger, []incident.Workload) {
	type key struct{ namespace, name string }
	brokenSince := map[key]time.Time{}
	for _, l := range ledgers {
		for _, c := range l.Status.Conditions {
			if c.Type == gdprv1alpha1.VerifiedCondition && c.Status == metav1.ConditionFalse {
				brokenSince[key{l.Namespace, l.Name}] = c.LastTransitionTime.Time
			}
		}
	}
	verified := incident.FromVerified(entries, reports)
	for i := range verified {
		if verified[i].Verification.Problem != nil {
			verified[i].BrokenSince = brokenSince[key{verified[i].Namespace, verified[i].Name}]
		}
	}
	declared := make([]incident.Workload, 0, len(workloads))
	for _, w := range workloads {
		declared = append(declared, incident.Workload{Namespace: w.Namespace, Name: w.Name, UID: string(w.UID), Processing: w.Spec.Processing})
	}
	return verified, declared
}
