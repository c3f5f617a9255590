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
	"testing"
	"time"

	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

func TestLeaderElectionTimingsValidate(t *testing.T) {
	const s = time.Second
	tests := []struct {
		name    string
		timings leaderElectionTimings
		wantErr string
	}{
		{
			name:    "controller-runtime's defaults are valid",
			timings: leaderElectionTimings{LeaseDuration: 15 * s, RenewDeadline: 10 * s, RetryPeriod: 2 * s},
		},
		{
			name:    "the e2e suite's short timings are valid",
			timings: leaderElectionTimings{LeaseDuration: 6 * s, RenewDeadline: 4 * s, RetryPeriod: 1 * s},
		},
		{
			name:    "a zero lease duration is refused",
			timings: leaderElectionTimings{LeaseDuration: 0, RenewDeadline: 10 * s, RetryPeriod: 2 * s},
			wantErr: "--leader-elect-lease-duration must be positive, not 0s",
		},
		{
			name:    "a negative renew deadline is refused",
			timings: leaderElectionTimings{LeaseDuration: 15 * s, RenewDeadline: -s, RetryPeriod: 2 * s},
			wantErr: "--leader-elect-renew-deadline must be positive, not -1s",
		},
		{
			name:    "a zero retry period is refused",
			timings: leaderElectionTimings{LeaseDuration: 15 * s, RenewDeadline: 10 * s},
			wantErr: "--leader-elect-retry-period must be positive, not 0s",
		},
		{
			name:    "a renew deadline as long as the lease is refused",
			timings: leaderElectionTimings{LeaseDuration: 10 * s, RenewDeadline: 10 * s, RetryPeriod: 2 * s},
			wantErr: "--leader-elect-renew-deadline (10s) must be shorter than --leader-elect-lease-duration (10s): a leader still retrying its renewal when the lease expires would lead beside the replica that took it",
		},
		{
			name:    "a renew deadline longer than the lease is refused",
			timings: leaderElectionTimings{LeaseDuration: 10 * s, RenewDeadline: 20 * s, RetryPeriod: 2 * s},
			wantErr: "--leader-elect-renew-deadline (20s) must be shorter than --leader-elect-lease-duration (10s): a leader still retrying its renewal when the lease expires would lead beside the replica that took it",
		},
		{
			name:    "a retry period as long as the renew deadline is refused",
			timings: leaderElectionTimings{LeaseDuration: 15 * s, RenewDeadline: 10 * s, RetryPeriod: 10 * s},
			wantErr: "--leader-elect-retry-period (10s) must be shorter than --leader-elect-renew-deadline (10s) by a factor of 1.2: the retries are jittered by up to 1.2 times the period",
		},
		{
			name:    "a retry period within client-go's jitter of the renew deadline is refused",
			timings: leaderElectionTimings{LeaseDuration: 15 * s, RenewDeadline: 12 * s, RetryPeriod: 10 * s},
			wantErr: "--leader-elect-retry-period (10s) must be shorter than --leader-elect-renew-deadline (12s) by a factor of 1.2: the retries are jittered by up to 1.2 times the period",
		},
		{
			name:    "a retry period just outside the jitter is valid",
			timings: leaderElectionTimings{LeaseDuration: 15 * s, RenewDeadline: 12*s + time.Millisecond, RetryPeriod: 10 * s},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.timings.validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("validate() = %v, want no error", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("validate() = nil, want %q", tt.wantErr)
			case tt.wantErr != "" && err.Error() != tt.wantErr:
				t.Fatalf("validate() = %q, want %q", err, tt.wantErr)
			}
			// The flags must refuse what client-go would refuse at start, and nothing more.
			_, clientGoErr := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
				Lock:          &resourcelock.LeaseLock{LockConfig: resourcelock.ResourceLockConfig{Identity: "amber"}},
				LeaseDuration: tt.timings.LeaseDuration,
				RenewDeadline: tt.timings.RenewDeadline,
				RetryPeriod:   tt.timings.RetryPeriod,
				Callbacks: leaderelection.LeaderCallbacks{
					OnStartedLeading: func(context.Context) {},
					OnStoppedLeading: func() {},
				},
			})
			if (clientGoErr == nil) != (err == nil) {
				t.Fatalf("validate() = %v, but client-go's NewLeaderElector says %v", err, clientGoErr)
			}
		})
	}
}
