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
	"errors"
	"net"
	"sync"
	"sync/atomic"
)

// downRegistry is a registry host that is down the worst way: it accepts TCP connections and
// never answers, so a client learns nothing until its own timeout. It counts what it got.
type downRegistry struct {
	listener net.Listener
	// connections is how many connections it accepted, requests how many HTTP request lines
	// arrived on them.
	connections, requests atomic.Int64

	mu    sync.Mutex
	conns []net.Conn
}

func startDownRegistry() (*downRegistry, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &downRegistry{listener: l}
	go d.accept()
	return d, nil
}

// Host is host:port, the registry part of image references.
func (d *downRegistry) Host() string { return d.listener.Addr().String() }

func (d *downRegistry) accept() {
	for {
		conn, err := d.listener.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			continue
		}
		d.connections.Add(1)
		d.mu.Lock()
		d.conns = append(d.conns, conn)
		d.mu.Unlock()
		go d.swallow(conn)
	}
}

// swallow reads what the client sends and counts request lines ("GET /v2/ HTTP/1.1"), never
// writing a byte back. A line split across two reads is still counted: the tail of the last
// read is kept.
func (d *downRegistry) swallow(conn net.Conn) {
	buf := make([]byte, 4096)
	var tail []byte
	marker := []byte(" HTTP/1.")
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			data := append(tail, buf[:n]...)
			d.requests.Add(int64(bytes.Count(data, marker)))
			if keep := len(marker) - 1; len(data) > keep {
				tail = append([]byte(nil), data[len(data)-keep:]...)
			} else {
				tail = data
			}
		}
		if err != nil {
			return
		}
	}
}

// Close stops accepting and drops every connection it holds.
func (d *downRegistry) Close() {
	_ = d.listener.Close()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		_ = c.Close()
	}
}
