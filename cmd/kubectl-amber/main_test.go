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
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// checkUsage asserts a usage case: help succeeds on stdout, as kubectl's does (so that it
// pipes into a pager or grep); bad usage fails on stderr, stdout left empty.
func checkUsage(t *testing.T, status int, stdout, stderr *bytes.Buffer, wantStatus int, want string) {
	t.Helper()
	if status != wantStatus {
		t.Errorf("status %d, want %d; stdout %q, stderr %q", status, wantStatus, stdout.String(), stderr.String())
	}
	where, other := stderr, stdout
	if wantStatus == 0 {
		where, other = stdout, stderr
	}
	if !strings.Contains(where.String(), want) {
		t.Errorf("%q does not contain %q", where.String(), want)
	}
	if other.Len() != 0 {
		t.Errorf("%q, want nothing printed there", other.String())
	}
}

// commandPaths lists the words that reach every command of the tree but cobra's own (help,
// completion and its shells), which are checked apart.
func commandPaths(root *cobra.Command) [][]string {
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		for _, sub := range c.Commands() {
			if sub.Name() == "help" || sub.Name() == "completion" {
				continue
			}
			p := append(slices.Clone(path), sub.Name())
			paths = append(paths, p)
			walk(sub, p)
		}
	}
	walk(root, nil)
	return paths
}

func TestEveryCommandsHelpSucceedsAndListsItsFlags(t *testing.T) {
	root, _ := newRootCommand(streams{})
	// Run once so that cobra adds its help and completion commands.
	root.SetArgs([]string{"help"})
	root.SetOut(&bytes.Buffer{})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	paths := commandPaths(root)
	if len(paths) < 8 {
		t.Fatalf("commands %v, want verify, records, history, rollback, incident, incident report, quarantine, breakglass", paths)
	}
	for _, path := range append(paths, []string{}, []string{"completion"}, []string{"completion", "bash"}) {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, help := range [][]string{append(slices.Clone(path), "--help"), append(slices.Clone(path), "-h"), append([]string{"help"}, path...)} {
			t.Run(strings.Join(help, " "), func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				status := run(context.Background(), help, strings.NewReader(""), &stdout, &stderr)
				checkUsage(t, status, &stdout, &stderr, 0, "Usage:\n  "+cmd.CommandPath())
				cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
					if !strings.Contains(stdout.String(), "--"+f.Name) {
						t.Errorf("the help does not list its flag --%s", f.Name)
					}
				})
				// kubectl's own flags, on every command as on every kubectl command.
				for _, flag := range []string{"--kubeconfig string", "--context string", "-n, --namespace string", "--as string", "--as-group stringArray", "--request-timeout string"} {
					if !strings.Contains(stdout.String(), flag) {
						t.Errorf("the help does not list %s", flag)
					}
				}
			})
		}
	}
}

func TestBadUsageExits2NamingWhatIsWrong(t *testing.T) {
	root, _ := newRootCommand(streams{})
	for _, path := range commandPaths(root) {
		t.Run(strings.Join(path, " ")+" --no-such-flag", func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(context.Background(), append(path, "--no-such-flag"), strings.NewReader(""), &stdout, &stderr)
			checkUsage(t, status, &stdout, &stderr, 2, "kubectl amber "+strings.Join(path, " ")+": unknown flag: --no-such-flag (see 'kubectl amber "+strings.Join(path, " ")+" --help')")
		})
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown command is named, with the nearest one", []string{"verfy"}, "kubectl amber: unknown command \"verfy\" for \"kubectl amber\"\n\nDid you mean this?\n\tverify"},
		{"an unknown shorthand is named", []string{"records", "-x"}, "unknown shorthand flag: 'x' in -x"},
		{"a flag of the wrong type names the flag and the value", []string{"quarantine", "web-1", "--wait", "soon"}, `invalid argument "soon" for "--wait" flag`},
		{"a kubectl flag without its value is named", []string{"records", "--context"}, "flag needs an argument: --context"},
		{"no command prints the usage, naming the commands", nil, "Available Commands:"},
		{"-n and -A together are refused, naming both", []string{"records", "-n", "shop", "-A"}, "kubectl amber records: -n and -A: give one namespace with -n, or every namespace with -A, not both"},
		{"an unknown shell is refused", []string{"completion", "tcsh"}, `kubectl amber completion: unknown command "tcsh" for "kubectl amber completion"`},
		{"completion without a shell prints its help", []string{"completion"}, "Available Commands:\n  bash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr)
			checkUsage(t, status, &stdout, &stderr, 2, tc.want)
		})
	}
}

// twoContexts writes a kubeconfig of two contexts, "one" (current) and "two", each with its
// own server, user and namespace.
func twoContexts(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	const kubeconfig = `apiVersion: v1
kind: Config
current-context: one
clusters:
- name: cluster-one
  cluster: {server: "https://one.example:6443"}
- name: cluster-two
  cluster: {server: "https://two.example:6443"}
users:
- name: user-one
  user: {token: token-one}
- name: user-two
  user: {token: token-two}
contexts:
- name: one
  context: {cluster: cluster-one, user: user-one, namespace: alpha}
- name: two
  context: {cluster: cluster-two, user: user-two, namespace: beta}
`
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKubectlFlagsChooseTheClusterAsKubectlDoes parses each command line as the plugin does,
// then builds the REST config and namespace its command would connect with.
func TestKubectlFlagsChooseTheClusterAsKubectlDoes(t *testing.T) {
	kubeconfig := twoContexts(t)
	for _, tc := range []struct {
		name          string
		args          []string
		wantServer    string
		wantToken     string
		wantNamespace string
		wantAs        string
		wantGroups    []string
		wantTimeout   time.Duration
	}{
		{name: "without flags the current context is used", args: []string{"history", "pay"},
			wantServer: "https://one.example:6443", wantToken: "token-one", wantNamespace: "alpha"},
		{name: "--context chooses the other context, its server, user and namespace", args: []string{"history", "pay", "--context", "two"},
			wantServer: "https://two.example:6443", wantToken: "token-two", wantNamespace: "beta"},
		{name: "kubectl's flags may come before the command", args: []string{"--context", "two", "rollback", "pay"},
			wantServer: "https://two.example:6443", wantToken: "token-two", wantNamespace: "beta"},
		{name: "-n overrides the context's namespace", args: []string{"quarantine", "web-1", "--context", "two", "-n", "gamma"},
			wantServer: "https://two.example:6443", wantToken: "token-two", wantNamespace: "gamma"},
		{name: "--namespace is -n", args: []string{"verify", "pay", "--namespace", "gamma"},
			wantServer: "https://one.example:6443", wantToken: "token-one", wantNamespace: "gamma"},
		{name: "--cluster and --user choose parts of the other context", args: []string{"breakglass", "pay", "--cluster", "cluster-two", "--user", "user-two"},
			wantServer: "https://two.example:6443", wantToken: "token-two", wantNamespace: "alpha"},
		{name: "--as and --as-group impersonate", args: []string{"rollback", "pay", "--as", "alice", "--as-group", "oncall", "--as-group", "sre"},
			wantServer: "https://one.example:6443", wantToken: "token-one", wantNamespace: "alpha", wantAs: "alice", wantGroups: []string{"oncall", "sre"}},
		{name: "--request-timeout bounds each request", args: []string{"incident", "report", "--request-timeout", "7s"},
			wantServer: "https://one.example:6443", wantToken: "token-one", wantNamespace: "alpha", wantTimeout: 7 * time.Second},
		{name: "--server overrides the context's server", args: []string{"records", "-s", "https://three.example:6443", "-n", "x"},
			wantServer: "https://three.example:6443", wantToken: "token-one", wantNamespace: "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, kube := newRootCommand(streams{})
			cmd, rest, err := root.Find(append(tc.args, "--kubeconfig", kubeconfig))
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.ParseFlags(rest); err != nil {
				t.Fatal(err)
			}
			config, err := kube.ToRESTConfig()
			if err != nil {
				t.Fatal(err)
			}
			if config.Host != tc.wantServer || config.BearerToken != tc.wantToken {
				t.Errorf("server %s, token %s; want %s and %s", config.Host, config.BearerToken, tc.wantServer, tc.wantToken)
			}
			if config.Impersonate.UserName != tc.wantAs || !slices.Equal(config.Impersonate.Groups, tc.wantGroups) {
				t.Errorf("impersonating %q in %v, want %q in %v", config.Impersonate.UserName, config.Impersonate.Groups, tc.wantAs, tc.wantGroups)
			}
			if config.Timeout != tc.wantTimeout {
				t.Errorf("timeout %s, want %s", config.Timeout, tc.wantTimeout)
			}
			_, namespace, err := connect(kube)
			if err != nil {
				t.Fatal(err)
			}
			if namespace != tc.wantNamespace {
				t.Errorf("namespace %q, want %q", namespace, tc.wantNamespace)
			}
		})
	}
}

// TestListingCommandsReadTheNamespacesAsked checks -n and -A of the commands that list
// across namespaces: records reads every namespace unless -n narrows it (the record covers
// all the processing one can see), incident report the context's unless -A widens it.
func TestListingCommandsReadTheNamespacesAsked(t *testing.T) {
	kubeconfig := twoContexts(t)
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"records reads every namespace by default", "", []string{"records"}},
		{"records -A reads every namespace", "", []string{"records", "-A"}},
		{"records -n reads one", "shop", []string{"records", "-n", "shop"}},
		{"records --all-namespaces is -A", "", []string{"records", "--all-namespaces"}},
		{"incident report reads the context's namespace by default", "alpha", []string{"incident", "report"}},
		{"incident report reads the other context's with --context", "beta", []string{"incident", "report", "--context", "two"}},
		{"incident report -n reads one", "shop", []string{"incident", "report", "-n", "shop"}},
		{"incident report -A reads every namespace", "", []string{"incident", "report", "-A"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root, kube := newRootCommand(streams{})
			cmd, rest, err := root.Find(append(tc.args, "--kubeconfig", kubeconfig))
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.ParseFlags(rest); err != nil {
				t.Fatal(err)
			}
			all, err := cmd.Flags().GetBool("all-namespaces")
			if err != nil {
				t.Fatal(err)
			}
			got, err := namespaceScope(cmd, kube, all, cmd.Name() == "records")
			if err != nil || got != tc.want {
				t.Errorf("namespace %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCompletion(t *testing.T) {
	kubeconfig := twoContexts(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"bash", []string{"completion", "bash"}, []string{"# bash completion V2 for kubectl-amber", "__kubectl-amber_get_completion_results"}},
		{"zsh", []string{"completion", "zsh"}, []string{"#compdef kubectl-amber"}},
		{"fish", []string{"completion", "fish"}, []string{"complete -c kubectl-amber"}},
		{"powershell", []string{"completion", "powershell"}, []string{"Register-ArgumentCompleter", "kubectl-amber"}},
		{"the commands", []string{cobra.ShellCompRequestCmd, ""},
			[]string{"verify\t", "records\t", "history\t", "rollback\t", "incident\t", "quarantine\t", "breakglass\t", "completion\t", ":4"}},
		{"the commands from a prefix", []string{cobra.ShellCompRequestCmd, "re"}, []string{"records\t", ":4"}},
		{"incident's command", []string{cobra.ShellCompRequestCmd, "incident", ""}, []string{"report\t"}},
		{"records' formats", []string{cobra.ShellCompRequestCmd, "records", "-o", ""}, []string{"markdown", "csv", "json", "fides", ":4"}},
		{"incident report's formats", []string{cobra.ShellCompRequestCmd, "incident", "report", "--output", ""}, []string{"markdown", "json", ":4"}},
		{"breakglass's operations", []string{cobra.ShellCompRequestCmd, "breakglass", "pay", "--ops", ""}, []string{"exec", "attach", "debug", "portForward", ":4"}},
		{"kubectl's flags", []string{cobra.ShellCompRequestCmd, "history", "--"}, []string{"--kubeconfig", "--context", "--namespace", "--as", "--request-timeout"}},
		{"records' own flags", []string{cobra.ShellCompRequestCmd, "records", "--"}, []string{"--all-namespaces", "--strict", "--since", "--output"}},
		{"the kubeconfig's contexts", []string{cobra.ShellCompRequestCmd, "--kubeconfig", kubeconfig, "history", "--context", ""}, []string{"one", "two", ":4"}},
		{"the kubeconfig's clusters", []string{cobra.ShellCompRequestCmd, "--kubeconfig", kubeconfig, "records", "--cluster", "cluster-t"}, []string{"cluster-two", ":4"}},
		{"the kubeconfig's users", []string{cobra.ShellCompRequestCmd, "--kubeconfig", kubeconfig, "records", "--user", ""}, []string{"user-one", "user-two", ":4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if status := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr); status != 0 {
				t.Fatalf("status %d, stderr %q", status, stderr.String())
			}
			for _, want := range tc.want {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("the completion does not contain %q:\n%s", want, stdout.String())
				}
			}
		})
	}
}

func TestTheBinaryAnswersKubectlsPluginCompletionUnderItsCompletionName(t *testing.T) {
	for argv0, want := range map[string]bool{
		"kubectl_complete-amber":                     true,
		"/home/me/.local/bin/kubectl_complete-amber": true,
		`C:\bin\kubectl_complete-amber.exe`:          true,
		"kubectl-amber":                              false,
		"/usr/local/bin/kubectl-amber":               false,
		"kubectl_complete-amber-old":                 false,
	} {
		if got := completionName(argv0); got != want {
			t.Errorf("completionName(%q) = %v, want %v", argv0, got, want)
		}
	}
}
