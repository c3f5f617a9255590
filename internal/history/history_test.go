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

package history

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/revision"
)

var t0 = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)

// ledger numbers entries in the order given, a minute apart.
func ledger(entries ...gdprv1alpha1.AuditEventSpec) []gdprv1alpha1.AuditEventSpec {
	for i := range entries {
		entries[i].Sequence = int64(i + 1)
		entries[i].Time = metav1.NewTime(t0.Add(time.Duration(i) * time.Minute))
	}
	return entries
}

func at(minute int) *time.Time {
	t := t0.Add(time.Duration(minute) * time.Minute)
	return &t
}

func created(uid, template, actor string, generation int64) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditWorkloadCreated, Reason: "Created", Actor: actor,
		Subject: gdprv1alpha1.AuditSubject{Workload: "pay", WorkloadUID: uid, Generation: generation, Revision: template}}
}

func specChanged(uid, template, actor string, generation int64) gdprv1alpha1.AuditEventSpec {
	e := created(uid, template, actor, generation)
	e.Type, e.Reason = gdprv1alpha1.AuditWorkloadSpecChanged, "SpecChanged"
	return e
}

func pinned(id, reason string, generation int64) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditRevisionPinned, Reason: reason, Actor: "amber",
		Subject: gdprv1alpha1.AuditSubject{Workload: "pay", Generation: generation, Revision: id}}
}

func restored(id, actor string, generation int64) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditRevisionRestored, Reason: "Rollback", Actor: actor,
		Subject: gdprv1alpha1.AuditSubject{Workload: "pay", Generation: generation, Revision: id}}
}

func podCreated(uid, id string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditPodCreated, Reason: "ScalingUp", Subject: gdprv1alpha1.AuditSubject{Pod: "pay-" + uid, PodUID: uid, Revision: id}}
}

func podDeleted(uid, id string) gdprv1alpha1.AuditEventSpec {
	return gdprv1alpha1.AuditEventSpec{Type: gdprv1alpha1.AuditPodDeleted, Reason: "OutdatedRevision", Subject: gdprv1alpha1.AuditSubject{Pod: "pay-" + uid, PodUID: uid, Revision: id}}
}

func rev(id, template string, number int64, digest string) revision.Revision {
	return revision.Revision{ID: id, TemplateHash: template, Number: number, PinnedAs: number,
		Pins: []gdprv1alpha1.PinnedImage{{Container: "app", Image: "r.example/app:1", Digest: digest}}}
}

func images(digest string) []Image {
	return []Image{{Container: "app", Image: "r.example/app:1", Digest: digest}}
}

func TestBuild(t *testing.T) {
	restoredT1 := rev("t1", "t1", 3, "sha256:aa")
	restoredT1.PinnedAs = 1
	tagMovedBack := rev("t1", "t1", 3, "sha256:aa")
	tagMovedBack.PinnedAs = 1
	baseline := rev("t2", "t2", 2, "sha256:bb")
	baseline.Hardening = gdprv1alpha1.HardeningBaseline

	tests := []struct {
		name string
		in   Input
		want []Row
	}{
		{
			name: "a revision whose pods all went tells when its first pod was made and its last deleted, and who wrote the template",
			in: Input{WorkloadUID: "w1", UpdateRevision: "t2", Revisions: []revision.Revision{rev("t1", "t1", 1, "sha256:aa"), rev("t2", "t2", 2, "sha256:bb")},
				Entries: ledger(
					created("w1", "t1", "hmac-sha256:alice", 1), pinned("t1", "Pinned", 1), podCreated("p1", "t1"), podCreated("p2", "t1"),
					specChanged("w1", "t2", "hmac-sha256:bob", 2), pinned("t2", "Pinned", 2), podCreated("p3", "t2"),
					podDeleted("p1", "t1"), podCreated("p4", "t2"), podDeleted("p2", "t1"),
				)},
			want: []Row{
				{Number: 1, ID: "t1", Hardening: gdprv1alpha1.HardeningImmutable, Images: images("sha256:aa"), FirstPod: at(2), LastPod: at(9),
					Cause: "Created", ChangedBy: "hmac-sha256:alice", Generation: 1},
				{Number: 2, ID: "t2", Current: true, Hardening: gdprv1alpha1.HardeningImmutable, Images: images("sha256:bb"), FirstPod: at(6), RunningPods: 2,
					Cause: "SpecChanged", ChangedBy: "hmac-sha256:bob", Generation: 2},
			},
		},
		{
			name: "a change of replicas alone introduces no template: the revision keeps the writer of its template",
			in: Input{WorkloadUID: "w1", UpdateRevision: "t1", Revisions: []revision.Revision{rev("t1", "t1", 1, "sha256:aa")},
				Entries: ledger(created("w1", "t1", "hmac-sha256:alice", 1), pinned("t1", "Pinned", 1), specChanged("w1", "t1", "hmac-sha256:bob", 2))},
			want: []Row{{Number: 1, ID: "t1", Current: true, Hardening: gdprv1alpha1.HardeningImmutable, Images: images("sha256:aa"),
				Cause: "Created", ChangedBy: "hmac-sha256:alice", Generation: 1}},
		},
		{
			name: "a revision restored by a template change back is a rollback by whoever changed the template back",
			in: Input{WorkloadUID: "w1", UpdateRevision: "t1", Revisions: []revision.Revision{restoredT1, baseline},
				Entries: ledger(
					created("w1", "t1", "hmac-sha256:alice", 1), pinned("t1", "Pinned", 1),
					specChanged("w1", "t2", "hmac-sha256:bob", 2), pinned("t2", "Pinned", 2),
					specChanged("w1", "t1", "hmac-sha256:carol", 3), restored("t1", "amber", 3),
				)},
			want: []Row{
				{Number: 2, ID: "t2", Hardening: gdprv1alpha1.HardeningBaseline, Images: images("sha256:bb"), Cause: "SpecChanged", ChangedBy: "hmac-sha256:bob", Generation: 2},
				{Number: 3, ID: "t1", Current: true, Hardening: gdprv1alpha1.HardeningImmutable, Images: images("sha256:aa"), Cause: "Rollback", ChangedBy: "hmac-sha256:carol", Generation: 3},
			},
		},
		{
			name: "a revision restored by name is a rollback by whoever named it, and a tag that moved is Amber's",
			in: Input{WorkloadUID: "w1", UpdateRevision: "t1", Revisions: []revision.Revision{tagMovedBack, rev("t1b", "t1", 2, "sha256:cc")},
				Entries: ledger(
					created("w1", "t1", "hmac-sha256:alice", 1), pinned("t1", "Pinned", 1), pinned("t1b", "TagMoved", 1),
					restored("t1", "hmac-sha256:kubectl-amber", 1),
				)},
			want: []Row{
				{Number: 2, ID: "t1b", Hardening: gdprv1alpha1.HardeningImmutable, Images: images("sha256:cc"), Cause: "TagMoved", ChangedBy: "amber", Generation: 1},
				{Number: 3, ID: "t1", Current: true, Hardening: gdprv1alpha1.HardeningImmutable, Images: images("sha256:aa"), Cause: "Rollback", ChangedBy: "hmac-sha256:kubectl-amber", Generation: 1},
			},
		},
		{
			name: "the entries of an earlier workload of the same name are not this one's",
			in: Input{WorkloadUID: "w2", UpdateRevision: "t1", Revisions: []revision.Revision{rev("t1", "t1", 1, "sha256:aa")},
				Entries: ledger(
					created("w1", "t1", "hmac-sha256:mallory", 1), pinned("t1", "Pinned", 1), podCreated("old", "t1"),
					created("w2", "t1", "hmac-sha256:alice", 1), pinned("t1", "Pinned", 1), podCreated("new", "t1"),
				)},
			want: []Row{{Number: 1, ID: "t1", Current: true, Hardening: gdprv1alpha1.HardeningImmutable, Images: images("sha256:aa"),
				FirstPod: at(5), RunningPods: 1, Cause: "Created", ChangedBy: "hmac-sha256:alice", Generation: 1}},
		},
		{
			name: "entries past their retention leave when and who unknown, not guessed",
			in: Input{WorkloadUID: "w1", Revisions: []revision.Revision{rev("t1", "t1", 1, "sha256:aa")},
				Entries: ledger(podDeleted("p1", "t1"))},
			want: []Row{{Number: 1, ID: "t1", Hardening: gdprv1alpha1.HardeningImmutable, Images: images("sha256:aa")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Build(tt.in).Revisions
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Build() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRender(t *testing.T) {
	h := Build(Input{Namespace: "shop", Workload: "pay", WorkloadUID: "w1", UpdateRevision: "t2",
		Revisions: []revision.Revision{rev("t1", "t1", 1, "sha256:aa"), rev("t2", "t2", 2, "sha256:bb")},
		Entries: ledger(created("w1", "t1", "hmac-sha256:0123456789abcdef0123", 1), pinned("t1", "Pinned", 1), podCreated("p1", "t1"),
			specChanged("w1", "t2", "hmac-sha256:fedcba9876543210fedc", 2), pinned("t2", "Pinned", 2), podCreated("p2", "t2"), podDeleted("p1", "t1"))})
	var table bytes.Buffer
	if err := Render(&table, h, ""); err != nil {
		t.Fatal(err)
	}
	want := `REVISION     ID  PROFILE    FIRST POD             LAST POD              CAUSE        CHANGED BY                   IMAGES
1            t1  Immutable  2026-11-30T10:02:00Z  2026-11-30T10:06:00Z  Created      hmac-sha256:0123456789ab...  app=r.example/app:1@sha256:aa
2 (current)  t2  Immutable  2026-11-30T10:05:00Z  running (1)           SpecChanged  hmac-sha256:fedcba987654...  app=r.example/app:1@sha256:bb
`
	if diff := cmp.Diff(want, table.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}

	var js bytes.Buffer
	if err := Render(&js, h, "json"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"workload": "pay"`, `"current": true`, `"digest": "sha256:bb"`, `"changedBy": "hmac-sha256:fedcba9876543210fedc"`, `"firstPod": "2026-11-30T10:02:00Z"`} {
		if !strings.Contains(js.String(), s) {
			t.Errorf("JSON lacks %s:\n%s", s, js.String())
		}
	}

	if err := Render(&js, h, "yaml"); err == nil || err.Error() != `-o "yaml": want table or json` {
		t.Errorf("Render(yaml) = %v, want the formats named", err)
	}
	var empty bytes.Buffer
	if err := Render(&empty, Build(Input{Namespace: "shop", Workload: "pay"}), ""); err != nil || empty.String() != "No revisions of GDPRWorkload shop/pay are recorded.\n" {
		t.Errorf("empty history printed %q, %v", empty.String(), err)
	}
}
