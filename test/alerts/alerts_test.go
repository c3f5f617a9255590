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

// Package alerts tests Amber's Prometheus monitoring: the kustomize component
// (config/prometheus) builds with config/default and decodes into the Prometheus Operator's
// types, promtool checks the rules and runs their unit tests (config/prometheus/tests), and
// the Helm chart's templates (dist/chart/templates/prometheus) say the same as the component.
package alerts

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"

	sprig "github.com/go-task/slim-sprig/v3"
	"github.com/google/go-cmp/cmp"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "write dist/chart/templates/prometheus/rules.yaml from config/prometheus/rules.yaml")

const (
	root       = "../.."
	rulesFile  = "config/prometheus/rules.yaml"
	testsDir   = "config/prometheus/tests"
	chartRules = "dist/chart/templates/prometheus/rules.yaml"
	chartMon   = "dist/chart/templates/prometheus/monitor.yaml"
	// job is the job label the ServiceMonitor gives every target; the rules name it.
	job = "amber-controller-manager"
)

// enabledDefault builds config/default with its `components:` line uncommented, as a user who
// enables monitoring does, from an in-memory copy of config/.
func enabledDefault(t *testing.T) []byte {
	t.Helper()
	memory := filesys.MakeFsInMemory()
	err := filepath.WalkDir(filepath.Join(root, "config"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "config/default/kustomization.yaml" {
			enabled := regexp.MustCompile(`(?m)^# (components:)\n# (- \.\./prometheus)$`).ReplaceAll(content, []byte("$1\n$2"))
			if bytes.Equal(enabled, content) {
				return fmt.Errorf("%s has no commented `components:` line naming ../prometheus", rel)
			}
			content = enabled
		}
		return memory.WriteFile("/"+rel, content)
	})
	if err != nil {
		t.Fatal(err)
	}
	return build(t, memory, "/config/default")
}

func build(t *testing.T, fsys filesys.FileSystem, dir string) []byte {
	t.Helper()
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := resources.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decodeStrict decodes one YAML object into a typed object, refusing fields the type lacks.
func decodeStrict(t *testing.T, doc []byte, into any) {
	t.Helper()
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(j))
	d.DisallowUnknownFields()
	if err := d.Decode(into); err != nil {
		t.Fatalf("decode %T: %v\n%s", into, err, doc)
	}
}

// objects splits a multi-document YAML stream by kind.
func objects(t *testing.T, stream []byte) map[string][][]byte {
	t.Helper()
	byKind := map[string][][]byte{}
	for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(stream), -1) {
		var head struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatal(err)
		}
		if head.Kind != "" {
			byKind[head.Kind] = append(byKind[head.Kind], []byte(doc))
		}
	}
	return byKind
}

func TestComponent(t *testing.T) {
	t.Run("config/default alone has no monitoring objects, so clusters without the Prometheus Operator take it", func(t *testing.T) {
		dir, err := filepath.Abs(filepath.Join(root, "config/default"))
		if err != nil {
			t.Fatal(err)
		}
		byKind := objects(t, build(t, filesys.MakeFsOnDisk(), dir))
		if len(byKind["Deployment"]) != 1 || byKind["ServiceMonitor"] != nil || byKind["PrometheusRule"] != nil {
			t.Errorf("config/default builds %d Deployments, %d ServiceMonitors, %d PrometheusRules", len(byKind["Deployment"]), len(byKind["ServiceMonitor"]), len(byKind["PrometheusRule"]))
		}
	})
	byKind := objects(t, enabledDefault(t))
	if len(byKind["ServiceMonitor"]) != 1 || len(byKind["PrometheusRule"]) != 1 {
		t.Fatalf("want one ServiceMonitor and one PrometheusRule, got %d and %d", len(byKind["ServiceMonitor"]), len(byKind["PrometheusRule"]))
	}
	var monitor monitoringv1.ServiceMonitor
	decodeStrict(t, byKind["ServiceMonitor"][0], &monitor)
	var rule monitoringv1.PrometheusRule
	decodeStrict(t, byKind["PrometheusRule"][0], &rule)

	t.Run("both live in the manager's namespace under config/default's prefix", func(t *testing.T) {
		for _, m := range []struct{ namespace, name string }{{monitor.Namespace, monitor.Name}, {rule.Namespace, rule.Name}} {
			if m.namespace != "amber-system" || !strings.HasPrefix(m.name, "amber-") {
				t.Errorf("%s/%s", m.namespace, m.name)
			}
		}
	})
	t.Run("the ServiceMonitor selects the metrics Service, and only it, by the port it scrapes", func(t *testing.T) {
		var selected []string
		for _, doc := range byKind["Service"] {
			var svc corev1.Service
			decodeStrict(t, doc, &svc)
			if !matches(monitor.Spec.Selector.MatchLabels, svc.Labels) || svc.Namespace != monitor.Namespace {
				continue
			}
			for _, p := range svc.Spec.Ports {
				if p.Name == monitor.Spec.Endpoints[0].Port {
					selected = append(selected, svc.Name)
				}
			}
		}
		if !slices.Equal(selected, []string{"amber-controller-manager-metrics"}) {
			t.Errorf("scraped Services %v, want amber-controller-manager-metrics", selected)
		}
	})
	t.Run("every target gets the job the rules name", func(t *testing.T) {
		relabel := monitor.Spec.Endpoints[0].RelabelConfigs
		if len(relabel) != 1 || relabel[0].TargetLabel != "job" || relabel[0].Replacement == nil || *relabel[0].Replacement != job {
			t.Errorf("relabelings %+v", relabel)
		}
	})
	t.Run("every alert has a severity, a summary and description naming what it is about, and a runbook in the README", func(t *testing.T) {
		readme, err := os.ReadFile(filepath.Join(root, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rule.Spec.Groups[0].Rules {
			names = append(names, r.Alert)
			if !slices.Contains([]string{"warning", "critical"}, r.Labels["severity"]) {
				t.Errorf("%s: severity %q", r.Alert, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: annotations %v", r.Alert, r.Annotations)
			}
			anchor := strings.ToLower(r.Alert)
			if r.Annotations["runbook_url"] != "https://github.com/amber-gdpr/amber/blob/main/README.md#"+anchor {
				t.Errorf("%s: runbook_url %q", r.Alert, r.Annotations["runbook_url"])
			}
			if !regexp.MustCompile(`(?m)^#+ ` + r.Alert + `$`).Match(readme) {
				t.Errorf("%s: the README has no heading %q for its runbook anchor", r.Alert, r.Alert)
			}
		}
		want := []string{"AmberDriftLoop", "AmberLedgerNotVerified", "AmberPinningFailing", "AmberAdmissionConfigTampered", "AmberManagerDown", "AmberNoLeader"}
		if !slices.Equal(names, want) {
			t.Errorf("alerts %v, want %v", names, want)
		}
	})
}

func matches(selector, labels map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// promtool is the promtool hack/tools/promtool.sh builds: AMBER_PROMTOOL when the Makefile
// set it, else the script is run here (it builds promtool when missing). It fails rather
// than skips: the rules are only tested with it.
func promtool(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AMBER_PROMTOOL"); p != "" {
		return p
	}
	out, err := exec.Command(filepath.Join(root, "hack/tools/promtool.sh")).Output()
	if err != nil {
		t.Fatalf("no promtool: AMBER_PROMTOOL is unset and hack/tools/promtool.sh failed (%v); run `make test-alerts`", err)
	}
	return strings.TrimSpace(string(out))
}

// ruleGroups is the spec of config/prometheus/rules.yaml as the plain rule file Prometheus
// and promtool read: the PrometheusRule's spec is exactly that file's content.
func ruleGroups(t *testing.T) []byte {
	t.Helper()
	var rule monitoringv1.PrometheusRule
	content, err := os.ReadFile(filepath.Join(root, rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	decodeStrict(t, content, &rule)
	groups, err := yaml.Marshal(rule.Spec)
	if err != nil {
		t.Fatal(err)
	}
	return groups
}

func TestRulesWithPromtool(t *testing.T) {
	bin := promtool(t)
	dir := t.TempDir()
	// The tests name their rule file amber-alerts.yaml, beside them.
	if err := os.WriteFile(filepath.Join(dir, "amber-alerts.yaml"), ruleGroups(t), 0o644); err != nil {
		t.Fatal(err)
	}
	tests, err := filepath.Glob(filepath.Join(root, testsDir, "*.yaml"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no rule tests in %s: %v", testsDir, err)
	}
	var names []string
	for _, f := range tests {
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(f))
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(t *testing.T, args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("promtool %s:\n%s", strings.Join(args, " "), out)
	}
	t.Run("promtool check rules accepts them, lint included", func(t *testing.T) {
		run(t, "check", "rules", "--lint=all", "--lint-fatal", "amber-alerts.yaml")
	})
	t.Run("promtool test rules passes", func(t *testing.T) {
		run(t, append([]string{"test", "rules"}, names...)...)
	})
	t.Run("every alert is tested firing and not firing", func(t *testing.T) {
		firing, quiet := map[string]bool{}, map[string]bool{}
		for _, name := range names {
			var file struct {
				Tests []struct {
					AlertRuleTest []struct {
						Alertname string
						ExpAlerts []any `json:"exp_alerts"`
					} `json:"alert_rule_test"`
				}
			}
			content, _ := os.ReadFile(filepath.Join(dir, name))
			if err := yaml.Unmarshal(content, &file); err != nil {
				t.Fatal(err)
			}
			for _, tc := range file.Tests {
				for _, a := range tc.AlertRuleTest {
					if len(a.ExpAlerts) > 0 {
						firing[a.Alertname] = true
					} else {
						quiet[a.Alertname] = true
					}
				}
			}
		}
		var rule monitoringv1.PrometheusRule
		content, _ := os.ReadFile(filepath.Join(root, rulesFile))
		decodeStrict(t, content, &rule)
		for _, r := range rule.Spec.Groups[0].Rules {
			if !firing[r.Alert] || !quiet[r.Alert] {
				t.Errorf("%s: tested firing %v, not firing %v", r.Alert, firing[r.Alert], quiet[r.Alert])
			}
		}
	})
}

// chartTemplate is the Helm template of the rules, made from config/prometheus/rules.yaml:
// the chart's names and labels, Prometheus' own {{ }} escaped from Helm, and the `for` of
// AmberPinningFailing from the values.
func chartTemplate(rules []byte) ([]byte, error) {
	text := string(rules)
	i := strings.Index(text, "\nspec:\n")
	if i < 0 {
		return nil, fmt.Errorf("%s: no spec", rulesFile)
	}
	spec := strings.ReplaceAll(text[i+1:], "{{", `{{ "{{" }}`)
	pinning := regexp.MustCompile(`(- alert: AmberPinningFailing\n(?:      .*\n)*?      for: )15m\n`)
	if !pinning.MatchString(spec) {
		return nil, fmt.Errorf("%s: AmberPinningFailing has no `for: 15m`", rulesFile)
	}
	spec = pinning.ReplaceAllString(spec, "${1}{{ .Values.prometheus.rules.pinningFailingFor }}\n")
	var b strings.Builder
	b.WriteString(`# Amber's alerts (README, "Alerts"). Generated from config/prometheus/rules.yaml by
# ` + "`make chart-alerts`" + `: edit that file, not this one.
{{- if .Values.prometheus.rules.enable }}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ include "amber.fullname" . }}-alerts
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "amber.labels" . | nindent 4 }}
`)
	b.WriteString(spec)
	b.WriteString("{{- end }}\n")
	return []byte(b.String()), nil
}

// render renders one of the chart's templates with text/template and sprig, as Helm does, with
// the chart's own _helpers.tpl (test/chart renders the whole chart with the Helm SDK).
func render(t *testing.T, file string, values map[string]any) []byte {
	t.Helper()
	helpers, err := os.ReadFile(filepath.Join(root, "dist/chart/templates/_helpers.tpl"))
	if err != nil {
		t.Fatal(err)
	}
	content, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := template.New(file).Option("missingkey=error").Funcs(sprig.TxtFuncMap())
	tmpl.Funcs(template.FuncMap{"include": func(name string, data any) (string, error) {
		var b strings.Builder
		err := tmpl.ExecuteTemplate(&b, name, data)
		return b.String(), err
	}})
	template.Must(tmpl.New("_helpers.tpl").Parse(string(helpers)))
	template.Must(tmpl.New(file).Parse(string(content)))
	var out bytes.Buffer
	data := map[string]any{
		"Values":  values,
		"Release": map[string]any{"Name": "amber", "Namespace": "amber-system", "Service": "Helm"},
		"Chart":   map[string]any{"Name": "amber", "Version": "0.1.0", "AppVersion": "0.1.0"},
	}
	if err := tmpl.ExecuteTemplate(&out, file, data); err != nil {
		t.Fatalf("render %s: %v", file, err)
	}
	return out.Bytes()
}

func prometheusValues(monitor, rules bool, pinningFailingFor string) map[string]any {
	return map[string]any{"prometheus": map[string]any{
		"enable": monitor,
		"rules":  map[string]any{"enable": rules, "pinningFailingFor": pinningFailingFor},
	}}
}

func TestChart(t *testing.T) {
	rules, err := os.ReadFile(filepath.Join(root, rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	want, err := chartTemplate(rules)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, chartRules)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, chartRules), want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("the chart's rules are generated from config/prometheus/rules.yaml", func(t *testing.T) {
		got, err := os.ReadFile(filepath.Join(root, chartRules))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s differs from what %s makes; run `make chart-alerts` (-want +got):\n%s", chartRules, rulesFile, diff)
		}
	})
	t.Run("rendered, they are the component's rules, with pinningFailingFor as AmberPinningFailing's for", func(t *testing.T) {
		var chart, component monitoringv1.PrometheusRule
		decodeStrict(t, render(t, chartRules, prometheusValues(false, true, "30m")), &chart)
		decodeStrict(t, rules, &component)
		if chart.Namespace != "amber-system" || chart.Name != "amber-alerts" || chart.Labels["app.kubernetes.io/instance"] != "amber" {
			t.Errorf("metadata %+v", chart.ObjectMeta)
		}
		for i, r := range component.Spec.Groups[0].Rules {
			if r.Alert == "AmberPinningFailing" {
				d := monitoringv1.Duration("30m")
				component.Spec.Groups[0].Rules[i].For = &d
			}
		}
		if diff := cmp.Diff(component.Spec, chart.Spec); diff != "" {
			t.Errorf("(-component +chart):\n%s", diff)
		}
	})
	t.Run("the monitor scrapes as the component's does, selecting the chart's metrics Service", func(t *testing.T) {
		var chart monitoringv1.ServiceMonitor
		decodeStrict(t, render(t, chartMon, prometheusValues(true, false, "15m")), &chart)
		var component monitoringv1.ServiceMonitor
		content, err := os.ReadFile(filepath.Join(root, "config/prometheus/monitor.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		decodeStrict(t, content, &component)
		if diff := cmp.Diff(component.Spec.Endpoints, chart.Spec.Endpoints); diff != "" {
			t.Errorf("endpoints (-component +chart):\n%s", diff)
		}
		wantSelector := map[string]string{"app.kubernetes.io/name": "amber", "app.kubernetes.io/instance": "amber", "control-plane": "controller-manager"}
		if diff := cmp.Diff(wantSelector, chart.Spec.Selector.MatchLabels); diff != "" {
			t.Errorf("selector (-want +got):\n%s", diff)
		}
		if chart.Namespace != "amber-system" {
			t.Errorf("namespace %q", chart.Namespace)
		}
	})
	t.Run("both are off by default", func(t *testing.T) {
		for _, file := range []string{chartRules, chartMon} {
			if out := strings.TrimSpace(string(render(t, file, prometheusValues(false, false, "15m")))); strings.Contains(out, "kind:") {
				t.Errorf("%s renders with both off:\n%s", file, out)
			}
		}
	})
}
