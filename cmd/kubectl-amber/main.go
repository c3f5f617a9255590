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
//	kubectl amber records [-n NAMESPACE] [-o FORMAT] [--strict]  print the record of processing (GDPR Art. 30)
//	kubectl amber history WORKLOAD [-n NAMESPACE] [-o json]       list a workload's revisions
//	kubectl amber rollback WORKLOAD [--to-revision N] [--dry-run] return it to an earlier revision
//	kubectl amber incident report [--since T] [-n NS | -A]       draft the Art. 33 timeline of an incident
//	kubectl amber quarantine POD --reason "..." [--keep 24h]     take a suspect pod out of service, kept for examination
//	kubectl amber breakglass WORKLOAD --ops exec --reason R      open a workload's pods for a short, recorded window
//
// verify exits 0 only when every chain and its signed checkpoints verify; otherwise 1, with
// the first bad sequence number and what is wrong with it. records prints every workload's
// declared spec.processing beside the measures Amber proves from the cluster and the ledger,
// with findings where they disagree, as Markdown, CSV, JSON or a fideslang manifest; with
// --strict it exits 1 when there is a finding. incident report verifies every chain in scope,
// then drafts the Art. 33 timeline for the data-protection officer; it exits 1 when a chain
// does not verify. Usage errors exit 2.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `Usage:
  kubectl amber verify -f FILE --public-key amber.pub   verify entries saved with 'kubectl get ae -o json' (or the manager's export); FILE may be -
  kubectl amber verify [-n NAMESPACE] LEDGER            verify a ledger in the cluster of the current kubeconfig
  kubectl amber records [-n NAMESPACE] [--since 30d] [-o markdown|csv|json|fides] [--strict]
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

Exit status: verify: 0 when every chain and its signed checkpoints verify, 1 when one does not.
records: 0 when printed, 1 with --strict when the record holds findings. history: 0 when
printed. rollback: 0 when rolled back, 1 when there is nothing to roll back to or the write
failed. incident report: 0 when printed, 1 when printed but a chain does not verify.
quarantine: 0 when created, 1 when the pod cannot be quarantined. breakglass: 0 when created,
1 when refused. All: 2 on bad usage. 'kubectl amber COMMAND --help' lists a command's flags.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "verify":
		return verifyCommand(ctx, args[1:], stdin, stdout, stderr)
	case "records":
		return recordsCommand(ctx, args[1:], stdout, stderr)
	case "history":
		return historyCommand(ctx, args[1:], stdout, stderr)
	case "rollback":
		return rollbackCommand(ctx, args[1:], stdout, stderr)
	case "incident":
		return incidentCommand(ctx, args[1:], stdin, stdout, stderr)
	case "quarantine":
		return quarantineCommand(ctx, args[1:], stdout, stderr)
	case "breakglass":
		return breakGlassCommand(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "kubectl amber: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
