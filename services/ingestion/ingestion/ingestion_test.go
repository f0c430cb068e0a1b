package ingestion_test

import (
	"cmp"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/datasets"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/services/ingestion/ingestion"
	"github.com/supercomp/supercomp/services/ingestion/internal/itest"
)

func factory(d service.Deps) (service.Module, error) { return ingestion.New(d) }

func newClient(t *testing.T) ingestionv1.IngestionServiceClient {
	t.Helper()
	st := itest.ClickHouse(t)
	b := itest.Bus(t)
	return itest.Host(t, b, st, factory)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// exportAll reads every stored record of kind for the team (and athlete, if set).
func exportAll(t *testing.T, c ingestionv1.IngestionServiceClient, team, athlete string, kind ingestionv1.RecordKind) []*eventsv1.Event {
	t.Helper()
	stream, err := c.Export(ctxT(t), &ingestionv1.ExportRequest{TeamId: team, AthleteId: athlete, Kind: kind})
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	var out []*eventsv1.Event
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("export recv: %v", err)
		}
		out = append(out, resp.GetEvents()...)
	}
}

// waitStored polls Export until want records of kind are stored (the recorder batches for up
// to a second), then returns them.
func waitStored(t *testing.T, c ingestionv1.IngestionServiceClient, team, athlete string, kind ingestionv1.RecordKind, want int) []*eventsv1.Event {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := exportAll(t, c, team, athlete, kind)
		if len(got) == want {
			return got
		}
		if len(got) > want || time.Now().After(deadline) {
			t.Fatalf("%v stored: %d, want %d", kind, len(got), want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func meta(athlete string, at time.Time) *ingestionv1.RecordMeta {
	return &ingestionv1.RecordMeta{AthleteId: athlete, OccurredAt: timestamppb.New(at), Source: "test"}
}

func f64(v float64) *float64 { return &v }
func u32(v uint32) *uint32   { return &v }

func TestRoundTripEveryKind(t *testing.T) {
	c := newClient(t)
	ctx := ctxT(t)
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

	setResp, err := c.RecordSet(ctx, &ingestionv1.RecordSetRequest{TeamId: "t1", Meta: meta("a1", at), Set: &ingestionv1.SetInput{
		SessionId: "s1", Exercise: "Squat (Barbell)", Load: 225, LoadUnit: commonv1.WeightUnit_WEIGHT_UNIT_LB, Reps: 5,
		Rpe: f64(8), SetIndex: 1, RepVelocitiesMps: []float64{0.5, 0.45, 0.4, 0.38, 0.35},
	}})
	if err != nil {
		t.Fatalf("RecordSet: %v", err)
	}
	if got := setResp.GetResult().GetOutcome(); got != ingestionv1.RecordOutcome_RECORD_OUTCOME_ACCEPTED {
		t.Fatalf("set outcome %v", got)
	}
	if _, err := c.RecordSession(ctx, &ingestionv1.RecordSessionRequest{TeamId: "t1", Meta: meta("a1", at),
		Session: &eventsv1.SessionRecorded{SessionId: "s1", DurationMinutes: 75, SessionRpe: f64(7), Name: "Lower A", Activity: "strength"}}); err != nil {
		t.Fatalf("RecordSession: %v", err)
	}
	if _, err := c.RecordWellness(ctx, &ingestionv1.RecordWellnessRequest{TeamId: "t1", Meta: meta("a1", at),
		Wellness: &eventsv1.WellnessReported{Fatigue: u32(3), Soreness: u32(2), SleepHours: f64(7.5),
			JointPain: []*eventsv1.JointPain{{Location: "left knee", Score: 3}}}}); err != nil {
		t.Fatalf("RecordWellness: %v", err)
	}
	if _, err := c.RecordReadiness(ctx, &ingestionv1.RecordReadinessRequest{TeamId: "t1", Meta: meta("a1", at),
		Readiness: &eventsv1.ReadinessMeasured{HrvRmssdMs: f64(62), CmjHeightCm: f64(41.5), CmjJumpCount: u32(3)}}); err != nil {
		t.Fatalf("RecordReadiness: %v", err)
	}

	sets := waitStored(t, c, "t1", "a1", ingestionv1.RecordKind_RECORD_KIND_SETS, 1)
	s := sets[0].GetSetRecorded()
	// 225 lb = 102.058 kg, stored to 0.01 kg; the category comes from the name.
	if s.GetLoadKg() != 102.06 || s.GetLiftCategory() != commonv1.LiftCategory_LIFT_CATEGORY_SQUAT ||
		s.GetSetType() != commonv1.SetType_SET_TYPE_WORKING || s.GetOriginalUnit() != commonv1.WeightUnit_WEIGHT_UNIT_LB ||
		s.GetRpe() != 8 || len(s.GetRepVelocitiesMps()) != 5 || sets[0].GetId() != setResp.GetResult().GetEventId() ||
		!sets[0].GetOccurredAt().AsTime().Equal(at) {
		t.Errorf("stored set = %v", sets[0])
	}
	sess := waitStored(t, c, "t1", "a1", ingestionv1.RecordKind_RECORD_KIND_SESSIONS, 1)[0].GetSessionRecorded()
	if sess.GetDurationMinutes() != 75 || sess.GetSessionRpe() != 7 || sess.GetName() != "Lower A" {
		t.Errorf("stored session = %v", sess)
	}
	w := waitStored(t, c, "t1", "a1", ingestionv1.RecordKind_RECORD_KIND_WELLNESS, 1)[0].GetWellnessReported()
	if w.GetFatigue() != 3 || w.GetSoreness() != 2 || w.Mood != nil || w.GetSleepHours() != 7.5 ||
		len(w.GetJointPain()) != 1 || w.GetJointPain()[0].GetScore() != 3 {
		t.Errorf("stored wellness = %v", w)
	}
	r := waitStored(t, c, "t1", "a1", ingestionv1.RecordKind_RECORD_KIND_READINESS, 1)[0].GetReadinessMeasured()
	if r.GetHrvRmssdMs() != 62 || r.RestingHrBpm != nil || r.GetCmjJumpCount() != 3 {
		t.Errorf("stored readiness = %v", r)
	}
}

func TestDuplicatesAndReplays(t *testing.T) {
	c := newClient(t)
	ctx := ctxT(t)
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	req := &ingestionv1.RecordSetRequest{TeamId: "t1", Meta: meta("a1", at), Set: &ingestionv1.SetInput{
		SessionId: "s1", Exercise: "Bench Press (Barbell)", Load: 100, Reps: 3, Rir: f64(2)}}
	first, err := c.RecordSet(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.RecordSet(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if second.GetResult().GetOutcome() != ingestionv1.RecordOutcome_RECORD_OUTCOME_DUPLICATE ||
		second.GetResult().GetEventId() != first.GetResult().GetEventId() {
		t.Fatalf("resend: %v after %v, want DUPLICATE with the same id", second.GetResult(), first.GetResult())
	}
	// A client id is used as is; the same id again is a duplicate even with other content.
	clientID := "0190a5f4-3c1e-7cc0-98a1-0b1f1e6b2f01"
	withID := proto.Clone(req).(*ingestionv1.RecordSetRequest)
	withID.Meta.EventId = clientID
	withID.Set.Reps = 4
	for i, want := range []ingestionv1.RecordOutcome{ingestionv1.RecordOutcome_RECORD_OUTCOME_ACCEPTED, ingestionv1.RecordOutcome_RECORD_OUTCOME_DUPLICATE} {
		resp, err := c.RecordSet(ctx, withID)
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetResult().GetOutcome() != want || resp.GetResult().GetEventId() != clientID {
			t.Fatalf("client id send %d: %v, want %v", i, resp.GetResult(), want)
		}
	}
	waitStored(t, c, "t1", "a1", ingestionv1.RecordKind_RECORD_KIND_SETS, 2)

	// A replayed batch after the records are stored: all duplicates, nothing added.
	batch := &ingestionv1.RecordBatchRequest{TeamId: "t1", Records: []*ingestionv1.Record{
		{Meta: req.GetMeta(), Data: &ingestionv1.Record_Set{Set: req.GetSet()}},
		{Meta: withID.GetMeta(), Data: &ingestionv1.Record_Set{Set: withID.GetSet()}},
	}}
	resp, err := c.RecordBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetCounts().GetDuplicates() != 2 || resp.GetCounts().GetAccepted() != 0 {
		t.Fatalf("replayed batch counts %v, want 2 duplicates", resp.GetCounts())
	}
	time.Sleep(1500 * time.Millisecond) // longer than the recorder's batch wait
	if got := exportAll(t, c, "t1", "a1", ingestionv1.RecordKind_RECORD_KIND_SETS); len(got) != 2 {
		t.Fatalf("after replay %d sets stored, want 2", len(got))
	}
}

func TestBadRecordInBatch(t *testing.T) {
	c := newClient(t)
	ctx := ctxT(t)
	at := time.Now().Add(-time.Hour)
	good := func(reps uint32) *ingestionv1.Record {
		return &ingestionv1.Record{Meta: meta("a1", at), Data: &ingestionv1.Record_Set{Set: &ingestionv1.SetInput{
			SessionId: "s1", Exercise: "Deadlift (Barbell)", Load: 180, Reps: reps}}}
	}
	bad := &ingestionv1.Record{Meta: meta("a 1", at.Add(time.Hour*24)), Data: &ingestionv1.Record_Set{Set: &ingestionv1.SetInput{
		SessionId: "s1", Exercise: "Deadlift (Barbell)", Load: 180, Reps: 0, Rpe: f64(8.3)}}}

	// all_or_nothing: nothing stored, valid records NOT_STORED.
	aon, err := c.RecordBatch(ctx, &ingestionv1.RecordBatchRequest{TeamId: "t1", AllOrNothing: true,
		Records: []*ingestionv1.Record{good(5), bad, good(4)}})
	if err != nil {
		t.Fatal(err)
	}
	if aon.GetCommitted() || aon.GetCounts().GetNotStored() != 2 || aon.GetCounts().GetRejected() != 1 {
		t.Fatalf("all_or_nothing response %v", aon)
	}

	resp, err := c.RecordBatch(ctx, &ingestionv1.RecordBatchRequest{TeamId: "t1", Records: []*ingestionv1.Record{good(5), bad, good(4)}})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.GetCommitted() || resp.GetCounts().GetAccepted() != 2 || resp.GetCounts().GetRejected() != 1 {
		t.Fatalf("batch response %v", resp)
	}
	rej := resp.GetResults()[1]
	fields := map[string]bool{}
	for _, v := range rej.GetViolations() {
		fields[v.GetField()] = true
	}
	for _, want := range []string{"records[1].meta.athlete_id", "records[1].meta.occurred_at", "records[1].set.reps", "records[1].set.rpe"} {
		if !fields[want] {
			t.Errorf("violations %v lack %s", rej.GetViolations(), want)
		}
	}
	waitStored(t, c, "t1", "a1", ingestionv1.RecordKind_RECORD_KIND_SETS, 2)

	// A unary call with a bad record is InvalidArgument with BadRequest details.
	_, err = c.RecordSet(ctx, &ingestionv1.RecordSetRequest{TeamId: "t1", Meta: meta("a1", at), Set: &ingestionv1.SetInput{
		SessionId: "s1", Exercise: "Squat", Load: 100, Reps: 5, Rpe: f64(8), Rir: f64(5)}})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("unary bad set: %v, want InvalidArgument", err)
	}
	var found bool
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				found = found || v.GetField() == "set.rir"
			}
		}
	}
	if !found {
		t.Errorf("BadRequest details %v lack set.rir", st.Details())
	}
}

func TestStreamRecords(t *testing.T) {
	c := newClient(t)
	ctx := ctxT(t)
	stream, err := c.StreamRecords(ctx)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-2 * time.Hour)
	for m := 0; m < 3; m++ {
		var recs []*ingestionv1.Record
		for i := 0; i < 4; i++ {
			recs = append(recs, &ingestionv1.Record{Meta: meta("a2", base.Add(time.Duration(m*4+i)*time.Second)),
				Data: &ingestionv1.Record_Set{Set: &ingestionv1.SetInput{SessionId: "s", Exercise: "Row", Load: 60, Reps: 10}}})
		}
		if m == 2 {
			recs[3].GetSet().Load = -1
		}
		if err := stream.Send(&ingestionv1.StreamRecordsRequest{TeamId: "t1", Records: recs}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetCounts().GetReceived() != 12 || resp.GetCounts().GetAccepted() != 11 || len(resp.GetRejected()) != 1 ||
		resp.GetRejected()[0].GetIndex() != 11 {
		t.Fatalf("stream response %v", resp)
	}
	waitStored(t, c, "t1", "a2", ingestionv1.RecordKind_RECORD_KIND_SETS, 11)
}

func importFile(t *testing.T, c ingestionv1.IngestionServiceClient, path, team, athlete string, dryRun bool) *ingestionv1.ImportCSVResponse {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := c.ImportCSV(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&ingestionv1.ImportCSVRequest{TeamId: team, Part: &ingestionv1.ImportCSVRequest_Options{
		Options: &ingestionv1.ImportOptions{AthleteId: athlete, DryRun: dryRun, FileName: filepath.Base(path)}}}); err != nil {
		t.Fatal(err)
	}
	for len(data) > 0 {
		n := min(len(data), 64<<10)
		if err := stream.Send(&ingestionv1.ImportCSVRequest{Part: &ingestionv1.ImportCSVRequest_Chunk{Chunk: data[:n]}}); err != nil {
			t.Fatal(err)
		}
		data = data[n:]
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	if got := resp.GetRowsImported() + resp.GetRowsDuplicate() + resp.GetRowsSkipped() + resp.GetRowsRejected(); got != resp.GetRowsTotal() {
		t.Fatalf("import %s: rows do not add up: %v", path, resp)
	}
	return resp
}

// importFixtures holds the small exports made for the project, one per layout the importer reads.
const importFixtures = "../internal/importer/testdata"

// TestImportDatasetsEndToEnd imports exports over gRPC: a dry run stores nothing, the import
// stores every set, a second import adds nothing, and Export returns exactly the sets. The
// project's fixtures always run; the real exports of the shared data sets (named in dataset)
// run when they are present, and must be when SC_REQUIRE_DATASETS=1.
func TestImportDatasetsEndToEnd(t *testing.T) {
	c := newClient(t)
	cases := []struct {
		dataset  string // "" for a fixture of importFixtures
		file     string
		athlete  string
		kind     ingestionv1.RecordKind
		rows     uint64
		imported uint64
		rejected uint64
	}{
		// 43 data rows: 5 rest timers, a plank and a bike ride skipped, 36 sets.
		{"", "strong.csv", "fx-strong", ingestionv1.RecordKind_RECORD_KIND_SETS, 43, 36, 0},
		// 24 data rows: a plank and a treadmill run skipped, 22 sets.
		{"", "hevy_lbs.csv", "fx-hevy", ingestionv1.RecordKind_RECORD_KIND_SETS, 24, 22, 0},
		// 26 data rows: one run skipped, 25 sets.
		{"", "fitnotes_lbs.csv", "fx-fitnotes", ingestionv1.RecordKind_RECORD_KIND_SETS, 26, 25, 0},
		{"", "pmdata_wellness.csv", "fx-pmdata", ingestionv1.RecordKind_RECORD_KIND_WELLNESS, 28, 28, 0},
		// 12 data rows: one entry without effort or duration skipped, 11 sessions.
		{"", "pmdata_srpe.csv", "fx-pmdata", ingestionv1.RecordKind_RECORD_KIND_SESSIONS, 12, 11, 0},
		// The older `;` Strong layout in lbs (a run skipped) and Hevy's kg variant (a row skipped).
		{"", "strong_semicolon.csv", "fx-strong-lbs", ingestionv1.RecordKind_RECORD_KIND_SETS, 22, 21, 0},
		{"", "hevy_kg.csv", "fx-hevy-kg", ingestionv1.RecordKind_RECORD_KIND_SETS, 10, 9, 0},
		// 7,089 data rows: 1,079 rest timers and 15 timed holds (Deadhangs) skipped, 5,995 sets.
		{datasets.Strong, "strong.csv", "strong", ingestionv1.RecordKind_RECORD_KIND_SETS, 7089, 5995, 0},
		// 9,436 data rows, all with reps (431 bodyweight sets without a weight); line 6213 has
		// 257 reps of back extensions, over the 100-rep limit: rejected with its line.
		{datasets.Hevy, "workout_data.csv", "hevy", ingestionv1.RecordKind_RECORD_KIND_SETS, 9436, 9435, 1},
		{datasets.PMData, "p01/pmsys/wellness.csv", "p01", ingestionv1.RecordKind_RECORD_KIND_WELLNESS, 138, 138, 0},
		{datasets.PMData, "p01/pmsys/srpe.csv", "p01", ingestionv1.RecordKind_RECORD_KIND_SESSIONS, 34, 34, 0},
	}
	// Each file has its own athlete, so the imports run in parallel. FitNotes' real export is
	// checked in the importer's dataset test; here it would only add time under -race.
	for _, tc := range cases {
		name := filepath.Join(cmp.Or(tc.dataset, "fixture"), tc.file)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(importFixtures, tc.file)
			if tc.dataset != "" {
				path = filepath.Join(datasets.Dir(t, tc.dataset), tc.file)
			}
			dry := importFile(t, c, path, "t1", tc.athlete, true)
			if !dry.GetDryRun() || dry.GetRowsTotal() != tc.rows || dry.GetRowsImported() != tc.imported {
				t.Fatalf("%s dry run: total %d imported %d, want %d and %d (%v)", tc.file, dry.GetRowsTotal(), dry.GetRowsImported(),
					tc.rows, tc.imported, dry.GetSkipReasons())
			}
			first := importFile(t, c, path, "t1", tc.athlete, false)
			if tc.rejected > 0 && (len(first.GetIssues()) == 0 || first.GetIssues()[0].GetLine() == 0 || first.GetIssues()[0].GetColumn() == "") {
				t.Errorf("%s: issues %v, want lines and columns", tc.file, first.GetIssues())
			}
			if first.GetRowsImported() != tc.imported || first.GetRowsRejected() != tc.rejected {
				t.Fatalf("%s import: %d imported, %d rejected (%v), want %d", tc.file, first.GetRowsImported(), first.GetRowsRejected(),
					first.GetIssues(), tc.imported)
			}
			stored := waitStored(t, c, "t1", tc.athlete, tc.kind, int(tc.imported))
			again := importFile(t, c, path, "t1", tc.athlete, false)
			if again.GetRowsImported() != 0 || again.GetRowsDuplicate() != tc.imported {
				t.Fatalf("%s re-import: %d imported, %d duplicates, want 0 and %d", tc.file, again.GetRowsImported(), again.GetRowsDuplicate(), tc.imported)
			}
			time.Sleep(1200 * time.Millisecond)
			if n := len(exportAll(t, c, "t1", tc.athlete, tc.kind)); n != len(stored) {
				t.Fatalf("%s: %d stored after re-import, want %d", tc.file, n, len(stored))
			}
		})
	}
}

// A set with an enum value the contract does not define (a device on a newer contract, a typo)
// is refused with the field named, never stored as a number nobody can read or an unknown unit
// read as kg.
func TestUnknownEnumsAreRefused(t *testing.T) {
	c := newClient(t)
	ctx := ctxT(t)
	at := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		name  string
		set   *ingestionv1.SetInput
		field string
	}{
		{"set type", &ingestionv1.SetInput{SessionId: "s1", Exercise: "Squat", Load: 100, Reps: 5, SetType: 99}, "set.set_type"},
		{"load unit", &ingestionv1.SetInput{SessionId: "s1", Exercise: "Squat", Load: 100, Reps: 5, LoadUnit: 77}, "set.load_unit"},
		{"lift category", &ingestionv1.SetInput{SessionId: "s1", Exercise: "Squat", Load: 100, Reps: 5, LiftCategory: 55}, "set.lift_category"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.RecordSet(ctx, &ingestionv1.RecordSetRequest{TeamId: "t1", Meta: meta("enum", at), Set: tc.set})
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument {
				t.Fatalf("%s: %v, want InvalidArgument", tc.name, err)
			}
			var desc string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.GetFieldViolations() {
						if v.GetField() == tc.field {
							desc = v.GetDescription()
						}
					}
				}
			}
			if !strings.Contains(desc, "unknown") || !strings.Contains(desc, "known:") {
				t.Errorf("violation of %s = %q, want it to say the value is unknown and list the known ones (details %v)", tc.field, desc, st.Details())
			}
		})
	}
	// Nothing of the athlete was stored; a good set afterwards is.
	if _, err := c.RecordSet(ctx, &ingestionv1.RecordSetRequest{TeamId: "t1", Meta: meta("enum", at), Set: &ingestionv1.SetInput{
		SessionId: "s1", Exercise: "Squat", Load: 100, Reps: 5, LoadUnit: commonv1.WeightUnit_WEIGHT_UNIT_LB}}); err != nil {
		t.Fatal(err)
	}
	waitStored(t, c, "t1", "enum", ingestionv1.RecordKind_RECORD_KIND_SETS, 1)
}
