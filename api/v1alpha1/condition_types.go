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

package v1alpha1

// Condition types of a GDPRWorkload, following kstatus
// (sigs.k8s.io/cli-utils/pkg/kstatus): tools such as `kubectl wait`, Argo CD and Flux
// read them without knowing Amber.
const (
	// ReadyCondition is True when every desired pod exists, runs the current revision and is
	// Ready. It is always present once Amber has reconciled the workload.
	ReadyCondition = "Ready"

	// ReconcilingCondition is True while Amber is still creating, deleting or replacing pods.
	// It is removed, not set to False, when the workload has converged.
	ReconcilingCondition = "Reconciling"

	// StalledCondition is True while the workload cannot make progress until a person changes
	// it, for example when the API server refuses the pods its template describes. It is
	// removed, not set to False, when the cause is gone.
	StalledCondition = "Stalled"

	// ImagesPinnedCondition is True when every image of the current template is pinned to a
	// digest. While it is False no pod of the new revision is created: pods already running
	// keep running, and the reason says what stands in the way.
	ImagesPinnedCondition = "ImagesPinned"

	// InSyncCondition is True when every pod of the workload is still what the API server
	// admitted when Amber created it. It is False while a drifted pod exists (being replaced,
	// or kept under the Report action); the reason is the first kind of drift found.
	InSyncCondition = "InSync"

	// AdmissionGuardedCondition is True while Amber's admission configuration (the webhook
	// configuration that refuses in-place changes to the workload's pods, and the policy that
	// refuses impostor pods) is installed as Amber wants it. It is False from the moment Amber
	// finds it deleted or changed until Amber has put it back (usually within seconds), or
	// while Amber cannot install it; drift detection still repairs what gets past meanwhile.
	// Absent when the manager runs without installing admission configuration.
	AdmissionGuardedCondition = "AdmissionGuarded"
)

// Reasons of the conditions above; each names the situation, whatever the polarity.
const (
	// ReasonReplicasReady (Ready=True): every desired pod is Ready at the current revision.
	ReasonReplicasReady = "ReplicasReady"

	// ReasonScalingUp (Ready=False, Reconciling=True): pods are missing and being created.
	ReasonScalingUp = "ScalingUp"

	// ReasonScalingDown (Ready=False, Reconciling=True): surplus pods are being deleted.
	ReasonScalingDown = "ScalingDown"

	// ReasonRollingOut (Ready=False, Reconciling=True): pods of an older revision are being
	// replaced by pods of the current one.
	ReasonRollingOut = "RollingOut"

	// ReasonWaitingForPods (Ready=False, Reconciling=True): the right pods exist but not all
	// of them are Ready yet.
	ReasonWaitingForPods = "WaitingForPods"

	// ReasonPodRejected (Ready=False, Stalled=True): the API server refused a pod made from
	// the template; the message carries its answer.
	ReasonPodRejected = "PodRejected"

	// ReasonPinned (ImagesPinned=True): every image is pinned to a digest.
	ReasonPinned = "Pinned"

	// ReasonResolving (ImagesPinned=Unknown): the registries are being asked.
	ReasonResolving = "Resolving"

	// ReasonRegistryUnavailable (ImagesPinned=False): a registry did not answer or answered
	// with a server error. Amber retries with backoff.
	ReasonRegistryUnavailable = "RegistryUnavailable"

	// ReasonRegistryRateLimited (ImagesPinned=False): a registry answered 429; Amber retries
	// after the time it asked for.
	ReasonRegistryRateLimited = "RegistryRateLimited"

	// ReasonImageNotFound (ImagesPinned=False): the registry has no such tag or digest.
	ReasonImageNotFound = "ImageNotFound"

	// ReasonUnauthorized (ImagesPinned=False): the registry refused the pull secrets' credentials.
	ReasonUnauthorized = "Unauthorized"

	// ReasonRegistryNotAllowed (ImagesPinned=False, Stalled=True): an image comes from outside
	// spec.imagePolicy.allowedRegistries.
	ReasonRegistryNotAllowed = "RegistryNotAllowed"

	// ReasonInvalidReference (ImagesPinned=False, Stalled=True): an image is not a valid reference.
	// The CRD refuses most such images when the workload is applied; this covers what its rule
	// does not check, such as a repository longer than 255 characters.
	ReasonInvalidReference = "InvalidReference"

	// ReasonReconcileFailed (Ready=False, Reconciling=True): a step failed for a reason that
	// may pass (quota, a conflict, an unavailable API server); Amber retries with backoff and
	// the message carries the error.
	ReasonReconcileFailed = "ReconcileFailed"

	// ReasonRepairing (Ready=False, Reconciling=True): drifted pods are being replaced by
	// fresh pods of their revision.
	ReasonRepairing = "Repairing"

	// ReasonNoEligibleNodes (Ready=False, Reconciling=True): the scheduler finds no node for
	// some pods within spec.residency; they stay Pending and are never placed elsewhere. Not
	// Stalled: a node of an allowed region may come back (uncordoned, relabelled, added by an
	// autoscaler), and the scheduler then places the pods without anyone changing the
	// workload. The message names the regions and carries the scheduler's words.
	ReasonNoEligibleNodes = "NoEligibleNodes"

	// ReasonNoDrift (InSync=True): no pod was changed in place.
	ReasonNoDrift = "NoDrift"

	// ReasonDriftLoop (Stalled=True, InSync=False): pods that replaced drifted pods drifted
	// again in the same way, time after time; something edits every new pod. Amber stops
	// replacing until the spec changes. The message names the fields.
	ReasonDriftLoop = "DriftLoop"

	// ReasonConfigInstalled (AdmissionGuarded=True): the admission configuration is as Amber
	// installed it.
	ReasonConfigInstalled = "ConfigInstalled"

	// ReasonConfigTampered (AdmissionGuarded=False): someone deleted or changed the admission
	// configuration and Amber is putting it back; an AdmissionConfigTampered entry records it.
	ReasonConfigTampered = "ConfigTampered"

	// ReasonConfigNotInstalled (AdmissionGuarded=False): Amber could not install the admission
	// configuration (its serving certificate is not ready yet, or the API server refused the
	// write); the message carries the error. Amber retries with backoff.
	ReasonConfigNotInstalled = "ConfigNotInstalled"
)
