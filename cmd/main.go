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

// Command manager runs Amber's controllers.
package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/controllers"
	"github.com/amber-gdpr/amber/internal/admission"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/ledger"
	"github.com/amber-gdpr/amber/internal/pin"
	"github.com/amber-gdpr/amber/internal/residency"
)

var scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gdprv1alpha1.AddToScheme(scheme))
}

func main() {
	// In a cluster the manager runs as several replicas that must not act at once; run from a
	// workstation (`make run`) it is usually alone and should start at once.
	_, inClusterErr := rest.InClusterConfig()
	inCluster := inClusterErr == nil

	var (
		metricsAddr             string
		probeAddr               string
		pprofAddr               string
		leaderElect             bool
		leaderElectionNamespace string
		leaderElection          leaderElectionTimings
		maxConcurrentReconciles int
		maxDriftRepeats         int
		namespace               string
		checkpointEvery         int
		checkpointInterval      time.Duration
		fullVerifyInterval      time.Duration
		actorMode               string
		exportPath              string
		insecureRegistries      string
		registryTimeout         time.Duration
		resolutionTTL           time.Duration
		residencyKeys           = residency.DefaultKeys
		door                    doorFlags
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "Address the Prometheus metrics endpoint listens on; \"0\" turns it off.")
	flag.StringVar(&pprofAddr, "pprof-bind-address", "0", "Address the Go profiler (net/http/pprof) listens on; \"0\", the default, turns it off.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "Address the liveness (/healthz) and readiness (/readyz) probes listen on.")
	flag.BoolVar(&leaderElect, "leader-elect", inCluster, "Elect a leader so that only one manager replica acts at a time (default on when run in a cluster).")
	flag.StringVar(&leaderElectionNamespace, "leader-election-namespace", "", "Namespace of the leader-election Lease (default: the manager's own namespace in a cluster).")
	// Named as Kubernetes' own controllers (kube-controller-manager, kube-scheduler) name them,
	// after the --leader-elect switch they tune; the defaults are theirs and controller-runtime's.
	flag.DurationVar(&leaderElection.LeaseDuration, "leader-elect-lease-duration", 15*time.Second, "How long a standby replica waits, after the leader last renewed the lease, before it takes over: after a crash, failover takes about this long.")
	flag.DurationVar(&leaderElection.RenewDeadline, "leader-elect-renew-deadline", 10*time.Second, "How long the leader retries renewing the lease before it stops leading and exits; shorter than --leader-elect-lease-duration.")
	flag.DurationVar(&leaderElection.RetryPeriod, "leader-elect-retry-period", 2*time.Second, "How often each replica tries to acquire or renew the lease; shorter than --leader-elect-renew-deadline by a factor of 1.2.")
	flag.IntVar(&maxConcurrentReconciles, "max-concurrent-reconciles", 16, "How many GDPRWorkloads are reconciled at once.")
	flag.IntVar(&maxDriftRepeats, "max-drift-repeats", 5, "How many pods in a row that replaced drifted pods may drift again the same way before Amber stops replacing them (Stalled, DriftLoop).")
	flag.StringVar(&namespace, "namespace", envOr("POD_NAMESPACE", "amber-system"), "The manager's own namespace, which holds the ledger's keys (default: $POD_NAMESPACE, else amber-system).")
	flag.IntVar(&checkpointEvery, "audit-checkpoint-every", 100, "Sign a ledger checkpoint after this many entries.")
	flag.DurationVar(&checkpointInterval, "audit-checkpoint-interval", time.Minute, "Sign a ledger checkpoint once its oldest unsigned entry is this old.")
	flag.DurationVar(&fullVerifyInterval, "audit-full-verify-interval", 10*time.Minute, "Verify each ledger's whole chain this often; new entries are verified as they arrive.")
	flag.StringVar(&actorMode, "audit-actors", string(audit.ActorPseudonymous), "How actors appear in the ledger: plain, pseudonymous (HMAC-SHA256 under a key in a Secret) or omit.")
	flag.StringVar(&exportPath, "audit-export", "", "Also write every ledger entry as a JSON line to this file (\"-\" for stdout), at least once, with namespace, ledger and sequence as the dedup key.")
	flag.StringVar(&insecureRegistries, "insecure-registries", "", "Comma-separated registries (host[:port]) that may be reached over plain HTTP or with an unverified TLS certificate. Empty: every registry needs valid TLS.")
	flag.DurationVar(&registryTimeout, "registry-timeout", 10*time.Second, "How long one image resolution may take before the registry counts as unavailable.")
	flag.DurationVar(&resolutionTTL, "image-resolution-ttl", 30*time.Second, "How long a tag's resolution to a digest is reused for other workloads on the same image and credentials.")
	// A kubelet may set its own node's topology labels; a cluster that labels nodes under
	// node-restriction.kubernetes.io/ (which kubelets cannot set) names those keys here.
	flag.StringVar(&residencyKeys.Region, "residency-region-label", residency.DefaultKeys.Region, "Node label that names a node's region, which spec.residency.allowedRegions is matched against.")
	flag.StringVar(&residencyKeys.Zone, "residency-zone-label", residency.DefaultKeys.Zone, "Node label that names a node's zone, which spec.residency.allowedZones is matched against.")
	door.bind(flag.CommandLine)
	zapOpts := zap.Options{Development: !inCluster}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()

	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")
	actors, err := audit.ParseActorMode(actorMode)
	if err != nil {
		log.Error(err, "Invalid flag")
		os.Exit(2)
	}
	if checkpointEvery < 1 || checkpointInterval <= 0 {
		log.Error(errors.New("--audit-checkpoint-every and --audit-checkpoint-interval must be positive"), "Invalid flag")
		os.Exit(2)
	}

	if err := leaderElection.validate(); err != nil {
		log.Error(err, "Invalid flag")
		os.Exit(2)
	}
	endpoint, service, err := door.endpoint()
	if err != nil {
		log.Error(err, "Invalid flag")
		os.Exit(2)
	}
	certReady := make(chan struct{})

	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                  scheme,
		Cache:                   controllers.CacheOptions(),
		Metrics:                 metricsserver.Options{BindAddress: metricsAddr},
		HealthProbeBindAddress:  probeAddr,
		PprofBindAddress:        pprofAddr,
		LeaderElection:          leaderElect,
		LeaderElectionID:        "manager.gdpr.amber.dev",
		LeaderElectionNamespace: leaderElectionNamespace,
		LeaseDuration:           &leaderElection.LeaseDuration,
		RenewDeadline:           &leaderElection.RenewDeadline,
		RetryPeriod:             &leaderElection.RetryPeriod,
		// The manager exits right after losing its lease, so it may hand it over at once: a
		// graceful stop fails over within a retry period, a crash only once the lease expires.
		LeaderElectionReleaseOnCancel: true,
		// Started once the manager has made its serving certificate (see the admission block).
		WebhookServer: controllers.GatedWebhookServer(webhook.NewServer(webhook.Options{Host: door.listenHost(), Port: door.port, CertDir: door.certDir}), certReady),
	})
	if err != nil {
		log.Error(err, "Unable to create manager")
		os.Exit(1)
	}

	// The keys are read before the manager starts, around its cache, which keeps the data of pull secrets only.
	keys, err := audit.EnsureKeys(context.Background(), mgr.GetClient(), mgr.GetAPIReader(), namespace)
	if err != nil {
		log.Error(err, "Unable to load or create the ledger's keys; does the namespace exist? (make install creates it)", "namespace", namespace)
		os.Exit(1)
	}
	images := &pin.Cache{
		Resolver:   &pin.Resolver{Insecure: parseRegistries(insecureRegistries), Timeout: registryTimeout},
		TTL:        resolutionTTL,
		FailureTTL: 2 * time.Second,
	}
	writer := audit.NewWriter(mgr.GetClient(), mgr.GetAPIReader(), keys.Signing, checkpointEvery)

	// --- Admission (issue 12): the webhook's serving certificate, and the guard that installs
	// Amber's admission configuration and puts it back. The pod and workload webhooks register
	// their handlers on mgr.GetWebhookServer().
	var guard *controllers.AdmissionGuard
	{
		if err := controllers.AddServingCertificate(context.Background(), mgr, controllers.ServingCertificate{
			Secret: types.NamespacedName{Namespace: namespace, Name: door.certSecret}, Dir: door.certDir,
			DNSNames:       []string{service.Name + "." + service.Namespace + ".svc", service.Name + "." + service.Namespace + ".svc.cluster.local", "localhost"},
			LeaderElection: leaderElect, Ready: certReady,
		}); err != nil {
			log.Error(err, "Unable to set up the webhook's serving certificate")
			os.Exit(1)
		}
		mgr.GetWebhookServer() // adds the server to the manager even before a handler registers
		if door.install {
			username, err := controllers.WhoAmI(context.Background(), mgr.GetClient())
			if err != nil {
				log.Error(err, "Unable to learn the manager's own user, which the admission configuration lets through")
				os.Exit(1)
			}
			log.Info("Installing the admission configuration", "endpoint", door.describe(), "managerUser", username)
			guard = &controllers.AdmissionGuard{
				Client:        mgr.GetClient(),
				APIReader:     mgr.GetAPIReader(),
				Recorder:      mgr.GetEventRecorder("amber"),
				Ledger:        writer,
				Actors:        audit.Actors{Mode: actors, Key: keys.Pseudonym},
				Options:       admission.Options{Endpoint: endpoint, ManagerUsername: username},
				CertSecret:    types.NamespacedName{Namespace: namespace, Name: door.certSecret},
				ServerStarted: mgr.GetWebhookServer().StartedChecker(),
			}
			if err := guard.SetupWithManager(mgr); err != nil {
				log.Error(err, "Unable to set up controller", "controller", "AdmissionGuard")
				os.Exit(1)
			}
		}
		if err := (&controllers.GovernedNamespaceReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader()}).SetupWithManager(mgr); err != nil {
			log.Error(err, "Unable to set up controller", "controller", "GovernedNamespace")
			os.Exit(1)
		}
	}
	// --- end of admission

	if err := (&controllers.GDPRWorkloadReconciler{
		Client:                  mgr.GetClient(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("amber"),
		APIReader:               mgr.GetAPIReader(),
		Ledger:                  writer,
		Actors:                  audit.Actors{Mode: actors, Key: keys.Pseudonym},
		MaxConcurrentReconciles: maxConcurrentReconciles,
		MaxDriftRepeats:         maxDriftRepeats,
		Images:                  images,
		Residency:               residencyKeys,
		Admission:               guard,
	}).SetupWithManager(mgr); err != nil {
		log.Error(err, "Unable to set up controller", "controller", "GDPRWorkload")
		os.Exit(1)
	}
	// Incident response (issue 13): quarantine of a suspect pod.
	if err := (&controllers.QuarantineReconciler{
		Client:    mgr.GetClient(),
		Scheme:    mgr.GetScheme(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("amber"),
		Ledger:    writer,
		Actors:    audit.Actors{Mode: actors, Key: keys.Pseudonym},
	}).SetupWithManager(mgr); err != nil {
		log.Error(err, "Unable to set up controller", "controller", "Quarantine")
		os.Exit(1)
	}
	// Admission (issue 12): GDPRWorkloads validated at apply time by a dry-run pod creation.
	controllers.SetupWorkloadAdmission(mgr, residencyKeys)
	if err := (&controllers.AuditLedgerReconciler{
		Client:             mgr.GetClient(),
		Recorder:           mgr.GetEventRecorder("amber"),
		Ledger:             writer,
		Keys:               ledger.NewKeys(keys.Signing.Public().(ed25519.PublicKey)),
		CheckpointEvery:    checkpointEvery,
		CheckpointInterval: checkpointInterval,
		FullVerifyInterval: fullVerifyInterval,
	}).SetupWithManager(mgr, maxConcurrentReconciles); err != nil {
		log.Error(err, "Unable to set up controller", "controller", "AuditLedger")
		os.Exit(1)
	}
	// The pod webhook: its refusals are recorded under the real (pseudonymised) user; the
	// manager's own requests, which the webhook configuration exempts, are told by its name.
	managerUsername, err := controllers.ManagerUsername(context.Background(), mgr.GetClient())
	if err != nil {
		log.Error(err, "Unable to learn the manager's own user name")
		os.Exit(1)
	}
	controllers.SetupPodAdmission(mgr, writer, audit.Actors{Mode: actors, Key: keys.Pseudonym}, managerUsername)
	// Incident response (issue 13): BreakGlasses admitted (defaulted, name reuse refused,
	// granted in the ledger) and their windows kept.
	controllers.SetupBreakGlassAdmission(mgr, writer, audit.Actors{Mode: actors, Key: keys.Pseudonym})
	if err := (&controllers.BreakGlassReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Ledger:    writer,
		Recorder:  mgr.GetEventRecorder("amber"),
	}).SetupWithManager(mgr); err != nil {
		log.Error(err, "Unable to set up controller", "controller", "BreakGlass")
		os.Exit(1)
	}
	if exportPath != "" {
		if err := audit.AddExporter(mgr, exportPath); err != nil {
			log.Error(err, "Unable to set up the ledger export", "path", exportPath)
			os.Exit(1)
		}
	}

	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		log.Error(err, "Unable to set up health check")
		os.Exit(1)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		log.Error(err, "Unable to set up ready check")
		os.Exit(1)
	}
	// The Service sends admission requests only to replicas whose webhook server answers.
	if err := mgr.AddReadyzCheck("webhook", mgr.GetWebhookServer().StartedChecker()); err != nil {
		log.Error(err, "Unable to set up ready check")
		os.Exit(1)
	}

	log.Info("Starting manager", "version", version, "leaderElection", leaderElect, "leaseDuration", leaderElection.LeaseDuration,
		"renewDeadline", leaderElection.RenewDeadline, "retryPeriod", leaderElection.RetryPeriod)
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "Manager exited with an error")
		os.Exit(1)
	}
}

// parseRegistries reads a comma-separated list of registry hosts.
func parseRegistries(list string) map[string]bool {
	registries := map[string]bool{}
	for _, r := range strings.Split(list, ",") {
		if r = strings.TrimSpace(r); r != "" {
			registries[r] = true
		}
	}
	return registries
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
