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

// Command kubectl-amber is Amber's kubectl plugin (`kubectl amber …`), also usable on its own.
//
//	kubectl amber verify -f events.json --public-key amber.pub   verify a saved ledger offline
//	kubectl amber verify -n NAMESPACE LEDGER                     verify a ledger in the cluster
//	kubectl amber records [-n NAMESPACE | -A] [-o FORMAT] [--strict] print the record of processing (GDPR Art. 30)
//	kubectl amber history WORKLOAD [-n NAMESPACE] [-o json]       list a workload's revisions
//	kubectl amber rollback WORKLOAD [--to-revision N] [--dry-run] return it to an earlier revision
//	kubectl amber incident report [--since T] [-n NS | -A]       draft the Art. 33 timeline of an incident
//	kubectl amber quarantine POD --reason "..." [--keep 24h]     take a suspect pod out of service, kept for examination
//	kubectl amber breakglass WORKLOAD --ops exec --reason R      open a workload's pods for a short, recorded window
//	kubectl amber completion bash|zsh|fish|powershell            print a shell completion script
//
// The commands are a cobra tree whose root carries kubectl's own connection flags
// (k8s.io/cli-runtime's ConfigFlags: --kubeconfig, --context, -n, --as, --request-timeout, …)
// once, as persistent flags, so that they mean what they mean to kubectl. Shell completion
// is cobra's; run as kubectl_complete-amber, the binary answers kubectl's plugin completion
// (kubectl ≥ 1.26 runs kubectl_complete-<plugin> with the words typed after the plugin's
// name).
//
// verify exits 0 only when every chain and its signed checkpoints verify; otherwise 1, with
// the first bad sequence number and what is wrong with it. records prints every workload's
// declared spec.processing beside the measures Amber proves from the cluster and the ledger,
// with findings where they disagree, as Markdown, CSV, JSON or a fideslang manifest; with
// --strict it exits 1 when there is a finding. incident report verifies every chain in scope,
// then drafts the Art. 33 timeline for the data-protection officer; it exits 1 when a chain
// does not verify. Usage errors exit 2; --help and help exit 0.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/completion"
)

func main() {
	args := os.Args[1:]
	if completionName(os.Args[0]) {
		args = append([]string{cobra.ShellCompRequestCmd}, args...)
	}
	os.Exit(run(context.Background(), args, os.Stdin, os.Stdout, os.Stderr))
}

// pluginCompletionName is the name kubectl ≥ 1.26 looks for on the PATH to complete the
// words after 'kubectl amber' (k8s.io/kubectl/pkg/cmd/plugin: kubectl-amber becomes
// kubectl_complete-amber). It runs it with those words, the last one being completed, and
// reads cobra's answer: one choice a line, then :DIRECTIVE.
const pluginCompletionName = "kubectl_complete-amber"

// completionName tells whether the binary was started under pluginCompletionName (a copy, a
// link, or the script shipped beside it): it then answers as cobra's __complete command.
func completionName(argv0 string) bool {
	// Either separator: a Windows path is a Windows path wherever this runs.
	name := argv0[strings.LastIndexAny(argv0, `/\`)+1:]
	return strings.TrimSuffix(name, ".exe") == pluginCompletionName
}

const rootLong = `Amber's kubectl plugin: verify audit ledgers, print the record of processing, roll
back, quarantine, break glass and draft an incident timeline.

  kubectl amber verify -f FILE --public-key amber.pub   verify entries saved with 'kubectl get ae -o json' (or the manager's export); FILE may be -
  kubectl amber verify [-n NAMESPACE] LEDGER            verify a ledger in the cluster of the current kubeconfig
  kubectl amber records [-n NAMESPACE | -A] [--since 30d] [-o markdown|csv|json|fides] [--strict]
                                                       print the record of processing activities (GDPR Art. 30)
                                                       of every workload, its declaration beside what Amber proves
  kubectl amber history WORKLOAD [-n NAMESPACE] [-o table|json]
                                                       list a workload's revisions: pinned digests, profile, when
                                                       each ran and who changed the template to it
  kubectl amber rollback WORKLOAD [--to-revision N] [-n NAMESPACE] [--dry-run]
                                                       return a workload to an earlier revision (default: the
                                                       previous one) with the digests recorded when it was pinned
  kubectl amber incident report [--since T] [--until T] [-n NAMESPACE | -A] [--workload W] [-o markdown|json]
                                                       draft, from the verified ledgers, the timeline of an incident
                                                       for a breach notification (GDPR Art. 33)
  kubectl amber quarantine POD --reason "..." [--keep 24h] [-n NAMESPACE] [--name NAME]
                                                       replace a suspect pod by a fresh one, then take it out of
                                                       service, isolated and kept for examination until --keep
  kubectl amber breakglass WORKLOAD --ops exec,attach --reason "..." [--pod P ...] [--for user:alice,group:oncall]
                                    [--duration 30m] [-n NAMESPACE] [--name NAME]
                                                       open the workload's pods to exec, attach, debug or portForward
                                                       for a short window; every use recorded, every touched pod replaced
  kubectl amber completion bash|zsh|fish|powershell    print a shell completion script

kubectl's own flags (--kubeconfig, --context, -n, --as, --as-group, --request-timeout, …)
come before or after the command and mean what they mean to kubectl.

Exit status: verify: 0 when every chain and its signed checkpoints verify, 1 when one does not.
records: 0 when printed, 1 with --strict when the record holds findings. history: 0 when
printed. rollback: 0 when rolled back, 1 when there is nothing to roll back to or the write
failed. incident report: 0 when printed, 1 when printed but a chain does not verify.
quarantine: 0 when created, 1 when the pod cannot be quarantined. breakglass: 0 when created,
1 when refused. All: 2 on bad usage; 0 for --help and help. 'kubectl amber COMMAND --help'
lists a command's flags.`

// exitStatus is the error a command returns to end with a status other than 0, its message
// already printed: the contracts above are statuses, not error texts.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// exit turns a command's status into what cobra's RunE returns.
func exit(status int) error {
	if status == 0 {
		return nil
	}
	return exitStatus(status)
}

// streams are where commands read and write; tests give buffers.
type streams struct {
	in          io.Reader
	out, errOut io.Writer
}

// run executes the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root, _ := newRootCommand(streams{in: stdin, out: stdout, errOut: stderr})
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	var status exitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &status):
		return int(status)
	default:
		// Any other error is bad usage cobra or pflag found (an unknown command or flag, a
		// flag value of the wrong type): their messages name it and, for a value, the type
		// wanted.
		path := root.CommandPath()
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(stderr, "%s: %v (see '%s --help')\n", path, err, path)
		return 2
	}
}

// newRootCommand builds the command tree around one set of kubectl's connection flags, which
// it also returns (tests build REST configs from it).
func newRootCommand(s streams) (*cobra.Command, *genericclioptions.ConfigFlags) {
	kube := genericclioptions.NewConfigFlags(true)
	root := &cobra.Command{
		Use:   "kubectl-amber",
		Short: "Amber's kubectl plugin: ledgers, records, rollback, quarantine, break-glass, incidents",
		Long:  rootLong,
		// As kubectl shows a plugin's commands: 'kubectl amber records', not 'kubectl-amber records'.
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl amber"},
		// Without a command there is nothing to do: the help, on stderr, and status 2, as
		// before cobra. With an unknown one, cobra names it before this runs.
		RunE:          groupRunE(s, ""),
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.errOut)
	kube.AddFlags(root.PersistentFlags())

	f := cmdutil.NewFactory(kube)
	registerConnectionCompletion(root, f)
	root.AddCommand(
		newVerifyCommand(kube, f, s),
		newRecordsCommand(kube, s),
		newHistoryCommand(kube, f, s),
		newRollbackCommand(kube, f, s),
		newIncidentCommand(kube, s),
		newQuarantineCommand(kube, f, s),
		newBreakGlassCommand(kube, f, s),
	)
	// cobra's completion command, made now rather than at Execute so that a shell it does
	// not know is bad usage (cobra prints the help and succeeds).
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.RunE = groupRunE(s, "want bash, zsh, fish or powershell")
		}
	}
	return root, kube
}

// groupRunE is the RunE of a command that only groups others: without one, its help on
// stderr and status 2; with an unknown one, that one named with what is allowed.
func groupRunE(s streams, allowed string) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			cmd.SetOut(s.errOut)
			_ = cmd.Help()
			return exitStatus(2)
		}
		fmt.Fprintf(s.errOut, "%s: unknown subcommand %q: %s (see --help)\n", cmd.CommandPath(), args[0], allowed)
		return exitStatus(2)
	}
}

// registerConnectionCompletion completes kubectl's flags as kubectl does (k8s.io/kubectl's
// registerCompletionFuncForGlobalFlags): namespaces from the API server, contexts, clusters
// and users from the kubeconfig.
func registerConnectionCompletion(root *cobra.Command, f cmdutil.Factory) {
	completion.SetFactoryForCompletion(f)
	for flag, complete := range map[string]func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective){
		"namespace": func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return completion.CompGetResource(f, "namespace", toComplete), cobra.ShellCompDirectiveNoFileComp
		},
		"context": func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return completion.ListContextsInConfig(toComplete), cobra.ShellCompDirectiveNoFileComp
		},
		"cluster": func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return completion.ListClustersInConfig(toComplete), cobra.ShellCompDirectiveNoFileComp
		},
		"user": func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return completion.ListUsersInConfig(toComplete), cobra.ShellCompDirectiveNoFileComp
		},
	} {
		// The flags exist: kube.AddFlags registered them on root just before.
		cobra.CheckErr(root.RegisterFlagCompletionFunc(flag, complete))
	}
}

// namespaceScope is the namespace a command that can list across namespaces reads: "" (every
// namespace) with -A, else -n's, else the kubeconfig context's; allByDefault makes "" the
// answer without -n too. -n and -A together are refused.
func namespaceScope(cmd *cobra.Command, kube *genericclioptions.ConfigFlags, all, allByDefault bool) (string, error) {
	explicit := cmd.Flags().Changed("namespace")
	switch {
	case all && explicit:
		return "", errors.New("-n and -A: give one namespace with -n, or every namespace with -A, not both")
	case all, allByDefault && !explicit:
		return "", nil
	}
	namespace, _, err := kube.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("read the namespace from the kubeconfig: %w", err)
	}
	return namespace, nil
}

// completeOutput completes -o with the formats a command prints.
func completeOutput[F ~string](cmd *cobra.Command, formats ...F) {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	// The flag exists: the command registered it just before.
	cobra.CheckErr(cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(names, cobra.ShellCompDirectiveNoFileComp)))
}
