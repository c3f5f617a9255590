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

// Package cluster drives the cluster an end-to-end test or benchmark runs against the way a
// user does: through the real kubectl, and with the manager running as its own process.
package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

// Cluster is a running cluster reached through a kubeconfig file.
type Cluster struct {
	// Kubectl is the path of the kubectl binary.
	Kubectl string
	// Kubeconfig is the path of the cluster's kubeconfig file.
	Kubeconfig string
	// ManagerKubeconfig, when set (UseManagerServiceAccount), is the kubeconfig every manager
	// started afterwards runs with: its ServiceAccount's token. Empty: the manager
	// impersonates ManagerUser.
	ManagerKubeconfig string
}

// FromEnv finds the cluster that `make test-e2e` prepared: KUBECONFIG names its kubeconfig and
// AMBER_KUBECTL the kubectl built from source.
func FromEnv() (*Cluster, error) {
	c := &Cluster{Kubectl: os.Getenv("AMBER_KUBECTL"), Kubeconfig: os.Getenv("KUBECONFIG")}
	if c.Kubectl == "" || c.Kubeconfig == "" {
		return nil, errors.New("AMBER_KUBECTL and KUBECONFIG must be set: run the suite with `make test-e2e`")
	}
	return c, nil
}

// Run runs kubectl with args and returns its standard output; the error carries its
// standard error.
func (c *Cluster) Run(ctx context.Context, args ...string) (string, error) {
	return c.RunWithInput(ctx, "", args...)
}

// RunWithInput runs kubectl with args and stdin as its standard input.
func (c *Cluster) RunWithInput(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.Kubectl, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// CRDs names Amber's custom resource definitions.
var CRDs = []string{"crd/gdprworkloads.gdpr.amber.dev", "crd/auditevents.gdpr.amber.dev", "crd/auditledgers.gdpr.amber.dev"}

// InstallCRDs applies Amber's CRDs from config/crd (relative to root) and waits until the API
// server serves them. A client that asks for a kind in the moment between the apply and the
// CRD's Established condition gets "no matches for kind", and a manager started then starts
// its controllers late: every caller on a freshly created cluster meets that moment.
func (c *Cluster) InstallCRDs(ctx context.Context, root string, timeout time.Duration) error {
	if _, err := c.Run(ctx, "apply", "--server-side", "--force-conflicts", "-k", filepath.Join(root, "config/crd")); err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		// kubectl wait fails at once on a CRD whose status has no conditions yet, hence the loop.
		_, err := c.Run(ctx, append([]string{"wait", "--for=condition=Established", "--timeout=5s"}, CRDs...)...)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for Amber's CRDs to be Established: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// Manager is the Amber manager running as a child process.
type Manager struct {
	cmd  *exec.Cmd
	done chan struct{}
	// LogPath is the file that receives the manager's output.
	LogPath string
}

// Build compiles the command in package (relative to the module at root) into dir/name,
// passing flags (say "-race") to go build.
func Build(ctx context.Context, root, pkg, dir, name string, flags ...string) (string, error) {
	binary := filepath.Join(dir, name)
	args := append(append([]string{"build"}, flags...), "-o", binary, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w: %s", pkg, err, out)
	}
	return binary, nil
}

// StartManager starts binary against the cluster with args, appending its output to logPath.
func (c *Cluster) StartManager(binary, logPath string, args ...string) (*Manager, error) {
	return c.StartManagerWithEnv(binary, logPath, nil, args...)
}

// StartManagerWithEnv is StartManager with env ("NAME=value") added to the manager's
// environment: a test build's failpoints are armed that way.
func (c *Cluster) StartManagerWithEnv(binary, logPath string, env []string, args ...string) (*Manager, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open manager log: %w", err)
	}
	kubeconfig := c.ManagerKubeconfig
	if kubeconfig == "" {
		if kubeconfig, err = c.managerKubeconfig(); err != nil {
			_ = logFile.Close()
			return nil, err
		}
	} else {
		// Its keys and serving certificate live in the ServiceAccount's namespace, which its
		// Role covers, as the Deployment's POD_NAMESPACE says in a cluster.
		env = append([]string{"POD_NAMESPACE=" + ManagerNamespace}, env...)
	}
	cmd := exec.Command(binary, args...)
	cmd.Env = append(append(os.Environ(), "KUBECONFIG="+kubeconfig), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start manager: %w", err)
	}
	m := &Manager{cmd: cmd, done: make(chan struct{}), LogPath: logPath}
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close()
		close(m.done)
	}()
	return m, nil
}

// ManagerUser is the user the manager acts as when no ManagerKubeconfig is set (benchmarks),
// impersonated by the cluster's admin (in group system:masters, so that no RBAC needs setting
// up), as `make demo` runs it. The e2e suite runs it as its ServiceAccount instead. Were it
// the admin itself, the admission webhooks, which exempt the manager's own user, would
// exempt every kubectl command of the suite too, and admission would never be tested.
const ManagerUser = "amber-manager"

// managerKubeconfig writes, beside the cluster's kubeconfig, a copy that impersonates
// ManagerUser, and returns its path.
func (c *Cluster) managerKubeconfig() (string, error) {
	config, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		return "", fmt.Errorf("read kubeconfig: %w", err)
	}
	for _, user := range config.AuthInfos {
		user.Impersonate = ManagerUser
		user.ImpersonateGroups = []string{"system:masters"}
	}
	path := filepath.Join(filepath.Dir(c.Kubeconfig), "amber-manager-e2e.kubeconfig")
	if err := clientcmd.WriteToFile(*config, path); err != nil {
		return "", fmt.Errorf("write the manager's kubeconfig: %w", err)
	}
	return path, nil
}

// Stop asks the manager to shut down as a rolling update would (SIGTERM) and waits for it,
// killing it after timeout.
func (m *Manager) Stop(timeout time.Duration) {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.done:
	case <-time.After(timeout):
		m.Kill()
	}
}

// Kill ends the manager at once, as a crash or an OOM kill would.
func (m *Manager) Kill() {
	_ = m.cmd.Process.Kill()
	<-m.done
}

// Pid is the manager's process ID.
func (m *Manager) Pid() int { return m.cmd.Process.Pid }

// Exited reports whether the manager process has ended.
func (m *Manager) Exited() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// ExitCode is the manager's exit code once it exited (-1 when a signal ended it), and -1
// while it runs.
func (m *Manager) ExitCode() int {
	if !m.Exited() {
		return -1
	}
	return m.cmd.ProcessState.ExitCode()
}

// LogTail returns the last n lines of the manager's output.
func (m *Manager) LogTail(n int) string {
	data, err := os.ReadFile(m.LogPath)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", m.LogPath, err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Tool returns the path of a binary built into the control-plane cache beside kubectl (etcd,
// kwok, registry, …).
func (c *Cluster) Tool(name string) string {
	return filepath.Join(filepath.Dir(c.Kubectl), name)
}
