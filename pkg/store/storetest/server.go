package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/clickhousestore"
)

// DefaultServerDSN is where tests look for the ClickHouse server that scripts/clickhouse.sh
// starts.
const DefaultServerDSN = "clickhouse://127.0.0.1:9000/default"

// ServerDSN returns the DSN of the ClickHouse server tests run against: SC_TEST_CLICKHOUSE_DSN,
// or DefaultServerDSN. When nothing answers there the test is skipped, or fails when
// SC_REQUIRE_CLICKHOUSE=1 (as `make test` sets it), so CI can never pass by skipping.
func ServerDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("SC_TEST_CLICKHOUSE_DSN")
	if dsn == "" {
		dsn = DefaultServerDSN
	}
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("SC_TEST_CLICKHOUSE_DSN=%q: %v", dsn, err)
	}
	conn, err := net.DialTimeout("tcp", opts.Addr[0], 2*time.Second)
	if err != nil {
		msg := fmt.Sprintf("no ClickHouse server answers at %s (%v): start one with scripts/clickhouse.sh "+
			"(or `make clickhouse`), or point SC_TEST_CLICKHOUSE_DSN at one", opts.Addr[0], err)
		if os.Getenv("SC_REQUIRE_CLICKHOUSE") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	conn.Close()
	return dsn
}

// FreshServerDSN returns a DSN on the test server naming a new database (prefix plus random
// suffix) that is dropped when the test ends, so tests never see each other's rows.
func FreshServerDSN(tb testing.TB, prefix string) string {
	tb.Helper()
	base := ServerDSN(tb)
	var b [4]byte
	_, _ = rand.Read(b[:])
	database := prefix + "_" + hex.EncodeToString(b[:])
	tb.Cleanup(func() {
		// Dropping a database that took a heavy load (BenchmarkAlertPath) has taken over 30s on
		// Debian's server while other tests kept it busy: the drop removes every part's files.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		st, err := clickhousestore.Open(ctx, base, zap.NewNop())
		if err != nil {
			tb.Errorf("drop test database %s: %v", database, err)
			return
		}
		defer st.Close()
		if err := st.Exec(ctx, "DROP DATABASE IF EXISTS "+database); err != nil {
			tb.Errorf("drop test database %s: %v", database, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + database
	return u.String()
}

// OpenServer opens the test server on a fresh database (see FreshServerDSN).
func OpenServer(tb testing.TB, prefix string) store.Store {
	tb.Helper()
	st, err := clickhousestore.Open(context.Background(), FreshServerDSN(tb, prefix), zap.NewNop())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return st
}
