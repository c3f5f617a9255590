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
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/amber-gdpr/amber/test/cluster"
)

// The end-to-end suite runs on `make cluster` (the real control plane with kwok nodes), the
// manager as its own process (with the identity of config/default's ServiceAccount and
// config/rbac's roles) and a real registry (distribution, with basic auth) that the
// manager pins every image against; it does what a user does: everything through kubectl.

var (
	k8s           *cluster.Cluster
	manager       *cluster.Manager
	managerBinary string
	pluginBinary  string
	repoRoot      string
	artifacts     string
	namespace     string
	suiteStart    = time.Now()
	// suiteFailed is set by the first spec that fails: AfterSuite then keeps the namespace
	// for a person to look at.
	suiteFailed bool

	// registry holds every image the suite's workloads run; it wants registryAuth.
	registry     *cluster.Registry
	registryAuth *authn.Basic
	// digests maps each image pushed ("amber/burst:1") to its digest ("sha256:…").
	digests = map[string]string{}
)

// pullSecret is the kubernetes.io/dockerconfigjson Secret in the suite's namespace that holds
// the registry's credentials; workloads name it in their template's imagePullSecrets.
const pullSecret = "registry-credentials"

// The images the suite pushes (repository:tag in the registry), each with its own digest.
const (
	sampleImage  = "amber/payments:1.4" // config/samples names it in the demo's registry
	burstImage   = "amber/burst:1"
	brokenImage  = "amber/web:1"
	privateImage = "amber/private:1"
)

// image is the reference of repoAndTag in the suite's registry.
func image(repoAndTag string) string { return registry.Host + "/" + repoAndTag }

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "End-to-end suite")
}

var _ = BeforeSuite(func(ctx SpecContext) {
	var err error
	k8s, err = cluster.FromEnv()
	Expect(err).NotTo(HaveOccurred())
	repoRoot, err = filepath.Abs(filepath.Join("..", ".."))
	Expect(err).NotTo(HaveOccurred())
	artifacts = filepath.Join(repoRoot, "test", "e2e", "artifacts")
	Expect(os.MkdirAll(artifacts, 0o755)).To(Succeed())

	By("building the manager and the kubectl plugin")
	bin := GinkgoT().TempDir()
	// With failpoints, which only a spec that arms one (failpoint_test.go) sets off.
	buildFlags := []string{"-tags", "failpoints"}
	if os.Getenv("AMBER_E2E_RACE") != "" {
		// The race detector turns a data race, which can crash the manager at any moment,
		// into a report in its log.
		buildFlags = append(buildFlags, "-race")
	}
	managerBinary, err = cluster.Build(ctx, repoRoot, "./cmd", bin, "manager", buildFlags...)
	Expect(err).NotTo(HaveOccurred())
	pluginBinary, err = cluster.Build(ctx, repoRoot, "./cmd/kubectl-amber", bin, "kubectl-amber")
	Expect(err).NotTo(HaveOccurred())
	// kubectl finds plugins on the PATH, as it would for a user who installed kubectl-amber.
	Expect(os.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))).To(Succeed())

	By("starting a registry with basic auth and pushing the suite's images to it")
	registryDir := filepath.Join(artifacts, "registry")
	Expect(os.RemoveAll(registryDir)).To(Succeed())
	registryAuth = &authn.Basic{Username: "amber-e2e", Password: randomHex(16)}
	registry, err = cluster.StartRegistry(ctx, k8s.Tool("registry"), cluster.RegistryOptions{
		Dir: registryDir, Username: registryAuth.Username, Password: registryAuth.Password,
	})
	Expect(err).NotTo(HaveOccurred(), "the registry is built with the control plane: run `make controlplane`")
	for _, repoAndTag := range []string{sampleImage, burstImage, brokenImage, privateImage} {
		img, err := cluster.SmallImage("linux/amd64", "Amber e2e image "+repoAndTag)
		Expect(err).NotTo(HaveOccurred())
		digest, err := cluster.Push(ctx, image(repoAndTag), img, registryAuth)
		Expect(err).NotTo(HaveOccurred())
		digests[repoAndTag] = digest.String()
	}

	By("creating the suite's namespace, with the registry's credentials as a pull secret")
	// Its namespace holds the ledger's keys; in a deployment config/default creates it.
	_, _ = k8s.Run(ctx, "create", "namespace", "amber-system")
	namespace = fmt.Sprintf("amber-e2e-%d", suiteStart.Unix())
	kubectl(ctx, "create", "namespace", namespace)
	kubectl(ctx, "create", "secret", "docker-registry", pullSecret, "-n", namespace,
		"--docker-server="+registry.Host, "--docker-username="+registryAuth.Username, "--docker-password="+registryAuth.Password)

	By("starting the manager against the cluster")
	// The CRDs must be served before the manager starts: one started earlier starts its
	// controllers up to 10s late (the informers poll for the kind).
	Expect(k8s.InstallCRDs(ctx, "../..", time.Minute)).To(Succeed())
	// The RBAC that ships is the RBAC that runs: the manager acts as config/default's
	// ServiceAccount, bound by config/rbac's roles only, so that a permission missing there
	// fails the spec that needs it. The token outlives the suite (30m in make test-e2e).
	Expect(k8s.UseManagerServiceAccount(ctx, repoRoot, 2*time.Hour)).To(Succeed())
	// Every manager of the suite appends to one log and one export. What an earlier run
	// left goes first, before a manager has them open: an export removed after would leave
	// the first manager writing to a file nobody can read.
	for _, f := range []string{exportPath(), managerLogPath()} {
		Expect(os.Remove(f)).To(Or(Succeed(), MatchError(os.ErrNotExist)))
	}
	manager = startManager()
	GinkgoWriter.Printf("registry %s (log %s), manager log %s\n", registry.Host, registry.LogPath, managerLogPath())
}, NodeTimeout(5*time.Minute))

var _ = AfterSuite(func(ctx SpecContext) {
	if manager != nil {
		manager.Stop(10 * time.Second)
	}
	if registry != nil {
		registry.Stop(10 * time.Second)
	}
	if namespace != "" && !suiteFailed {
		_, _ = k8s.Run(ctx, "delete", "namespace", namespace, "--wait=false")
	}
}, NodeTimeout(time.Minute))

// On failure, show what a person debugging would look at first.
var _ = AfterEach(func(ctx SpecContext) {
	if !CurrentSpecReport().Failed() {
		return
	}
	suiteFailed = true
	for _, args := range [][]string{
		{"get", "gdprw,pods", "-n", namespace, "-o", "wide", "--show-labels"},
		{"get", "gdprw", "-n", namespace, "-o", `jsonpath={range .items[*]}{.metadata.name} generation {.metadata.generation}: {.status.conditions}{"\n"}{end}`},
		{"events", "-n", namespace},
	} {
		out, err := k8s.Run(ctx, args...)
		fmt.Fprintf(GinkgoWriter, "\n$ kubectl %s\n%s%v\n", strings.Join(args, " "), out, err)
	}
	if manager != nil {
		fmt.Fprintf(GinkgoWriter, "\nmanager log (last 80 lines; all of it in %s):\n%s\n", manager.LogPath, manager.LogTail(80))
		if manager.Exited() {
			fmt.Fprintf(GinkgoWriter, "\nthe manager is not running: it exited\n")
		}
	}
	if registry != nil {
		fmt.Fprintf(GinkgoWriter, "\nregistry log: %s\n", registry.LogPath)
	}
})

// kubectl runs kubectl and fails the spec when it fails.
func kubectl(ctx context.Context, args ...string) string {
	GinkgoHelper()
	out, err := k8s.Run(ctx, args...)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// startManager runs the manager as its own process. It is the only one (make test-e2e stops
// the demo's), so it runs without leader election: a killed leader would otherwise hold the
// lease for its full duration and slow every restart.
func startManager() *cluster.Manager {
	GinkgoHelper()
	return startManagerWithEnv()
}

// startManagerWithEnv is startManager with env ("NAME=value") added to the manager's
// environment.
func startManagerWithEnv(env ...string) *cluster.Manager {
	GinkgoHelper()
	// The admission webhooks are reached by URL on loopback, as `make demo` reaches them.
	webhookArgs, err := cluster.WebhookArgs()
	Expect(err).NotTo(HaveOccurred())
	m, err := k8s.StartManagerWithEnv(managerBinary, managerLogPath(), env, append([]string{
		"--leader-elect=false", "--metrics-bind-address=0", "--health-probe-bind-address=0",
		"--audit-checkpoint-every=20", "--audit-checkpoint-interval=5s",
		"--audit-export=" + exportPath(),
		// The suite's registry speaks plain HTTP, which the manager refuses unless told.
		"--insecure-registries=" + registry.Host}, webhookArgs...)...)
	Expect(err).NotTo(HaveOccurred())
	awaitDoor(context.Background())
	return m
}

// awaitDoor waits until Amber's admission webhooks answer: a freshly started manager points
// the webhook configuration at its own server once that serves, and until then the webhooks,
// which fail closed, refuse what they guard (applying a GDPRWorkload among it). A server-side
// dry run of a workload passes through them and writes nothing.
func awaitDoor(ctx context.Context) {
	GinkgoHelper()
	probe := fmt.Sprintf(`
apiVersion: gdpr.amber.dev/v1alpha1
kind: GDPRWorkload
metadata:
  name: door-probe
spec:
  template:
    spec:
      containers:
      - name: app
        image: %s
`, image(burstImage))
	Eventually(func() error {
		_, err := k8s.RunWithInput(ctx, probe, "apply", "--server-side", "--dry-run=server", "-n", namespace, "-f", "-")
		return err
	}, time.Minute, 200*time.Millisecond).Should(Succeed(), "the admission webhooks answer")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// exportPath is the file the manager streams the ledger to, across all its restarts.
func exportPath() string { return filepath.Join(artifacts, "audit-export.jsonl") }

// managerLogPath is the file that receives the output of every manager the suite runs.
func managerLogPath() string { return filepath.Join(artifacts, "manager.log") }
