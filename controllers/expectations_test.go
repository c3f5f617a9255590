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

package controllers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/amber-gdpr/amber/internal/podplan"
)

func TestPodExpectations(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "w"}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	observedPod := func(name, uid string, deleting bool) corev1.Pod {
		p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID(uid)}}
		if deleting {
			p.DeletionTimestamp = &metav1.Time{Time: now}
		}
		return p
	}
	plan := func(pods []corev1.Pod) []podplan.Pod {
		out := make([]podplan.Pod, len(pods))
		for i := range pods {
			out[i] = planPod(&pods[i])
		}
		return out
	}

	t.Run("a created pod the cache has not shown yet counts as an unready pod", func(t *testing.T) {
		e := newPodExpectations()
		e.created(key, "w-new", "rev", now)
		observed := []corev1.Pod{observedPod("w-a", "a", false)}
		got, pending := e.reconcile(key, observed, plan(observed), now.Add(time.Second))
		if !pending || len(got) != 2 || got[1].Name != "w-new" || got[1].Revision != "rev" || got[1].Ready {
			t.Fatalf("got %+v pending=%v, want w-a plus an unready w-new at rev, pending", got, pending)
		}
	})
	t.Run("a created pod the cache shows is no longer expected", func(t *testing.T) {
		e := newPodExpectations()
		e.created(key, "w-new", "rev", now)
		observed := []corev1.Pod{observedPod("w-new", "n", false)}
		got, pending := e.reconcile(key, observed, plan(observed), now.Add(time.Second))
		if pending || len(got) != 1 {
			t.Fatalf("got %+v pending=%v, want only the observed pod, nothing pending", got, pending)
		}
	})
	t.Run("a deleted pod the cache still shows live counts as terminating", func(t *testing.T) {
		e := newPodExpectations()
		e.deleted(key, "a", now)
		observed := []corev1.Pod{observedPod("w-a", "a", false), observedPod("w-b", "b", false)}
		got, pending := e.reconcile(key, observed, plan(observed), now.Add(time.Second))
		if !pending || !got[0].Terminating || got[1].Terminating {
			t.Fatalf("got %+v pending=%v, want w-a terminating and pending", got, pending)
		}
	})
	t.Run("a deleted pod the cache shows terminating or gone is no longer expected", func(t *testing.T) {
		e := newPodExpectations()
		e.deleted(key, "a", now)
		e.deleted(key, "gone", now)
		observed := []corev1.Pod{observedPod("w-a", "a", true)}
		_, pending := e.reconcile(key, observed, plan(observed), now.Add(time.Second))
		if pending {
			t.Fatal("still pending, want the expectations met")
		}
	})
	t.Run("a created pod deleted before any list showed it is no longer expected once its events arrive", func(t *testing.T) {
		e := newPodExpectations()
		e.created(key, "w-new", "rev", now)
		gone := observedPod("w-new", "n", false)
		gone.Namespace = "ns"
		gone.OwnerReferences = []metav1.OwnerReference{{Name: "w", UID: "w-uid", Controller: ptr.To(true)}}
		e.observed(&gone)
		observed := []corev1.Pod{observedPod("w-a", "a", false)}
		got, pending := e.reconcile(key, observed, plan(observed), now.Add(time.Second))
		if pending || len(got) != 1 {
			t.Fatalf("got %+v pending=%v, want only w-a: the deleted pod holds no place in the plan", got, pending)
		}
	})
	t.Run("expectations lapse after the TTL so a lost event cannot block a workload", func(t *testing.T) {
		e := newPodExpectations()
		e.created(key, "w-new", "rev", now)
		e.deleted(key, "a", now)
		observed := []corev1.Pod{observedPod("w-a", "a", false)}
		got, pending := e.reconcile(key, observed, plan(observed), now.Add(expectationTTL+time.Second))
		if pending || len(got) != 1 || got[0].Terminating {
			t.Fatalf("got %+v pending=%v, want the observed pod as it is and nothing pending", got, pending)
		}
	})
}
