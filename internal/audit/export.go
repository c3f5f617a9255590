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

package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// ExportLine is one exported entry: a JSON object on its own line. Namespace, ledger
// (spec.ledger) and sequence (spec.sequence) identify it; the export is at least once, so a
// consumer drops lines it has seen.
type ExportLine struct {
	Namespace string                      `json:"namespace"`
	Name      string                      `json:"name"`
	Spec      gdprv1alpha1.AuditEventSpec `json:"spec"`
}

// exporter streams entries as the manager's cache sees them. Every start lists every entry
// again, which is what makes the export at least once across restarts.
type exporter struct {
	mgr ctrl.Manager
	out io.Writer
	mu  sync.Mutex
}

// AddExporter makes the manager write every ledger entry to path ("-" for stdout) as JSON lines.
func AddExporter(mgr ctrl.Manager, path string) error {
	var out io.Writer = os.Stdout
	if path != "-" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
		if err != nil {
			return fmt.Errorf("open audit export %s: %w", path, err)
		}
		out = f
	}
	return mgr.Add(&exporter{mgr: mgr, out: out})
}

// NeedLeaderElection makes only the leader export, so that replicas do not multiply lines.
func (e *exporter) NeedLeaderElection() bool { return true }

// Start streams entries until ctx ends.
func (e *exporter) Start(ctx context.Context) error {
	informer, err := e.mgr.GetCache().GetInformer(ctx, &gdprv1alpha1.AuditEvent{})
	if err != nil {
		return fmt.Errorf("watch audit entries for export: %w", err)
	}
	log := ctrl.LoggerFrom(ctx).WithName("audit-export")
	if _, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) {
			ev, ok := obj.(*gdprv1alpha1.AuditEvent)
			if !ok {
				return
			}
			if err := e.write(ev); err != nil {
				log.Error(err, "Exporting an audit entry failed", "entry", ev.Name)
			}
		},
	}); err != nil {
		return fmt.Errorf("watch audit entries for export: %w", err)
	}
	<-ctx.Done()
	return nil
}

func (e *exporter) write(ev *gdprv1alpha1.AuditEvent) error {
	line, err := json.Marshal(ExportLine{Namespace: ev.Namespace, Name: ev.Name, Spec: ev.Spec})
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err = e.out.Write(append(line, '\n'))
	return err
}
