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

package breakglass

import (
	"slices"
	"strings"
	"time"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// Request is an operation on a running pod that admission would refuse, as a BreakGlass
// is asked about it.
type Request struct {
	// User and Groups are the requesting user and their groups, as the API server names them.
	User   string
	Groups []string
	// Operation is what is asked for.
	Operation gdprv1alpha1.BreakGlassOperation
	// Workload is the GDPRWorkload that governs the pod, Pod its name.
	Workload, Pod string
}

// OperationOf is the BreakGlass operation an admission request on a pod asks for: exec,
// attach and portForward are CONNECTs to their subresource, debug an UPDATE of
// pods/ephemeralcontainers. ok is false for anything else: no BreakGlass opens it.
func OperationOf(operation, subresource string) (op gdprv1alpha1.BreakGlassOperation, ok bool) {
	switch {
	case operation == "CONNECT" && subresource == "exec":
		return gdprv1alpha1.BreakGlassExec, true
	case operation == "CONNECT" && subresource == "attach":
		return gdprv1alpha1.BreakGlassAttach, true
	case operation == "CONNECT" && subresource == "portforward":
		return gdprv1alpha1.BreakGlassPortForward, true
	case operation == "UPDATE" && subresource == "ephemeralcontainers":
		return gdprv1alpha1.BreakGlassDebug, true
	}
	return "", false
}

// Permits reports whether bg lets req through at now: the window is open (Open), the
// BreakGlass is for the request's workload, names the user or one of their groups, names
// the operation, and names the pod (or names no pods, which opens every pod of the
// workload). Exactly what is named: no prefix, no wildcard, no case folding.
func Permits(bg *gdprv1alpha1.BreakGlass, req Request, now time.Time) bool {
	if !Open(bg, now) || bg.Spec.Workload != req.Workload || req.User == "" {
		return false
	}
	if !slices.Contains(bg.Spec.Operations, req.Operation) {
		return false
	}
	if len(bg.Spec.Pods) > 0 && !slices.Contains(bg.Spec.Pods, req.Pod) {
		return false
	}
	if slices.Contains(bg.Spec.Users, req.User) {
		return true
	}
	for _, g := range req.Groups {
		if slices.Contains(bg.Spec.Groups, g) {
			return true
		}
	}
	return false
}

// Find returns the BreakGlass among bgs that lets req through at now, nil when none does.
// When several do, the one whose window closes first is used (ties broken by name), so that
// the same request always counts against the same BreakGlass.
func Find(bgs []gdprv1alpha1.BreakGlass, req Request, now time.Time) *gdprv1alpha1.BreakGlass {
	var found *gdprv1alpha1.BreakGlass
	for i := range bgs {
		bg := &bgs[i]
		if !Permits(bg, req, now) {
			continue
		}
		if found == nil {
			found = bg
			continue
		}
		_, a := Window(bg)
		_, b := Window(found)
		if a.Before(b) || (a.Equal(b) && strings.Compare(bg.Name, found.Name) < 0) {
			found = bg
		}
	}
	return found
}

// Touched reports whether the pod with uid is among bg's touched pods.
func Touched(bg *gdprv1alpha1.BreakGlass, uid string) bool {
	return slices.ContainsFunc(bg.Status.TouchedPods, func(p gdprv1alpha1.BreakGlassTouchedPod) bool { return p.UID == uid })
}

// HoldsOpen reports whether an open BreakGlass among bgs has touched the pod with uid: a
// change made to it under the window (an ephemeral container of `kubectl debug`) is left
// alone by drift detection until the window closes, and then the pod is replaced anyway.
// It also returns when the latest such window closes, when the pod's drift must be looked
// at again.
func HoldsOpen(bgs []gdprv1alpha1.BreakGlass, uid string, now time.Time) (until time.Time, ok bool) {
	for i := range bgs {
		bg := &bgs[i]
		if !Open(bg, now) || !Touched(bg, uid) {
			continue
		}
		if _, notAfter := Window(bg); notAfter.After(until) {
			until = notAfter
		}
		ok = true
	}
	return until, ok
}
