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
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook"
)

// +kubebuilder:rbac:groups="",namespace=system,resources=secrets,verbs=get;list;watch;create;update
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=selfsubjectreviews,verbs=create

// WhoAmI asks the API server who the manager is (a SelfSubjectReview): the user its writes
// carry in admission requests, which the webhooks and the impostor policy let through. Asked,
// not configured: a kubeconfig, a service account token or an impersonated user all end up
// as whatever name the API server authenticates.
func WhoAmI(ctx context.Context, c client.Client) (string, error) {
	review := &authenticationv1.SelfSubjectReview{}
	if err := c.Create(ctx, review); err != nil {
		return "", fmt.Errorf("ask the API server who the manager is (SelfSubjectReview): %w", err)
	}
	if review.Status.UserInfo.Username == "" {
		return "", fmt.Errorf("the API server's SelfSubjectReview named no user")
	}
	return review.Status.UserInfo.Username, nil
}

// ServingCertificate says where the webhook server's certificate is kept and for which names.
type ServingCertificate struct {
	// Secret holds the CA and the serving certificate; cert-controller fills and rotates it.
	Secret types.NamespacedName
	// Dir is the webhook server's CertDir: the manager writes tls.crt and tls.key there.
	Dir string
	// DNSNames are the names the certificate is for: the Service's name in the cluster, and
	// localhost, by which an API server on the same host reaches a manager outside it.
	DNSNames []string
	// LeaderElection: only the leader creates and rotates; every replica serves.
	LeaderElection bool
	// Ready is closed once the certificate is on disk: GatedWebhookServer waits for it.
	Ready chan struct{}
}

// AddServingCertificate has the manager create and rotate its webhook serving certificate
// with cert-controller (what Gatekeeper uses; no cert-manager needed), keep it in a Secret in
// its namespace and write it to the webhook server's CertDir, closing cert.Ready once it is
// there: the webhook server starts then (GatedWebhookServer).
//
// cert-controller is not given the webhook configuration to inject the CA into: the
// AdmissionGuard writes the whole configuration, CA bundle included, from the same Secret, so
// that one writer owns it and any other write is someone else's.
func AddServingCertificate(ctx context.Context, mgr ctrl.Manager, cert ServingCertificate) error {
	if len(cert.DNSNames) == 0 || cert.Ready == nil {
		return fmt.Errorf("the serving certificate needs at least one DNS name and a Ready channel")
	}
	// cert-controller fills a Secret that exists; it does not create one.
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: cert.Secret.Namespace, Name: cert.Secret.Name,
		Labels: map[string]string{"app.kubernetes.io/managed-by": "amber"}}}
	if err := mgr.GetClient().Create(ctx, secret); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create the serving certificate's Secret %s: %w", cert.Secret, err)
	}
	if err := os.MkdirAll(cert.Dir, 0o700); err != nil {
		return fmt.Errorf("create the webhook's certificate directory: %w", err)
	}
	if err := rotator.AddRotator(mgr, &rotator.CertRotator{
		SecretKey:             cert.Secret,
		CertDir:               cert.Dir,
		CAName:                "amber-webhook-ca",
		CAOrganization:        "amber",
		DNSName:               cert.DNSNames[0],
		ExtraDNSNames:         cert.DNSNames[1:],
		IsReady:               make(chan struct{}),
		RequireLeaderElection: cert.LeaderElection,
		FieldOwner:            AdmissionFieldManager,
	}); err != nil {
		return fmt.Errorf("set up the serving certificate's rotation: %w", err)
	}
	return mgr.Add(&certFiles{reader: mgr.GetAPIReader(), cache: mgr.GetCache(), secret: cert.Secret, dir: cert.Dir, written: cert.Ready})
}

// certFiles copies the serving certificate from its Secret to the webhook server's CertDir,
// where controller-runtime's certwatcher picks up every rotation. In a cluster a mounted
// Secret would do the same, but the kubelet updates it up to a minute late, and a manager
// outside the cluster has no mount at all: one way for both.
type certFiles struct {
	reader  client.Reader
	cache   cache.Cache
	secret  types.NamespacedName
	dir     string
	written chan struct{}
	closed  bool
}

// NeedLeaderElection is false: every replica serves the webhooks.
func (f *certFiles) NeedLeaderElection() bool { return false }

// Start writes the files at once if the Secret holds them, then again on every change to it.
// The manager's Secret informer strips their data, so it only wakes the writer; the Secret is
// then read from the API server.
func (f *certFiles) Start(ctx context.Context) error {
	informer, err := f.cache.GetInformer(ctx, &corev1.Secret{})
	if err != nil {
		return fmt.Errorf("watch the serving certificate's Secret: %w", err)
	}
	wake := make(chan struct{}, 1)
	poke := func(obj any) {
		if s, ok := obj.(*corev1.Secret); ok && s.Namespace == f.secret.Namespace && s.Name == f.secret.Name {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}
	registration, err := informer.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    poke,
		UpdateFunc: func(_, obj any) { poke(obj) },
	})
	if err != nil {
		return fmt.Errorf("watch the serving certificate's Secret: %w", err)
	}
	defer func() { _ = informer.RemoveEventHandler(registration) }()
	log := ctrl.LoggerFrom(ctx).WithName("servingcert")
	for {
		if err := f.write(ctx); err != nil {
			log.Error(err, "Unable to write the webhook's serving certificate", "dir", f.dir)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		}
	}
}

// write copies tls.key and tls.crt when they changed. The key goes first: certwatcher reloads
// on the certificate, and a pair read half-written is refused and kept from the last good one.
func (f *certFiles) write(ctx context.Context) error {
	var secret corev1.Secret
	if err := f.reader.Get(ctx, f.secret, &secret); err != nil {
		return client.IgnoreNotFound(err)
	}
	cert, key := secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey]
	if len(cert) == 0 || len(key) == 0 {
		return nil // cert-controller has not filled it yet
	}
	for _, file := range []struct {
		name string
		data []byte
	}{{corev1.TLSPrivateKeyKey, key}, {corev1.TLSCertKey, cert}} {
		path := filepath.Join(f.dir, file.name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, file.data) {
			continue
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, file.data, 0o600); err != nil {
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	}
	if !f.closed {
		f.closed = true
		close(f.written)
	}
	return nil
}

// GatedWebhookServer starts server only once ready is closed (the serving certificate is on
// disk): controller-runtime's webhook server reads its certificate when it starts and fails
// without one, and the certificate is made by the manager it runs in.
func GatedWebhookServer(server webhook.Server, ready <-chan struct{}) webhook.Server {
	return &gatedServer{Server: server, ready: ready}
}

type gatedServer struct {
	webhook.Server
	ready <-chan struct{}
}

func (s *gatedServer) Start(ctx context.Context) error {
	select {
	case <-s.ready:
	case <-ctx.Done():
		return nil
	}
	return s.Server.Start(ctx)
}
