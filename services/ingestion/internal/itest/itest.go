// Package itest sets up the real dependencies of ingestion's integration tests: a fresh
// database on the ClickHouse server (migrated), and a host serving the ingestion module over
// gRPC on a free port with its recorder running.
package itest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/clickhousestore"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

// ServerDSN is storetest.ServerDSN: the shared rule for finding the test server (skip, or
// fail under SC_REQUIRE_CLICKHOUSE=1).
func ServerDSN(tb testing.TB) string {
	tb.Helper()
	return storetest.ServerDSN(tb)
}

// WithDatabase returns dsn pointing at database.
func WithDatabase(tb testing.TB, dsn, database string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("parse DSN: %v", err)
	}
	u.Path = "/" + database
	return u.String()
}

// DatabaseName is a fresh database name for the test.
func DatabaseName(tb testing.TB) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToLower(tb.Name()))
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("ingest_%s_%d", name, time.Now().UnixNano()%1e9)
}

// ClickHouse opens a fresh, migrated database on the test server and drops it at the end.
func ClickHouse(tb testing.TB) store.Store {
	tb.Helper()
	return ClickHouseAt(tb, ServerDSN(tb))
}

// ClickHouseAt is ClickHouse on the server of dsn.
func ClickHouseAt(tb testing.TB, dsn string) store.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db := DatabaseName(tb)
	st, err := clickhousestore.Open(ctx, WithDatabase(tb, dsn, db), nil)
	if err != nil {
		tb.Fatalf("open clickhouse: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = st.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
		st.Close()
	})
	if err := store.Migrate(ctx, st, store.Migrations, nil); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return st
}

// Host serves the module built by factory on a free port with b and st, and returns a client
// of it. The host stops when the test ends.
func Host(tb testing.TB, b *bus.Bus, st store.Store, factory service.Factory) ingestionv1.IngestionServiceClient {
	tb.Helper()
	logger := bustest.Logger(tb)
	if testing.Verbose() {
		logger = logger.WithOptions(zap.IncreaseLevel(zap.InfoLevel))
	}
	h, err := service.NewHost(logger, server.Config{Addr: "127.0.0.1:0", ShutdownTimeout: 10 * time.Second}, "127.0.0.1:0",
		b, st, prometheus.NewRegistry(), []service.Factory{factory})
	if err != nil {
		tb.Fatalf("new host: %v", err)
	}
	if err := h.Listen(); err != nil {
		tb.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	conn, err := grpc.NewClient(h.GRPC().Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() {
		conn.Close()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Logf("host stopped: %v", err)
			}
		case <-time.After(20 * time.Second):
			tb.Errorf("host did not stop within 20s")
		}
	})
	return ingestionv1.NewIngestionServiceClient(conn)
}

// Bus starts an embedded JetStream with the default streams.
func Bus(tb testing.TB) *bus.Bus {
	tb.Helper()
	b, _ := bustest.New(tb)
	return b
}
