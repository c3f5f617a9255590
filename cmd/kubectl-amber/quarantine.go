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
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/completion"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

const quarantineLong = `Takes a suspect pod of a GDPRWorkload out of service without deleting it, so that it can
be examined: Amber makes a fresh pod of the same pinned revision first; once that is Ready,
the suspect pod loses the template's labels (it leaves every Service), a NetworkPolicy
denying all its ingress and egress selects it, and it is kept until --keep has passed, or
until the Quarantine is deleted (kubectl delete quarantine NAME). Every step is recorded in
the workload's ledger. Enforcing the NetworkPolicy needs a network plugin that implements
NetworkPolicy.

Creates the Quarantine, prints its name, then waits up to --wait for the pod to leave
service and prints its replacement and when the pod will be deleted.

Exit status: 0 when the Quarantine was created, 1 when Amber cannot quarantine the pod (it
does not exist, or belongs to no GDPRWorkload), 2 on bad usage or when the cluster cannot be
reached.`

// maxKeep is spec.keep's bound, as the Quarantine's schema enforces it.
const maxKeep = 7 * 24 * time.Hour

// quarantineRequest is what the command line asks for.
type quarantineRequest struct {
	pod, reason, name string
	keep, wait        time.Duration
}

// quarantineFlags are the command's flags as typed, checked by parseQuarantine.
type quarantineFlags struct {
	reason, keep, name string
	wait               time.Duration
}

func newQuarantineCommand(kube *genericclioptions.ConfigFlags, f cmdutil.Factory, s streams) *cobra.Command {
	var flags quarantineFlags
	cmd := &cobra.Command{
		Use:               `quarantine POD --reason "INC-123: unexpected egress" [--keep 24h] [-n NAMESPACE] [--name NAME] [--wait 30s]`,
		Short:             "Take a suspect pod out of service, isolated and kept for examination",
		Long:              quarantineLong,
		Example:           `  kubectl amber quarantine payments-7f9c -n shop --reason "INC-123: unexpected egress" --keep 48h`,
		ValidArgsFunction: completion.ResourceNameCompletionFunc(f, "pods"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(quarantineRun(cmd.Context(), kube, flags, args, s.out, s.errOut))
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&flags.reason, "reason", "", "Why the pod is suspect: an incident or ticket reference, 8 to 1024 characters. Required. No personal data.")
	fs.StringVar(&flags.keep, "keep", "24h", "How long the pod is kept for examination once out of service: more than 0s, at most 168h (7 days).")
	fs.StringVar(&flags.name, "name", "", "The Quarantine's name (at most 63 lowercase letters, digits and '-'); by default made from the pod's name.")
	fs.DurationVar(&flags.wait, "wait", 30*time.Second, "How long to wait for the pod to leave service before returning; 0 returns at once.")
	return cmd
}

// parseQuarantine checks the command line, naming the flag at fault and what is allowed.
func parseQuarantine(flags quarantineFlags, args []string) (quarantineRequest, error) {
	reason, keep, name := &flags.reason, &flags.keep, &flags.name
	switch len(args) {
	case 0:
		return quarantineRequest{}, errors.New("name the pod to quarantine: kubectl amber quarantine POD --reason \"...\"")
	case 1:
	default:
		return quarantineRequest{}, fmt.Errorf("unexpected argument %q: quarantine takes one pod", args[1])
	}
	req := quarantineRequest{pod: args[0], reason: *reason, name: *name, wait: flags.wait}
	if n := utf8.RuneCountInString(req.reason); n < 8 || n > 1024 {
		if req.reason == "" {
			return quarantineRequest{}, errors.New("--reason is required: why the pod is suspect, 8 to 1024 characters (an incident or ticket reference; no personal data)")
		}
		return quarantineRequest{}, fmt.Errorf("--reason %q: want 8 to 1024 characters (an incident or ticket reference; no personal data)", req.reason)
	}
	d, err := time.ParseDuration(*keep)
	if err != nil || d <= 0 || d > maxKeep {
		return quarantineRequest{}, fmt.Errorf("--keep %q: want a duration more than 0s and at most 168h (7 days), such as 24h", *keep)
	}
	req.keep = d
	// The name becomes the value of the pod's QuarantinedLabel and the NetworkPolicy's name.
	if req.name != "" && len(validation.IsDNS1123Label(req.name)) > 0 {
		return quarantineRequest{}, fmt.Errorf("--name %q: want at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (it becomes a label value)", req.name)
	}
	if req.wait < 0 {
		return quarantineRequest{}, fmt.Errorf("--wait %s: want 0 or more", req.wait)
	}
	return req, nil
}

func quarantineRun(ctx context.Context, kube *genericclioptions.ConfigFlags, flags quarantineFlags, args []string, stdout, stderr io.Writer) int {
	req, err := parseQuarantine(flags, args)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber quarantine: %v (see --help)\n", err)
		return 2
	}
	c, err := newClient(kube)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber quarantine: %v\n", err)
		return 2
	}
	namespace, _, err := kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber quarantine: %v\n", err)
		return 2
	}

	q := &gdprv1alpha1.Quarantine{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: req.name},
		Spec:       gdprv1alpha1.QuarantineSpec{Pod: req.pod, Reason: req.reason, Keep: metav1.Duration{Duration: req.keep}},
	}
	if q.Name == "" {
		// The API server completes it, cutting the prefix so that the name stays a label value.
		q.GenerateName = req.pod + "-q-"
	}
	if err := c.Create(ctx, q, client.FieldOwner("kubectl-amber")); err != nil {
		fmt.Fprintf(stderr, "kubectl amber quarantine: create the Quarantine of pod %s in namespace %s: %v\n", req.pod, namespace, err)
		return 2
	}
	fmt.Fprintf(stdout, "quarantine.gdpr.amber.dev/%s created for pod %s\n", q.Name, req.pod)

	got, err := awaitIsolation(ctx, c, client.ObjectKeyFromObject(q), req.wait)
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber quarantine: %v\n", err)
		return 2
	}
	if stalled := meta.FindStatusCondition(got.Status.Conditions, gdprv1alpha1.StalledCondition); stalled != nil && stalled.Status == metav1.ConditionTrue {
		fmt.Fprintf(stderr, "kubectl amber quarantine: Amber cannot quarantine the pod: %s\n(delete the Quarantine: kubectl delete quarantine %s -n %s)\n", stalled.Message, q.Name, namespace)
		return 1
	}
	fmt.Fprint(stdout, describeQuarantine(got))
	return 0
}

// awaitIsolation polls the Quarantine until its pod is isolated, it stalls, or wait passes.
func awaitIsolation(ctx context.Context, c client.Client, key client.ObjectKey, wait time.Duration) (*gdprv1alpha1.Quarantine, error) {
	deadline := time.Now().Add(wait)
	for {
		got := &gdprv1alpha1.Quarantine{}
		if err := c.Get(ctx, key, got); err != nil {
			return nil, fmt.Errorf("read Quarantine %s: %w", key.Name, err)
		}
		done := got.Status.Phase == gdprv1alpha1.QuarantineIsolated || got.Status.Phase == gdprv1alpha1.QuarantineReleased ||
			meta.IsStatusConditionTrue(got.Status.Conditions, gdprv1alpha1.StalledCondition)
		if done || !time.Now().Before(deadline) {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return got, nil
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// describeQuarantine says where a Quarantine stands: its replacement and when its pod goes.
func describeQuarantine(q *gdprv1alpha1.Quarantine) string {
	var s string
	switch {
	case q.Status.Replacement != "" && q.Status.Phase == gdprv1alpha1.QuarantineIsolated:
		s += fmt.Sprintf("replacement: pod %s serves in its place; pod %s is out of every Service, isolated by NetworkPolicy %s\n", q.Status.Replacement, q.Spec.Pod, q.Status.NetworkPolicy)
	case q.Status.Replacement != "":
		s += fmt.Sprintf("replacement: pod %s, not Ready yet; pod %s serves until it is\n", q.Status.Replacement, q.Spec.Pod)
	default:
		s += fmt.Sprintf("replacement: not made yet; pod %s serves until one is Ready (kubectl get quarantine %s -n %s)\n", q.Spec.Pod, q.Name, q.Namespace)
	}
	if q.Status.DeleteAfter != nil {
		s += fmt.Sprintf("pod %s is deleted at %s, or sooner when the Quarantine is deleted (kubectl delete quarantine %s -n %s)\n",
			q.Spec.Pod, q.Status.DeleteAfter.UTC().Format(time.RFC3339), q.Name, q.Namespace)
	} else {
		s += fmt.Sprintf("pod %s is deleted %s after it leaves service, or sooner when the Quarantine is deleted (kubectl delete quarantine %s -n %s)\n",
			q.Spec.Pod, q.Spec.Keep.Duration, q.Name, q.Namespace)
	}
	return s
}
