package chstore_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/chdbstore"
	"github.com/supercomp/supercomp/services/ingestion/internal/adapters/chstore"
	"github.com/supercomp/supercomp/services/ingestion/internal/itest"
)

// chdbDir is this process's one chDB session directory (chDB allows one session per process);
// each test opens its own database in it.
var chdbDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ingestion-chstore-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	chdbDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func f(v float64) *float64 { return &v }
func u(v uint32) *uint32   { return &v }

func sample() []*eventsv1.Event {
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	rec := timestamppb.New(at.Add(time.Hour))
	evs := []*eventsv1.Event{
		{TeamId: "t1", AthleteId: "a1", Source: "test", OccurredAt: timestamppb.New(at), RecordedAt: rec,
			Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{SessionId: "s1", Exercise: "Squat (Barbell)",
				LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, LoadKg: 140, Reps: 3, Rpe: f(9.5), SetType: commonv1.SetType_SET_TYPE_WORKING,
				SetIndex: 2, RepVelocitiesMps: []float64{0.42, 0.38, 0.31}, Notes: "it's \"heavy\"", OriginalUnit: commonv1.WeightUnit_WEIGHT_UNIT_KG}}},
		{TeamId: "t1", AthleteId: "a1", Source: "test", OccurredAt: timestamppb.New(at.Add(time.Minute)), RecordedAt: rec,
			Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{SessionId: "s1", Exercise: "Curl",
				LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_OTHER, LoadKg: 20, Reps: 12, SetType: commonv1.SetType_SET_TYPE_WARM_UP, SetIndex: 1}}},
		{TeamId: "t1", AthleteId: "a1", Source: "test", OccurredAt: timestamppb.New(at), RecordedAt: rec,
			Payload: &eventsv1.Event_SessionRecorded{SessionRecorded: &eventsv1.SessionRecorded{SessionId: "s1", DurationMinutes: 70, SessionRpe: f(7), Name: "Lower"}}},
		{TeamId: "t1", AthleteId: "a1", Source: "test", OccurredAt: timestamppb.New(at), RecordedAt: rec,
			Payload: &eventsv1.Event_WellnessReported{WellnessReported: &eventsv1.WellnessReported{Fatigue: u(2), Readiness: u(6), SleepHours: f(6.5),
				JointPain: []*eventsv1.JointPain{{Location: "left knee", Score: 4}}, SorenessAreas: []string{"12921003"}}}},
		{TeamId: "t1", AthleteId: "a1", Source: "test", OccurredAt: timestamppb.New(at), RecordedAt: rec,
			Payload: &eventsv1.Event_ReadinessMeasured{ReadinessMeasured: &eventsv1.ReadinessMeasured{HrvRmssdMs: f(55), CmjHeightCm: f(38), CmjJumpCount: u(3)}}},
		{TeamId: "t1", AthleteId: "a2", Source: "test", OccurredAt: timestamppb.New(at.AddDate(0, 1, 0)), RecordedAt: rec,
			Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{SessionId: "s9", Exercise: "Bench Press (Barbell)",
				LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS, LoadKg: 100, Reps: 5, SetType: commonv1.SetType_SET_TYPE_WORKING, SetIndex: 1}}},
	}
	for i, ev := range evs {
		ev.Id = events.DeterministicID("chstore-test", fmt.Sprint(i))
	}
	return evs
}

// runTables is the contract every backend passes: rows round-trip to the same events, derived
// columns hold the domain's numbers, inserting again adds nothing, and Stored finds the ids.
func runTables(t *testing.T, st store.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := store.Migrate(ctx, st, store.Migrations, nil); err != nil {
		t.Fatal(err)
	}
	tables := chstore.New(st)
	evs := sample()
	n, err := tables.Insert(ctx, evs)
	if err != nil || n != len(evs) {
		t.Fatalf("insert: %d rows, %v", n, err)
	}
	if n, err := tables.Insert(ctx, evs); err != nil || n != 0 {
		t.Fatalf("insert again: %d rows, %v; want 0", n, err)
	}
	stored, err := tables.Stored(ctx, evs)
	if err != nil || len(stored) != len(evs) {
		t.Fatalf("stored: %v, %v", stored, err)
	}
	// Stored ids among new ones in the same span: listing the span (default limit) and sending
	// the ids (the sets span holds 3 rows, over a limit of 2) find exactly the stored ones.
	fresh := proto.Clone(evs[0]).(*eventsv1.Event)
	fresh.Id = events.DeterministicID("chstore-test", "fresh")
	fresh.OccurredAt = timestamppb.New(evs[0].GetOccurredAt().AsTime().Add(time.Second))
	mixed := []*eventsv1.Event{evs[0], fresh, evs[5]}
	for _, tc := range []struct {
		name   string
		tables *chstore.Tables
	}{{"span listed", tables}, {"ids sent", chstore.NewWithSpanLimit(st, 2)}} {
		got, err := tc.tables.Stored(ctx, mixed)
		if err != nil || len(got) != 2 || !got[evs[0].GetId()] || !got[evs[5].GetId()] || got[fresh.GetId()] {
			t.Errorf("%s: stored among new: %v, %v; want %s and %s", tc.name, got, err, evs[0].GetId(), evs[5].GetId())
		}
	}

	storedAtScale(ctx, t, st)

	var e1rm float64
	var method string
	var hard, working uint8
	if err := store.QueryRow(ctx, st, "SELECT e1rm_kg, e1rm_method, is_hard_set, is_working FROM training_sets WHERE event_id = ?", evs[0].GetId()).
		Scan(&e1rm, &method, &hard, &working); err != nil {
		t.Fatal(err)
	}
	// 3 reps at RPE 9.5: n = 3.5, 90.7% -> 140 / 0.907 = 154.36.
	if e1rm != 154.36 || method != "rts" || hard != 1 || working != 1 {
		t.Errorf("derived set columns: e1rm %v %q hard %d working %d", e1rm, method, hard, working)
	}
	var load float64
	if err := store.QueryRow(ctx, st, "SELECT session_load_au FROM training_sessions").Scan(&load); err != nil || load != 490 {
		t.Errorf("session load %v (%v), want 7 x 70 = 490", load, err)
	}

	want := map[string]*eventsv1.Event{}
	for _, ev := range evs {
		want[ev.GetId()] = ev
	}
	got := 0
	for _, table := range []string{chstore.TableSets, chstore.TableSessions, chstore.TableWellness, chstore.TableReadiness} {
		err := tables.Export(ctx, chstore.ExportQuery{Table: table, Team: "t1", PageSize: 1}, func(page []*eventsv1.Event) error {
			for _, ev := range page {
				got++
				if !proto.Equal(ev, want[ev.GetId()]) {
					t.Errorf("%s round trip:\n got %v\nwant %v", table, ev, want[ev.GetId()])
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got != len(evs) {
		t.Errorf("exported %d events, want %d", got, len(evs))
	}
	// Filters: one athlete, and a day range that excludes the later set.
	var n2 int
	err = tables.Export(ctx, chstore.ExportQuery{Table: chstore.TableSets, Team: "t1", Athlete: "a1",
		From: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
		func(page []*eventsv1.Event) error { n2 += len(page); return nil })
	if err != nil || n2 != 2 {
		t.Errorf("filtered export: %d, %v; want 2", n2, err)
	}
	// Tenant isolation inside the query: a caller granted other teams reads nothing of t1, one
	// granted t1 reads it all.
	for _, tc := range []struct {
		granted []string
		want    int
	}{{[]string{"t2", "t3"}, 0}, {[]string{}, 0}, {[]string{"t2", "t1"}, n2}} {
		var n int
		err = tables.Export(ctx, chstore.ExportQuery{Table: chstore.TableSets, Team: "t1", Athlete: "a1", GrantedTeams: tc.granted,
			From: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)},
			func(page []*eventsv1.Event) error { n += len(page); return nil })
		if err != nil || n != tc.want {
			t.Errorf("export with granted teams %v: %d, %v; want %d", tc.granted, n, err, tc.want)
		}
	}
}

func TestTablesClickHouseServer(t *testing.T) {
	runTables(t, itest.ClickHouse(t))
}

func TestTablesChDB(t *testing.T) {
	st, err := chdbstore.Open(context.Background(), chdbDir, itest.DatabaseName(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runTables(t, st)
}

// storedAtScale: a recorder batch of 5,000 sets from 5,000 athletes with 64-character ids would
// be a lookup of ~330 KiB of query text, over ClickHouse's 256 KiB max_query_size; the lookups
// go in chunks and find every stored id, by span and by id list.
func storedAtScale(ctx context.Context, t *testing.T, st store.Store) {
	t.Helper()
	at := time.Date(2026, 4, 6, 9, 0, 0, 0, time.UTC)
	evs := make([]*eventsv1.Event, 5000)
	for i := range evs {
		evs[i] = &eventsv1.Event{
			Id: events.DeterministicID("chstore-scale", fmt.Sprint(i)), TeamId: "scale", AthleteId: fmt.Sprintf("%064d", i),
			Source: "test", OccurredAt: timestamppb.New(at.Add(time.Duration(i) * time.Millisecond)), RecordedAt: timestamppb.New(at),
			Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{SessionId: "s", Exercise: "Back Squat",
				LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, LoadKg: 100, Reps: 5, SetType: commonv1.SetType_SET_TYPE_WORKING, SetIndex: 1}},
		}
	}
	if n, err := chstore.New(st).Insert(ctx, evs[:4000]); err != nil || n != 4000 {
		t.Fatalf("insert 4000 of 5000: %d, %v", n, err)
	}
	for _, tc := range []struct {
		name   string
		tables *chstore.Tables
	}{{"span listed", chstore.New(st)}, {"ids sent", chstore.NewWithSpanLimit(st, 2)}} {
		got, err := tc.tables.Stored(ctx, evs)
		if err != nil {
			t.Fatalf("%s: stored among 5000: %v", tc.name, err)
		}
		if len(got) != 4000 || !got[evs[0].GetId()] || !got[evs[3999].GetId()] || got[evs[4000].GetId()] {
			t.Errorf("%s: %d stored ids found, want the first 4000", tc.name, len(got))
		}
	}
}
