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
	"fmt"
	"time"

	"k8s.io/client-go/tools/leaderelection"
)

// leaderElectionTimings are the three durations of the leader-election Lease, as flags set them.
type leaderElectionTimings struct {
	// LeaseDuration is how long a standby waits, from the holder's last renewal, before it
	// may take a lease the holder stopped renewing: after a crash, the bulk of the failover.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader keeps retrying a renewal before it gives up
	// leading (and the manager exits).
	RenewDeadline time.Duration
	// RetryPeriod is how often every replica tries to acquire or renew the lease.
	RetryPeriod time.Duration
}

// validate says which flag is wrong, in the order a person reading the flags would fix them.
// client-go makes the same checks, but only once the manager starts, with an error that names
// its fields rather than the flags; and it wants the renew deadline above the retry period
// by its jitter factor (1.2), since a renewal that retries later than its deadline could
// never succeed.
func (t leaderElectionTimings) validate() error {
	switch {
	case t.LeaseDuration <= 0:
		return fmt.Errorf("--leader-elect-lease-duration must be positive, not %s", t.LeaseDuration)
	case t.RenewDeadline <= 0:
		return fmt.Errorf("--leader-elect-renew-deadline must be positive, not %s", t.RenewDeadline)
	case t.RetryPeriod <= 0:
		return fmt.Errorf("--leader-elect-retry-period must be positive, not %s", t.RetryPeriod)
	case t.RenewDeadline >= t.LeaseDuration:
		return fmt.Errorf("--leader-elect-renew-deadline (%s) must be shorter than --leader-elect-lease-duration (%s): a leader still retrying its renewal when the lease expires would lead beside the replica that took it", t.RenewDeadline, t.LeaseDuration)
	case float64(t.RenewDeadline) <= leaderelection.JitterFactor*float64(t.RetryPeriod):
		return fmt.Errorf("--leader-elect-retry-period (%s) must be shorter than --leader-elect-renew-deadline (%s) by a factor of %g: the retries are jittered by up to %g times the period", t.RetryPeriod, t.RenewDeadline, leaderelection.JitterFactor, leaderelection.JitterFactor)
	}
	return nil
}
