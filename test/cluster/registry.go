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

package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Registry is a distribution registry (the one built into the control-plane cache by
// hack/controlplane/build.sh) running as a child process on loopback, over plain HTTP.
type Registry struct {
	// Host is host:port, the registry part of image references.
	Host string
	// LogPath is the file that receives the registry's output.
	LogPath string

	cmd  *exec.Cmd
	done chan struct{}
}

// RegistryOptions configure StartRegistry.
type RegistryOptions struct {
	// Dir holds the registry's configuration and storage.
	Dir string
	// Username and Password, when set, make the registry refuse requests without them
	// (htpasswd authentication).
	Username, Password string
}

// StartRegistry starts the registry binary on a free loopback port and waits until it answers.
func StartRegistry(ctx context.Context, binary string, opts RegistryOptions) (*Registry, error) {
	// The port is free when asked; should another process take it before the registry
	// does, the registry exits and this is tried again.
	var lastErr error
	for range 3 {
		host, err := freeLoopbackAddress()
		if err != nil {
			return nil, err
		}
		r, err := startRegistry(ctx, binary, host, opts)
		if err == nil {
			return r, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func startRegistry(ctx context.Context, binary, host string, opts RegistryOptions) (*Registry, error) {
	if err := os.MkdirAll(filepath.Join(opts.Dir, "storage"), 0o755); err != nil {
		return nil, err
	}
	auth := ""
	if opts.Username != "" {
		// The registry checks the password on every request, so the cheapest cost keeps a
		// test registry fast; it guards nothing worth more.
		hash, err := bcrypt.GenerateFromPassword([]byte(opts.Password), bcrypt.MinCost)
		if err != nil {
			return nil, fmt.Errorf("hash registry password: %w", err)
		}
		htpasswd := filepath.Join(opts.Dir, "htpasswd")
		if err := os.WriteFile(htpasswd, fmt.Appendf(nil, "%s:%s\n", opts.Username, hash), 0o600); err != nil {
			return nil, err
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: amber-test-registry\n    path: %s\n", htpasswd)
	}
	config := filepath.Join(opts.Dir, "config.yml")
	if err := os.WriteFile(config, fmt.Appendf(nil, `version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
%s`, filepath.Join(opts.Dir, "storage"), host, auth), 0o600); err != nil {
		return nil, err
	}

	logPath := filepath.Join(opts.Dir, "registry.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open registry log: %w", err)
	}
	cmd := exec.Command(binary, "serve", config)
	// No OpenTelemetry collector listens here: without this the registry would keep trying one.
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start registry: %w", err)
	}
	r := &Registry{Host: host, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close()
		close(r.done)
	}()
	if err := r.waitUntilServing(ctx, 30*time.Second); err != nil {
		r.Stop(5 * time.Second)
		return nil, err
	}
	return r, nil
}

// waitUntilServing polls /v2/ until the registry answers: 200, or 401 when it wants credentials.
func (r *Registry) waitUntilServing(ctx context.Context, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-r.done:
			return fmt.Errorf("registry on %s exited at start; see %s", r.Host, r.LogPath)
		default:
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.Host+"/v2/", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("registry on %s did not answer within %s; see %s", r.Host, timeout, r.LogPath)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop asks the registry to shut down and waits for it, killing it after timeout.
func (r *Registry) Stop(timeout time.Duration) {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(timeout):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}

func freeLoopbackAddress() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return "", errors.New("find a free port: not a TCP address")
	}
	return addr.String(), nil
}
