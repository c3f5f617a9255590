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
	"errors"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/drift"
	"github.com/amber-gdpr/amber/internal/failure"
	"github.com/amber-gdpr/amber/internal/pin"
	"github.com/amber-gdpr/amber/internal/podplan"
	"github.com/amber-gdpr/amber/internal/revision"
)

// wantCondition is a condition as a test expects it; an empty status means absent.
type wantCondition struct {
	status  metav1.ConditionStatus
	reason  string
	message string
}

func checkCondition(t *testing.T, w *gdprv1alpha1.GDPRWorkload, conditionType string, want wantCondition) {
	t.Helper()
	c := meta.FindStatusCondition(w.Status.Conditions, conditionType)
	switch {
	case want.status == "" && c != nil:
		t.Errorf("%s = %s/%s, want it absent", conditionType, c.Status, c.Reason)
	case want.status == "":
	case c == nil:
		t.Errorf("%s absent, want %s/%s", conditionType, want.status, want.reason)
	case c.Status != want.status || c.Reason != want.reason || (want.message != "" && c.Message != want.message):
		t.Errorf("%s = %s/%s %q, want %s/%s %q", conditionType, c.Status, c.Reason, c.Message, want.status, want.reason, want.message)
	case c.ObservedGeneration != w.Generation:
		t.Errorf("%s observedGeneration = %d, want %d", conditionType, c.ObservedGeneration, w.Generation)
	}
}

func TestSetImagesPinnedCondition(t *testing.T) {
	down := &pin.Error{Image: "r/app:1", Reason: pin.RegistryUnavailable, Err: errors.New("connection refused")}
	tests := []struct {
		name string
		pin  pinSummary
		want wantCondition
	}{
		{"a running revision says how many images it pins", pinSummary{pinned: true, revision: "abc", images: 2},
			wantCondition{metav1.ConditionTrue, gdprv1alpha1.ReasonPinned, "2 images of revision abc pinned to digests"}},
		{"a failed refresh stays True and says it retries", pinSummary{pinned: true, revision: "abc", images: 1, refreshErr: down},
			wantCondition{metav1.ConditionTrue, gdprv1alpha1.ReasonPinned, "1 images of revision abc pinned to digests; refreshing them failed, will retry: " + down.Error()}},
		{"a held template whose image failed is False with the failure's reason", pinSummary{held: true, blocked: down},
			wantCondition{metav1.ConditionFalse, gdprv1alpha1.ReasonRegistryUnavailable, "no pod of the new template is made until its images are pinned; pods already running are kept: " + down.Error()}},
		{"a template being resolved is Unknown", pinSummary{held: true, resolving: true, templateHash: "tpl"},
			wantCondition{metav1.ConditionUnknown, gdprv1alpha1.ReasonResolving, "resolving the images of the new template (tpl) to digests"}},
		{"nothing decided leaves the condition absent", pinSummary{}, wantCondition{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &gdprv1alpha1.GDPRWorkload{ObjectMeta: metav1.ObjectMeta{Generation: 3}}
			setImagesPinnedCondition(w, tt.pin)
			checkCondition(t, w, gdprv1alpha1.ImagesPinnedCondition, tt.want)
		})
	}
}

func TestSetInSyncCondition(t *testing.T) {
	replaced := driftedPodName{name: "a", reason: drift.ImageChanged, disposition: drift.Replace, replace: true}
	tests := []struct {
		name        string
		drifted     []driftedPodName
		rateLimited bool
		want        wantCondition
	}{
		{"no drifted pod is in sync", nil, false, wantCondition{metav1.ConditionTrue, gdprv1alpha1.ReasonNoDrift, "every pod is as the API server admitted it"}},
		{"drifted pods being replaced are named with their first drift", []driftedPodName{replaced, {name: "b", reason: drift.MetadataChanged, disposition: drift.Replace, replace: true}}, false,
			wantCondition{metav1.ConditionFalse, string(drift.ImageChanged), "2 pods changed in place, being replaced by fresh pods: a (ImageChanged), b (MetadataChanged)"}},
		{"under Report they are kept", []driftedPodName{{name: "a", reason: drift.SpecMutated, disposition: drift.KeepReported}}, false,
			wantCondition{metav1.ConditionFalse, string(drift.SpecMutated), "1 pods changed in place, kept, as spec.driftPolicy.action is Report: a (SpecMutated)"}},
		{"pods waiting for the replacement budget say how fast they go", []driftedPodName{{name: "a", reason: drift.ImageChanged, disposition: drift.Replace}}, true,
			wantCondition{metav1.ConditionFalse, string(drift.ImageChanged), "1 pods changed in place, replaced at most 10 at once and then one every 1s: a (ImageChanged)"}},
		{"in a drift loop they are kept", []driftedPodName{{name: "a", reason: drift.ImageChanged, disposition: drift.KeepLooping}}, false,
			wantCondition{metav1.ConditionFalse, string(drift.ImageChanged), "1 pods changed in place, kept: replacing them again would feed a drift loop: a (ImageChanged)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &gdprv1alpha1.GDPRWorkload{ObjectMeta: metav1.ObjectMeta{Generation: 2}}
			setInSyncCondition(w, tt.drifted, tt.rateLimited)
			checkCondition(t, w, gdprv1alpha1.InSyncCondition, tt.want)
		})
	}
}

func TestReadiness(t *testing.T) {
	at := progress{ready: 2, desired: 3, updated: 1, revision: "abc", create: 1}
	rejected := failure.Stall(gdprv1alpha1.ReasonPodRejected, errors.New("the API server refused a pod made from spec.template: bad"))
	waiting := failure.Wait(gdprv1alpha1.ReasonRegistryUnavailable, errors.New("down (retrying)"), time.Second)
	tests := []struct {
		name                        string
		outcome                     error
		pin                         pinSummary
		phase                       podplan.Phase
		ready, reconciling, stalled wantCondition
		wantObserved                bool
		noEligibleNodes             string
	}{
		{"converged pods are Ready, with nothing else", nil, pinSummary{pinned: true}, podplan.Converged,
			wantCondition{metav1.ConditionTrue, gdprv1alpha1.ReasonReplicasReady, "2/3 pods Ready at revision abc"}, wantCondition{}, wantCondition{}, true, ""},
		{"pods on the way are Reconciling with the plan's phase", nil, pinSummary{pinned: true}, podplan.ScalingUp,
			wantCondition{metav1.ConditionFalse, gdprv1alpha1.ReasonScalingUp, "2/3 pods Ready, 1 at revision abc; creating 1"},
			wantCondition{metav1.ConditionTrue, gdprv1alpha1.ReasonScalingUp, ""}, wantCondition{}, true, ""},
		{"images being resolved are Reconciling", nil, pinSummary{held: true, resolving: true, templateHash: "tpl"}, podplan.Converged,
			wantCondition{metav1.ConditionFalse, gdprv1alpha1.ReasonResolving, ""}, wantCondition{metav1.ConditionTrue, gdprv1alpha1.ReasonResolving, ""}, wantCondition{}, true, ""},
		{"a stalling failure is Stalled, not Reconciling, and the generation counts as handled", fmt.Errorf("create pod: %w", rejected), pinSummary{pinned: true}, podplan.ScalingUp,
			wantCondition{metav1.ConditionFalse, gdprv1alpha1.ReasonPodRejected, rejected.Err.Error()}, wantCondition{}, wantCondition{metav1.ConditionTrue, gdprv1alpha1.ReasonPodRejected, ""}, true, ""},
		{"a waiting failure is Reconciling with its reason", waiting, pinSummary{held: true}, podplan.Converged,
			wantCondition{metav1.ConditionFalse, gdprv1alpha1.ReasonRegistryUnavailable, "down (retrying)"}, wantCondition{metav1.ConditionTrue, gdprv1alpha1.ReasonRegistryUnavailable, ""}, wantCondition{}, true, ""},
		{"pods that find no node within the residency are Reconciling, not Stalled, and say where they may run", nil, pinSummary{pinned: true}, podplan.ScalingUp,
			wantCondition{metav1.ConditionFalse, gdprv1alpha1.ReasonNoEligibleNodes, "2/3 pods Ready at revision abc; no schedulable node in the allowed regions eu-west-1"},
			wantCondition{metav1.ConditionTrue, gdprv1alpha1.ReasonNoEligibleNodes, ""}, wantCondition{}, true, "no schedulable node in the allowed regions eu-west-1"},
		{"a stalling failure wins over pods that find no node", fmt.Errorf("create pod: %w", rejected), pinSummary{pinned: true}, podplan.ScalingUp,
			wantCondition{metav1.ConditionFalse, gdprv1alpha1.ReasonPodRejected, rejected.Err.Error()}, wantCondition{}, wantCondition{metav1.ConditionTrue, gdprv1alpha1.ReasonPodRejected, ""}, true,
			"no schedulable node in the allowed regions eu-west-1"},
		{"any other error is Reconciling and holds observedGeneration back", errors.New("etcd timeout"), pinSummary{pinned: true}, podplan.Converged,
			wantCondition{metav1.ConditionFalse, gdprv1alpha1.ReasonReconcileFailed, "etcd timeout"}, wantCondition{metav1.ConditionTrue, gdprv1alpha1.ReasonReconcileFailed, ""}, wantCondition{}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &gdprv1alpha1.GDPRWorkload{ObjectMeta: metav1.ObjectMeta{Generation: 4}}
			// Left from an earlier reconcile: each must go when no longer true.
			setCondition(w, gdprv1alpha1.ReconcilingCondition, metav1.ConditionTrue, "Old", "old")
			setCondition(w, gdprv1alpha1.StalledCondition, metav1.ConditionTrue, "Old", "old")
			p := at
			p.noEligibleNodes = tt.noEligibleNodes
			w.Status.ObservedGeneration = 3
			setReadiness(w, readinessOf(tt.outcome, tt.pin, podplan.Plan{Phase: tt.phase, Create: at.create}, p))
			observed := w.Status.ObservedGeneration == w.Generation
			checkCondition(t, w, gdprv1alpha1.ReadyCondition, tt.ready)
			checkCondition(t, w, gdprv1alpha1.ReconcilingCondition, tt.reconciling)
			checkCondition(t, w, gdprv1alpha1.StalledCondition, tt.stalled)
			if observed != tt.wantObserved {
				t.Errorf("observed = %v, want %v", observed, tt.wantObserved)
			}
		})
	}
}

func TestOutcomeAndResult(t *testing.T) {
	notAllowed := &pin.Error{Image: "evil.example/app:1", Reason: pin.RegistryNotAllowed, Err: errors.New("it is not in spec.imagePolicy.allowedRegistries")}
	down := &pin.Error{Image: "r.example/app:1", Reason: pin.RegistryUnavailable, Err: errors.New("down")}
	held := func(blocked error, recheck time.Duration) pinScope {
		return pinScope{choice: revision.Choice{Action: revision.Hold, Blocked: blocked, RecheckAfter: recheck}}
	}
	tests := []struct {
		name         string
		err          error
		pin          pinScope
		looping      bool
		pending      time.Duration
		wantReason   string
		wantRequeue  time.Duration
		wantTerminal bool
		wantErr      bool
	}{
		{"an image outside the allowed registries stalls, and nothing requeues it", nil, held(notAllowed, 0), false, 0,
			gdprv1alpha1.ReasonRegistryNotAllowed, 0, true, true},
		{"a stalled workload whose pods are still on the way is looked at once they should be there", nil, held(notAllowed, 0), false, pendingRecheck,
			gdprv1alpha1.ReasonRegistryNotAllowed, pendingRecheck, false, false},
		{"a registry that is down waits for the pinner's backoff", nil, held(down, 4*time.Second), false, 0,
			gdprv1alpha1.ReasonRegistryUnavailable, 4 * time.Second, false, false},
		{"a drift loop stalls", nil, pinScope{choice: revision.Choice{Action: revision.Run}}, true, 0,
			gdprv1alpha1.ReasonDriftLoop, 0, true, true},
		{"a refused pod stalls even in a drift loop, and wins", failure.Stall(gdprv1alpha1.ReasonPodRejected, errors.New("bad")), pinScope{}, true, 0,
			gdprv1alpha1.ReasonPodRejected, 0, true, true},
		{"any other error is retried with backoff, before a pin that waits", errors.New("conflict"), held(down, time.Second), false, 0,
			"", 0, false, true},
		{"an error in a drift loop is still retried, the condition telling of the loop", errors.New("quota exceeded"), pinScope{}, true, 0,
			gdprv1alpha1.ReasonDriftLoop, 0, false, true},
		{"a refused pod ends the reconcile even while its pods are on the way", failure.Stall(gdprv1alpha1.ReasonPodRejected, errors.New("bad")), pinScope{}, false, pendingRecheck,
			gdprv1alpha1.ReasonPodRejected, 0, true, true},
		{"nothing wrong requeues only for the data's sake", nil, pinScope{choice: revision.Choice{Action: revision.Run}}, false, 0,
			"", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope := &workloadScope{pin: tt.pin, drift: driftScope{looping: tt.looping, repeated: 5, loopPaths: []string{"spec.containers[app].image"}}}
			scope.requeue(tt.pin.choice.RecheckAfter)
			scope.requeue(tt.pending)
			outcome := outcomeOf(scope, tt.err)
			reason := ""
			if s := failure.StallingOf(outcome); s != nil {
				reason = s.Reason
			} else if w := failure.WaitingOf(outcome); w != nil {
				reason = w.Reason
			}
			if reason != tt.wantReason {
				t.Errorf("reason = %q, want %q (outcome %v)", reason, tt.wantReason, outcome)
			}
			result, err := resultOf(scope, tt.err, outcome)
			if result.RequeueAfter != tt.wantRequeue {
				t.Errorf("RequeueAfter = %v, want %v", result.RequeueAfter, tt.wantRequeue)
			}
			if (err != nil) != tt.wantErr || errors.Is(err, reconcile.TerminalError(nil)) != tt.wantTerminal {
				t.Errorf("error = %v, want error %v, terminal %v", err, tt.wantErr, tt.wantTerminal)
			}
		})
	}
}
