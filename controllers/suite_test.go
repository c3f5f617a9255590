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
	"crypto/ed25519"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
	"github.com/amber-gdpr/amber/internal/admission"
	"github.com/amber-gdpr/amber/internal/audit"
	"github.com/amber-gdpr/amber/internal/ledger"
	"github.com/amber-gdpr/amber/internal/pin"
	"github.com/amber-gdpr/amber/internal/residency"
	"github.com/amber-gdpr/amber/test/registry"
)

// These specs run the reconciler against a real kube-apiserver and etcd (envtest). Nothing
// schedules or runs pods there, so a spec that needs Ready pods plays the kubelet itself.

var (
	testEnv *envtest.Environment
	cfg     *rest.Config
	// managerCfg is the manager's own user; cfg, the specs' client, is someone else to admission.
	managerCfg *rest.Config
	// managerClient acts as Amber's manager: for specs that make pods as an earlier run or
	// another replica of the manager would have.
	managerClient   client.Client
	managerUsername string
	admissionConfig *admissionregistrationv1.ValidatingWebhookConfiguration
	mutatingConfig  *admissionregistrationv1.MutatingWebhookConfiguration
	k8sClient       client.Client
	scheme          = runtime.NewScheme()
	cancelMgr       context.CancelFunc
	keys            *audit.Keys
	writer          *audit.Writer
	actors          audit.Actors
	// images is the suite's OCI registry; authRegistry asks for basicAuthUser's credentials.
	images       *registry.Registry
	authRegistry *registry.Registry
	// flakyRegistry is stopped and restarted by a spec.
	flakyRegistry *registry.Registry
	pushed        = map[string]string{}
	pushedMu      sync.Mutex
	// admissionGuard is read by the suite's workload reconciler (the AdmissionGuarded
	// condition); the admission guard specs run it in a manager of their own.
	admissionGuard = &AdmissionGuard{}
)

const (
	basicAuthUser     = "puller"
	basicAuthPassword = "s3cret"
)

// image returns the reference of repoAndTag ("app:1") in the suite's registry, pushing a
// random image there the first time it is asked for.
func image(repoAndTag string) string {
	GinkgoHelper()
	pushedMu.Lock()
	defer pushedMu.Unlock()
	if _, ok := pushed[repoAndTag]; !ok {
		digest, err := images.Push(repoAndTag)
		Expect(err).NotTo(HaveOccurred())
		pushed[repoAndTag] = digest.String()
	}
	return images.Ref(repoAndTag)
}

// digestOf is the digest image(repoAndTag) pushed.
func digestOf(repoAndTag string) string {
	pushedMu.Lock()
	defer pushedMu.Unlock()
	return pushed[repoAndTag]
}

// The suite's ledger settings: small, so that specs see checkpoints without writing hundreds
// of entries or waiting a minute.
const (
	operatorNamespace  = "amber-system"
	checkpointEvery    = 8
	checkpointInterval = 3 * time.Second
)

// reconciles counts the workload reconciler's reconciles, by workload.
var reconciles reconcileCounter

type reconcileCounter struct {
	mu     sync.Mutex
	counts map[types.NamespacedName]int
}

func (c *reconcileCounter) wrap(r reconcile.Reconciler) reconcile.Reconciler {
	return reconcile.Func(func(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
		c.mu.Lock()
		if c.counts == nil {
			c.counts = map[types.NamespacedName]int{}
		}
		c.counts[req.NamespacedName]++
		c.mu.Unlock()
		return r.Reconcile(ctx, req)
	})
}

// of returns how many times the workload was reconciled.
func (c *reconcileCounter) of(key types.NamespacedName) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[key]
}

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controller suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	Expect(os.Getenv("KUBEBUILDER_ASSETS")).NotTo(BeEmpty(),
		"KUBEBUILDER_ASSETS must name the directory holding kube-apiserver and etcd: run the tests with `make test`")

	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(gdprv1alpha1.AddToScheme(scheme))

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		// No webhook configuration here: envtest only picks the serving host, port and a
		// certificate for the manager's webhook server; the suite installs Amber's own
		// configuration (admission.Desired) once the server answers.
		WebhookInstallOptions: envtest.WebhookInstallOptions{LocalServingHost: "127.0.0.1"},
	}
	var err error
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	// The manager gets a user of its own. envtest's client config is one admin user
	// ("default", in system:masters); were the manager that user too, the webhook
	// configuration's matchCondition, which exempts the manager by username, would exempt
	// every request the specs make, and admission would never be tested. With its own
	// certificate-authenticated user (AddUser; also in system:masters, so no RBAC to set up)
	// the specs' client is "someone else", as a person with kubectl is. Impersonation would
	// serve too, but admission sees the impersonated user, so a spec could not act as itself.
	managerUser, err := testEnv.AddUser(envtest.User{Name: "amber-manager", Groups: []string{"system:masters"}}, cfg)
	Expect(err).NotTo(HaveOccurred())
	managerCfg = managerUser.Config()
	managerClient, err = client.New(managerCfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	images, err = registry.Start()
	Expect(err).NotTo(HaveOccurred())
	authRegistry, err = registry.Start(registry.WithBasicAuth(basicAuthUser, basicAuthPassword))
	Expect(err).NotTo(HaveOccurred())
	flakyRegistry, err = registry.Start()
	Expect(err).NotTo(HaveOccurred())

	hook := testEnv.WebhookInstallOptions
	mgr, err := ctrl.NewManager(managerCfg, ctrl.Options{
		Scheme:  scheme,
		Cache:   CacheOptions(),
		Metrics: metricsserver.Options{BindAddress: "0"},
		WebhookServer: webhook.NewServer(webhook.Options{
			Host: hook.LocalServingHost, Port: hook.LocalServingPort, CertDir: hook.LocalServingCertDir,
		}),
	})
	Expect(err).NotTo(HaveOccurred())
	Expect(k8sClient.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorNamespace}})).To(Succeed())
	keys, err = audit.EnsureKeys(context.Background(), k8sClient, k8sClient, operatorNamespace)
	Expect(err).NotTo(HaveOccurred())
	writer = audit.NewWriter(mgr.GetClient(), mgr.GetAPIReader(), keys.Signing, checkpointEvery)
	actors = audit.Actors{Mode: audit.ActorPseudonymous, Key: keys.Pseudonym}

	workloads := &GDPRWorkloadReconciler{
		Client:                  mgr.GetClient(),
		Scheme:                  mgr.GetScheme(),
		Recorder:                mgr.GetEventRecorder("amber"),
		APIReader:               mgr.GetAPIReader(),
		Ledger:                  writer,
		Actors:                  actors,
		MaxConcurrentReconciles: 2,
		Images: &pin.Cache{
			Resolver: &pin.Resolver{
				Insecure: map[string]bool{images.Host: true, authRegistry.Host: true, flakyRegistry.Host: true},
				Timeout:  2 * time.Second,
			},
			TTL:        time.Second,
			FailureTTL: 200 * time.Millisecond,
		},
		Admission: admissionGuard,
	}
	Expect(workloads.setupWithManager(mgr, reconciles.wrap(workloads))).To(Succeed())
	Expect((&QuarantineReconciler{
		Client:    mgr.GetClient(),
		Scheme:    mgr.GetScheme(),
		APIReader: mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("amber"),
		Ledger:    writer,
		Actors:    actors,
	}).SetupWithManager(mgr)).To(Succeed())
	Expect((&AuditLedgerReconciler{
		Client:             mgr.GetClient(),
		Recorder:           mgr.GetEventRecorder("amber"),
		Ledger:             writer,
		Keys:               ledger.NewKeys(keys.Signing.Public().(ed25519.PublicKey)),
		CheckpointEvery:    checkpointEvery,
		CheckpointInterval: checkpointInterval,
		FullVerifyInterval: time.Minute,
	}).SetupWithManager(mgr, 2)).To(Succeed())

	managerUsername, err = ManagerUsername(context.Background(), mgr.GetClient())
	Expect(err).NotTo(HaveOccurred())
	Expect(managerUsername).To(Equal("amber-manager"))
	SetupPodAdmission(mgr, writer, actors, managerUsername)
	SetupBreakGlassAdmission(mgr, writer, actors)
	Expect((&BreakGlassReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Ledger:    writer,
		Recorder:  mgr.GetEventRecorder("amber"),
	}).SetupWithManager(mgr)).To(Succeed())
	SetupWorkloadAdmission(mgr, residency.DefaultKeys)

	var ctx context.Context
	ctx, cancelMgr = context.WithCancel(context.Background())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()

	By("installing Amber's webhook configuration once the manager's webhook server answers")
	Eventually(func() error { return mgr.GetWebhookServer().StartedChecker()(nil) }, 30*time.Second, 100*time.Millisecond).Should(Succeed())
	admissionConfig = admission.Desired(admission.Options{
		Endpoint:        admission.Endpoint{URL: "https://" + net.JoinHostPort(hook.LocalServingHost, strconv.Itoa(hook.LocalServingPort))},
		CABundle:        hook.LocalServingCAData,
		ManagerUsername: managerUsername,
	})
	Expect(k8sClient.Create(context.Background(), admissionConfig.DeepCopy())).To(Succeed())
	mutatingConfig = admission.DesiredMutating(admission.Options{
		Endpoint:        admission.Endpoint{URL: "https://" + net.JoinHostPort(hook.LocalServingHost, strconv.Itoa(hook.LocalServingPort))},
		CABundle:        hook.LocalServingCAData,
		ManagerUsername: managerUsername,
	})
	Expect(k8sClient.Create(context.Background(), mutatingConfig.DeepCopy())).To(Succeed())
})

var _ = AfterSuite(func() {
	if admissionConfig != nil {
		Expect(client.IgnoreNotFound(k8sClient.Delete(context.Background(), admissionConfig.DeepCopy()))).To(Succeed())
	}
	if mutatingConfig != nil {
		Expect(client.IgnoreNotFound(k8sClient.Delete(context.Background(), mutatingConfig.DeepCopy()))).To(Succeed())
	}
	if cancelMgr != nil {
		cancelMgr()
	}
	if images != nil {
		images.Close()
		authRegistry.Close()
		flakyRegistry.Close()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})
