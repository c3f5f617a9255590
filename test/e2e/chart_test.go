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
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/kube"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/utils/ptr"
)

var _ = Describe("The Helm chart", Ordered, func() {
	// Its own release and namespace beside the suite's objects: the chart prefixes every name
	// with the release's ("amber-chart-e2e-manager-role"), so nothing collides but the CRDs,
	// which the release adopts and, with crd.keep, leaves behind when uninstalled.
	const release = "amber-chart-e2e"
	const releaseNamespace = "amber-chart-e2e"

	It("installs with the Helm SDK into its own namespace, every object there and the manager's pods Ready, and uninstalls", func(ctx SpecContext) {
		chart, err := loader.Load(filepath.Join(repoRoot, "dist", "chart"))
		Expect(err).NotTo(HaveOccurred())
		flags := genericclioptions.NewConfigFlags(false)
		flags.KubeConfig = &k8s.Kubeconfig
		flags.Namespace = ptr.To(releaseNamespace)
		config := action.NewConfiguration()
		Expect(config.Init(flags, releaseNamespace, "secret")).To(Succeed())

		install := action.NewInstall(config)
		install.ReleaseName = release
		install.Namespace = releaseNamespace
		install.CreateNamespace = true
		// The suite installed the CRDs with kubectl; the release takes them over.
		install.TakeOwnership = true
		install.ForceConflicts = true
		// kstatus's watcher, as `helm install --wait=watcher`: kwok runs the pods and marks them Ready.
		install.WaitStrategy = kube.StatusWatcherStrategy
		install.Timeout = waitTimeout
		DeferCleanup(func(ctx SpecContext) {
			_, _ = k8s.Run(ctx, "delete", "namespace", releaseNamespace, "--ignore-not-found", "--wait=false")
		})
		rel, err := install.RunWithContext(ctx, chart, map[string]any{"manager": map[string]any{"image": map[string]any{"tag": "e2e"}}})
		Expect(err).NotTo(HaveOccurred())
		objects := decodeManifest(rel.(*releasev1.Release).Manifest)
		Expect(len(objects)).To(BeNumerically(">=", 15), "the release's objects")
		for _, o := range objects {
			args := []string{"get", resourceOf(o) + "/" + o.GetName(), "-o", "name"}
			if o.GetNamespace() != "" {
				Expect(o.GetNamespace()).To(Equal(releaseNamespace))
				args = append(args, "-n", o.GetNamespace())
			}
			Expect(k8s.Run(ctx, args...)).NotTo(BeEmpty(), "%s %s exists", o.GetKind(), o.GetName())
		}
		Expect(kubectl(ctx, "get", "deployment/"+release+"-controller-manager", "-n", releaseNamespace,
			"-o", "jsonpath={.status.readyReplicas}")).To(Equal("2"))
		Expect(kubectl(ctx, "get", "clusterrolebinding/"+release+"-manager-rolebinding",
			"-o", "jsonpath={.subjects[0].namespace}/{.subjects[0].name}")).To(Equal(releaseNamespace + "/" + release + "-controller-manager"))

		By("uninstalling: the release's objects go, the CRDs (crd.keep) stay")
		uninstall := action.NewUninstall(config)
		uninstall.WaitStrategy = kube.StatusWatcherStrategy
		uninstall.Timeout = waitTimeout
		_, err = uninstall.Run(release)
		Expect(err).NotTo(HaveOccurred())
		Eventually(func(g Gomega) {
			out, err := k8s.Run(ctx, "get", "deployment,service,serviceaccount,role,rolebinding", "-n", releaseNamespace,
				"-l", "app.kubernetes.io/instance="+release, "-o", "name")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(out).To(BeEmpty())
		}, time.Minute, time.Second).Should(Succeed())
		_, err = k8s.Run(ctx, "get", "clusterrole/"+release+"-manager-role")
		Expect(err).To(MatchError(ContainSubstring("NotFound")))
		kubectl(ctx, "get", "crd/gdprworkloads.gdpr.amber.dev", "crd/auditledgers.gdpr.amber.dev")
	})
})
