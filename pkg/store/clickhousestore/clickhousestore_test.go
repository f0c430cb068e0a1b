package clickhousestore_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/clickhousestore"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

// withDatabase returns dsn with its path replaced by database.
func withDatabase(tb testing.TB, dsn, database string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	u.Path = "/" + database
	return u.String()
}

func TestConformance(t *testing.T) {
	dsn := storetest.ServerDSN(t)
	storetest.Run(t, func(t *testing.T, database string) store.Store {
		s, err := clickhousestore.Open(context.Background(), withDatabase(t, dsn, database), zaptest.NewLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpen(t *testing.T) {
	dsn := storetest.ServerDSN(t)
	ctx := context.Background()
	_, err := clickhousestore.Open(ctx, "http://127.0.0.1:8123/default", nil)
	if err == nil || !strings.Contains(err.Error(), "native protocol") {
		t.Errorf("HTTP DSN: err = %v, want a native-protocol error", err)
	}
	_, err = clickhousestore.Open(ctx, withDatabase(t, dsn, "bad-name"), nil)
	if err == nil || !strings.Contains(err.Error(), "invalid identifier") {
		t.Errorf("bad database name: err = %v", err)
	}
	_, err = clickhousestore.Open(ctx, "clickhouse://127.0.0.1:1/x?dial_timeout=200ms", nil)
	if err == nil {
		t.Error("Open on a closed port succeeded")
	}

	s, err := clickhousestore.Open(ctx, dsn, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// BenchmarkInsertBatch compares InsertBatch with clickhouse-go's PrepareBatch/Append/Send on
// the same rows in the same run ("raw"), so the cost of the store's conversions shows as a ratio.
func BenchmarkInsertBatch(b *testing.B) {
	dsn := storetest.ServerDSN(b)
	ctx := context.Background()
	db := fmt.Sprintf("sc_bench_%d", time.Now().UnixNano())
	s, err := clickhousestore.Open(ctx, withDatabase(b, dsn, db), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		_ = s.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
		s.Close()
	}()
	rows, report := storetest.BenchInsert(b, s)
	b.Run("raw", func(b *testing.B) {
		for b.Loop() {
			batch, err := s.Conn().PrepareBatch(ctx, "INSERT INTO bench_sets ("+strings.Join(storetest.BenchColumns, ", ")+")")
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range rows {
				if err := batch.Append(r...); err != nil {
					b.Fatal(err)
				}
			}
			if err := batch.Send(); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
}

// TestServerStopsAbandonedQueries checks that a query whose context ends does not keep running
// on the server (18.16 does not notice a client that went away in the middle of an aggregate).
func TestServerStopsAbandonedQueries(t *testing.T) {
	dsn := storetest.ServerDSN(t)
	ctx := context.Background()
	s, err := clickhousestore.Open(ctx, dsn, zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 300*time.Millisecond)
		}},
		{"cancel", func() (context.Context, context.CancelFunc) {
			c, cancel := context.WithCancel(ctx)
			time.AfterFunc(300*time.Millisecond, cancel)
			return c, cancel
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			marker := fmt.Sprintf("abandoned_%s_%d", tc.name, time.Now().UnixNano())
			c, cancel := tc.ctx()
			defer cancel()
			var sum uint64
			err := store.QueryRow(c, s, "SELECT sum(sipHash64(number)) AS "+marker+" FROM numbers(100000000000)").Scan(&sum)
			if err == nil {
				t.Fatal("query finished before its context ended")
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				var running uint64
				err := store.QueryRow(ctx, s, "SELECT count() FROM system.processes WHERE query LIKE ? AND query NOT LIKE '%system.processes%'", "%"+marker+" FROM%").Scan(&running)
				if err != nil {
					t.Fatal(err)
				}
				if running == 0 {
					return
				}
				if time.Now().After(deadline) {
					_ = s.Exec(ctx, "KILL QUERY WHERE query LIKE ? AND query NOT LIKE '%system.processes%'", "%"+marker+" FROM%")
					t.Fatalf("the server still runs the query 5s after its context ended")
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}
