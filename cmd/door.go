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
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/utils/ptr"

	"github.com/amber-gdpr/amber/internal/admission"
)

// doorFlags say how the API server reaches the manager's webhook server, and where its
// certificate lives.
type doorFlags struct {
	url        string
	service    string
	port       int
	certDir    string
	certSecret string
	install    bool
}

func (d *doorFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&d.url, "webhook-url", "", "Base URL by which the API server reaches the webhook server, for a manager outside the cluster on the API server's host: https://localhost:9443. Empty: through --webhook-service.")
	fs.StringVar(&d.service, "webhook-service", "amber-system/amber-webhook-service", "namespace/name of the Service in front of the webhook server, for a manager in the cluster; its DNS names are in the serving certificate either way.")
	fs.IntVar(&d.port, "webhook-port", 9443, "Port the webhook server listens on.")
	fs.StringVar(&d.certDir, "webhook-cert-dir", "", "Directory the manager writes its webhook serving certificate to (tls.crt, tls.key), from the Secret it keeps it in. Empty: a new private directory under $TMPDIR, so that managers of several clusters on one machine never share one.")
	fs.StringVar(&d.certSecret, "webhook-cert-secret", "amber-webhook-cert", "Secret, in the manager's namespace, that holds the webhook's CA and serving certificate; created, filled and rotated by the manager.")
	fs.BoolVar(&d.install, "install-admission", true, "Install Amber's admission configuration (webhook configuration, impostor policy) and put it back when changed. Off: the webhook server still serves, and someone else installs the configuration.")
}

// endpoint checks the flags (making the certificate directory when none is named) and returns the endpoint of the webhook configuration, and the
// Service (whose names the certificate carries even when the URL is used).
func (d *doorFlags) endpoint() (admission.Endpoint, *admissionregistrationv1.ServiceReference, error) {
	namespace, name, ok := strings.Cut(d.service, "/")
	if !ok || namespace == "" || name == "" || strings.Contains(name, "/") {
		return admission.Endpoint{}, nil, fmt.Errorf("--webhook-service=%q: want namespace/name", d.service)
	}
	if d.port < 1 || d.port > 65535 {
		return admission.Endpoint{}, nil, fmt.Errorf("--webhook-port=%d: want a port, 1 to 65535", d.port)
	}
	if d.certDir == "" {
		dir, err := os.MkdirTemp("", "amber-webhook-certs-")
		if err != nil {
			return admission.Endpoint{}, nil, fmt.Errorf("make a directory for the webhook's certificate: %w", err)
		}
		d.certDir = dir
	}
	service := &admissionregistrationv1.ServiceReference{Namespace: namespace, Name: name, Port: ptr.To[int32](443)}
	if d.url == "" {
		return admission.Endpoint{Service: service}, service, nil
	}
	u, err := url.Parse(d.url)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return admission.Endpoint{}, nil, fmt.Errorf("--webhook-url=%q: want an https URL with a host and no query, fragment or user, as https://localhost:9443", d.url)
	}
	if host := u.Hostname(); host != "localhost" && !strings.HasSuffix(host, ".svc") {
		return admission.Endpoint{}, nil, fmt.Errorf("--webhook-url=%q: the serving certificate is for localhost and the Service's names only", d.url)
	}
	return admission.Endpoint{URL: d.url}, service, nil
}

// listenHost is where the webhook server listens: on loopback only when the API server calls
// it on localhost (a manager on a workstation then serves nobody else on the network), else on
// every interface, behind the Service.
func (d *doorFlags) listenHost() string {
	if u, err := url.Parse(d.url); err == nil && d.url != "" && u.Hostname() == "localhost" {
		return "localhost"
	}
	return ""
}

// describe names the endpoint for the log.
func (d *doorFlags) describe() string {
	if d.url != "" {
		return d.url
	}
	return "service " + d.service
}
