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

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/completion"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/history"
	"github.com/amber-gdpr/amber/internal/revision"
)

const historyLong = `Lists the revisions of a GDPRWorkload, as 'kubectl rollout history' does for a Deployment:
each with the digests its images were pinned to and its hardening profile, when it ran
(its first pod created and its last deleted, from the ledger), why it became the revision
pods are made from (Created, SpecChanged, HardeningChanged, TagMoved, Rollback) and who
changed the template to it, pseudonymised as the ledger records people. The revision new
pods are made from is marked current. 'kubectl amber rollback' takes these numbers.

Exit status: 0 when printed, 2 on bad usage or when the cluster cannot be read.`

// historyEntryTypes are the ledger entries the history reads.
var historyEntryTypes = []string{
	string(gdprv1alpha1.AuditWorkloadCreated), string(gdprv1alpha1.AuditWorkloadSpecChanged),
	string(gdprv1alpha1.AuditRevisionPinned), string(gdprv1alpha1.AuditRevisionRestored),
	string(gdprv1alpha1.AuditPodCreated), string(gdprv1alpha1.AuditPodDeleted),
}

func newHistoryCommand(kube *genericclioptions.ConfigFlags, f cmdutil.Factory, s streams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:               "history WORKLOAD [-n NAMESPACE] [-o table|json]",
		Short:             "List a GDPRWorkload's revisions: digests, profile, when each ran, who changed it",
		Long:              historyLong,
		Example:           "  kubectl amber history payments -n shop\n  kubectl amber history payments -n shop -o json",
		ValidArgsFunction: completion.ResourceNameCompletionFunc(f, "gdprworkloads"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(historyRun(cmd.Context(), kube, output, args, s.out, s.errOut))
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "Format: table or json.")
	completeOutput(cmd, "table", "json")
	return cmd
}

func historyRun(ctx context.Context, kube *genericclioptions.ConfigFlags, output string, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintf(stderr, "kubectl amber history: want one GDPRWorkload name, got %d arguments (see --help)\n", len(args))
		return 2
	}
	if output != "table" && output != "json" {
		fmt.Fprintf(stderr, "kubectl amber history: -o %q: want table or json\n", output)
		return 2
	}
	c, namespace, err := connect(kube)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber history: %v\n", err)
		return 2
	}
	w, revisions, err := readRevisions(ctx, c, namespace, args[0])
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber history: %v\n", err)
		return 2
	}
	types, err := labels.NewRequirement(gdprv1alpha1.AuditTypeLabel, selection.In, historyEntryTypes)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber history: %v\n", err)
		return 2
	}
	ledgerOf, err := labels.NewRequirement(gdprv1alpha1.AuditLedgerLabel, selection.Equals, []string{w.Name})
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber history: %v\n", err)
		return 2
	}
	var list gdprv1alpha1.AuditEventList
	if err := c.List(ctx, &list, client.InNamespace(namespace), client.MatchingLabelsSelector{Selector: labels.NewSelector().Add(*types, *ledgerOf)}); err != nil {
		fmt.Fprintf(stderr, "kubectl amber history: list the ledger's entries: %v\n", err)
		return 2
	}
	entries := make([]gdprv1alpha1.AuditEventSpec, 0, len(list.Items))
	for _, e := range list.Items {
		if e.Spec.Ledger == w.Name {
			entries = append(entries, e.Spec)
		}
	}
	h := history.Build(history.Input{
		Namespace: namespace, Workload: w.Name, WorkloadUID: string(w.UID), UpdateRevision: w.Status.UpdateRevision,
		Revisions: revisions, Entries: entries,
	})
	if err := history.Render(stdout, h, output); err != nil {
		fmt.Fprintf(stderr, "kubectl amber history: %v\n", err)
		return 2
	}
	return 0
}

// connect makes a client from kubectl's flags, and the namespace they name (the
// kubeconfig's when -n is not given).
func connect(kube *genericclioptions.ConfigFlags) (client.Client, string, error) {
	namespace, _, err := kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return nil, "", fmt.Errorf("read the namespace from the kubeconfig: %w", err)
	}
	c, err := newClient(kube)
	if err != nil {
		return nil, "", err
	}
	return c, namespace, nil
}

// readRevisions reads a workload and its revisions: the ControllerRevisions it controls (the
// label alone is a claim anyone can write).
func readRevisions(ctx context.Context, c client.Client, namespace, name string) (*gdprv1alpha1.GDPRWorkload, []revision.Revision, error) {
	w := &gdprv1alpha1.GDPRWorkload{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, w); err != nil {
		return nil, nil, fmt.Errorf("read GDPRWorkload %s/%s: %w", namespace, name, err)
	}
	var list appsv1.ControllerRevisionList
	if err := c.List(ctx, &list, client.InNamespace(namespace), client.MatchingLabels{gdprv1alpha1.WorkloadLabel: name}); err != nil {
		return nil, nil, fmt.Errorf("list the revisions of %s/%s: %w", namespace, name, err)
	}
	revisions := make([]revision.Revision, 0, len(list.Items))
	for i := range list.Items {
		if !metav1.IsControlledBy(&list.Items[i], w) {
			continue
		}
		rev, err := revision.Decode(&list.Items[i])
		if err != nil {
			return nil, nil, err
		}
		revisions = append(revisions, rev)
	}
	return w, revisions, nil
}
