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
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/util/completion"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/ledger"
)

const verifyLong = `Verifies the hash chains of Amber's audit ledgers and their signed checkpoints: offline,
the entries saved with 'kubectl get ae -o json' (or the manager's JSON-lines export) with -f
and the public key given; online, the ledger named, in -n's namespace (the kubeconfig's
without -n), with the key the manager publishes in the amber-ledger-public-key ConfigMap.

Exit status: 0 when every chain and its signed checkpoints verify, 1 when one does not
(naming its first bad entry and what is wrong with it) or no entry was found, 2 on bad
usage or when the entries cannot be read.`

type verifyOptions struct {
	file              string
	publicKey         string
	operatorNamespace string
	maxUnsigned       int
}

func newVerifyCommand(kube *genericclioptions.ConfigFlags, f cmdutil.Factory, s streams) *cobra.Command {
	var opts verifyOptions
	cmd := &cobra.Command{
		Use:   "verify (-f FILE --public-key amber.pub | LEDGER)",
		Short: "Verify audit ledgers: saved entries offline, or a ledger in the cluster",
		Long:  verifyLong,
		Example: `  kubectl get ae -n shop -o json > events.json
  kubectl amber verify -f events.json --public-key amber.pub
  kubectl amber verify -n shop payments`,
		ValidArgsFunction: completion.ResourceNameCompletionFunc(f, "auditledgers"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exit(verify(cmd.Context(), cmd, kube, opts, args, s))
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&opts.file, "filename", "f", "", "File of entries as 'kubectl get ae -o json' prints them, or the manager's JSON-lines export; - reads standard input.")
	fs.StringVar(&opts.publicKey, "public-key", "", "PEM file of the ledger's public key (the amber.pub of the amber-ledger-public-key ConfigMap). Online, read from the cluster when not given.")
	fs.StringVar(&opts.operatorNamespace, "operator-namespace", "amber-system", "Namespace of Amber's manager, which publishes the public key (online).")
	fs.IntVar(&opts.maxUnsigned, "max-unsigned", 100, "Most entries allowed in a row without a signed checkpoint: the manager's --audit-checkpoint-every. 0 for no limit.")
	return cmd
}

func verify(ctx context.Context, cmd *cobra.Command, kube *genericclioptions.ConfigFlags, opts verifyOptions, positional []string, s streams) int {
	stdin, stdout, stderr := s.in, s.out, s.errOut
	var (
		entries []gdprv1alpha1.AuditEvent
		keys    ledger.Keys
		err     error
	)
	switch {
	case opts.file != "" && len(positional) == 0:
		if opts.publicKey == "" {
			fmt.Fprintln(stderr, "kubectl amber verify: --public-key is required to verify a file offline (the amber.pub of the amber-ledger-public-key ConfigMap)")
			return 2
		}
		entries, keys, err = loadOffline(opts, stdin)
	case opts.file == "" && len(positional) == 1:
		entries, keys, err = loadOnline(ctx, kube, opts, positional[0])
	default:
		fmt.Fprintf(stderr, "kubectl amber verify: give either -f FILE or one LEDGER name\n\n%s", cmd.UsageString())
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "kubectl amber verify: %v\n", err)
		return 2
	}
	if len(entries) == 0 {
		fmt.Fprintln(stderr, "kubectl amber verify: no audit entries found")
		return 1
	}

	status := 0
	for _, r := range ledger.VerifyAll(entries, keys, ledger.Options{MaxUnsigned: opts.maxUnsigned}) {
		if r.Problem != nil {
			status = 1
			fmt.Fprintf(stdout, "%s/%s: FAILED at entry %d: %s\n", r.Namespace, r.Ledger, r.Problem.Sequence, r.Problem.What)
			continue
		}
		fmt.Fprintf(stdout, "%s/%s: OK: entries %d to %d, %d signed checkpoints, %d entries after the last checkpoint\n",
			r.Namespace, r.Ledger, r.First, r.Head, r.Checkpoints, r.Unsigned)
	}
	return status
}

func loadOffline(opts verifyOptions, stdin io.Reader) ([]gdprv1alpha1.AuditEvent, ledger.Keys, error) {
	keys, err := readPublicKey(opts.publicKey)
	if err != nil {
		return nil, nil, err
	}
	in := stdin
	if opts.file != "-" {
		f, err := os.Open(opts.file)
		if err != nil {
			return nil, nil, err
		}
		defer func() { _ = f.Close() }()
		in = f
	}
	entries, err := decodeEntries(bufio.NewReader(in))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", opts.file, err)
	}
	return dropRepeats(entries), keys, nil
}

// dropRepeats removes entries that appear again with the same content, as an at-least-once
// export repeats them after a restart. A different entry under the same sequence number
// stays, and verification reports it.
func dropRepeats(entries []gdprv1alpha1.AuditEvent) []gdprv1alpha1.AuditEvent {
	type identity struct {
		namespace, ledger string
		sequence          int64
		hash              string
	}
	seen := make(map[identity]bool, len(entries))
	kept := entries[:0]
	for _, e := range entries {
		id := identity{e.Namespace, e.Spec.Ledger, e.Spec.Sequence, e.Spec.Hash}
		if !seen[id] {
			seen[id] = true
			kept = append(kept, e)
		}
	}
	return kept
}

func readPublicKey(path string) (ledger.Keys, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	public, err := audit.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ledger.NewKeys(public), nil
}

// decodeEntries reads a stream of JSON values: lists as kubectl prints them, single
// AuditEvents, and the manager's export lines.
func decodeEntries(r io.Reader) ([]gdprv1alpha1.AuditEvent, error) {
	dec := json.NewDecoder(r)
	var entries []gdprv1alpha1.AuditEvent
	for {
		var value struct {
			Kind  string                    `json:"kind"`
			Items []gdprv1alpha1.AuditEvent `json:"items"`
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return entries, nil
		} else if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &value); err != nil {
			return nil, err
		}
		switch {
		case value.Items != nil || strings.HasSuffix(value.Kind, "List"):
			entries = append(entries, value.Items...)
		case value.Kind == "AuditEvent":
			var e gdprv1alpha1.AuditEvent
			if err := json.Unmarshal(raw, &e); err != nil {
				return nil, err
			}
			entries = append(entries, e)
		default:
			var line audit.ExportLine
			if err := json.Unmarshal(raw, &line); err != nil {
				return nil, err
			}
			if line.Spec.Ledger == "" {
				return nil, errors.New("a JSON value is neither a list of AuditEvents, an AuditEvent nor an export line")
			}
			e := gdprv1alpha1.AuditEvent{Spec: line.Spec}
			e.Namespace, e.Name = line.Namespace, line.Name
			entries = append(entries, e)
		}
	}
}

func loadOnline(ctx context.Context, kube *genericclioptions.ConfigFlags, opts verifyOptions, ledgerName string) ([]gdprv1alpha1.AuditEvent, ledger.Keys, error) {
	c, namespace, err := connect(kube)
	if err != nil {
		return nil, nil, err
	}
	keys, err := publicKeys(ctx, c, opts.publicKey, opts.operatorNamespace)
	if err != nil {
		return nil, nil, err
	}

	list := &gdprv1alpha1.AuditEventList{}
	if err := c.List(ctx, list, client.InNamespace(namespace), client.MatchingLabels{gdprv1alpha1.AuditLedgerLabel: ledgerName}); err != nil {
		return nil, nil, fmt.Errorf("list entries of ledger %s/%s: %w", namespace, ledgerName, err)
	}
	return list.Items, keys, nil
}

// publicKeys reads the keys checkpoints are verified with: from the PEM file path when given,
// else from the ConfigMap the manager publishes its public key in, in operatorNamespace.
func publicKeys(ctx context.Context, c client.Client, path, operatorNamespace string) (ledger.Keys, error) {
	if path != "" {
		return readPublicKey(path)
	}
	cm := &corev1.ConfigMap{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: operatorNamespace, Name: audit.PublicKeyConfigMap}, cm); err != nil {
		return nil, fmt.Errorf("read the public key from configmap %s/%s (or give --public-key): %w", operatorNamespace, audit.PublicKeyConfigMap, err)
	}
	public, err := audit.ParsePublicKey([]byte(cm.Data["amber.pub"]))
	if err != nil {
		return nil, fmt.Errorf("configmap %s/%s: %w", operatorNamespace, audit.PublicKeyConfigMap, err)
	}
	return ledger.NewKeys(public), nil
}
