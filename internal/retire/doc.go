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

// Package retire decides which of a GDPRWorkload's pods leave service for an incident, and
// how: a pod touched under a BreakGlass whose window closed is replaced by a fresh pod and
// deleted (a pod a person was inside never serves again), and the pod of a Quarantine is
// replaced by a fresh pod and then released from service but kept for examination until its
// Quarantine ends. It holds no client: the workload's pods, BreakGlasses and Quarantines go
// in as read, the time is an input, and the answer says what becomes of each pod, so that
// every case can be table-tested. Whether a window is open is breakglass.Phase's to say.
package retire
