// Package platformtest starts the all-in-one platform for the platform's end-to-end and
// browser tests: every service, embedded NATS and the given store, on loopback ports, with a
// bootstrap admin key.
package platformtest

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/notifications/notifications"
	"github.com/supercomp/supercomp/services/platform/internal/allinone"
)

// Bearer attaches an API key or token to every call, as sc and any team client do.
type Bearer string

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (b Bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity is false because the tests talk to 127.0.0.1 without TLS.
func (b Bearer) RequireTransportSecurity() bool { return false }

// Start runs `supercomp` on st with adminKey registered, stops it when the test ends, and
// returns the host and a connection that carries the admin key. Webhooks may reach loopback:
// the tests' receivers listen there, which the platform refuses by default.
func Start(t testing.TB, st config.Store, adminKey string) (*service.Host, *grpc.ClientConn) {
	t.Helper()
	t.Setenv(notifications.EnvAllowedNetworks, "127.0.0.0/8,::1/128")
	cfg := allinone.DefaultConfig()
	cfg.Store = st
	cfg.DataDir = t.TempDir()
	cfg.NATSPort = -1
	cfg.GRPC.Addr = "127.0.0.1:0"
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Log.Level = "warn"
	cfg.Shutdown.Timeout = 10 * time.Second
	cfg.AdminKey = adminKey
	ctx, cancel := context.WithCancel(context.Background())
	hosts := make(chan *service.Host, 1)
	done := make(chan error, 1)
	go func() { done <- allinone.Serve(ctx, cfg, func(h *service.Host) { hosts <- h }) }()
	var host *service.Host
	select {
	case host = <-hosts:
	case err := <-done:
		cancel()
		t.Fatalf("platform did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("platform did not start within 60s")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("platform stopped with error: %v", err)
		}
	})
	conn, err := grpc.NewClient(host.GRPC().Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(Bearer(adminKey)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return host, conn
}
