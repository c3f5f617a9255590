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

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/podplan"
	"github.com/amber-gdpr/amber/internal/revision"
)

// TestRollbackOnAPIServer runs `kubectl amber rollback` against a real kube-apiserver
// (envtest, no manager): what it writes, with what precondition, and what it leaves alone.
func TestRollbackOnAPIServer(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatal("KUBEBUILDER_ASSETS must name the directory holding kube-apiserver and etcd: run the tests with `make test`")
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	user, err := env.AddUser(envtest.User{Name: "responder", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfigPath := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gdprv1alpha1.AddToScheme(scheme))
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}); err != nil {
		t.Fatal(err)
	}

	template := func(image string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "pay"}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
		}
	}
	w := &gdprv1alpha1.GDPRWorkload{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "pay"},
		Spec:       gdprv1alpha1.GDPRWorkloadSpec{Replicas: ptr.To[int32](2), Template: template("r.example/app:1")},
	}
	if err := c.Create(ctx, w); err != nil {
		t.Fatal(err)
	}
	// The two revisions Amber would have recorded: app:1, then app:2.
	for i, image := range []string{"r.example/app:1", "r.example/app:2"} {
		w.Spec.Template = template(image)
		hash, err := podplan.TemplateHash(&w.Spec.Template, w.Spec.Hardening.Profile)
		if err != nil {
			t.Fatal(err)
		}
		pins := []gdprv1alpha1.PinnedImage{{Container: "app", Image: image, Digest: "sha256:" + strings.Repeat(string(rune('a'+i)), 64),
			Pinned: image + "@sha256:" + strings.Repeat(string(rune('a'+i)), 64)}}
		cr, err := revision.New(w, hash, hash, int64(i+1), pins)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, cr); err != nil {
			t.Fatal(err)
		}
	}
	v1, _ := podplan.TemplateHash(ptr.To(template("r.example/app:1")), "")
	v2, _ := podplan.TemplateHash(ptr.To(template("r.example/app:2")), "")
	// reset puts the workload at revision 2, as Amber leaves it after rolling it out.
	reset := func(t *testing.T) {
		t.Helper()
		current := &gdprv1alpha1.GDPRWorkload{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(w), current); err != nil {
			t.Fatal(err)
		}
		current.Spec.Template = template("r.example/app:2")
		delete(current.Annotations, gdprv1alpha1.RollbackToAnnotation)
		if err := c.Update(ctx, current); err != nil {
			t.Fatal(err)
		}
		current.Status.UpdateRevision, current.Status.CurrentRevision = v2, v2
		if err := c.Status().Update(ctx, current); err != nil {
			t.Fatal(err)
		}
	}
	read := func(t *testing.T) *gdprv1alpha1.GDPRWorkload {
		t.Helper()
		got := &gdprv1alpha1.GDPRWorkload{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(w), got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	rollback := func(t *testing.T, extra ...string) (int, string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		status := run(ctx, append([]string{"rollback", "pay", "-n", "shop", "--kubeconfig", kubeconfigPath}, extra...), strings.NewReader(""), &stdout, &stderr)
		return status, stdout.String(), stderr.String()
	}
	t.Cleanup(func() { beforePatch = nil })

	t.Run("a dry run says what it would restore and writes nothing", func(t *testing.T) {
		reset(t)
		status, stdout, stderr := rollback(t, "--dry-run")
		if status != 0 || !strings.Contains(stdout, "would be rolled back to revision 1 ("+v1) || !strings.Contains(stdout, "sha256:aaaa") {
			t.Fatalf("status %d, stdout %q, stderr %q", status, stdout, stderr)
		}
		if got := read(t); got.Spec.Template.Spec.Containers[0].Image != "r.example/app:2" || got.Annotations[gdprv1alpha1.RollbackToAnnotation] != "" {
			t.Errorf("a dry run wrote: image %s, annotations %v", got.Spec.Template.Spec.Containers[0].Image, got.Annotations)
		}
	})

	t.Run("a status write between read and write is retried, and the revision written back as kubectl-amber", func(t *testing.T) {
		reset(t)
		beforePatch = func(attempt int) {
			if attempt > 1 {
				return
			}
			current := read(t)
			current.Status.ObservedGeneration = current.Generation // what Amber writes as pods settle
			current.Status.ReadyReplicas++
			if err := c.Status().Update(ctx, current); err != nil {
				t.Error(err)
			}
		}
		status, stdout, stderr := rollback(t)
		beforePatch = nil
		if status != 0 || !strings.Contains(stdout, "rolled back to revision 1 ("+v1) {
			t.Fatalf("status %d, stdout %q, stderr %q", status, stdout, stderr)
		}
		got := read(t)
		if got.Spec.Template.Spec.Containers[0].Image != "r.example/app:1" || got.Annotations[gdprv1alpha1.RollbackToAnnotation] != v1 {
			t.Errorf("after the rollback: image %s, annotations %v", got.Spec.Template.Spec.Containers[0].Image, got.Annotations)
		}
		if got.Spec.Hardening.Profile != gdprv1alpha1.HardeningImmutable {
			t.Errorf("profile %q, want the revision's, Immutable", got.Spec.Hardening.Profile)
		}
		var managers []string
		for _, m := range got.ManagedFields {
			managers = append(managers, m.Manager)
		}
		if !strings.Contains(strings.Join(managers, ","), "kubectl-amber") {
			t.Errorf("managed fields name %v, want kubectl-amber among them", managers)
		}
		var events eventsv1.EventList
		if err := c.List(ctx, &events, client.InNamespace("shop")); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range events.Items {
			found = found || (e.Reason == gdprv1alpha1.EventRolledBack && e.Regarding.Name == "pay" && strings.Contains(e.Note, "sha256:aaaa"))
		}
		if !found {
			t.Errorf("no %s event on the workload among %d events", gdprv1alpha1.EventRolledBack, len(events.Items))
		}
	})

	t.Run("a spec changed between read and write is not rolled back", func(t *testing.T) {
		reset(t)
		beforePatch = func(attempt int) {
			current := read(t)
			current.Spec.Replicas = ptr.To(*current.Spec.Replicas + 1) // someone else's change
			if err := c.Update(ctx, current); err != nil {
				t.Error(err)
			}
		}
		status, _, stderr := rollback(t)
		beforePatch = nil
		if status != 1 || !strings.Contains(stderr, "changed while it was being rolled back; nothing was written") {
			t.Fatalf("status %d, stderr %q; want 1 and the workload named as changed", status, stderr)
		}
		if got := read(t); got.Spec.Template.Spec.Containers[0].Image != "r.example/app:2" {
			t.Errorf("the template was rolled back to %s over someone else's change", got.Spec.Template.Spec.Containers[0].Image)
		}
	})

	t.Run("shell completion reads workload names and namespaces from the API server", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"history", "-n", "shop", ""}, "pay"},
			{[]string{"rollback", "-n", "shop", "p"}, "pay"},
			{[]string{"breakglass", "-n", "shop", "--workload", ""}, "pay"},
			{[]string{"history", "-n", ""}, "shop"},
			{[]string{"-n", "sh"}, "shop"},
		} {
			var stdout, stderr bytes.Buffer
			args := append([]string{"__complete", "--kubeconfig", kubeconfigPath, "--cache-dir", t.TempDir()}, tc.args...)
			status := run(ctx, args, strings.NewReader(""), &stdout, &stderr)
			if lines := strings.Split(stdout.String(), "\n"); status != 0 || !slices.Contains(lines, tc.want) || !slices.Contains(lines, ":4") {
				t.Errorf("%v: status %d, stdout %q, stderr %q; want %q and :4 (no file completion)", tc.args, status, stdout.String(), stderr.String(), tc.want)
			}
		}
	})
}
