//go:build e2e

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

package e2e

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/amber-gdpr/amber/test/cluster"
)

var _ = Describe("The release manifest", Ordered, func() {
	It("is accepted by the API server: every object of dist/install.yaml exists after a server-side apply, the manager's pods run", func(ctx SpecContext) {
		path := filepath.Join(repoRoot, "dist", "install.yaml")
		manifest, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred(), "make build-installer writes dist/install.yaml")
		objects := decodeManifest(string(manifest))
		Expect(len(objects)).To(BeNumerically(">=", 15), "the manifest's objects")

		// kwok runs the Deployment's pods, which do nothing; they go when the spec ends, so
		// that only the suite's own manager acts on the cluster.
		DeferCleanup(func(ctx SpecContext) {
			_, _ = k8s.Run(ctx, "delete", "deployment", "amber-controller-manager", "-n", cluster.ManagerNamespace, "--ignore-not-found")
		})
		out := kubectl(ctx, "apply", "--server-side", "--force-conflicts", "-f", path)
		Expect(strings.Count(out, "serverside-applied")).To(Equal(len(objects)), "kubectl apply:\n%s", out)

		for _, o := range objects {
			args := []string{"get", resourceOf(o) + "/" + o.GetName(), "-o", "name"}
			if o.GetNamespace() != "" {
				args = append(args, "-n", o.GetNamespace())
			}
			Expect(k8s.Run(ctx, args...)).NotTo(BeEmpty(), "%s %s exists", o.GetKind(), o.GetName())
		}
		By("running the manager's replicas in the restricted namespace (on kwok nodes)")
		kubectl(ctx, "wait", "deployment/amber-controller-manager", "-n", cluster.ManagerNamespace,
			"--for=condition=Available", "--timeout="+waitTimeout.String())
		Expect(kubectl(ctx, "get", "deployment/amber-controller-manager", "-n", cluster.ManagerNamespace,
			"-o", "jsonpath={.status.readyReplicas}")).To(Equal("2"))
	})
})

// decodeManifest reads the objects of a multi-document YAML manifest.
func decodeManifest(manifest string) []*unstructured.Unstructured {
	GinkgoHelper()
	var objects []*unstructured.Unstructured
	for _, doc := range strings.Split(manifest, "\n---") {
		data, err := yaml.YAMLToJSON([]byte(doc))
		Expect(err).NotTo(HaveOccurred())
		if string(data) == "null" {
			continue
		}
		o := &unstructured.Unstructured{}
		Expect(o.UnmarshalJSON(data)).To(Succeed())
		objects = append(objects, o)
	}
	return objects
}

// resourceOf names an object's kind for kubectl get, qualified by its API group so that no
// other group's kind of the same name answers (deployment.apps, clusterrole.rbac.authorization.k8s.io).
func resourceOf(o *unstructured.Unstructured) string {
	if group := o.GroupVersionKind().Group; group != "" {
		return strings.ToLower(o.GetKind()) + "." + group
	}
	return strings.ToLower(o.GetKind())
}
