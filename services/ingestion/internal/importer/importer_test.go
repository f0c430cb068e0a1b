package importer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/datasets"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

func opts() Options { return Options{Team: "t1", Athlete: "a1"} }

// tally counts rows by outcome: "record", a skip reason, or "rejected".
func tally(res *Result) map[string]int {
	out := map[string]int{}
	for _, r := range res.Rows {
		switch {
		case r.Rejected():
			out["rejected"]++
		case r.Record != nil:
			out["record"]++
		default:
			out[r.Skip]++
		}
	}
	return out
}

// TestDatasets parses the real exports of the shared data sets (strong-k2rth1k, hevy-nathann275,
// fitnotes-wmgriffi3, pmdata-pmsys) and checks every row is accounted for. Counts were checked
// by hand (and with Python's csv).
func TestDatasets(t *testing.T) {
	tests := []struct {
		dataset, file string
		format        Format
		want          map[string]int
		extra         int
	}{
		{datasets.Strong, "strong.csv", FormatStrong, map[string]int{"record": 5995, SkipRestTimer: 1079, SkipNoReps: 15}, 364},
		{datasets.Hevy, "workout_data.csv", FormatHevy, map[string]int{"record": 9436}, 590},
		{datasets.FitNotes, "FitNotes_Export.csv", FormatFitNotes, map[string]int{"record": 11281, SkipCardioOnly: 211, SkipNoReps: 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.dataset, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(datasets.Dir(t, tt.dataset), tt.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Parse(data, opts())
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != tt.format {
				t.Errorf("format %q, want %q", res.Format, tt.format)
			}
			got := tally(res)
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s rows = %d, want %d (all: %v)", k, got[k], v, got)
				}
			}
			if len(got) != len(tt.want) {
				t.Errorf("row outcomes %v, want exactly %v", got, tt.want)
			}
			if len(res.Extra) != tt.extra {
				t.Errorf("%d sessions, want %d", len(res.Extra), tt.extra)
			}
			keys := map[string]int{}
			for _, r := range res.Rows {
				if r.Record != nil {
					k := strings.Join(r.Record.Key, "|")
					if prev, dup := keys[k]; dup {
						t.Fatalf("lines %d and %d share key %q", prev, r.Line, k)
					}
					keys[k] = int(r.Line)
				}
			}
		})
	}

	// PMData: every participant's wellness and sRPE file.
	files, _ := filepath.Glob(filepath.Join(datasets.Dir(t, datasets.PMData), "*", "pmsys", "*.csv"))
	var wellness, sessions, noData int
	for _, f := range files {
		if filepath.Base(f) == "injury.csv" {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Parse(data, opts())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range res.Rows {
			switch {
			case r.Rejected():
				t.Errorf("%s line %d rejected: %s", f, r.Line, r.Problem)
			case r.Record != nil && r.Record.Event.GetWellnessReported() != nil:
				wellness++
			case r.Record != nil:
				sessions++
			default:
				noData++
			}
		}
	}
	if wellness != 1747 || sessions != 772 || noData != 11 {
		t.Errorf("pmdata: %d wellness, %d sessions, %d without data; want 1747, 772, 11", wellness, sessions, noData)
	}
}

func TestPMDataValues(t *testing.T) {
	data := "effective_time_frame,fatigue,mood,readiness,sleep_duration_h,sleep_quality,soreness,soreness_area,stress\n" +
		"2019-11-01T08:31:40.751Z,2,0,5,7.5,3,2,\"[12921003, 48]\",3\n"
	res, err := Parse([]byte(data), opts())
	if err != nil {
		t.Fatal(err)
	}
	w := res.Rows[0].Record.Event.GetWellnessReported()
	if w.GetFatigue() != 2 || w.Mood != nil || w.GetReadiness() != 5 || w.GetSleepHours() != 7.5 || len(w.GetSorenessAreas()) != 2 {
		t.Errorf("wellness %v", w)
	}
	srpe := "end_date_time,activity_names,perceived_exertion,duration_min\n2019-11-05T22:51:54.710Z,\"['team', 'soccer']\",7,60\n"
	res, err = Parse([]byte(srpe), opts())
	if err != nil {
		t.Fatal(err)
	}
	ev := res.Rows[0].Record.Event
	s := ev.GetSessionRecorded()
	if s.GetSessionRpe() != 7 || s.GetDurationMinutes() != 60 || s.GetActivity() != "soccer" ||
		!ev.GetOccurredAt().AsTime().Equal(time.Date(2019, 11, 5, 21, 51, 54, 710e6, time.UTC)) {
		t.Errorf("session %v at %v", s, ev.GetOccurredAt().AsTime())
	}
}

func TestStrongSemicolonFormat(t *testing.T) {
	data := "Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;Reps;RPE;Distance;Distance Unit;Seconds;Notes;Workout Notes\n" +
		"2019-05-01 18:00:00;Push;Bench Press (Barbell);1;135;lbs;5;8;;;;;\n" +
		"2019-05-01 18:00:00;Push;Bench Press (Barbell);2;62,5;kg;5;8.5;;;;;\n" +
		"2019-05-01 18:00:00;Push;Bench Press (Barbell);W;20;kg;10;;;;;;\n" +
		"2019-05-01 18:00:00;Push;Running;1;;;0;;3.2;km;1200;;\n" +
		"2019-05-01 18:00:00;Push;Bench Press (Barbell);3;heavy;kg;5;;;;;;\n"
	res, err := Parse([]byte(data), Options{Team: "t1", Athlete: "a1", Location: time.FixedZone("CET", 3600)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatStrong || len(res.Rows) != 5 {
		t.Fatalf("format %q rows %d", res.Format, len(res.Rows))
	}
	s0 := res.Rows[0].Record.Event.GetSetRecorded()
	if s0.GetLoadKg() != 61.23 || s0.GetOriginalUnit() != commonv1.WeightUnit_WEIGHT_UNIT_LB || s0.GetRpe() != 8 ||
		s0.GetLiftCategory() != commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS {
		t.Errorf("row 1: %v", s0)
	}
	if at := res.Rows[0].Record.Event.GetOccurredAt().AsTime(); !at.Equal(time.Date(2019, 5, 1, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("time zone not applied: %v", at)
	}
	if got := res.Rows[1].Record.Event.GetSetRecorded().GetLoadKg(); got != 62.5 {
		t.Errorf("decimal comma: %v", got)
	}
	if got := res.Rows[2].Record.Event.GetSetRecorded().GetSetType(); got != commonv1.SetType_SET_TYPE_WARM_UP {
		t.Errorf("W set: %v", got)
	}
	if res.Rows[3].Skip != SkipCardioOnly {
		t.Errorf("running row: %+v", res.Rows[3])
	}
	if r := res.Rows[4]; !r.Rejected() || r.Line != 6 || r.Column != "Weight" {
		t.Errorf("bad weight row: %+v", r)
	}
}

func TestHevyKgVariant(t *testing.T) {
	data := `"title","start_time","end_time","description","exercise_title","superset_id","exercise_notes","set_index","set_type","weight_kg","reps","distance_km","duration_seconds","rpe"
"Legs","2 Mar 2025, 18:00","2 Mar 2025, 19:10","","Squat (Barbell)",,"",0,"warmup",60,5,,,
"Legs","2 Mar 2025, 18:00","2 Mar 2025, 19:10","","Squat (Barbell)",,"",1,"normal",140,5,,,8.5
"Legs","2 Mar 2025, 18:00","2 Mar 2025, 19:10","","Squat (Barbell)",,"",2,"dropset",100,8,,,
"Legs","2 Mar 2025, 18:00","2 Mar 2025, 19:10","","Plank",,"",0,"normal",,,,60,
"Legs","2 Mar 2025, 18:00","2 Mar 2025, 19:10","","Squat (Barbell)",,"",3,"superset",100,8,,,
`
	res, err := Parse([]byte(data), opts())
	if err != nil {
		t.Fatal(err)
	}
	types := []commonv1.SetType{commonv1.SetType_SET_TYPE_WARM_UP, commonv1.SetType_SET_TYPE_WORKING, commonv1.SetType_SET_TYPE_DROP}
	for i, want := range types {
		s := res.Rows[i].Record.Event.GetSetRecorded()
		if s.GetSetType() != want || s.GetSetIndex() != uint32(i+1) || s.GetOriginalUnit() != commonv1.WeightUnit_WEIGHT_UNIT_KG {
			t.Errorf("row %d: %v", i, s)
		}
	}
	if res.Rows[3].Skip != SkipNoReps {
		t.Errorf("plank: %+v", res.Rows[3])
	}
	if r := res.Rows[4]; r.Column != "set_type" || r.Line != 6 {
		t.Errorf("unknown set type: %+v", r)
	}
	if len(res.Extra) != 1 || res.Extra[0].Event.GetSessionRecorded().GetDurationMinutes() != 70 {
		t.Errorf("session: %v", res.Extra)
	}
}

func TestTemplate(t *testing.T) {
	data := "kind,occurred_at,session_id,exercise,load,unit,reps,rpe,rir,set_type,rep_velocities_mps,duration_minutes,session_rpe,fatigue,joint_pain,hrv_rmssd_ms,cmj_height_cm,cmj_jump_count\n" +
		"set,2026-01-05T10:00:00Z,s1,Back Squat,100,kg,5,8,,working,0.61|0.58|0.55|0.5|0.44,,,,,,,\n" +
		"session,2026-01-05 09:30,s1,,,,,,,,,70,7,,,,,\n" +
		"wellness,2026-01-05 07:00,,,,,,,,,,,,3,left knee:3|lower back:1,,,\n" +
		"readiness,2026-01-05,,,,,,,,,,,,,,65,40.2,3\n" +
		"meal,2026-01-05,,,,,,,,,,,,,,,,\n" +
		"set,yesterday,s1,Back Squat,100,kg,5,,,,,,,,,,,\n"
	res, err := Parse([]byte(data), opts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Format != FormatTemplate {
		t.Fatalf("format %q", res.Format)
	}
	if s := res.Rows[0].Record.Event.GetSetRecorded(); len(s.GetRepVelocitiesMps()) != 5 || s.GetLiftCategory() != commonv1.LiftCategory_LIFT_CATEGORY_SQUAT {
		t.Errorf("set %v", s)
	}
	if s := res.Rows[1].Record.Event.GetSessionRecorded(); s.GetSessionRpe() != 7 || s.GetDurationMinutes() != 70 {
		t.Errorf("session %v", s)
	}
	if w := res.Rows[2].Record.Event.GetWellnessReported(); len(w.GetJointPain()) != 2 || w.GetJointPain()[0].GetScore() != 3 {
		t.Errorf("wellness %v", w)
	}
	if r := res.Rows[3].Record.Event.GetReadinessMeasured(); r.GetCmjJumpCount() != 3 || r.GetHrvRmssdMs() != 65 {
		t.Errorf("readiness %v", r)
	}
	if r := res.Rows[4]; r.Column != "kind" || r.Line != 6 {
		t.Errorf("unknown kind: %+v", r)
	}
	if r := res.Rows[5]; r.Column != "occurred_at" || r.Line != 7 {
		t.Errorf("bad time: %+v", r)
	}
}

func TestUnknownHeader(t *testing.T) {
	if _, err := Parse([]byte("a,b,c\n1,2,3\n"), opts()); err == nil {
		t.Fatal("want an error for an unknown header")
	}
	if _, err := Parse(nil, Options{Format: FormatStrong}); err == nil {
		t.Fatal("want an error for an empty file")
	}
}

// A file named as one format but holding another, or no CSV at all, is refused as a whole with
// what it is, instead of failing every row with a reason that misleads ("occurred_at: not a
// date/time").
func TestWrongFormatIsNamed(t *testing.T) {
	for _, c := range []struct {
		name   string
		format Format
		data   string
		want   string
	}{
		{"random bytes as the template", FormatTemplate, "\x89PNG\r\n\x1a\n\x00\x00garbage\nmore", "this is not a Supercomp template file"},
		{"a Hevy export named Strong", FormatStrong, "\"title\",\"start_time\",\"end_time\",\"description\",\"exercise_title\",\"superset_id\",\"exercise_notes\",\"set_index\",\"set_type\",\"weight_kg\",\"reps\"\n",
			"it looks like a Hevy export file"},
		{"a wrong header as the template", FormatTemplate, "when,what,how much\n2026-01-01,squat,100\n", `its header is "when,what,how much"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.data), Options{Team: "t1", Athlete: "a1", Format: c.format})
			if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want ErrUnknownFormat saying %q", err, c.want)
			}
		})
	}
}
