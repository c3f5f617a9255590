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

package drift

import (
	"encoding/json"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// RecoveredBaseline is the baseline of a pod Amber created but holds no record of: a crash,
// or a leader killed, between the pod's creation and its PodCreated entry. It is the pod as
// found, less the labels and annotations that a field manager other than own (the pod's
// creator) wrote since. Taken wholly as found, a pod changed while no manager ran (a failover
// takes a lease duration) would have its change made its baseline, and run on, changed and
// unseen; left out of the baseline, the change shows as drift.
//
// The managed fields must carry their field sets: pass the pod as the API server returns it,
// not as the cache holds it (KeepAttribution drops them). The spec fields another manager
// wrote cannot be taken back, as their earlier values are kept nowhere; the images, the spec
// fields most worth changing, are checked against the pins whatever the baseline.
func RecoveredBaseline(pod *corev1.Pod, own string) Baseline {
	b := BaselineOf(pod)
	for i := range pod.ManagedFields {
		m := &pod.ManagedFields[i]
		if m.Manager == own || !attributable(m) || m.FieldsV1 == nil {
			continue
		}
		labels, annotations := metadataKeys(m.FieldsV1.GetRawBytes())
		for _, k := range labels {
			delete(b.Labels, k)
		}
		for _, k := range annotations {
			delete(b.Annotations, k)
		}
	}
	return b
}

// metadataKeys reads the label and annotation keys a managed field set holds, as in
// {"f:metadata":{"f:labels":{".":{},"f:app":{}}}}.
func metadataKeys(raw []byte) (labels, annotations []string) {
	var set struct {
		Metadata struct {
			Labels      map[string]json.RawMessage `json:"f:labels"`
			Annotations map[string]json.RawMessage `json:"f:annotations"`
		} `json:"f:metadata"`
	}
	if json.Unmarshal(raw, &set) != nil {
		return nil, nil
	}
	keys := func(fields map[string]json.RawMessage) []string {
		var names []string
		for k := range fields {
			if name, ok := strings.CutPrefix(k, "f:"); ok {
				names = append(names, name)
			}
		}
		return names
	}
	return keys(set.Metadata.Labels), keys(set.Metadata.Annotations)
}
