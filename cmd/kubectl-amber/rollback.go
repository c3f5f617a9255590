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
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/completion"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/revision"
	"github.com/amber-gdpr/amber/internal/rollback"
)

const rollbackLong = `Returns a GDPRWorkload to an earlier revision (the previous one by default, or number N of
'kubectl amber history'), with the digests recorded when that revision was pinned: the tags
are not resolved again, so a tag that moved since does not change what runs. It writes the
revision's template and hardening profile back into the workload's spec, and the
gdpr.amber.dev/rollback-to annotation naming the revision (which is what tells two
revisions of one template apart when a refresh found a tag moved). Amber then replaces the
pods surge-first within spec.strategy and records RevisionRestored with reason Rollback.

The write is a patch that fails if the workload changed since it was read; when only
Amber's status writes got in between (the spec's generation and the revision chosen are
unchanged), it is tried again, up to 5 times. When the
workload's spec is managed by a GitOps tool (Argo CD, Flux, …, as its managed fields tell),
a warning says that the tool will undo the rollback: revert the commit in Git instead.

Exit status: 0 when rolled back (or, with --dry-run, when it would be), 1 when there is
nothing to roll back to or the write failed, 2 on bad usage or when the cluster cannot be
read.`

// beforePatch, set by tests only, runs before each attempt's patch: a test changes the
// workload there, as Amber's status writes or another person would between read and write.
var beforePatch func(attempt int)

// maxRollbackAttempts bounds the patches tried while only Amber's status writes get in between.
const maxRollbackAttempts = 5

// rollbackOptions are the flags of 'kubectl amber rollback' beside kubectl's own.
type rollbackOptions struct {
	toRevision int64
	dryRun     bool
}

func newRollbackCommand(kube *genericclioptions.ConfigFlags, f cmdutil.Factory, s streams) *cobra.Command {
	var opts rollbackOptions
	cmd := &cobra.Command{
		Use:               "rollback WORKLOAD [--to-revision N] [-n NAMESPACE] [--dry-run]",
		Short:             "Return a GDPRWorkload to an earlier revision, with the digests recorded then",
		Long:              rollbackLong,
		Example:           "  kubectl amber rollback payments -n shop\n  kubectl amber rollback payments -n shop --to-revision 2 --dry-run",
		ValidArgsFunction: completion.ResourceNameCompletionFunc(f, "gdprworkloads"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(rollbackRun(cmd.Context(), kube, opts, args, s.out, s.errOut))
		},
	}
	cmd.Flags().Int64Var(&opts.toRevision, "to-revision", 0, "The revision to roll back to, a number 'kubectl amber history' lists; 0 for the previous revision.")
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "Send the change to the API server as a dry run (admission and validation run, nothing is stored) and print what would be restored.")
	return cmd
}

func rollbackRun(ctx context.Context, kube *genericclioptions.ConfigFlags, flags rollbackOptions, args []string, stdout, stderr io.Writer) int {
	toRevision, dryRun := &flags.toRevision, &flags.dryRun
	if len(args) != 1 {
		fmt.Fprintf(stderr, "kubectl amber rollback: want one GDPRWorkload name, got %d arguments (see --help)\n", len(args))
		return 2
	}
	if *toRevision < 0 {
		fmt.Fprintf(stderr, "kubectl amber rollback: --to-revision %d: want a revision number of 1 or more from 'kubectl amber history', or 0 for the previous revision\n", *toRevision)
		return 2
	}
	c, namespace, err := connect(kube)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber rollback: %v\n", err)
		return 2
	}
	opts := []client.PatchOption{client.FieldOwner(rollback.FieldManager)}
	if *dryRun {
		opts = append(opts, client.DryRunAll)
	}
	var (
		w, restored *gdprv1alpha1.GDPRWorkload
		target      revision.Revision
		generation  int64
		warned      bool
	)
	// The resourceVersion in the patch makes it fail when the workload changed since it was
	// read: the revision chosen from what was read would roll back what someone just wrote.
	// Amber's own status writes change the resourceVersion too, often while pods roll out:
	// a conflict with the same generation of the spec (and the same revision chosen) is
	// theirs, and the rollback is tried again on what it reads then.
	for attempt := 1; ; attempt++ {
		var revisions []revision.Revision
		w, revisions, err = readRevisions(ctx, c, namespace, args[0])
		if err != nil {
			fmt.Fprintf(stderr, "kubectl amber rollback: %v\n", err)
			return 2
		}
		chosen, err := rollback.Target(revisions, w.Status.UpdateRevision, *toRevision)
		if err != nil {
			fmt.Fprintf(stderr, "kubectl amber rollback: GDPRWorkload %s/%s: %v\n", namespace, w.Name, err)
			return 1
		}
		if attempt > 1 && (w.Generation != generation || chosen.ID != target.ID) {
			fmt.Fprintf(stderr, "kubectl amber rollback: GDPRWorkload %s/%s changed while it was being rolled back; nothing was written: look at 'kubectl amber history %s' and run the rollback again\n", namespace, w.Name, w.Name)
			return 1
		}
		target, generation = chosen, w.Generation
		if managers := rollback.GitOpsManagers(w.ManagedFields); len(managers) > 0 && !warned {
			fmt.Fprintln(stderr, rollback.GitOpsWarning(namespace, w.Name, managers))
			warned = true
		}
		restored = rollback.Apply(w, target)
		if beforePatch != nil {
			beforePatch(attempt)
		}
		err = c.Patch(ctx, restored, client.MergeFromWithOptions(w, client.MergeFromWithOptimisticLock{}), opts...)
		if apierrors.IsConflict(err) && attempt < maxRollbackAttempts {
			continue
		}
		break
	}
	switch {
	case apierrors.IsConflict(err):
		fmt.Fprintf(stderr, "kubectl amber rollback: GDPRWorkload %s/%s kept changing while it was being rolled back (%d attempts); nothing was written: run the rollback again\n", namespace, w.Name, maxRollbackAttempts)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "kubectl amber rollback: write GDPRWorkload %s/%s: %v\n", namespace, w.Name, err)
		return 1
	}
	message := fmt.Sprintf("Rolled back to %s", rollback.Describe(target))
	if *dryRun {
		fmt.Fprintf(stdout, "gdprworkload.gdpr.amber.dev/%s would be rolled back to %s (dry run: nothing was written)\n", w.Name, rollback.Describe(target))
		return 0
	}
	if err := recordRolledBack(ctx, c, restored, message); err != nil {
		// The rollback itself is done, and the ledger will record it: the event is a courtesy.
		fmt.Fprintf(stderr, "kubectl amber rollback: warning: the %s event was not recorded: %v\n", gdprv1alpha1.EventRolledBack, err)
	}
	fmt.Fprintf(stdout, "gdprworkload.gdpr.amber.dev/%s rolled back to %s\n", w.Name, rollback.Describe(target))
	fmt.Fprintf(stdout, "Amber replaces the pods surge-first within spec.strategy; 'kubectl amber history %s' shows the revision as current.\n", w.Name)
	return 0
}

// recordRolledBack creates the RolledBack event on the workload: events are what
// 'kubectl describe' and 'kubectl events' show beside Amber's own.
func recordRolledBack(ctx context.Context, c client.Client, w *gdprv1alpha1.GDPRWorkload, message string) error {
	now := time.Now()
	event := &eventsv1.Event{
		// Named as client-go's recorder names events: the API server refuses a generateName
		// that ends in a dot.
		ObjectMeta:          metav1.ObjectMeta{Namespace: w.Namespace, Name: fmt.Sprintf("%s.%x", w.Name, now.UnixNano())},
		EventTime:           metav1.NewMicroTime(now),
		ReportingController: "gdpr.amber.dev/kubectl-amber",
		ReportingInstance:   rollback.FieldManager,
		Action:              "Rollback",
		Reason:              gdprv1alpha1.EventRolledBack,
		Type:                corev1.EventTypeNormal,
		Note:                truncate(message, 1024), // the API server's limit
		Regarding: corev1.ObjectReference{
			APIVersion: gdprv1alpha1.GroupVersion.String(), Kind: "GDPRWorkload",
			Namespace: w.Namespace, Name: w.Name, UID: w.UID, ResourceVersion: w.ResourceVersion,
		},
	}
	return c.Create(ctx, event)
}

// truncate cuts s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
