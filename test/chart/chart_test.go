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

// Package chart tests Amber's Helm chart (dist/chart) with the Helm SDK, as `helm lint` and
// `helm template` would run it: the chart lints clean, every value lands in the manager's
// Deployment, and the RBAC it renders is config/rbac's, rule for rule. test/e2e/chart_test.go
// installs it on a cluster.
package chart

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/amber-gdpr/amber/internal/installer"
)

var (
	chartDir      = filepath.Join("..", "..", "dist", "chart")
	configDefault = filepath.Join("..", "..", "config", "default")
)

func TestTheChartLintsClean(t *testing.T) {
	for _, values := range []map[string]any{nil, nonDefaultValues()} {
		result := lint.RunAll(chartDir, values, "amber-system")
		for _, m := range result.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint (values %v): %s", values, m.Error())
			}
		}
	}
}

// With its defaults, released as "amber" in amber-system, the chart runs the manager exactly
// as config/default does: same flags, probes, ports, security settings, volumes and resources.
// The Deployment is the one template written by hand; this keeps it from drifting.
func TestTheDefaultsRunTheManagerAsConfigDefaultDoes(t *testing.T) {
	rendered := deploymentOf(t, render(t, "amber", "amber-system", nil))
	kustomized := deploymentOf(t, kustomize(t))

	if got, want := managerContainer(t, rendered)["image"], "ghcr.io/amber-gdpr/amber:latest"; got != want {
		t.Errorf("image: got %v, want %v", got, want)
	}
	for _, arg := range stringsOf(managerContainer(t, kustomized)["args"]) {
		if !slices.Contains(args(t, rendered), arg) {
			t.Errorf("config/default passes %s; the chart does not (args %v)", arg, args(t, rendered))
		}
	}
	for _, field := range []string{"command", "env", "ports", "volumeMounts", "securityContext", "livenessProbe", "readinessProbe", "resources"} {
		if got, want := managerContainer(t, rendered)[field], managerContainer(t, kustomized)[field]; !reflect.DeepEqual(got, want) {
			t.Errorf("container %s: the chart has %v, config/default %v", field, got, want)
		}
	}
	for _, field := range [][]string{
		{"spec", "replicas"}, {"spec", "template", "spec", "securityContext"}, {"spec", "template", "spec", "volumes"},
		{"spec", "template", "spec", "serviceAccountName"}, {"spec", "template", "spec", "terminationGracePeriodSeconds"},
		{"metadata", "name"}, {"metadata", "namespace"},
	} {
		got, _, _ := unstructured.NestedFieldNoCopy(rendered.Object, field...)
		want, _, _ := unstructured.NestedFieldNoCopy(kustomized.Object, field...)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: the chart has %v, config/default %v", strings.Join(field, "."), got, want)
		}
	}
}

func TestEveryValueLandsInTheManagersDeployment(t *testing.T) {
	objects := render(t, "payments-amber", "tenant-a", nonDefaultValues())
	deployment := deploymentOf(t, objects)
	got := args(t, deployment)
	for _, want := range []string{
		"--leader-elect=false",
		"--leader-elect-lease-duration=30s",
		"--leader-elect-renew-deadline=20s",
		"--leader-elect-retry-period=4s",
		"--metrics-bind-address=0",
		"--webhook-service=tenant-a/payments-amber-webhook-service",
		"--webhook-port=10443",
		"--webhook-cert-secret=payments-webhook-cert",
		"--install-admission=false",
		"--audit-actors=plain",
		"--audit-checkpoint-every=10",
		"--audit-checkpoint-interval=30s",
		"--audit-full-verify-interval=1h",
		"--audit-export=-",
		"--insecure-registries=registry.local:5000,mirror.local",
		"--registry-timeout=3s",
		"--image-resolution-ttl=1m",
		"--residency-region-label=node-restriction.kubernetes.io/region",
		"--residency-zone-label=node-restriction.kubernetes.io/zone",
		"--max-concurrent-reconciles=4",
		"--max-drift-repeats=2",
		"--zap-log-level=debug",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("args lack %s: %v", want, got)
		}
	}
	if slices.ContainsFunc(got, func(a string) bool { return strings.HasPrefix(a, "--metrics-bind-address=:") }) {
		t.Errorf("metrics.enable=false still binds the metrics endpoint: %v", got)
	}
	container := managerContainer(t, deployment)
	if container["image"] != "registry.local:5000/amber:v9" || container["imagePullPolicy"] != "Always" {
		t.Errorf("image: got %v (%v)", container["image"], container["imagePullPolicy"])
	}
	if replicas, _, _ := unstructured.NestedInt64(deployment.Object, "spec", "replicas"); replicas != 3 {
		t.Errorf("replicas: got %d, want 3", replicas)
	}
	if cpu, _, _ := unstructured.NestedString(container, "resources", "limits", "cpu"); cpu != "2" {
		t.Errorf("resources: got %v", container["resources"])
	}
	ports := map[string]int64{}
	for _, p := range container["ports"].([]any) {
		p := p.(map[string]any)
		ports[p["name"].(string)] = p["containerPort"].(int64)
	}
	if !reflect.DeepEqual(ports, map[string]int64{"probes": 8081, "webhook": 10443}) {
		t.Errorf("container ports: got %v, want probes and the webhook's 10443, no metrics", ports)
	}
	if sa, _, _ := unstructured.NestedString(deployment.Object, "spec", "template", "spec", "serviceAccountName"); sa != "payments-amber-controller-manager" {
		t.Errorf("serviceAccountName: got %s", sa)
	}
	names := map[string]bool{}
	for _, o := range objects {
		names[o.GetKind()+"/"+o.GetNamespace()+"/"+o.GetName()] = true
	}
	if names["Service/tenant-a/payments-amber-controller-manager-metrics"] || !names["Service/tenant-a/payments-amber-webhook-service"] {
		t.Errorf("with metrics off, want the webhook Service and no metrics Service: %v", names)
	}
}

func TestEachSwitchDropsWhatItGuards(t *testing.T) {
	for _, tc := range []struct {
		name    string
		values  map[string]any
		absent  []string
		present []string
	}{
		{
			name:    "the defaults install CRDs kept on uninstall, the roles and the metrics Service",
			present: []string{"CustomResourceDefinition", "ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding", "ServiceAccount", "Service/amber-controller-manager-metrics", "keep"},
		},
		{
			name:    "rbac.enable false leaves the roles and bindings out, the ServiceAccount in",
			values:  map[string]any{"rbac": map[string]any{"enable": false}},
			absent:  []string{"ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"},
			present: []string{"ServiceAccount", "CustomResourceDefinition"},
		},
		{
			name:   "crd.enable false leaves the CRDs out",
			values: map[string]any{"crd": map[string]any{"enable": false}},
			absent: []string{"CustomResourceDefinition"},
		},
		{
			name:    "crd.keep false lets uninstall delete the CRDs",
			values:  map[string]any{"crd": map[string]any{"keep": false}},
			absent:  []string{"keep"},
			present: []string{"CustomResourceDefinition"},
		},
		{
			name:   "metrics.enable false leaves the metrics Service out",
			values: map[string]any{"metrics": map[string]any{"enable": false}},
			absent: []string{"Service/amber-controller-manager-metrics"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found := map[string]bool{}
			for _, o := range render(t, "amber", "amber-system", tc.values) {
				found[o.GetKind()] = true
				found[o.GetKind()+"/"+o.GetName()] = true
				if o.GetKind() == "CustomResourceDefinition" && o.GetAnnotations()["helm.sh/resource-policy"] == "keep" {
					found["keep"] = true
				}
			}
			for _, k := range tc.absent {
				if found[k] {
					t.Errorf("rendered %s", k)
				}
			}
			for _, k := range tc.present {
				if !found[k] {
					t.Errorf("did not render %s", k)
				}
			}
		})
	}
}

// The RBAC the chart installs is config/rbac's: the same ServiceAccount, roles and bindings,
// each with the same rules, role reference and subjects once the release's name and
// namespace stand for config/default's.
func TestTheRenderedRBACEqualsConfigRBAC(t *testing.T) {
	for _, release := range []struct{ name, namespace, prefix string }{
		{"amber", "amber-system", "amber-"},
		{"payments", "tenant-a", "payments-amber-"},
	} {
		rendered := rbacOf(render(t, release.name, release.namespace, nil), release.prefix, release.namespace)
		kustomized := rbacOf(kustomize(t), installer.NamePrefix, installer.Namespace)
		if len(kustomized) < 7 {
			t.Fatalf("config/default has %d RBAC objects; want the ServiceAccount, roles and bindings", len(kustomized))
		}
		for key, want := range kustomized {
			if got, ok := rendered[key]; !ok {
				t.Errorf("release %s: the chart lacks %s", release.name, key)
			} else if !reflect.DeepEqual(got, want) {
				t.Errorf("release %s: %s differs:\nchart:          %v\nconfig/default: %v", release.name, key, got, want)
			}
		}
		for key := range rendered {
			if _, ok := kustomized[key]; !ok {
				t.Errorf("release %s: the chart has %s, config/default does not", release.name, key)
			}
		}
	}
}

// The alerts' values are reserved for templates/prometheus, off unless asked for.
func TestThePrometheusValuesAreReservedAndOff(t *testing.T) {
	chart := load(t)
	want := map[string]any{"enable": false, "rules": map[string]any{"enable": false, "pinningFailingFor": "15m"}}
	if got := chart.Values["prometheus"]; !reflect.DeepEqual(got, want) {
		t.Errorf("values.prometheus: got %v, want %v", got, want)
	}
}

func nonDefaultValues() map[string]any {
	return map[string]any{
		"manager": map[string]any{
			"replicas": 3,
			"image":    map[string]any{"repository": "registry.local:5000/amber", "tag": "v9", "pullPolicy": "Always"},
			"resources": map[string]any{
				"limits": map[string]any{"cpu": "2", "memory": "1Gi"},
			},
			"leaderElection": map[string]any{"enable": false, "leaseDuration": "30s", "renewDeadline": "20s", "retryPeriod": "4s"},
			"audit": map[string]any{
				"actors": "plain", "checkpointEvery": 10, "checkpointInterval": "30s", "fullVerifyInterval": "1h", "export": "-",
			},
			"insecureRegistries":      []any{"registry.local:5000", "mirror.local"},
			"registryTimeout":         "3s",
			"imageResolutionTTL":      "1m",
			"residency":               map[string]any{"regionLabel": "node-restriction.kubernetes.io/region", "zoneLabel": "node-restriction.kubernetes.io/zone"},
			"maxConcurrentReconciles": 4,
			"maxDriftRepeats":         2,
			"extraArgs":               []any{"--zap-log-level=debug"},
		},
		"metrics": map[string]any{"enable": false},
		"webhook": map[string]any{"port": 10443, "certSecret": "payments-webhook-cert", "installAdmission": false},
	}
}

func load(t *testing.T) *chartv2.Chart {
	t.Helper()
	chart, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load the chart: %v", err)
	}
	return chart
}

// render is `helm template`: an install that renders on the client and talks to no cluster.
func render(t *testing.T, release, namespace string, values map[string]any) []*unstructured.Unstructured {
	t.Helper()
	install := action.NewInstall(action.NewConfiguration())
	install.DryRunStrategy = action.DryRunClient
	install.ReleaseName = release
	install.Namespace = namespace
	rel, err := install.RunWithContext(context.Background(), load(t), values)
	if err != nil {
		t.Fatalf("render the chart: %v", err)
	}
	return decode(t, rel.(*releasev1.Release).Manifest)
}

func kustomize(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	objects, err := installer.Objects(configDefault, "")
	if err != nil {
		t.Fatal(err)
	}
	return objects
}

func decode(t *testing.T, manifest string) []*unstructured.Unstructured {
	t.Helper()
	var objects []*unstructured.Unstructured
	for _, doc := range strings.Split(manifest, "\n---") {
		data, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			t.Fatalf("decode the rendered chart: %v\n%s", err, doc)
		}
		if string(data) == "null" {
			continue
		}
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(data); err != nil {
			t.Fatalf("decode the rendered chart: %v\n%s", err, doc)
		}
		objects = append(objects, o)
	}
	return objects
}

// rbacOf keys the ServiceAccounts, roles and bindings by kind and name without the prefix,
// and keeps what grants: rules, role reference and subjects, names and namespaces unprefixed.
func rbacOf(objects []*unstructured.Unstructured, prefix, namespace string) map[string]map[string]any {
	unprefix := func(name any) any {
		if s, ok := name.(string); ok {
			return strings.TrimPrefix(s, prefix)
		}
		return name
	}
	out := map[string]map[string]any{}
	for _, o := range objects {
		switch o.GetKind() {
		case "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
		default:
			continue
		}
		grant := map[string]any{"rules": o.Object["rules"], "aggregationLabels": aggregationLabels(o)}
		if o.GetNamespace() != "" && o.GetNamespace() != namespace {
			grant["namespace"] = o.GetNamespace()
		}
		if ref, ok := o.Object["roleRef"].(map[string]any); ok {
			grant["roleRef"] = map[string]any{"kind": ref["kind"], "name": unprefix(ref["name"])}
		}
		if subjects, ok := o.Object["subjects"].([]any); ok {
			var s []any
			for _, subject := range subjects {
				subject := subject.(map[string]any)
				entry := map[string]any{"kind": subject["kind"], "name": unprefix(subject["name"])}
				if subject["namespace"] != namespace {
					entry["namespace"] = subject["namespace"]
				}
				s = append(s, entry)
			}
			grant["subjects"] = s
		}
		out[o.GetKind()+"/"+strings.TrimPrefix(o.GetName(), prefix)] = grant
	}
	return out
}

// aggregationLabels are the labels that grant: those that aggregate a role into another.
func aggregationLabels(o *unstructured.Unstructured) map[string]string {
	labels := map[string]string{}
	for k, v := range o.GetLabels() {
		if strings.Contains(k, "aggregate-to-") {
			labels[k] = v
		}
	}
	return labels
}

func deploymentOf(t *testing.T, objects []*unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	for _, o := range objects {
		if o.GetKind() == "Deployment" {
			return o
		}
	}
	t.Fatal("no Deployment")
	return nil
}

func managerContainer(t *testing.T, deployment *unstructured.Unstructured) map[string]any {
	t.Helper()
	containers, _, _ := unstructured.NestedSlice(deployment.Object, "spec", "template", "spec", "containers")
	for _, c := range containers {
		if c := c.(map[string]any); c["name"] == installer.ManagerContainer {
			return c
		}
	}
	t.Fatalf("Deployment %s has no manager container", deployment.GetName())
	return nil
}

func args(t *testing.T, deployment *unstructured.Unstructured) []string {
	t.Helper()
	return stringsOf(managerContainer(t, deployment)["args"])
}

func stringsOf(list any) []string {
	var out []string
	for _, s := range list.([]any) {
		out = append(out, s.(string))
	}
	return out
}

// With prometheus.enable and prometheus.rules.enable, Helm itself renders the ServiceMonitor and
// the PrometheusRule (test/alerts compares their content with config/prometheus), and the
// monitor selects the chart's metrics Service by its labels and its port's name.
func TestThePrometheusObjectsRenderAndSelectTheMetricsService(t *testing.T) {
	values := map[string]any{"prometheus": map[string]any{
		"enable": true, "rules": map[string]any{"enable": true, "pinningFailingFor": "30m"},
	}}
	var monitor, rule, service *unstructured.Unstructured
	for _, o := range render(t, "payments", "shop", values) {
		switch {
		case o.GetKind() == "ServiceMonitor":
			monitor = o
		case o.GetKind() == "PrometheusRule":
			rule = o
		case o.GetKind() == "Service" && strings.HasSuffix(o.GetName(), "-metrics"):
			service = o
		}
	}
	if monitor == nil || rule == nil || service == nil {
		t.Fatalf("rendered ServiceMonitor %v, PrometheusRule %v, metrics Service %v: want all three", monitor != nil, rule != nil, service != nil)
	}
	if monitor.GetNamespace() != "shop" || rule.GetNamespace() != "shop" {
		t.Errorf("namespaces %q and %q, want the release's (shop)", monitor.GetNamespace(), rule.GetNamespace())
	}
	selector, _, _ := unstructured.NestedStringMap(monitor.Object, "spec", "selector", "matchLabels")
	for key, value := range selector {
		if service.GetLabels()[key] != value {
			t.Errorf("the monitor selects %s=%s; the metrics Service %s has %q", key, value, service.GetName(), service.GetLabels()[key])
		}
	}
	endpoints, _, _ := unstructured.NestedSlice(monitor.Object, "spec", "endpoints")
	ports, _, _ := unstructured.NestedSlice(service.Object, "spec", "ports")
	if len(endpoints) != 1 || len(ports) != 1 || endpoints[0].(map[string]any)["port"] != ports[0].(map[string]any)["name"] {
		t.Errorf("the monitor scrapes %v; the metrics Service names its ports %v", endpoints, ports)
	}
	if !strings.Contains(fmt.Sprint(rule.Object["spec"]), "for:30m") {
		t.Errorf("AmberPinningFailing does not wait prometheus.rules.pinningFailingFor (30m): %v", rule.Object["spec"])
	}
}
