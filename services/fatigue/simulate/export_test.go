package simulate_test

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// The importer that reads these files lives in the ingestion module's internal tree, which this
// module cannot import (and must not depend on: services meet only on the bus). So these tests
// pin the text against a real Strong export's shape, and the platform's e2e test
// (services/platform/internal/e2e/import_test.go) sends the files through `sc import strong`.

// TestWriteStrongCSVText checks the exact text of a small hand-made log: header, date format,
// quoting, the empty notes Strong writes, set order letters, decimals and the missing RPE.
func TestWriteStrongCSVText(t *testing.T) {
	at := func(hm string) *timestamppb.Timestamp {
		ts, err := time.Parse("2006-01-02 15:04:05", "2026-02-03 "+hm)
		if err != nil {
			t.Fatal(err)
		}
		return timestamppb.New(ts)
	}
	set := func(ts *timestamppb.Timestamp, session, exercise string, typ commonv1.SetType, idx uint32, kg float64, reps uint32, rpe *float64) *eventsv1.Event {
		return &eventsv1.Event{TeamId: "t", AthleteId: "a01", OccurredAt: ts, Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{
			SessionId: session, Exercise: exercise, SetType: typ, SetIndex: idx, LoadKg: kg, Reps: reps, Rpe: rpe}}}
	}
	working := commonv1.SetType_SET_TYPE_WORKING
	team := simulate.Team{Events: []*eventsv1.Event{
		set(at("17:00:00"), "s1", "Squat (Barbell)", commonv1.SetType_SET_TYPE_WARM_UP, 1, 60, 5, nil),
		set(at("17:03:00"), "s1", "Squat (Barbell)", working, 1, 102.5, 5, proto.Float64(7.5)),
		{TeamId: "t", AthleteId: "a01", OccurredAt: at("17:04:00"), Payload: &eventsv1.Event_WellnessReported{WellnessReported: &eventsv1.WellnessReported{}}},
		set(at("17:06:00"), "s1", "Bench Press (Barbell)", working, 1, 61.25, 5, proto.Float64(8)),
		set(at("17:09:00"), "s1", "Squat (Barbell)", working, 2, 102.5, 4, nil),
		set(at("17:10:00"), "other", "Squat (Barbell)", working, 1, 200, 1, nil), // another athlete's
		set(at("08:30:00"), "s2", `Curl "EZ"`, working, 1, 30, 12, proto.Float64(9)),
	}}
	team.Events[5].AthleteId = "a02"
	var buf bytes.Buffer
	if err := simulate.WriteStrongCSV(&buf, team, "a01"); err != nil {
		t.Fatal(err)
	}
	// Copied from a real export's header (Strong 6, comma layout).
	want := `Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE
2026-02-03 17:00:00,"Evening Workout",12m,"Squat (Barbell)",W,60.0,5.0,0,0.0,"","",
2026-02-03 17:00:00,"Evening Workout",12m,"Squat (Barbell)",1,102.5,5.0,0,0.0,,,7.5
2026-02-03 17:00:00,"Evening Workout",12m,"Squat (Barbell)",2,102.5,4.0,0,0.0,,,
2026-02-03 17:00:00,"Evening Workout",12m,"Bench Press (Barbell)",1,61.25,5.0,0,0.0,"",,8.0
2026-02-03 08:30:00,"Morning Workout",3m,"Curl ""EZ""",1,30.0,12.0,0,0.0,"","",9.0
`
	if got := buf.String(); got != want {
		t.Errorf("export:\n%s\nwant:\n%s", got, want)
	}

	if err := simulate.WriteStrongCSV(&buf, team, "nobody"); err == nil {
		t.Error("an athlete without sets exported without an error")
	}
}

// TestWriteStrongCSVRoundTrip reads a generated athlete's export back with a plain CSV reader
// and finds every simulated set in it, once, in its own workout, with its load, reps and RPE.
func TestWriteStrongCSVRoundTrip(t *testing.T) {
	team := simulate.Generate(simulate.Config{Team: "rt", Athletes: 2, Overreachers: 1, Weeks: 12, Seed: 3,
		Shape: simulate.ShapeSetsRPE, SessionsPerWeek: 3})
	for _, truth := range team.Truth {
		var buf bytes.Buffer
		if err := simulate.WriteStrongCSV(&buf, team, truth.AthleteID); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		rows, err := r.ReadAll()
		if err != nil {
			t.Fatalf("%s: the export is not valid CSV: %v", truth.AthleteID, err)
		}
		if got := strings.Join(rows[0], ","); got != simulate.StrongHeader {
			t.Fatalf("header %q", got)
		}
		rows = rows[1:]

		type key struct{ date, exercise, order string }
		exported := map[key][]string{}
		dates := map[string]bool{}
		for _, row := range rows {
			k := key{row[0], row[3], row[4]}
			if exported[k] != nil {
				t.Errorf("%s: two rows for %v", truth.AthleteID, k)
			}
			exported[k] = row
			dates[row[0]] = true
		}
		sessions := map[string]string{} // simulated session -> workout date
		sets := 0
		for _, ev := range team.Events {
			s := ev.GetSetRecorded()
			if ev.GetAthleteId() != truth.AthleteID || s == nil {
				continue
			}
			sets++
			date, seen := sessions[s.GetSessionId()]
			if !seen {
				date = ev.GetOccurredAt().AsTime().UTC().Format(simulate.StrongDateLayout)
				sessions[s.GetSessionId()] = date
			}
			row := exported[key{date, s.GetExercise(), strconv.Itoa(int(s.GetSetIndex()))}]
			if row == nil {
				t.Errorf("%s: set %s %s #%d not in the export", truth.AthleteID, date, s.GetExercise(), s.GetSetIndex())
				continue
			}
			if kg, _ := strconv.ParseFloat(row[5], 64); kg != s.GetLoadKg() {
				t.Errorf("%s: weight %s, want %v", truth.AthleteID, row[5], s.GetLoadKg())
			}
			if reps, _ := strconv.ParseFloat(row[6], 64); reps != float64(s.GetReps()) {
				t.Errorf("%s: reps %s, want %d", truth.AthleteID, row[6], s.GetReps())
			}
			switch rpe, err := strconv.ParseFloat(row[11], 64); {
			case s.Rpe == nil && row[11] != "":
				t.Errorf("%s: RPE %q for a set logged without one", truth.AthleteID, row[11])
			case s.Rpe != nil && (err != nil || rpe != s.GetRpe()):
				t.Errorf("%s: RPE %q, want %v", truth.AthleteID, row[11], s.GetRpe())
			}
		}
		if len(rows) != sets || len(dates) != len(sessions) {
			t.Errorf("%s: %d rows in %d workouts, want %d sets in %d sessions", truth.AthleteID, len(rows), len(dates), sets, len(sessions))
		}
	}
}
