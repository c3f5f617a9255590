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

package rollback

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/revision"
)

func TestTarget(t *testing.T) {
	r1 := revision.Revision{ID: "a", Number: 1}
	r2 := revision.Revision{ID: "b", Number: 2}
	r4 := revision.Revision{ID: "c", Number: 4}
	tests := []struct {
		name       string
		revisions  []revision.Revision
		current    string
		toRevision int64
		want       string
		err        string
	}{
		{name: "the previous revision by number is the default", revisions: []revision.Revision{r4, r1, r2}, current: "c", want: "b"},
		{name: "after a rollback restored an old revision as the newest, the next rollback goes to the one before it", revisions: []revision.Revision{{ID: "a", Number: 3}, r2}, current: "a", want: "b"},
		{name: "a current revision unknown to the history is taken to be the newest", revisions: []revision.Revision{r1, r2}, current: "gone", want: "a"},
		{name: "a revision is asked for by its number", revisions: []revision.Revision{r1, r2, r4}, current: "c", toRevision: 1, want: "a"},
		{name: "a number that is not recorded is refused, naming those that are", revisions: []revision.Revision{r2, r1}, current: "b", toRevision: 3,
			err: "--to-revision 3: no such revision; recorded: 1, 2"},
		{name: "the current revision is no rollback", revisions: []revision.Revision{r1, r2}, current: "b", toRevision: 2,
			err: "--to-revision 2 is the current revision: nothing to roll back"},
		{name: "a workload with one revision has nothing to roll back to", revisions: []revision.Revision{r1}, current: "a",
			err: "no revision before the current one (#1) is recorded: there is nothing to roll back to"},
		{name: "a workload with no revision has nothing to roll back to", err: "no revision is recorded: there is nothing to roll back to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Target(tt.revisions, tt.current, tt.toRevision)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Target() error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got.ID != tt.want {
				t.Errorf("Target() = %q, %v; want %q", got.ID, err, tt.want)
			}
		})
	}
}

func TestApply(t *testing.T) {
	w := &gdprv1alpha1.GDPRWorkload{
		ObjectMeta: metav1.ObjectMeta{Name: "pay", Annotations: map[string]string{"team": "payments"}},
		Spec: gdprv1alpha1.GDPRWorkloadSpec{
			Hardening: gdprv1alpha1.Hardening{Profile: gdprv1alpha1.HardeningBaseline},
			Template:  corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "r.example/app:2"}, {Name: "sidecar", Image: "r.example/side:1"}}}},
		},
	}
	old := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "r.example/app:1"}}}}

	t.Run("the revision's template replaces the template whole, and its annotation names it", func(t *testing.T) {
		got := Apply(w, revision.Revision{ID: "r1", Template: old, Hardening: gdprv1alpha1.HardeningBaseline})
		if diff := cmp.Diff(old, got.Spec.Template); diff != "" {
			t.Errorf("template (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(map[string]string{"team": "payments", gdprv1alpha1.RollbackToAnnotation: "r1"}, got.Annotations); diff != "" {
			t.Errorf("annotations (-want +got):\n%s", diff)
		}
		if len(w.Spec.Template.Spec.Containers) != 2 || w.Annotations[gdprv1alpha1.RollbackToAnnotation] != "" {
			t.Error("Apply changed the workload it was given")
		}
	})
	t.Run("a revision recorded before profiles existed goes back to the default profile, Immutable", func(t *testing.T) {
		if got := Apply(w, revision.Revision{ID: "r0", Template: old}).Spec.Hardening.Profile; got != gdprv1alpha1.HardeningImmutable {
			t.Errorf("profile = %q, want Immutable", got)
		}
	})
}

func managed(manager, subresource, fields string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{Manager: manager, Subresource: subresource, FieldsV1: metav1.NewFieldsV1(fields)}
}

func TestGitOpsManagers(t *testing.T) {
	spec := `{"f:spec":{"f:template":{}}}`
	tests := []struct {
		name   string
		fields []metav1.ManagedFieldsEntry
		want   []string
	}{
		{name: "Argo CD's and Flux's controllers are known by name", fields: []metav1.ManagedFieldsEntry{
			managed("argocd-controller", "", spec), managed("kustomize-controller", "", spec), managed("helm-controller", "", spec), managed("argocd-application-controller", "", spec)},
			want: []string{"argocd-controller", "kustomize-controller", "helm-controller", "argocd-application-controller"}},
		{name: "a manager whose name says GitOps is taken for one", fields: []metav1.ManagedFieldsEntry{managed("flux-client-side-apply", "", spec), managed("Rancher-Fleet-Agent", "", spec)},
			want: []string{"flux-client-side-apply", "Rancher-Fleet-Agent"}},
		{name: "people and other tools are not", fields: []metav1.ManagedFieldsEntry{managed("kubectl-client-side-apply", "", spec), managed("kubectl-amber", "", spec), managed("manager", "", spec)}},
		{name: "a GitOps tool that manages only the metadata or the status does not revert the spec", fields: []metav1.ManagedFieldsEntry{
			managed("argocd-controller", "", `{"f:metadata":{"f:labels":{}}}`), managed("flux-status", "status", `{"f:status":{},"f:spec":{}}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, GitOpsManagers(tt.fields)); diff != "" {
				t.Errorf("GitOpsManagers() (-want +got):\n%s", diff)
			}
		})
	}
}
