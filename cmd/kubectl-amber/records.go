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
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/hardening"
	"github.com/amber-gdpr/amber/internal/records"
)

const recordsLong = `Prints the record of processing activities (GDPR Art. 30) of every GDPRWorkload you can
see, all namespaces unless -n narrows it (-A says all namespaces explicitly): one row per
workload and purpose, the declared spec.processing beside the measures Amber proves from
the cluster and the ledger (images pinned, hardening and whether every running pod
complies, allowed regions and the regions pods ran in during the window, drift, the
ledger's head, last checkpoint and Verified), and findings where the evidence contradicts
the declaration.

Exit status: 0 when the record was printed (with --strict: and holds no finding; notes do
not count), 1 with --strict when it holds findings, 2 on bad usage or when the cluster
cannot be read.`

// recordedEntryTypes are the ledger entries the record reads.
var recordedEntryTypes = []string{
	string(gdprv1alpha1.AuditWorkloadCreated), string(gdprv1alpha1.AuditPodScheduled),
	string(gdprv1alpha1.AuditPodDeleted), string(gdprv1alpha1.AuditDriftDetected),
}

// recordsOptions are the flags of 'kubectl amber records' beside kubectl's own.
type recordsOptions struct {
	output, since         string
	strict, allNamespaces bool
}

func newRecordsCommand(kube *genericclioptions.ConfigFlags, s streams) *cobra.Command {
	var opts recordsOptions
	cmd := &cobra.Command{
		Use:   "records [-n NAMESPACE | -A] [--since 30d] [-o markdown|csv|json|fides] [--strict]",
		Short: "Print the record of processing activities (GDPR Art. 30), declaration beside evidence",
		Long:  recordsLong,
		Example: `  kubectl amber records
  kubectl amber records -n shop -o csv > art30.csv
  kubectl amber records -A --strict -o json`,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(recordsRun(cmd.Context(), cmd, kube, opts, args, s.out, s.errOut))
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&opts.output, "output", "o", string(records.FormatMarkdown), "Format: markdown, csv (columns in the order of the ICO's and the Irish DPC's record templates), json, or fides (a fideslang system manifest).")
	fs.StringVar(&opts.since, "since", records.FormatWindow(records.DefaultWindow), "Evidence window: how far back the ledger is read, in days (30d) or as a duration (720h).")
	fs.BoolVar(&opts.strict, "strict", false, "Exit 1 when the record holds any finding.")
	fs.BoolVarP(&opts.allNamespaces, "all-namespaces", "A", false, "Read every namespace (the default without -n).")
	completeOutput(cmd, records.Formats...)
	return cmd
}

func recordsRun(ctx context.Context, cmd *cobra.Command, kube *genericclioptions.ConfigFlags, opts recordsOptions, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "kubectl amber records: unexpected argument %q: records takes flags only\n", args[0])
		return 2
	}
	format, err := records.ParseFormat(opts.output)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber records: %v\n", err)
		return 2
	}
	window, err := records.ParseWindow(opts.since)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber records: %v\n", err)
		return 2
	}

	// Every namespace unless -n: the record covers all the processing one can see.
	namespace, err := namespaceScope(cmd, kube, opts.allNamespaces, true)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber records: %v\n", err)
		return 2
	}
	c, err := newClient(kube)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber records: %v\n", err)
		return 2
	}
	now := time.Now()
	workloads, err := gather(ctx, c, namespace)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber records: %v\n", err)
		return 2
	}
	record := records.Build(records.Input{Now: now, Window: window, Taxonomy: records.Fideslang, Workloads: workloads})
	if err := records.Render(stdout, record, format); err != nil {
		fmt.Fprintf(stderr, "kubectl amber records: %v\n", err)
		return 2
	}
	if findings, _ := record.Count(); opts.strict && findings > 0 {
		fmt.Fprintf(stderr, "kubectl amber records: %d findings (--strict)\n", findings)
		return 1
	}
	return 0
}

func newClient(kube *genericclioptions.ConfigFlags) (client.Client, error) {
	config, err := kube.ToRESTConfig()
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gdprv1alpha1.AddToScheme(scheme))
	return client.New(config, client.Options{Scheme: scheme})
}

// gather reads the workloads of namespace ("" for all namespaces) and the evidence about
// them: their pods, the ledger entries the record reads, and their ledgers.
func gather(ctx context.Context, c client.Client, namespace string) ([]records.Workload, error) {
	var opts []client.ListOption
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	var workloads gdprv1alpha1.GDPRWorkloadList
	if err := c.List(ctx, &workloads, opts...); err != nil {
		return nil, fmt.Errorf("list GDPRWorkloads: %w", err)
	}
	var pods corev1.PodList
	if err := c.List(ctx, &pods, append(opts, client.HasLabels{gdprv1alpha1.WorkloadLabel})...); err != nil {
		return nil, fmt.Errorf("list the workloads' pods: %w", err)
	}
	types, err := labels.NewRequirement(gdprv1alpha1.AuditTypeLabel, selection.In, recordedEntryTypes)
	if err != nil {
		return nil, err
	}
	var entries gdprv1alpha1.AuditEventList
	if err := c.List(ctx, &entries, append(opts, client.MatchingLabelsSelector{Selector: labels.NewSelector().Add(*types)})...); err != nil {
		return nil, fmt.Errorf("list ledger entries: %w", err)
	}
	var ledgers gdprv1alpha1.AuditLedgerList
	if err := c.List(ctx, &ledgers, opts...); err != nil {
		return nil, fmt.Errorf("list AuditLedgers: %w", err)
	}
	return recordInput(workloads.Items, pods.Items, entries.Items, ledgers.Items), nil
}

// recordInput groups what was listed by workload. A pod is a workload's when the workload
// is its controller (its owner reference, not merely its label, which anyone can set); an
// entry when it is in the workload's ledger; the ledger has the workload's name.
func recordInput(workloads []gdprv1alpha1.GDPRWorkload, pods []corev1.Pod, entries []gdprv1alpha1.AuditEvent, ledgers []gdprv1alpha1.AuditLedger) []records.Workload {
	type key struct{ namespace, name string }
	podsOf := map[key][]corev1.Pod{}
	for _, p := range pods {
		if owner := metav1.GetControllerOf(&p); owner != nil && owner.Kind == "GDPRWorkload" {
			k := key{p.Namespace, owner.Name}
			podsOf[k] = append(podsOf[k], p)
		}
	}
	entriesOf := map[key][]gdprv1alpha1.AuditEventSpec{}
	for _, e := range entries {
		k := key{e.Namespace, e.Spec.Ledger}
		entriesOf[k] = append(entriesOf[k], e.Spec)
	}
	ledgerOf := map[key]*gdprv1alpha1.AuditLedgerStatus{}
	for i := range ledgers {
		ledgerOf[key{ledgers[i].Namespace, ledgers[i].Name}] = &ledgers[i].Status
	}

	out := make([]records.Workload, 0, len(workloads))
	for _, w := range workloads {
		k := key{w.Namespace, w.Name}
		rw := records.Workload{
			Namespace: w.Namespace, Name: w.Name, UID: string(w.UID),
			Spec: w.Spec, Status: w.Status,
			Entries: entriesOf[k], Ledger: ledgerOf[k],
		}
		profile := hardening.Effective(w.Spec.Hardening.Profile)
		for _, p := range podsOf[k] {
			if metav1.GetControllerOf(&p).UID != w.UID {
				continue // a pod of an earlier workload of the same name, on its way out
			}
			var violations []string
			for _, v := range hardening.Violations(&p.Spec, profile) {
				violations = append(violations, v.String())
			}
			rw.Pods = append(rw.Pods, records.Pod{
				Name: p.Name, UID: string(p.UID), Node: p.Spec.NodeName, Phase: p.Status.Phase,
				Terminating: p.DeletionTimestamp != nil, Violations: violations,
			})
		}
		out = append(out, rw)
	}
	return out
}
