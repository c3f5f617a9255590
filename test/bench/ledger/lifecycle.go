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

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// lifecycleNamespacePrefix names the namespaces the lifecycles run in; their entries are the
// ones measured.
const lifecycleNamespacePrefix = "life-"

// waitTimeout bounds every step of a lifecycle.
const waitTimeout = 3 * time.Minute

// lifecycle drives one workload through what production does to workloads: created, scaled
// up and down, its pods changed in place in several ways and repaired, rolled out to a new
// image tag, deleted. The manager writes the ledger; this only acts as users and the kubelet.
type lifecycle struct {
	c         client.Client
	namespace string
	images    lifecycleImages
	step      func(string)
}

type lifecycleImages struct {
	app, appNext, sidecar string
}

func (l *lifecycle) run(ctx context.Context) error {
	if err := l.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: l.namespace}}); err != nil {
		return err
	}
	cpu := func(q string) corev1.ResourceList {
		return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(q)}
	}
	w := &gdprv1alpha1.GDPRWorkload{
		ObjectMeta: metav1.ObjectMeta{Namespace: l.namespace, Name: "payments"},
		Spec: gdprv1alpha1.GDPRWorkloadSpec{
			Replicas: ptr.To[int32](3),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "payments"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{
					{Name: "app", Image: l.images.app, Resources: corev1.ResourceRequirements{Requests: cpu("100m"), Limits: cpu("200m")}},
					{Name: "proxy", Image: l.images.sidecar},
				}},
			},
		},
	}
	l.step("create")
	if err := l.c.Create(ctx, w, client.FieldOwner("kubectl-client-side-apply")); err != nil {
		return err
	}
	if err := l.ready(ctx, w, 3); err != nil {
		return err
	}
	for _, replicas := range []int32{5, 2} {
		l.step(fmt.Sprintf("scale to %d", replicas))
		if err := l.changeSpec(ctx, w, "kubectl-scale", func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Replicas = ptr.To(replicas) }); err != nil {
			return err
		}
		if err := l.ready(ctx, w, int(replicas)); err != nil {
			return err
		}
	}

	drifts := []struct {
		name  string
		drift func(ctx context.Context, pod *corev1.Pod) error
	}{
		{"image edited in place", func(ctx context.Context, pod *corev1.Pod) error {
			return l.editPod(ctx, pod, "kubectl-set", func(p *corev1.Pod) { p.Spec.Containers[0].Image = l.images.appNext })
		}},
		{"ephemeral debug container", func(ctx context.Context, pod *corev1.Pod) error {
			pod.Spec.EphemeralContainers = append(pod.Spec.EphemeralContainers, corev1.EphemeralContainer{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debugger", Image: "busybox:1", ImagePullPolicy: corev1.PullIfNotPresent, TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}})
			return l.c.SubResource("ephemeralcontainers").Update(ctx, pod, client.FieldOwner("kubectl-debug"))
		}},
		{"toleration added", func(ctx context.Context, pod *corev1.Pod) error {
			return l.editPod(ctx, pod, "kubectl-edit", func(p *corev1.Pod) {
				p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: "example.com/anything", Operator: corev1.TolerationOpExists})
			})
		}},
		{"many labels and annotations edited", func(ctx context.Context, pod *corev1.Pod) error {
			// Many changed paths make the longest message Amber writes (it names up to 16).
			return l.editPod(ctx, pod, "kubectl-label", func(p *corev1.Pod) {
				for i := range 12 {
					p.Labels[fmt.Sprintf("team.example.com/cost-centre-%02d", i)] = "finance"
					if p.Annotations == nil {
						p.Annotations = map[string]string{}
					}
					p.Annotations[fmt.Sprintf("example.com/annotation-with-a-long-name-%02d", i)] = "x"
				}
			})
		}},
		{"resources resized", func(ctx context.Context, pod *corev1.Pod) error {
			pod.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("150m")
			return l.c.SubResource("resize").Update(ctx, pod, client.FieldOwner("kubectl-resize"))
		}},
		{"runtime reports another digest", func(ctx context.Context, pod *corev1.Pod) error {
			image, _, _ := strings.Cut(pod.Spec.Containers[0].Image, "@")
			repo := image[:strings.LastIndex(image, ":")]
			pod.Status.ContainerStatuses[0].ImageID = repo + "@sha256:" + strings.Repeat("0", 64)
			return l.c.Status().Update(ctx, pod)
		}},
	}
	for _, d := range drifts {
		l.step("drift: " + d.name)
		pod, err := l.readyPod(ctx, w)
		if err != nil {
			return err
		}
		if err := d.drift(ctx, pod); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		if err := l.waitEntry(ctx, gdprv1alpha1.AuditPodReplaced, string(pod.UID)); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
		if err := l.ready(ctx, w, 2); err != nil {
			return err
		}
	}

	l.step("roll out a new tag")
	if err := l.changeSpec(ctx, w, "kubectl-set", func(w *gdprv1alpha1.GDPRWorkload) { w.Spec.Template.Spec.Containers[0].Image = l.images.appNext }); err != nil {
		return err
	}
	if err := l.waitEntry(ctx, gdprv1alpha1.AuditRolloutCompleted, ""); err != nil {
		return err
	}
	if err := l.ready(ctx, w, 2); err != nil {
		return err
	}

	l.step("delete")
	if err := l.c.Delete(ctx, w); err != nil {
		return err
	}
	return l.waitEntry(ctx, gdprv1alpha1.AuditWorkloadDeleted, "")
}

// ready waits until the workload reports Ready with replicas pods, its generation handled.
func (l *lifecycle) ready(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, replicas int) error {
	return poll(ctx, fmt.Sprintf("%s/%s Ready with %d pods", w.Namespace, w.Name, replicas), func() (bool, error) {
		got := &gdprv1alpha1.GDPRWorkload{}
		if err := l.c.Get(ctx, client.ObjectKeyFromObject(w), got); err != nil {
			return false, err
		}
		ready := meta.FindStatusCondition(got.Status.Conditions, gdprv1alpha1.ReadyCondition)
		if ready == nil || ready.Status != metav1.ConditionTrue || got.Status.ObservedGeneration != got.Generation || int(got.Status.ReadyReplicas) != replicas {
			return false, nil
		}
		pods, err := l.activePods(ctx)
		return len(pods) == replicas, err
	})
}

func (l *lifecycle) activePods(ctx context.Context) ([]corev1.Pod, error) {
	list := &corev1.PodList{}
	if err := l.c.List(ctx, list, client.InNamespace(l.namespace)); err != nil {
		return nil, err
	}
	var active []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			active = append(active, p)
		}
	}
	return active, nil
}

// readyPod returns one of the workload's pods that the kubelet has reported on.
func (l *lifecycle) readyPod(ctx context.Context, w *gdprv1alpha1.GDPRWorkload) (*corev1.Pod, error) {
	pods, err := l.activePods(ctx)
	if err != nil {
		return nil, err
	}
	for i := range pods {
		if podReady(&pods[i]) && len(pods[i].Status.ContainerStatuses) > 0 {
			return &pods[i], nil
		}
	}
	return nil, fmt.Errorf("%s/%s has no Ready pod", w.Namespace, w.Name)
}

// waitEntry waits for an entry of type in the namespace's ledger, naming podUID when set.
func (l *lifecycle) waitEntry(ctx context.Context, t gdprv1alpha1.AuditEventType, podUID string) error {
	return poll(ctx, fmt.Sprintf("a %s entry in %s", t, l.namespace), func() (bool, error) {
		list := &gdprv1alpha1.AuditEventList{}
		if err := l.c.List(ctx, list, client.InNamespace(l.namespace), client.MatchingLabels{gdprv1alpha1.AuditTypeLabel: string(t)}); err != nil {
			return false, err
		}
		for _, e := range list.Items {
			if podUID == "" || e.Spec.Subject.PodUID == podUID {
				return true, nil
			}
		}
		return false, nil
	})
}

// changeSpec edits the workload's spec as kubectl would, as fieldManager, retrying on conflicts
// with the manager's status writes.
func (l *lifecycle) changeSpec(ctx context.Context, w *gdprv1alpha1.GDPRWorkload, fieldManager string, edit func(*gdprv1alpha1.GDPRWorkload)) error {
	return poll(ctx, "update "+w.Name, func() (bool, error) {
		if err := l.c.Get(ctx, client.ObjectKeyFromObject(w), w); err != nil {
			return false, err
		}
		edit(w)
		return l.c.Update(ctx, w, client.FieldOwner(fieldManager)) == nil, nil
	})
}

func (l *lifecycle) editPod(ctx context.Context, pod *corev1.Pod, fieldManager string, edit func(*corev1.Pod)) error {
	return poll(ctx, "edit pod "+pod.Name, func() (bool, error) {
		if err := l.c.Get(ctx, client.ObjectKeyFromObject(pod), pod); err != nil {
			return false, err
		}
		edit(pod)
		return l.c.Update(ctx, pod, client.FieldOwner(fieldManager)) == nil, nil
	})
}

func poll(ctx context.Context, what string, done func() (bool, error)) error {
	deadline := time.Now().Add(waitTimeout)
	for {
		ok, err := done()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %s", what, waitTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// playKubelet does what envtest has no kubelet for, until ctx ends: reports new pods Running and
// Ready with their containers' resources (a resize needs them), and removes pods marked for
// deletion, as a kubelet would once their containers stopped.
func playKubelet(ctx context.Context, c client.Client) {
	for ctx.Err() == nil {
		list := &corev1.PodList{}
		if err := c.List(ctx, list); err == nil {
			for i := range list.Items {
				p := &list.Items[i]
				if !strings.HasPrefix(p.Namespace, lifecycleNamespacePrefix) {
					continue
				}
				if p.DeletionTimestamp != nil {
					_ = client.IgnoreNotFound(c.Delete(ctx, p, client.GracePeriodSeconds(0)))
					continue
				}
				if podReady(p) {
					continue
				}
				p.Status.Phase = corev1.PodRunning
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.Now()}}
				p.Status.ContainerStatuses = nil
				for _, ctr := range p.Spec.Containers {
					p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{
						Name: ctr.Name, Image: ctr.Image, Ready: true, Resources: ctr.Resources.DeepCopy(),
						State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.Now()}},
					})
				}
				_ = c.Status().Update(ctx, p)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}
