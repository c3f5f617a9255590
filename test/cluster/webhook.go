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
	"fmt"
	"net"
	"strconv"
)

// WebhookArgs are the manager's flags for serving its admission webhooks on a free loopback
// port, reached by the API server on the same host through https://localhost:PORT (the form
// `make run` and `make demo` use): several managers on one machine (failover specs, other
// people's clusters) then never fight over a port.
func WebhookArgs() ([]string, error) {
	addr, err := freeLoopbackAddress()
	if err != nil {
		return nil, err
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if _, err := strconv.Atoi(port); err != nil {
		return nil, fmt.Errorf("free port %q: %w", port, err)
	}
	return []string{"--webhook-port=" + port, "--webhook-url=https://localhost:" + port}, nil
}
