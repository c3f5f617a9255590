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
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// pod builds an observed pod; by default it is scheduled and Ready at revision "new",
// created age seconds after epoch.
func pod(name string, age int, opts ...func(*Pod)) Pod {
	p := Pod{Name: name, Revision: "new", Ready: true, Scheduled: true, Created: epoch.Add(time.Duration(age) * time.Second)}
	for _, o := range opts {
		o(&p)
	}
	return p
}

func outdated(p *Pod)    { p.Revision = "old" }
func notReady(p *Pod)    { p.Ready = false }
func unscheduled(p *Pod) { p.Scheduled = false; p.Ready = false }
func terminating(p *Pod) { p.Terminating = true }
func drifted(p *Pod)     { p.Drifted = true }
func discard(p *Pod)     { p.Discard = true }
func finished(p *Pod)    { p.Finished = true; p.Ready = false }

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		replicas int
		pods     []Pod
		want     Plan
	}{
		{
			name:     "a new workload creates every pod",
			replicas: 3,
			want:     Plan{Create: 3, Phase: ScalingUp},
		},
		{
			name:     "a workload with its pods all Ready has nothing to do",
			replicas: 2,
			pods:     []Pod{pod("a", 1), pod("b", 2)},
			want:     Plan{Phase: Converged},
		},
		{
			name:     "pods that exist but are not Ready are waited for, not replaced",
			replicas: 2,
			pods:     []Pod{pod("a", 1), pod("b", 2, notReady)},
			want:     Plan{Phase: WaitingForPods},
		},
		{
			name:     "a deleted pod is replaced",
			replicas: 3,
			pods:     []Pod{pod("a", 1), pod("b", 2)},
			want:     Plan{Create: 1, Phase: ScalingUp},
		},
		{
			name:     "a terminating pod is replaced without waiting for it to go",
			replicas: 2,
			pods:     []Pod{pod("a", 1), pod("b", 2, terminating)},
			want:     Plan{Create: 1, Phase: ScalingUp},
		},
		{
			name:     "a finished pod is deleted and replaced",
			replicas: 2,
			pods:     []Pod{pod("a", 1), pod("b", 2, finished)},
			want:     Plan{Create: 1, Delete: []string{"b"}, Phase: ScalingUp},
		},
		{
			name:     "scaling down deletes unscheduled, then unready, then the youngest pods",
			replicas: 1,
			pods:     []Pod{pod("old-ready", 1), pod("young-ready", 9), pod("unready", 2, notReady), pod("pending", 3, unscheduled)},
			want:     Plan{Delete: []string{"pending", "unready", "young-ready"}, Phase: ScalingDown},
		},
		{
			name:     "pods of the same age are deleted by name",
			replicas: 1,
			pods:     []Pod{pod("c", 1), pod("a", 1), pod("b", 1)},
			want:     Plan{Delete: []string{"a", "b"}, Phase: ScalingDown},
		},
		{
			name:     "scaling to zero deletes every pod",
			replicas: 0,
			pods:     []Pod{pod("a", 1), pod("b", 2, outdated)},
			want:     Plan{Delete: []string{"a", "b"}, Phase: ScalingDown},
		},
		{
			name:     "scaling to zero deletes old-revision pods too",
			replicas: 0,
			pods:     []Pod{pod("b", 2, outdated)},
			want:     Plan{Delete: []string{"b"}, Phase: ScalingDown},
		},
		{
			name:     "a rollout first creates one new pod beside the old ones",
			replicas: 2,
			pods:     []Pod{pod("a", 1, outdated), pod("b", 2, outdated)},
			want:     Plan{Create: 1, Phase: RollingOut},
		},
		{
			name:     "a rollout waits while the surge pod is not Ready",
			replicas: 2,
			pods:     []Pod{pod("a", 1, outdated), pod("b", 2, outdated), pod("c", 3, notReady)},
			want:     Plan{Phase: RollingOut},
		},
		{
			name:     "a rollout deletes one old pod once the surge pod is Ready",
			replicas: 2,
			pods:     []Pod{pod("a", 1, outdated), pod("b", 2, outdated), pod("c", 3)},
			want:     Plan{Delete: []string{"b"}, Create: 1, Phase: RollingOut},
		},
		{
			name:     "an old pod that is not Ready is replaced at once",
			replicas: 2,
			pods:     []Pod{pod("a", 1, outdated), pod("b", 2, outdated, notReady)},
			want:     Plan{Delete: []string{"b"}, Create: 2, Phase: RollingOut},
		},
		{
			name:     "a rollout ends by deleting the last old pod",
			replicas: 2,
			pods:     []Pod{pod("a", 1, outdated), pod("c", 3), pod("d", 4)},
			want:     Plan{Delete: []string{"a"}, Phase: RollingOut},
		},
		{
			name:     "a drifted pod is replaced surge-first: a fresh pod before it goes",
			replicas: 2,
			pods:     []Pod{pod("a", 1, drifted), pod("b", 2)},
			want:     Plan{Create: 1, Phase: Repairing},
		},
		{
			name:     "a drifted pod goes once its replacement is Ready",
			replicas: 2,
			pods:     []Pod{pod("a", 1, drifted), pod("b", 2), pod("c", 3)},
			want:     Plan{Delete: []string{"a"}, Phase: Repairing},
		},
		{
			name:     "a pod to discard goes at once and is replaced",
			replicas: 2,
			pods:     []Pod{pod("a", 1, discard), pod("b", 2)},
			want:     Plan{Delete: []string{"a"}, Create: 1, Phase: Repairing},
		},
		{
			name:     "a drifted pod of an older revision is part of the rollout",
			replicas: 2,
			pods:     []Pod{pod("a", 1, drifted, outdated), pod("b", 2, outdated)},
			want:     Plan{Create: 1, Phase: RollingOut},
		},
		{
			name:     "more new pods than desired during a rollout removes the surplus and every old pod",
			replicas: 1,
			pods:     []Pod{pod("a", 1, outdated), pod("c", 3), pod("d", 4)},
			want:     Plan{Delete: []string{"d", "a"}, Phase: ScalingDown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(Desired{Replicas: tt.replicas, Revision: "new", MaxSurge: 1}, tt.pods)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Decide() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecideStrategy(t *testing.T) {
	tests := []struct {
		name    string
		desired Desired
		pods    []Pod
		want    Plan
	}{
		{
			name:    "surge 2 creates two new pods before any old one goes",
			desired: Desired{Replicas: 3, MaxSurge: 2},
			pods:    []Pod{pod("a", 1, outdated), pod("b", 2, outdated), pod("c", 3, outdated)},
			want:    Plan{Create: 2, Phase: RollingOut},
		},
		{
			name:    "surge 0, unavailable 1 deletes an old pod first, then replaces it",
			desired: Desired{Replicas: 3, MaxUnavailable: 1},
			pods:    []Pod{pod("a", 1, outdated), pod("b", 2, outdated), pod("c", 3, outdated)},
			want:    Plan{Delete: []string{"c"}, Create: 1, Phase: RollingOut},
		},
		{
			name:    "unavailable 1 never goes below replicas-1 Ready pods",
			desired: Desired{Replicas: 3, MaxUnavailable: 1},
			pods:    []Pod{pod("a", 1, outdated), pod("b", 2, outdated), pod("c", 3, notReady)},
			want:    Plan{Phase: RollingOut},
		},
		{
			name:    "surge 1, unavailable 1 replaces two at a time",
			desired: Desired{Replicas: 4, MaxSurge: 1, MaxUnavailable: 1},
			pods:    []Pod{pod("a", 1, outdated), pod("b", 2, outdated), pod("c", 3, outdated), pod("d", 4, outdated)},
			want:    Plan{Delete: []string{"d"}, Create: 2, Phase: RollingOut},
		},
		{
			name:    "hold keeps old pods and makes a missing one from the fallback revision",
			desired: Desired{Replicas: 3, MaxSurge: 1, Hold: true},
			pods:    []Pod{pod("a", 1, outdated), pod("b", 2)},
			want:    Plan{Create: 1, Phase: ScalingUp},
		},
		{
			name:    "hold still scales down",
			desired: Desired{Replicas: 1, MaxSurge: 1, Hold: true},
			pods:    []Pod{pod("a", 1, outdated), pod("b", 2)},
			want:    Plan{Delete: []string{"b"}, Phase: ScalingDown},
		},
		{
			name:    "hold with every pod in place is converged",
			desired: Desired{Replicas: 2, MaxSurge: 1, Hold: true},
			pods:    []Pod{pod("a", 1, outdated), pod("b", 2)},
			want:    Plan{Phase: Converged},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.desired.Revision = "new"
			got := Decide(tt.desired, tt.pods)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Decide() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecideScaleDownDuringRollout(t *testing.T) {
	// Four Ready pods of the old revision, two new ones not Ready yet, and the workload scaled
	// to one: the Ready old pods may not all go at once.
	pods := []Pod{
		pod("a1", 1, outdated), pod("a2", 2, outdated), pod("a3", 3, outdated), pod("a4", 4, outdated),
		pod("b1", 5, notReady), pod("b2", 6, notReady),
	}
	got := Decide(Desired{Replicas: 1, Revision: "new", MaxSurge: 2}, pods)
	want := Plan{Delete: []string{"b2", "a4", "a3", "a2"}, Phase: RollingOut}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Decide() mismatch (-want +got):\n%s", diff)
	}
}
