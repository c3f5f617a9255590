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
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/amber-gdpr/amber/internal/podplan"
)

// expectationTTL bounds how long an unobserved create or delete is remembered: long enough
// for any watch event to arrive, short enough that a lost one cannot block a workload.
const expectationTTL = time.Minute

// podExpectations remembers pods this controller created or deleted whose watch events the
// cache has not delivered yet. Without it a reconcile that runs before the cache catches
// up would count too few pods and create duplicates, or count a deleted pod and delete
// another one (the ReplicaSet controller guards against the same race the same way).
type podExpectations struct {
	mu      sync.Mutex
	pending map[types.NamespacedName]*pendingPods
}

type pendingPods struct {
	creates map[string]pendingCreate // pod name → what was created
	deletes map[types.UID]time.Time  // pod UID → when it was deleted
}

type pendingCreate struct {
	revision string
	at       time.Time
}

func newPodExpectations() *podExpectations {
	return &podExpectations{pending: map[types.NamespacedName]*pendingPods{}}
}

func (e *podExpectations) entry(workload types.NamespacedName) *pendingPods {
	p, ok := e.pending[workload]
	if !ok {
		p = &pendingPods{creates: map[string]pendingCreate{}, deletes: map[types.UID]time.Time{}}
		e.pending[workload] = p
	}
	return p
}

// created records a pod this controller just created.
func (e *podExpectations) created(workload types.NamespacedName, name, revision string, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entry(workload).creates[name] = pendingCreate{revision: revision, at: now}
}

// deleted records a pod this controller just deleted.
func (e *podExpectations) deleted(workload types.NamespacedName, uid types.UID, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entry(workload).deletes[uid] = now
}

// forget drops everything remembered of a workload that no longer exists.
func (e *podExpectations) forget(workload types.NamespacedName) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.pending, workload)
}

// reconcile folds what the cache shows of a workload's pods with what is still expected:
// pods created but not yet seen are added, not Ready; pods deleted but still shown without
// a deletion timestamp are marked terminating. Expectations the cache has met, or that are
// older than expectationTTL, are dropped. It reports whether any remain.
func (e *podExpectations) reconcile(workload types.NamespacedName, observed []corev1.Pod, plan []podplan.Pod, now time.Time) ([]podplan.Pod, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.pending[workload]
	if !ok {
		return plan, false
	}
	seenNames := make(map[string]bool, len(observed))
	liveUIDs := make(map[types.UID]bool, len(observed))
	for i := range observed {
		seenNames[observed[i].Name] = true
		if observed[i].DeletionTimestamp == nil {
			liveUIDs[observed[i].UID] = true
		}
	}
	for name, c := range p.creates {
		if seenNames[name] || now.Sub(c.at) > expectationTTL {
			delete(p.creates, name)
			continue
		}
		plan = append(plan, podplan.Pod{Name: name, Revision: c.revision, Created: c.at})
	}
	for uid, at := range p.deletes {
		if !liveUIDs[uid] || now.Sub(at) > expectationTTL {
			delete(p.deletes, uid)
		}
	}
	for i := range observed {
		if _, deleting := p.deletes[observed[i].UID]; deleting {
			plan[i].Terminating = true
		}
	}
	if len(p.creates) == 0 && len(p.deletes) == 0 {
		delete(e.pending, workload)
		return plan, false
	}
	return plan, true
}

// observed drops the create expectation of a pod whose creation or deletion the cache
// reported. A pod created and deleted between two reconciles never shows in a list, and its
// expectation would otherwise hold a place in the plan until it lapses.
func (e *podExpectations) observed(pod client.Object) {
	ref := metav1.GetControllerOf(pod)
	if ref == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.pending[types.NamespacedName{Namespace: pod.GetNamespace(), Name: ref.Name}]; ok {
		delete(p.creates, pod.GetName())
	}
}

// podEventHandler enqueues a pod's workload, as Owns would, after telling the expectations
// what the cache saw: the reconcile it triggers then plans with them up to date.
type podEventHandler struct {
	handler.EventHandler
	expectations *podExpectations
}

func (h podEventHandler) Create(ctx context.Context, evt event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.expectations.observed(evt.Object)
	h.EventHandler.Create(ctx, evt, q)
}

func (h podEventHandler) Delete(ctx context.Context, evt event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
	h.expectations.observed(evt.Object)
	h.EventHandler.Delete(ctx, evt, q)
}
