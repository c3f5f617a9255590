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

// Package rollback decides what `kubectl amber rollback` writes: which recorded revision to
// return to, the workload with that revision's template and hardening profile written back
// (and the gdpr.amber.dev/rollback-to annotation naming it, so that Amber runs exactly that
// revision with its recorded digests), and whether a GitOps tool manages the spec and will
// undo the change. It holds no client; the CLI reads and writes.
package rollback

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/hardening"
	"github.com/amber-gdpr/amber/internal/revision"
)

// FieldManager is the field manager rollbacks write as: the workload's managed fields, and
// so the ledger, tell a rollback from other writers.
const FieldManager = "kubectl-amber"

// Target is the revision to roll back to: number toRevision, or with 0 the previous one,
// the highest number below the current revision's. current is status.updateRevision, the
// revision new pods are made from; when no revision has that ID, the highest number is
// taken as current.
func Target(revisions []revision.Revision, current string, toRevision int64) (revision.Revision, error) {
	if len(revisions) == 0 {
		return revision.Revision{}, fmt.Errorf("no revision is recorded: there is nothing to roll back to")
	}
	sorted := slices.Clone(revisions)
	slices.SortFunc(sorted, func(a, b revision.Revision) int { return cmp.Compare(a.Number, b.Number) })
	cur, ok := revision.Find(sorted, current)
	if !ok {
		cur = sorted[len(sorted)-1]
	}
	if toRevision > 0 {
		i := slices.IndexFunc(sorted, func(r revision.Revision) bool { return r.Number == toRevision })
		switch {
		case i < 0:
			return revision.Revision{}, fmt.Errorf("--to-revision %d: no such revision; recorded: %s", toRevision, numbers(sorted))
		case sorted[i].ID == cur.ID:
			return revision.Revision{}, fmt.Errorf("--to-revision %d is the current revision: nothing to roll back", toRevision)
		}
		return sorted[i], nil
	}
	var previous *revision.Revision
	for i := range sorted {
		if sorted[i].Number < cur.Number {
			previous = &sorted[i]
		}
	}
	if previous == nil {
		return revision.Revision{}, fmt.Errorf("no revision before the current one (#%d) is recorded: there is nothing to roll back to", cur.Number)
	}
	return *previous, nil
}

func numbers(revisions []revision.Revision) string {
	s := make([]string, 0, len(revisions))
	for _, r := range revisions {
		s = append(s, strconv.FormatInt(r.Number, 10))
	}
	return strings.Join(s, ", ")
}

// Apply writes rev back into a copy of w: its template and hardening profile (a revision
// recorded before profiles existed ran under the default, Immutable), and the rollback-to
// annotation naming it. The template alone would restore the template's latest revision,
// which is not rev when a refresh found a tag moved and pinned another revision of the
// same template; the annotation settles it.
func Apply(w *gdprv1alpha1.GDPRWorkload, rev revision.Revision) *gdprv1alpha1.GDPRWorkload {
	out := w.DeepCopy()
	out.Spec.Template = *rev.Template.DeepCopy()
	out.Spec.Hardening.Profile = hardening.Effective(rev.Hardening)
	if out.Annotations == nil {
		out.Annotations = map[string]string{}
	}
	out.Annotations[gdprv1alpha1.RollbackToAnnotation] = rev.ID
	return out
}

// gitOpsManagers are field managers of the GitOps tools Amber knows by name; any manager
// whose name contains one of gitOpsWords is taken for one too.
var (
	gitOpsManagers = []string{"argocd-controller", "argocd-application-controller", "kustomize-controller", "helm-controller"}
	gitOpsWords    = []string{"argocd", "argo-cd", "flux", "gitops", "fleet"}
)

// GitOpsManagers names the field managers of a workload's spec that are GitOps tools, in
// the order of the managed fields. Such a tool applies the spec from Git again and so
// undoes a rollback made in the cluster; the rollback belongs in Git.
func GitOpsManagers(fields []metav1.ManagedFieldsEntry) []string {
	var found []string
	for _, m := range fields {
		if m.Subresource != "" || m.FieldsV1 == nil || !bytes.Contains(m.FieldsV1.GetRawBytes(), []byte(`"f:spec"`)) {
			continue
		}
		name := strings.ToLower(m.Manager)
		gitOps := slices.Contains(gitOpsManagers, name) || slices.ContainsFunc(gitOpsWords, func(w string) bool { return strings.Contains(name, w) })
		if gitOps && !slices.Contains(found, m.Manager) {
			found = append(found, m.Manager)
		}
	}
	return found
}

// GitOpsWarning is what the CLI prints before rolling back a workload whose spec managers
// are GitOps tools.
func GitOpsWarning(namespace, name string, managers []string) string {
	return fmt.Sprintf("Warning: the spec of GDPRWorkload %s/%s is managed by %s, a GitOps tool: it will apply the template from Git again and undo this rollback. "+
		"Roll back in Git (revert the commit that changed the template); this rollback holds only until the tool syncs.", namespace, name, strings.Join(managers, ", "))
}

// Describe says what a rollback restores: the revision and its recorded digests.
func Describe(rev revision.Revision) string {
	pins := make([]string, 0, len(rev.Pins))
	for _, p := range rev.Pins {
		pins = append(pins, p.Container+"="+p.Image+"@"+p.Digest)
	}
	return fmt.Sprintf("revision %d (%s, %s) with its recorded digests: %s", rev.Number, rev.ID, hardening.Effective(rev.Hardening), strings.Join(pins, ", "))
}
