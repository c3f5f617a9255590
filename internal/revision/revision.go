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

// Package revision keeps a workload's revisions: its pod template together with the digests
// its images were pinned to, stored as ControllerRevisions (as StatefulSets and DaemonSets
// keep theirs), so that a rollback runs exactly the bytes that ran before. Everything here
// is a plain function of its inputs.
package revision

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// idLength is how many hex digits a revision ID keeps, as for template hashes.
const idLength = 10

// RefreshedAtAnnotation, on a ControllerRevision, is when a refresh last found its tags
// where they were pinned (RFC 3339). The data itself cannot change once created.
const RefreshedAtAnnotation = "gdpr.amber.dev/refreshed-at"

// PinnedAsAnnotation, on a ControllerRevision, is the number it was made with: a higher
// number means it was restored since (the template went back to it).
const PinnedAsAnnotation = "gdpr.amber.dev/pinned-as"

// Data is what a workload's ControllerRevision holds: the template as the user wrote it, the
// digest each of its images was pinned to, and the hardening profile its pods are locked
// down by (absent from revisions made before profiles existed: the default, Immutable).
type Data struct {
	Template     corev1.PodTemplateSpec        `json:"template"`
	PinnedImages []gdprv1alpha1.PinnedImage    `json:"pinnedImages"`
	Hardening    gdprv1alpha1.HardeningProfile `json:"hardening,omitempty"`
}

// Revision is one decoded ControllerRevision of a workload.
type Revision struct {
	// ID is the revision's identity, the value of the pods' revision label.
	ID string
	// TemplateHash is the hash of the template as written and its hardening profile
	// (podplan.TemplateHash).
	TemplateHash string
	// Number orders revisions: the highest was made or restored last.
	Number int64
	// Name is the ControllerRevision's name.
	Name string
	// Template is the pod template as the user wrote it.
	Template corev1.PodTemplateSpec
	// Pins are the images and their digests.
	Pins []gdprv1alpha1.PinnedImage
	// Hardening is the profile the revision's pods are locked down by, as recorded: a pod
	// made from an older revision during a rollout keeps the profile it was made under.
	Hardening gdprv1alpha1.HardeningProfile
	// CheckedAt is when the pins were last found current: resolution, or the last refresh.
	CheckedAt time.Time
	// PinnedAs is the number the revision was made with; Number is higher once restored.
	PinnedAs int64
}

// Restored reports whether the revision was brought back after a later one.
func (r Revision) Restored() bool {
	return r.Number != r.PinnedAs
}

// ID names a revision. The first revision of a template is named by the template's hash
// alone, so the name tells which template a pod runs; a later one of the same template (a
// refresh found a tag moved) adds the digests, which are then what sets it apart.
func ID(templateHash string, pins []gdprv1alpha1.PinnedImage, first bool) string {
	if first {
		return templateHash
	}
	sum := sha256.Sum256([]byte(templateHash + "\x00" + PinsFingerprint(pins)))
	return hex.EncodeToString(sum[:])[:idLength]
}

// PinsFingerprint is the hex SHA-256 of the pins' container, image and digest, in container
// order: two revisions with equal fingerprints run the same bytes.
func PinsFingerprint(pins []gdprv1alpha1.PinnedImage) string {
	lines := make([]string, 0, len(pins))
	for _, p := range pins {
		lines = append(lines, p.Container+"\x00"+p.Image+"\x00"+p.Digest)
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

// SameDigests reports whether two sets of pins run the same bytes.
func SameDigests(a, b []gdprv1alpha1.PinnedImage) bool {
	return PinsFingerprint(a) == PinsFingerprint(b)
}

// Name is the ControllerRevision name of a workload's revision.
func Name(workload, id string) string {
	return workload + "-" + id
}

// New makes the ControllerRevision of revision id of workload, owned by it.
func New(workload *gdprv1alpha1.GDPRWorkload, id, templateHash string, number int64, pins []gdprv1alpha1.PinnedImage) (*appsv1.ControllerRevision, error) {
	raw, err := json.Marshal(Data{Template: workload.Spec.Template, PinnedImages: pins, Hardening: workload.Spec.Hardening.Profile})
	if err != nil {
		return nil, fmt.Errorf("encode revision %s: %w", id, err)
	}
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:      Name(workload.Name, id),
			Namespace: workload.Namespace,
			Labels: map[string]string{
				gdprv1alpha1.WorkloadLabel:     workload.Name,
				gdprv1alpha1.RevisionLabel:     id,
				gdprv1alpha1.TemplateHashLabel: templateHash,
			},
			Annotations: map[string]string{PinnedAsAnnotation: strconv.FormatInt(number, 10)},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion:         gdprv1alpha1.GroupVersion.String(),
				Kind:               "GDPRWorkload",
				Name:               workload.Name,
				UID:                workload.UID,
				Controller:         ptr.To(true),
				BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Data:     runtime.RawExtension{Raw: raw},
		Revision: number,
	}, nil
}

// Decode reads a workload's ControllerRevision.
func Decode(cr *appsv1.ControllerRevision) (Revision, error) {
	var data Data
	if err := json.Unmarshal(cr.Data.Raw, &data); err != nil {
		return Revision{}, fmt.Errorf("decode ControllerRevision %s: %w", cr.Name, err)
	}
	rev := Revision{
		ID:           cr.Labels[gdprv1alpha1.RevisionLabel],
		TemplateHash: cr.Labels[gdprv1alpha1.TemplateHashLabel],
		Number:       cr.Revision,
		Name:         cr.Name,
		Template:     data.Template,
		Pins:         data.PinnedImages,
		Hardening:    data.Hardening,
		PinnedAs:     cr.Revision,
	}
	if n, err := strconv.ParseInt(cr.Annotations[PinnedAsAnnotation], 10, 64); err == nil {
		rev.PinnedAs = n
	}
	for _, p := range data.PinnedImages {
		if rev.CheckedAt.IsZero() || p.ResolvedAt.Time.Before(rev.CheckedAt) {
			rev.CheckedAt = p.ResolvedAt.Time
		}
	}
	if at, err := time.Parse(time.RFC3339, cr.Annotations[RefreshedAtAnnotation]); err == nil && at.After(rev.CheckedAt) {
		rev.CheckedAt = at
	}
	return rev, nil
}

// Latest returns the revision of templateHash made or restored last, if there is one.
func Latest(revisions []Revision, templateHash string) (Revision, bool) {
	var found Revision
	ok := false
	for _, r := range revisions {
		if r.TemplateHash == templateHash && (!ok || r.Number > found.Number) {
			found, ok = r, true
		}
	}
	return found, ok
}

// Find returns the revision with id.
func Find(revisions []Revision, id string) (Revision, bool) {
	for _, r := range revisions {
		if r.ID == id {
			return r, true
		}
	}
	return Revision{}, false
}

// FindPinned returns the newest revision of templateHash pinned to the same digests as pins.
func FindPinned(revisions []Revision, templateHash string, pins []gdprv1alpha1.PinnedImage) (Revision, bool) {
	var found Revision
	ok := false
	for _, r := range revisions {
		if r.TemplateHash == templateHash && SameDigests(r.Pins, pins) && (!ok || r.Number > found.Number) {
			found, ok = r, true
		}
	}
	return found, ok
}

// NextNumber is the number of a revision made or restored now.
func NextNumber(revisions []Revision) int64 {
	var highest int64
	for _, r := range revisions {
		highest = max(highest, r.Number)
	}
	return highest + 1
}

// RefreshDue reports whether a revision's pins are older than interval; never when interval
// is zero (pinned until the template changes).
func RefreshDue(r Revision, interval time.Duration, now time.Time) bool {
	return interval > 0 && now.Sub(r.CheckedAt) >= interval
}

// ToPrune names the revisions to delete so that at most limit revisions that no pod runs
// are kept, beside those in use: the oldest go first.
func ToPrune(revisions []Revision, inUse map[string]bool, limit int) []string {
	var unused []Revision
	for _, r := range revisions {
		if !inUse[r.ID] {
			unused = append(unused, r)
		}
	}
	if len(unused) <= limit {
		return nil
	}
	slices.SortFunc(unused, func(a, b Revision) int {
		return cmp.Or(cmp.Compare(a.Number, b.Number), cmp.Compare(a.Name, b.Name))
	})
	names := make([]string, 0, len(unused)-limit)
	for _, r := range unused[:len(unused)-limit] {
		names = append(names, r.Name)
	}
	return names
}

// PodSpec is the template's pod spec with every image replaced by its pinned reference.
// It fails when an image has no pin, so that no pod is ever made from an unpinned tag.
func PodSpec(template *corev1.PodTemplateSpec, pins []gdprv1alpha1.PinnedImage) (corev1.PodSpec, error) {
	spec := *template.Spec.DeepCopy()
	byContainer := make(map[string]gdprv1alpha1.PinnedImage, len(pins))
	for _, p := range pins {
		byContainer[p.Container] = p
	}
	pin := func(c *corev1.Container) error {
		p, ok := byContainer[c.Name]
		if !ok || p.Image != c.Image || p.Pinned == "" {
			return fmt.Errorf("container %q: image %q is not pinned", c.Name, c.Image)
		}
		c.Image = p.Pinned
		return nil
	}
	for i := range spec.InitContainers {
		if err := pin(&spec.InitContainers[i]); err != nil {
			return corev1.PodSpec{}, err
		}
	}
	for i := range spec.Containers {
		if err := pin(&spec.Containers[i]); err != nil {
			return corev1.PodSpec{}, err
		}
	}
	return spec, nil
}

// Image is one image of a template to pin.
type Image struct {
	Container string
	Image     string
}

// Images lists the images of a template: containers first, so that the first pin shown is the
// main container's, then init containers.
func Images(template *corev1.PodTemplateSpec) []Image {
	images := make([]Image, 0, len(template.Spec.InitContainers)+len(template.Spec.Containers))
	for _, c := range template.Spec.Containers {
		images = append(images, Image{Container: c.Name, Image: c.Image})
	}
	for _, c := range template.Spec.InitContainers {
		images = append(images, Image{Container: c.Name, Image: c.Image})
	}
	return images
}
