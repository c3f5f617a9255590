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
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	gdprv1alpha1 "github.com/amber-gdpr/amber/api/v1alpha1"
)

// auditEventsKeyPrefix is where the API server keeps AuditEvents in etcd: its default prefix
// "/registry", then the resource's group and plural, then namespace/name.
const auditEventsKeyPrefix = "/registry/" + "gdpr.amber.dev/auditevents/"

// storedEntry is one AuditEvent as etcd holds it.
type storedEntry struct {
	key   string
	value []byte
	event gdprv1alpha1.AuditEvent
}

// readStoredEntries reads every AuditEvent under namespacePrefix straight from etcd, through
// its JSON gateway (/v3/kv/range), so that the bytes counted are the bytes stored: the API
// server encodes custom resources as JSON, managed fields included.
func readStoredEntries(ctx context.Context, etcdURL, namespacePrefix string) ([]storedEntry, error) {
	prefix := auditEventsKeyPrefix + namespacePrefix
	// The range [prefix, prefix with its last byte incremented) is every key starting with prefix.
	end := []byte(prefix)
	end[len(end)-1]++
	body, err := json.Marshal(map[string]string{
		"key":       base64.StdEncoding.EncodeToString([]byte(prefix)),
		"range_end": base64.StdEncoding.EncodeToString(end),
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(etcdURL, "/")+"/v3/kv/range", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("read etcd range %s: %w", prefix, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("read etcd range %s: %s", prefix, resp.Status)
	}
	var got struct {
		KVs []struct {
			Key   []byte `json:"key"` // base64 in the gateway's JSON, decoded by encoding/json
			Value []byte `json:"value"`
		} `json:"kvs"`
		More bool `json:"more"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return nil, fmt.Errorf("decode etcd range: %w", err)
	}
	if got.More {
		return nil, fmt.Errorf("etcd range %s: more keys than one answer holds", prefix)
	}
	entries := make([]storedEntry, 0, len(got.KVs))
	for _, kv := range got.KVs {
		e := storedEntry{key: string(kv.Key), value: kv.Value}
		if err := json.Unmarshal(kv.Value, &e.event); err != nil {
			return nil, fmt.Errorf("%s is not stored as JSON: %w", kv.Key, err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}
