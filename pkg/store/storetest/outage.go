package storetest

import (
	"fmt"
	"io"
	"net"
	"sync"
)

// OutageProxy forwards TCP to a ClickHouse server until Cut closes its listener and every open
// connection; Restore listens again on the same address. It stands in for a server that goes
// down and comes back: the shared test server on :9000 is never stopped, because other
// packages' tests use it at the same time.
type OutageProxy struct {
	target, addr string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// NewOutageProxy listens on a free loopback port and forwards to target (host:port).
func NewOutageProxy(target string) (*OutageProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &OutageProxy{target: target, addr: ln.Addr().String(), conns: map[net.Conn]bool{}}
	p.serve(ln)
	return p, nil
}

// Addr is the proxy's host:port, to put in a DSN instead of the server's.
func (p *OutageProxy) Addr() string { return p.addr }

func (p *OutageProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", p.target)
			if err != nil {
				client.Close()
				continue
			}
			p.mu.Lock()
			p.conns[client], p.conns[server] = true, true
			p.mu.Unlock()
			go func() { _, _ = io.Copy(server, client); server.Close() }()
			go func() { _, _ = io.Copy(client, server); client.Close() }()
		}
	}()
}

// Cut refuses new connections and breaks the open ones, as a server that died does.
func (p *OutageProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// Restore accepts connections again on the same address, as the server coming back.
func (p *OutageProxy) Restore() error {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		return fmt.Errorf("restore proxy on %s: %w", p.addr, err)
	}
	p.serve(ln)
	return nil
}
