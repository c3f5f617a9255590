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

// Package benchenv starts what the ledger and pinning benches run against: a real
// kube-apiserver and etcd (envtest) with Amber's CRDs, and the manager built from ./cmd and
// run as its own process with its own defaults, as production runs it.
package benchenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/test/cluster"
)

// OperatorNamespace is the manager's own namespace (its default), which holds the ledger's keys.
const OperatorNamespace = "amber-system"

// ManagerUser is the user Kubeconfig names, which the manager acts as: not Config's, so that
// admission, which exempts the manager's user, tells the bench's own writes from its.
const ManagerUser = "amber-bench-manager"

// Env is a running envtest control plane.
type Env struct {
	// Root is the module's root directory.
	Root string
	// Dir is a scratch directory for the kubeconfig, the manager binary and logs.
	Dir string
	// Config reaches the API server as an administrator, without client-side throttling.
	Config *rest.Config
	// Client is an uncached client with Amber's types.
	Client client.WithWatch
	// Kubeconfig is the path of a kubeconfig file for the manager process.
	Kubeconfig string
	// EtcdURL is etcd's client URL, to read what the API server stored.
	EtcdURL string

	env *envtest.Environment
}

// Start starts envtest from KUBEBUILDER_ASSETS, run from the module's root.
func Start(ctx context.Context) (*Env, error) {
	root, err := filepath.Abs(".")
	if err != nil {
		return nil, err
	}
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, errors.New("KUBEBUILDER_ASSETS is unset: run the bench through its make target")
	}
	dir, err := os.MkdirTemp("", "amber-bench-")
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start envtest: %w", err)
	}
	e := &Env{Root: root, Dir: dir, env: env, EtcdURL: env.ControlPlane.Etcd.URL.String()}
	// The bench's own client must not be what limits the figures.
	cfg.QPS, cfg.Burst = 1000, 2000
	e.Config = cfg

	admin, err := env.AddUser(envtest.User{Name: ManagerUser, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		e.Stop()
		return nil, fmt.Errorf("add the manager's user: %w", err)
	}
	kubeconfig, err := admin.KubeConfig()
	if err != nil {
		e.Stop()
		return nil, err
	}
	e.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(e.Kubeconfig, kubeconfig, 0o600); err != nil {
		e.Stop()
		return nil, err
	}

	scheme := k8sruntime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gdprv1alpha1.AddToScheme(scheme))
	if e.Client, err = client.NewWithWatch(cfg, client.Options{Scheme: scheme}); err != nil {
		e.Stop()
		return nil, err
	}
	if err := e.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: OperatorNamespace}}); err != nil {
		e.Stop()
		return nil, err
	}
	return e, nil
}

// Stop stops the control plane and removes the scratch directory.
func (e *Env) Stop() {
	_ = e.env.Stop()
	_ = os.RemoveAll(e.Dir)
}

// WebhookServing is where a webhook server run by the bench may listen, with the serving
// certificate envtest made for it and the CA bundle that trusts it.
func (e *Env) WebhookServing() envtest.WebhookInstallOptions {
	return e.env.WebhookInstallOptions
}

// ControlPlaneBinary is the path of a binary built beside kube-apiserver (registry, etcd, …).
func ControlPlaneBinary(name string) string {
	return filepath.Join(os.Getenv("KUBEBUILDER_ASSETS"), name)
}

// BuildManager builds ./cmd into the scratch directory.
func (e *Env) BuildManager(ctx context.Context) (string, error) {
	return cluster.Build(ctx, e.Root, "./cmd", e.Dir, "manager")
}

// BuildManagerInto builds ./cmd, run from the module's root, into dir: for a bench that starts
// several control planes in turn with the same binary.
func BuildManagerInto(ctx context.Context, dir string) (string, error) {
	root, err := filepath.Abs(".")
	if err != nil {
		return "", err
	}
	return cluster.Build(ctx, root, "./cmd", dir, "manager")
}

// StartManager runs binary against the control plane with its defaults, except what a
// development machine shared by several people needs (no fixed metrics and probe ports, no
// leader election for a lone replica) and args, and waits until both controllers run.
func (e *Env) StartManager(ctx context.Context, binary string, args ...string) (*cluster.Manager, error) {
	c := &cluster.Cluster{Kubeconfig: e.Kubeconfig}
	logPath := filepath.Join(e.Dir, "manager.log")
	webhookArgs, err := cluster.WebhookArgs()
	if err != nil {
		return nil, err
	}
	m, err := c.StartManager(binary, logPath, append(append([]string{
		"--metrics-bind-address=0", "--health-probe-bind-address=0", "--leader-elect=false",
	}, webhookArgs...), args...)...)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		log, _ := os.ReadFile(logPath)
		// One "Starting workers" per controller: GDPRWorkload and AuditLedger.
		if strings.Count(string(log), "Starting workers") >= 2 {
			return m, nil
		}
		if m.Exited() || time.Now().After(deadline) {
			m.Kill()
			return nil, fmt.Errorf("the manager did not start its controllers; its log ends:\n%s", m.LogTail(20))
		}
		select {
		case <-ctx.Done():
			m.Kill()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// flagDefault matches a flag and its default in Go's flag usage:
// "  -registry-timeout duration\n    \tHow long … (default 10s)".
var flagDefault = regexp.MustCompile(`(?m)^\s+-([a-z0-9-]+)(?: \w+)?\n\s+.*\(default "?([^")]*)"?\)$`)

// ManagerDefaults reads the defaults of the manager's flags from its -help, so that a bench
// reports, and waits by, the figures production runs with rather than copies of them.
func ManagerDefaults(ctx context.Context, binary string) (map[string]string, error) {
	out, err := exec.CommandContext(ctx, binary, "-help").CombinedOutput()
	if err != nil && !strings.Contains(string(out), "Usage") {
		return nil, fmt.Errorf("%s -help: %w: %s", binary, err, out)
	}
	defaults := map[string]string{}
	for _, m := range flagDefault.FindAllStringSubmatch(string(out), -1) {
		defaults[m[1]] = m[2]
	}
	return defaults, nil
}

// DurationDefault is a duration flag's default.
func DurationDefault(defaults map[string]string, name string) (time.Duration, error) {
	v, ok := defaults[name]
	if !ok {
		return 0, fmt.Errorf("the manager has no flag -%s with a default", name)
	}
	return time.ParseDuration(v)
}
