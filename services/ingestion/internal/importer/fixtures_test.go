package importer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

// The files in testdata/ are small exports written for this project in each layout the importer
// reads (they copy no real lifter's log), so every parser is exercised on a clone of the
// repository alone; the real exports in the shared data sets (TestDatasets) add volume.

// fixture parses one file of testdata/.
func fixture(t *testing.T, name string) *Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Parse(data, opts())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// rowAt returns the row that starts on a line of the file.
func rowAt(t *testing.T, res *Result, line uint64) Row {
	t.Helper()
	for _, r := range res.Rows {
		if r.Line == line {
			return r
		}
	}
	t.Fatalf("no row on line %d", line)
	return Row{}
}

// TestFixturesAccountForEveryRow checks each fixture's detected layout and what became of each
// row, counted by hand from the files: every set is a record, and only the rows the apps write
// for rest timers, timed holds and cardio are skipped, each with its reason and line.
func TestFixturesAccountForEveryRow(t *testing.T) {
	for _, c := range []struct {
		file     string
		format   Format
		want     map[string]int
		sessions int
		skipped  map[uint64]string
	}{
		{"strong.csv", FormatStrong, map[string]int{"record": 36, SkipRestTimer: 5, SkipNoReps: 1, SkipCardioOnly: 1}, 5,
			map[uint64]string{6: SkipRestTimer, 11: SkipNoReps, 29: SkipCardioOnly}},
		{"strong_semicolon.csv", FormatStrong, map[string]int{"record": 21, SkipCardioOnly: 1}, 0,
			map[uint64]string{23: SkipCardioOnly}},
		{"hevy_lbs.csv", FormatHevy, map[string]int{"record": 22, SkipNoReps: 1, SkipCardioOnly: 1}, 3,
			map[uint64]string{17: SkipNoReps, 18: SkipCardioOnly}},
		{"hevy_kg.csv", FormatHevy, map[string]int{"record": 9, SkipCardioOnly: 1}, 2,
			map[uint64]string{7: SkipCardioOnly}},
		{"fitnotes_lbs.csv", FormatFitNotes, map[string]int{"record": 25, SkipCardioOnly: 1}, 0,
			map[uint64]string{23: SkipCardioOnly}},
		{"fitnotes_kgs.csv", FormatFitNotes, map[string]int{"record": 10, SkipCardioOnly: 1}, 0,
			map[uint64]string{12: SkipCardioOnly}},
		{"pmdata_wellness.csv", FormatPMData, map[string]int{"record": 28}, 0, nil},
		{"pmdata_srpe.csv", FormatPMData, map[string]int{"record": 11, SkipNoSession: 1}, 0,
			map[uint64]string{10: SkipNoSession}},
		{"template.csv", FormatTemplate, map[string]int{"record": 33}, 0, nil},
	} {
		t.Run(c.file, func(t *testing.T) {
			res := fixture(t, c.file)
			if res.Format != c.format {
				t.Errorf("format %q, want %q", res.Format, c.format)
			}
			if got := tally(res); !mapsEqual(got, c.want) {
				t.Errorf("row outcomes %v, want %v", got, c.want)
			}
			if len(res.Extra) != c.sessions {
				t.Errorf("%d workout sessions, want %d", len(res.Extra), c.sessions)
			}
			for line, reason := range c.skipped {
				if r := rowAt(t, res, line); r.Skip != reason {
					t.Errorf("line %d: %+v, want skipped as %s", line, r, reason)
				}
			}
			// Parsing the same file again gives the same keys, which is what makes a re-import
			// add nothing; no two rows share one.
			again := fixture(t, c.file)
			seen := map[string]uint64{}
			for i, r := range res.Rows {
				if r.Record == nil || r.Record.Key == nil {
					continue
				}
				k := strings.Join(r.Record.Key, "|")
				if prev, dup := seen[k]; dup {
					t.Errorf("lines %d and %d share the key %q", prev, r.Line, k)
				}
				seen[k] = r.Line
				if !slices.Equal(r.Record.Key, again.Rows[i].Record.Key) {
					t.Errorf("line %d: key %v, then %v on a second parse", r.Line, r.Record.Key, again.Rows[i].Record.Key)
				}
			}
		})
	}
}

// TestFixtureValues checks values read from the fixtures against the files, converted by hand:
// units, set types and indexes, RPE and RIR, times, bar speeds and the wellness scales.
func TestFixtureValues(t *testing.T) {
	setOn := func(t *testing.T, res *Result, line uint64) *eventsv1.SetRecorded {
		t.Helper()
		r := rowAt(t, res, line)
		if r.Record == nil || r.Record.Event.GetSetRecorded() == nil {
			t.Fatalf("line %d: %+v, want a set", line, r)
		}
		return r.Record.Event.GetSetRecorded()
	}
	t.Run("strong", func(t *testing.T) {
		res := fixture(t, "strong.csv")
		if s := setOn(t, res, 2); s.GetSetType() != commonv1.SetType_SET_TYPE_WARM_UP || s.GetLoadKg() != 60 || s.GetNotes() != "Felt tight" {
			t.Errorf("line 2: %v", s)
		}
		s := setOn(t, res, 3)
		if s.GetLoadKg() != 100 || s.GetReps() != 5 || s.GetRpe() != 7 || s.GetSetIndex() != 1 ||
			s.GetLiftCategory() != commonv1.LiftCategory_LIFT_CATEGORY_SQUAT {
			t.Errorf("line 3: %v", s)
		}
		if at := rowAt(t, res, 3).Record.Event.GetOccurredAt().AsTime(); !at.Equal(time.Date(2026, 3, 2, 18, 5, 12, 0, time.UTC)) {
			t.Errorf("line 3 at %v", at)
		}
		if s := setOn(t, res, 16); s.GetSetType() != commonv1.SetType_SET_TYPE_DROP || s.GetRpe() != 0 {
			t.Errorf("line 16 (D): %v", s)
		}
		if s := setOn(t, res, 21); s.GetSetType() != commonv1.SetType_SET_TYPE_FAILURE || s.GetLoadKg() != 0 {
			t.Errorf("line 21 (F): %v", s)
		}
		if m := res.Extra[0].Event.GetSessionRecorded(); m.GetDurationMinutes() != 72 || m.GetName() != "Lower A" {
			t.Errorf("first session: %v", m)
		}
		if m := res.Extra[2].Event.GetSessionRecorded(); m.GetDurationMinutes() != 65 {
			t.Errorf("third session (1h 5m): %v", m)
		}
	})
	t.Run("strong semicolon in lbs", func(t *testing.T) {
		res := fixture(t, "strong_semicolon.csv")
		// 185 lb x 0.45359237 = 83.9146 kg.
		if s := setOn(t, res, 3); s.GetLoadKg() != 83.91 || s.GetOriginalUnit() != commonv1.WeightUnit_WEIGHT_UNIT_LB || s.GetRpe() != 7 {
			t.Errorf("line 3: %v", s)
		}
		if s := setOn(t, res, 8); s.GetLoadKg() != 0 || s.GetReps() != 12 {
			t.Errorf("line 8 (dip without weight): %v", s)
		}
	})
	t.Run("hevy in lbs", func(t *testing.T) {
		res := fixture(t, "hevy_lbs.csv")
		// 205 lb = 92.986 kg; set_index 1 is the second set.
		if s := setOn(t, res, 3); s.GetLoadKg() != 92.99 || s.GetRpe() != 7.5 || s.GetSetIndex() != 2 ||
			s.GetSetType() != commonv1.SetType_SET_TYPE_WORKING {
			t.Errorf("line 3: %v", s)
		}
		if s := setOn(t, res, 6); s.GetSetType() != commonv1.SetType_SET_TYPE_DROP {
			t.Errorf("line 6 (dropset): %v", s)
		}
		if s := setOn(t, res, 10); s.GetSetType() != commonv1.SetType_SET_TYPE_FAILURE {
			t.Errorf("line 10 (failure): %v", s)
		}
		if s := setOn(t, res, 11); s.GetNotes() != "Belt from the third set" || s.GetSetType() != commonv1.SetType_SET_TYPE_WARM_UP {
			t.Errorf("line 11: %v", s)
		}
		if m := res.Extra[0].Event.GetSessionRecorded(); m.GetDurationMinutes() != 72 || m.GetNotes() != "Deload next week?" {
			t.Errorf("first session: %v", m)
		}
	})
	t.Run("hevy in kg", func(t *testing.T) {
		res := fixture(t, "hevy_kg.csv")
		if s := setOn(t, res, 9); s.GetLoadKg() != 165 || s.GetRpe() != 9 || s.GetOriginalUnit() != commonv1.WeightUnit_WEIGHT_UNIT_KG ||
			s.GetLiftCategory() != commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT {
			t.Errorf("line 9: %v", s)
		}
		if m := res.Extra[1].Event.GetSessionRecorded(); m.GetDurationMinutes() != 50 {
			t.Errorf("second session: %v", m)
		}
	})
	t.Run("fitnotes", func(t *testing.T) {
		res := fixture(t, "fitnotes_lbs.csv")
		// 155 lb = 70.3068 kg; FitNotes has no time of day, so the day starts at midnight.
		if s := setOn(t, res, 2); s.GetLoadKg() != 70.31 || s.GetSetIndex() != 1 || s.GetRpe() != 0 {
			t.Errorf("line 2: %v", s)
		}
		if at := rowAt(t, res, 2).Record.Event.GetOccurredAt().AsTime(); !at.Equal(time.Date(2018, 9, 3, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("line 2 at %v", at)
		}
		if s := setOn(t, res, 4); s.GetSetIndex() != 3 || s.GetReps() != 4 {
			t.Errorf("line 4: %v", s)
		}
		kgs := fixture(t, "fitnotes_kgs.csv")
		if s := setOn(t, kgs, 4); s.GetLoadKg() != 100 || s.GetNotes() != "Last rep slow" {
			t.Errorf("kgs line 4: %v", s)
		}
		if s := setOn(t, kgs, 7); s.GetLoadKg() != 102.5 {
			t.Errorf("kgs line 7: %v", s)
		}
	})
	t.Run("pmdata", func(t *testing.T) {
		res := fixture(t, "pmdata_wellness.csv")
		w := rowAt(t, res, 2).Record.Event.GetWellnessReported()
		if w.GetFatigue() != 3 || w.GetMood() != 3 || w.GetReadiness() != 6 || w.GetSleepHours() != 7 || len(w.GetSorenessAreas()) != 0 {
			t.Errorf("line 2: %v", w)
		}
		// A 0 is pmsys's "not answered": stored as missing, never as the worst score.
		if w := rowAt(t, res, 25).Record.Event.GetWellnessReported(); w.SleepHours != nil || w.GetFatigue() != 3 {
			t.Errorf("line 25 (0 h of sleep): %v", w)
		}
		if w := rowAt(t, res, 26).Record.Event.GetWellnessReported(); w.Fatigue != nil || w.GetMood() != 3 {
			t.Errorf("line 26 (fatigue 0): %v", w)
		}
		if w := rowAt(t, res, 19).Record.Event.GetWellnessReported(); len(w.GetSorenessAreas()) != 2 || w.GetSoreness() != 1 {
			t.Errorf("line 19: %v", w)
		}
		srpe := fixture(t, "pmdata_srpe.csv")
		ev := rowAt(t, srpe, 2).Record.Event
		// Timed by its end: 18:41:10.305 minus 90 minutes.
		if s := ev.GetSessionRecorded(); s.GetSessionRpe() != 6 || s.GetDurationMinutes() != 90 || s.GetActivity() != "soccer" ||
			!ev.GetOccurredAt().AsTime().Equal(time.Date(2020, 2, 3, 17, 11, 10, 305e6, time.UTC)) {
			t.Errorf("line 2: %v at %v", s, ev.GetOccurredAt().AsTime())
		}
	})
	t.Run("template", func(t *testing.T) {
		res := fixture(t, "template.csv")
		kinds := map[string]int{}
		for _, r := range res.Rows {
			switch r.Record.Event.GetPayload().(type) {
			case *eventsv1.Event_SetRecorded:
				kinds["set"]++
			case *eventsv1.Event_SessionRecorded:
				kinds["session"]++
			case *eventsv1.Event_WellnessReported:
				kinds["wellness"]++
			case *eventsv1.Event_ReadinessMeasured:
				kinds["readiness"]++
			}
		}
		if want := map[string]int{"set": 20, "session": 4, "wellness": 5, "readiness": 4}; !mapsEqual(kinds, want) {
			t.Errorf("kinds %v, want %v", kinds, want)
		}
		// The first working set of each day carries the VBT device's per-rep mean velocities.
		if s := setOn(t, res, 6); !slices.Equal(s.GetRepVelocitiesMps(), []float64{0.62, 0.60, 0.57, 0.53, 0.48}) || s.GetRpe() != 7.5 {
			t.Errorf("line 6: %v", s)
		}
		// 385 lb = 174.633 kg, effort as RIR, category given by the file.
		if s := setOn(t, res, 9); s.GetLoadKg() != 174.63 || s.GetRir() != 2 || s.Rpe != nil ||
			s.GetLiftCategory() != commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT {
			t.Errorf("line 9: %v", s)
		}
		if r := rowAt(t, res, 26).Record.Event.GetReadinessMeasured(); r.GetHrvRmssdMs() != 55.4 || r.GetCmjHeightCm() != 38.1 || r.GetCmjJumpCount() != 3 {
			t.Errorf("line 26: %v", r)
		}
		w := rowAt(t, res, 27).Record.Event.GetWellnessReported()
		if len(w.GetJointPain()) != 1 || w.GetJointPain()[0].GetLocation() != "left knee" || w.GetJointPain()[0].GetScore() != 3 ||
			!slices.Equal(w.GetSorenessAreas(), []string{"quads", "lower back"}) {
			t.Errorf("line 27: %v", w)
		}
		last := rowAt(t, res, 34).Record.Event
		if last.GetAthleteId() != "a2" || last.GetWellnessReported().Mood != nil ||
			!last.GetOccurredAt().AsTime().Equal(time.Date(2026, 4, 13, 5, 0, 0, 0, time.UTC)) {
			t.Errorf("line 34: %v", last)
		}
	})
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
