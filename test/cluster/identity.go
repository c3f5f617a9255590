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

package cluster

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/amber-gdpr/amber/internal/installer"
)

// The ServiceAccount the manager runs as in a cluster, as config/default names it (its
// namePrefix amber- on config/rbac's controller-manager, in its namespace amber-system).
const (
	ManagerNamespace      = "amber-system"
	ManagerServiceAccount = "amber-controller-manager"
)

// UseManagerServiceAccount makes every manager started afterwards run with the identity
// config/default gives it: it applies config/default (under root) without its Deployment,
// so the ServiceAccount and exactly the roles and bindings that ship, asks the API server for
// a token of that ServiceAccount (TokenRequest) valid for ttl, and writes a kubeconfig holding
// it beside the cluster's. A permission missing from config/rbac then fails whatever needs it,
// as it would in a user's cluster; under the admin's identity nothing would.
func (c *Cluster) UseManagerServiceAccount(ctx context.Context, root string, ttl time.Duration) error {
	objects, err := installer.Objects(filepath.Join(root, "config", "default"), "")
	if err != nil {
		return err
	}
	var manifest bytes.Buffer
	for _, o := range objects {
		if o.GetKind() == "Deployment" {
			continue // kwok would fake its pods; the manager runs as a process instead
		}
		data, err := yaml.Marshal(o.Object)
		if err != nil {
			return fmt.Errorf("write %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		manifest.WriteString("---\n")
		manifest.Write(data)
	}
	if _, err := c.RunWithInput(ctx, manifest.String(), "apply", "--server-side", "--force-conflicts", "-f", "-"); err != nil {
		return fmt.Errorf("apply config/default's ServiceAccount and RBAC: %w", err)
	}

	admin, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		return fmt.Errorf("read kubeconfig: %w", err)
	}
	restConfig, err := clientcmd.NewDefaultClientConfig(*admin, nil).ClientConfig()
	if err != nil {
		return fmt.Errorf("read kubeconfig: %w", err)
	}
	clientset, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return err
	}
	token, err := clientset.CoreV1().ServiceAccounts(ManagerNamespace).CreateToken(ctx, ManagerServiceAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(ttl.Seconds()))}},
		metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("request a token for ServiceAccount %s/%s: %w", ManagerNamespace, ManagerServiceAccount, err)
	}
	// The API server may shorten the lifetime it was asked for (--service-account-max-token-expiration).
	if expires := token.Status.ExpirationTimestamp.Time; time.Until(expires) < ttl-time.Minute {
		return fmt.Errorf("the API server issued a token of ServiceAccount %s/%s valid until %s only, want %s", ManagerNamespace, ManagerServiceAccount, expires, ttl)
	}

	// The same server and CA as the admin's kubeconfig, the ServiceAccount's token as the user.
	current := admin.Contexts[admin.CurrentContext]
	if current == nil || admin.Clusters[current.Cluster] == nil {
		return fmt.Errorf("kubeconfig %s: no current context with a cluster", c.Kubeconfig)
	}
	config := clientcmdapi.NewConfig()
	config.Clusters["cluster"] = admin.Clusters[current.Cluster]
	config.AuthInfos[ManagerServiceAccount] = &clientcmdapi.AuthInfo{Token: token.Status.Token}
	config.Contexts["manager"] = &clientcmdapi.Context{Cluster: "cluster", AuthInfo: ManagerServiceAccount, Namespace: ManagerNamespace}
	config.CurrentContext = "manager"
	path := filepath.Join(filepath.Dir(c.Kubeconfig), "amber-manager-serviceaccount.kubeconfig")
	if err := clientcmd.WriteToFile(*config, path); err != nil {
		return fmt.Errorf("write the manager's kubeconfig: %w", err)
	}
	c.ManagerKubeconfig = path
	return nil
}
