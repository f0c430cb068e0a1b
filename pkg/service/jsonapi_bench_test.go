package service_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/supercomp/supercomp/pkg/bus/bustest"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

// BenchmarkWhoAmI is one authenticated call to a standalone service over gRPC and over JSON
// over HTTP, the gateway's cost being the difference (a JSON decode and encode, and the hop
// to the process's own gRPC port).
func BenchmarkWhoAmI(b *testing.B) {
	const adminKey = "bench-admin-key-0123456789abcdef0123456789"
	nats := bustest.Server(b)
	dsn := storetest.FreshServerDSN(b, "sc_service_bench")
	hosts := make(chan *service.Host, 1)
	spec := service.Spec{Name: "probe", GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		New: func(service.Deps) (service.Module, error) {
			return &probeModule{started: make(chan struct{}), stopped: make(chan struct{})}, nil
		},
		Started: func(h *service.Host) { hosts <- h }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- service.Run(ctx, spec, []string{"--nats-url", nats.ClientURL(), "--clickhouse-dsn", dsn, "--log-level", "error",
			"--admin-key", adminKey, "--grpc-principal-rate", "0", "--grpc-peer-rate", "0"}, io.Discard)
	}()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("stop: %v", err)
		}
	})
	var host *service.Host
	select {
	case host = <-hosts:
	case err := <-done:
		b.Fatalf("service did not start: %v", err)
	case <-time.After(30 * time.Second):
		b.Fatal("service did not start within 30s")
	}

	b.Run("grpc", func(b *testing.B) {
		conn, err := grpc.NewClient(host.GRPC().Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		client := authv1.NewAuthServiceClient(conn)
		call := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+adminKey)
		for b.Loop() {
			if _, err := client.WhoAmI(call, &authv1.WhoAmIRequest{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("http", func(b *testing.B) {
		url := "http://" + host.HTTP().Addr().String() + "/api/supercomp.auth.v1.AuthService/WhoAmI"
		for b.Loop() {
			req, err := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+adminKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("WhoAmI over HTTP = %d", resp.StatusCode)
			}
		}
	})
}
