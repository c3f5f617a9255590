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

package failpoint

import "testing"

func TestArmed(t *testing.T) {
	tests := []struct {
		name      string
		value     string
		point     Point
		namespace string
		ledger    string
		want      bool
	}{
		{"nothing is armed when the variable is empty", "", AfterPodCreate, "ns", "a", false},
		{"a point named alone is armed for every ledger", "after-pod-create", AfterPodCreate, "ns", "a", true},
		{"a point not named is not armed", "after-pod-create", AfterPodDelete, "ns", "a", false},
		{"each term of a list arms its point", "after-pod-create, mid-retention", MidRetention, "ns", "a", true},
		{"a point limited to a ledger is armed for it", "after-pod-delete@ns/a", AfterPodDelete, "ns", "a", true},
		{"a point limited to a ledger is not armed for another of the same name", "after-pod-delete@ns/a", AfterPodDelete, "other", "a", false},
		{"a point limited to two ledgers is armed for the second", "after-pod-delete@ns/a,after-pod-delete@ns/b", AfterPodDelete, "ns", "b", true},
		{"a point armed everywhere stays so when a later term limits it", "mid-retention,mid-retention@ns/a", MidRetention, "ns", "b", true},
		{"a misspelt point never fires", "after-pod-creat", AfterPodCreate, "ns", "a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parse(tt.value).matches(tt.point, tt.namespace, tt.ledger); got != tt.want {
				t.Errorf("parse(%q).matches(%s, %s/%s) = %v, want %v", tt.value, tt.point, tt.namespace, tt.ledger, got, tt.want)
			}
		})
	}
}
