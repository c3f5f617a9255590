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

package podplan

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

func template(image string, labels map[string]string) *corev1.PodTemplateSpec {
	return &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: image}}},
	}
}

func TestTemplateHash(t *testing.T) {
	base := template("registry.example/app:1", map[string]string{"a": "1", "b": "2"})
	rev := func(tpl *corev1.PodTemplateSpec) string {
		t.Helper()
		r, err := TemplateHash(tpl, gdprv1alpha1.HardeningImmutable)
		if err != nil {
			t.Fatalf("TemplateHash: %v", err)
		}
		return r
	}
	if got := rev(base); len(got) != templateHashLength {
		t.Errorf("revision %q has %d characters, want %d", got, len(got), templateHashLength)
	}
	tests := []struct {
		name  string
		other *corev1.PodTemplateSpec
		same  bool
	}{
		{"the same content in another map order has the same revision", template("registry.example/app:1", map[string]string{"b": "2", "a": "1"}), true},
		{"another image is another revision", template("registry.example/app:2", map[string]string{"a": "1", "b": "2"}), false},
		{"another label is another revision", template("registry.example/app:1", map[string]string{"a": "1"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rev(base) == rev(tt.other); got != tt.same {
				t.Errorf("same revision = %v, want %v", got, tt.same)
			}
		})
	}
	t.Run("another hardening profile is another revision, and the default profile is no profile", func(t *testing.T) {
		baseline, err := TemplateHash(base, gdprv1alpha1.HardeningBaseline)
		if err != nil {
			t.Fatal(err)
		}
		unset, err := TemplateHash(base, "")
		if err != nil {
			t.Fatal(err)
		}
		if baseline == rev(base) || unset != rev(base) {
			t.Errorf("Immutable %s, Baseline %s, unset %s: want Baseline apart, unset as Immutable", rev(base), baseline, unset)
		}
	})
	// A template's revision must not change between releases of Amber: it is stored in pod
	// labels, and a change would replace every running pod on upgrade. The value is the first
	// ten hex digits of SHA-256 over {"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"containers":[{"name":"app","image":"registry.example/app:1","resources":{}}]}}.
	if got, want := rev(base), "be6109dc29"; got != want {
		t.Errorf("TemplateHash(base) = %q, want %q (the encoding changed)", got, want)
	}
}
