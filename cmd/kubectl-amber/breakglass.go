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
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/completion"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/breakglass"
)

const breakGlassLong = `Creates a BreakGlass: for --duration from now (at most 4h), the users and groups of --for
(default: you) may do --ops (exec, attach, debug, portForward) on the pods of GDPRWorkload
WORKLOAD (only those named by --pod, when given). Every use is recorded in the workload's
ledger, and every pod touched is replaced by a fresh one once the window closes or the
BreakGlass is deleted. The window cannot be extended: ask for another BreakGlass. Prints
the BreakGlass's name and when its window closes.

Exit status: 0 when created, 1 when the cluster refused or could not be reached, 2 on bad
usage.`

// breakGlassWait is how long the command waits for the manager to report the window in the
// BreakGlass's status before it computes the end itself (the same breakglass.Window).
const breakGlassWait = 5 * time.Second

// breakGlassRequest is what the command line asks for, checked.
type breakGlassRequest struct {
	name, workload string
	spec           gdprv1alpha1.BreakGlassSpec
}

// parseBreakGlass checks the command's flags and argument; errors name the flag and what is
// allowed.
func parseBreakGlass(args []string, workloadFlag string, ops, pods, subjects []string, duration time.Duration, reason, name string) (breakGlassRequest, error) {
	var req breakGlassRequest
	switch {
	case len(args) > 1:
		return req, fmt.Errorf("unexpected argument %q: breakglass takes one WORKLOAD", args[1])
	case len(args) == 1 && workloadFlag != "" && args[0] != workloadFlag:
		return req, fmt.Errorf("WORKLOAD %q and --workload %q differ: give one", args[0], workloadFlag)
	case len(args) == 1:
		req.workload = args[0]
	case workloadFlag != "":
		req.workload = workloadFlag
	default:
		return req, errors.New("WORKLOAD is required: the GDPRWorkload whose pods are opened")
	}
	if len(ops) == 0 {
		return req, errors.New("--ops is required: one or more of exec, attach, debug, portForward")
	}
	for _, op := range ops {
		switch o := gdprv1alpha1.BreakGlassOperation(op); o {
		case gdprv1alpha1.BreakGlassExec, gdprv1alpha1.BreakGlassAttach, gdprv1alpha1.BreakGlassDebug, gdprv1alpha1.BreakGlassPortForward:
			req.spec.Operations = append(req.spec.Operations, o)
		default:
			return req, fmt.Errorf("--ops %q: want exec, attach, debug or portForward", op)
		}
	}
	req.spec.Pods = pods
	for _, s := range subjects {
		kind, who, ok := strings.Cut(s, ":")
		switch {
		case ok && kind == "user" && who != "":
			req.spec.Users = append(req.spec.Users, who)
		case ok && kind == "group" && who != "":
			req.spec.Groups = append(req.spec.Groups, who)
		default:
			return req, fmt.Errorf("--for %q: want user:NAME or group:NAME, such as user:alice,group:oncall", s)
		}
	}
	if duration <= 0 || duration > 4*time.Hour {
		return req, fmt.Errorf("--duration %s: want more than 0s and at most 4h, such as 30m or 2h", duration)
	}
	req.spec.Duration = metav1.Duration{Duration: duration}
	if len(strings.TrimSpace(reason)) < 8 {
		return req, errors.New("--reason is required, at least 8 characters: why access is needed (an incident or ticket reference); no personal data")
	}
	req.spec.Reason = reason
	req.spec.Workload = req.workload
	req.name = name
	return req, nil
}

// breakGlassFlags are the command's flags as typed, checked by parseBreakGlass.
type breakGlassFlags struct {
	workload, reason, name string
	ops, pods, subjects    []string
	duration               time.Duration
}

func newBreakGlassCommand(kube *genericclioptions.ConfigFlags, f cmdutil.Factory, s streams) *cobra.Command {
	var flags breakGlassFlags
	cmd := &cobra.Command{
		Use:               `breakglass WORKLOAD --ops exec,attach --reason "INC-123: ..." [--pod P ...] [--for user:alice,group:oncall] [--duration 30m] [-n NAMESPACE] [--name NAME]`,
		Short:             "Open a workload's pods to exec, attach, debug or portForward for a short, recorded window",
		Long:              breakGlassLong,
		Example:           `  kubectl amber breakglass payments -n shop --ops exec --reason "INC-123: inspect the queue" --for user:alice --duration 30m`,
		ValidArgsFunction: completion.ResourceNameCompletionFunc(f, "gdprworkloads"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(breakGlassRun(cmd.Context(), kube, flags, args, s.out, s.errOut))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&flags.workload, "workload", "", "The GDPRWorkload whose pods are opened (or give it as the argument).")
	fs.StringSliceVar(&flags.ops, "ops", nil, "Operations to open: exec, attach, debug, portForward (comma-separated or repeated).")
	fs.StringSliceVar(&flags.pods, "pod", nil, "A pod to open (repeated or comma-separated); default: every pod of the workload.")
	fs.StringSliceVar(&flags.subjects, "for", nil, "Who may: user:NAME and group:NAME, comma-separated; default: you.")
	fs.DurationVar(&flags.duration, "duration", breakglass.DefaultDuration, "How long the window stays open from now: at most 4h.")
	fs.StringVar(&flags.reason, "reason", "", "Why access is needed: an incident or ticket reference (required; no personal data).")
	fs.StringVar(&flags.name, "name", "", "The BreakGlass's name; default: generated from the workload's. A name can be used once per namespace.")
	cobra.CheckErr(cmd.RegisterFlagCompletionFunc("ops", cobra.FixedCompletions([]string{
		string(gdprv1alpha1.BreakGlassExec), string(gdprv1alpha1.BreakGlassAttach), string(gdprv1alpha1.BreakGlassDebug), string(gdprv1alpha1.BreakGlassPortForward),
	}, cobra.ShellCompDirectiveNoFileComp)))
	cobra.CheckErr(cmd.RegisterFlagCompletionFunc("workload", completion.ResourceNameCompletionFunc(f, "gdprworkloads")))
	cobra.CheckErr(cmd.RegisterFlagCompletionFunc("pod", completion.ResourceNameCompletionFunc(f, "pods")))
	return cmd
}

func breakGlassRun(ctx context.Context, kube *genericclioptions.ConfigFlags, flags breakGlassFlags, args []string, stdout, stderr io.Writer) int {
	req, err := parseBreakGlass(args, flags.workload, flags.ops, flags.pods, flags.subjects, flags.duration, flags.reason, flags.name)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber breakglass: %v\n", err)
		return 2
	}
	namespace, _, err := kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber breakglass: %v\n", err)
		return 2
	}
	c, err := newClient(kube)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber breakglass: %v\n", err)
		return 2
	}
	bg := &gdprv1alpha1.BreakGlass{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: req.name}, Spec: req.spec}
	if bg.Name == "" {
		bg.GenerateName = generateNameFor(req.workload)
	}
	if err := c.Create(ctx, bg); err != nil {
		fmt.Fprintf(stderr, "kubectl amber breakglass: %v\n", err)
		return 1
	}
	notAfter := windowEnd(ctx, c, bg)
	fmt.Fprintf(stdout, "breakglass.gdpr.amber.dev/%s created in namespace %s: %s until %s (in %s)\n",
		bg.Name, bg.Namespace, breakglass.Describe(bg), notAfter.Format(time.RFC3339), time.Until(notAfter).Round(time.Second))
	fmt.Fprintf(stdout, "Every use is recorded; every pod touched is replaced once the window closes. End it early: kubectl delete breakglass -n %s %s\n", bg.Namespace, bg.Name)
	return 0
}

// generateNameFor is a generateName prefix from the workload's name, short enough that the
// generated name (5 more characters) still labels ledger entries (63 at most).
func generateNameFor(workload string) string {
	prefix := workload
	if len(prefix) > 45 {
		prefix = prefix[:45]
	}
	return strings.TrimSuffix(prefix, "-") + "-breakglass-"
}

// windowEnd is when the BreakGlass's window closes: as the manager reports it in status, or,
// when it has not yet, computed by the same function from the object the API server returned.
func windowEnd(ctx context.Context, c client.Client, bg *gdprv1alpha1.BreakGlass) time.Time {
	deadline := time.Now().Add(breakGlassWait)
	for time.Now().Before(deadline) {
		got := &gdprv1alpha1.BreakGlass{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(bg), got); err == nil && got.Status.NotAfter != nil {
			return got.Status.NotAfter.UTC()
		}
		select {
		case <-ctx.Done():
			deadline = time.Now()
		case <-time.After(200 * time.Millisecond):
		}
	}
	_, notAfter := breakglass.Window(bg)
	return notAfter
}
