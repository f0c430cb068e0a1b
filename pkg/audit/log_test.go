package audit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/audit"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/chdbstore"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

// chdbDir is this process's one chDB session (chDB allows one per process), held open by
// TestMain; every test opens its own database in it.
var chdbDir string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "audit-chdb-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	keeper, err := chdbstore.Open(context.Background(), dir, "default", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer keeper.Close()
	chdbDir = dir
	return m.Run()
}

// backends runs fn on a fresh, migrated database of the ClickHouse server and of chDB.
func backends(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("clickhouse", func(t *testing.T) {
		st := storetest.OpenServer(t, "sc_audit_test")
		migrate(t, st)
		fn(t, st)
	})
	t.Run("chdb", func(t *testing.T) {
		var b [4]byte
		_, _ = rand.Read(b[:])
		db := "sc_audit_test_" + hex.EncodeToString(b[:])
		st, err := chdbstore.Open(context.Background(), chdbDir, db, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = st.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
			_ = st.Close()
		})
		migrate(t, st)
		fn(t, st)
	})
}

func migrate(t *testing.T, st store.Store) {
	t.Helper()
	if err := store.Migrate(context.Background(), st, store.Migrations, nil); err != nil {
		t.Fatal(err)
	}
}

var auditColumns = []string{"event_id", "team_id", "occurred_at", "actor_subject", "actor_role", "action",
	"resource_type", "resource_id", "rpc", "detail", "recorded_at"}

type row struct {
	id, team, actor, action, resource string
	at                                time.Time
}

func insert(t *testing.T, st store.Store, rows ...row) {
	t.Helper()
	var batch [][]any
	for _, r := range rows {
		batch = append(batch, []any{r.id, r.team, r.at, r.actor, "admin", r.action, "api_key", r.resource,
			"/supercomp.auth.v1.AuthService/CreateApiKey", "detail of " + r.id, time.Now().UTC()})
	}
	if err := st.InsertBatch(context.Background(), audit.Table, auditColumns, batch); err != nil {
		t.Fatal(err)
	}
}

func ids(entries []audit.Entry) []string {
	out := []string{}
	for _, e := range entries {
		out = append(out, e.EventID)
	}
	return out
}

// TestListFiltersAndPages checks every filter and the paging of Log.List on both backends:
// newest first with ties broken by event id, pages that neither repeat nor skip an entry when
// newer records arrive in between, and a replayed event listed once.
func TestListFiltersAndPages(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		log := audit.Log{Store: st}
		insert(t, st,
			row{"e01", "t1", "key-admin", "team.create", "t1", t0},
			row{"e02", "t1", "key-admin", "apikey.create", "k1", t0.Add(time.Minute)},
			// e03 and e04 share their second: e04 comes first.
			row{"e03", "t1", "key-coach", "deload.decide", "d1", t0.Add(2 * time.Minute)},
			row{"e04", "t1", "key-admin", "grant.update", "k1", t0.Add(2 * time.Minute)},
			row{"e05", "t1", "key-admin", "apikey.revoke", "k1", t0.Add(3 * time.Minute)},
			row{"e06", "t2", "key-admin", "apikey.create", "k2", t0.Add(90 * time.Second)},
			row{"e07", "_platform", "key-admin", "signing_key.rotate", "s1", t0.Add(4 * time.Minute)},
		)
		// A redelivered event, inserted again in another batch: listed once.
		insert(t, st, row{"e02", "t1", "key-admin", "apikey.create", "k1", t0.Add(time.Minute)})

		cases := []struct {
			name string
			q    audit.Query
			want []string
		}{
			{"team", audit.Query{Team: "t1"}, []string{"e05", "e04", "e03", "e02", "e01"}},
			{"every team", audit.Query{}, []string{"e07", "e05", "e04", "e03", "e06", "e02", "e01"}},
			{"platform", audit.Query{Team: "_platform"}, []string{"e07"}},
			{"actor", audit.Query{Team: "t1", Actor: "key-coach"}, []string{"e03"}},
			{"actions", audit.Query{Actions: []string{"apikey.create", "apikey.revoke"}}, []string{"e05", "e06", "e02"}},
			{"resource", audit.Query{Resource: "k1"}, []string{"e05", "e04", "e02"}},
			// Since is inclusive, Until exclusive; a fraction of a second keeps the range's entries.
			{"since", audit.Query{Team: "t1", Since: t0.Add(2 * time.Minute)}, []string{"e05", "e04", "e03"}},
			{"until", audit.Query{Team: "t1", Until: t0.Add(2 * time.Minute)}, []string{"e02", "e01"}},
			{"until a fraction past", audit.Query{Team: "t1", Until: t0.Add(2*time.Minute + 300*time.Millisecond)}, []string{"e04", "e03", "e02", "e01"}},
			{"since a fraction past", audit.Query{Team: "t1", Since: t0.Add(2*time.Minute + 300*time.Millisecond)}, []string{"e05", "e04", "e03"}},
			{"nothing", audit.Query{Team: "t3"}, []string{}},
		}
		for _, c := range cases {
			page, err := log.List(ctx, c.q)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := ids(page.Entries); !slices.Equal(got, c.want) || page.NextPageToken != "" {
				t.Errorf("%s: %v (next %q), want %v and no next page", c.name, got, page.NextPageToken, c.want)
			}
		}

		e := mustList(t, log, audit.Query{Team: "t1", Actor: "key-coach"}).Entries[0]
		if e.TeamID != "t1" || e.ActorRole != "admin" || e.Action != "deload.decide" || e.ResourceType != "api_key" ||
			e.ResourceID != "d1" || e.RPC == "" || e.Detail != "detail of e03" || !e.OccurredAt.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("entry = %+v", e)
		}

		// Pages of two through t1; a newer record arriving after the first page changes nothing
		// in the later ones.
		var got []string
		q := audit.Query{Team: "t1", PageSize: 2}
		for i := 0; ; i++ {
			page := mustList(t, log, q)
			if len(page.Entries) > 2 {
				t.Fatalf("page %d has %d entries", i, len(page.Entries))
			}
			got = append(got, ids(page.Entries)...)
			if i == 0 {
				insert(t, st, row{"e08", "t1", "key-admin", "apikey.create", "k3", t0.Add(time.Hour)})
			}
			if page.NextPageToken == "" {
				break
			}
			q.PageToken = page.NextPageToken
		}
		if want := []string{"e05", "e04", "e03", "e02", "e01"}; !slices.Equal(got, want) {
			t.Errorf("pages of two = %v, want %v", got, want)
		}
		// A page that ends exactly at the last entry has no next page.
		if page := mustList(t, log, audit.Query{Team: "t1", PageSize: 6}); len(page.Entries) != 6 || page.NextPageToken != "" {
			t.Errorf("a page of all six: %v, next %q", ids(page.Entries), page.NextPageToken)
		}

		for _, bad := range []string{"not base64!", "bm8gY29sb24", "eDplMDE"} {
			if _, err := log.List(ctx, audit.Query{PageToken: bad}); !errors.Is(err, audit.ErrBadPageToken) {
				t.Errorf("page token %q: %v, want ErrBadPageToken", bad, err)
			}
		}
		if _, err := log.List(ctx, audit.Query{PageSize: audit.MaxPageSize + 1}); err == nil {
			t.Error("a page larger than MaxPageSize is accepted")
		}
	})
}

func mustList(t *testing.T, log audit.Log, q audit.Query) audit.Page {
	t.Helper()
	page, err := log.List(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return page
}
