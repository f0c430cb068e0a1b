package importer

import (
	"os"
	"path/filepath"
	"testing"
)

// The fuzz targets check what must hold for any input: Parse never panics, and when it accepts
// a file every row ends exactly one way (record, skip reason, or problem) with a line after the
// header, and every record belongs to the import's team and athlete. `go test` runs the seed
// corpus (the fixtures in testdata/ plus hand-written edge cases); `make fuzz` or
// `go test -fuzz=FuzzStrong -fuzztime=30s ./internal/importer/` explores further.

func fuzzParser(f *testing.F, format Format, fixtures []string, seeds ...string) {
	for _, name := range fixtures {
		// A few dozen rows each: enough variety, small enough to mutate.
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, forced := range []Format{format, FormatAuto} {
			res, err := Parse(data, Options{Team: "t1", Athlete: "a1", Format: forced})
			if err != nil {
				continue
			}
			for _, r := range res.Rows {
				ways := 0
				if r.Record != nil {
					ways++
				}
				if r.Skip != "" {
					ways++
				}
				if r.Problem != "" {
					ways++
				}
				if ways != 1 {
					t.Fatalf("line %d ends %d ways: %+v", r.Line, ways, r)
				}
				if r.Line < 2 {
					t.Fatalf("data row on line %d", r.Line)
				}
				if r.Record != nil {
					ev := r.Record.Event
					if ev.GetTeamId() != "t1" || ev.GetPayload() == nil || ev.GetOccurredAt() == nil {
						t.Fatalf("line %d: incomplete record %v", r.Line, ev)
					}
				}
			}
		}
	})
}

func FuzzStrong(f *testing.F) {
	fuzzParser(f, FormatStrong, []string{"strong.csv", "strong_semicolon.csv"},
		"Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;Reps;RPE;Distance;Distance Unit;Seconds;Notes;Workout Notes\n2019-05-01 18:00:00;Push;Bench;1;135;lbs;5;8;;;;;\n",
		"Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n2023-12-11 20:51:46,\"A\",1h 2m,\"Squat\",Rest Timer,0,0.0,0,90.0,,,\n2023-12-11 20:51:46,\"A\",x,\"Squat\",W,1e400,5.5,,,\"\n",
	)
}

func FuzzHevy(f *testing.F) {
	fuzzParser(f, FormatHevy, []string{"hevy_lbs.csv", "hevy_kg.csv"},
		"\"title\",\"start_time\",\"end_time\",\"exercise_title\",\"set_index\",\"set_type\",\"weight_kg\",\"reps\",\"rpe\"\n\"L\",\"2 Mar 2025, 18:00\",\"1 Mar 2025, 18:00\",\"Squat\",0,\"failure\",-5,3,11\n",
	)
}

func FuzzFitNotes(f *testing.F) {
	fuzzParser(f, FormatFitNotes, []string{"fitnotes_lbs.csv", "fitnotes_kgs.csv"},
		"Date,Exercise,Category,Weight (kgs),Reps,Distance,Distance Unit,Time\n2020-02-30,Squat,Legs,100,5,,,\n,,,,,,,\n",
	)
}

func FuzzPMData(f *testing.F) {
	fuzzParser(f, FormatPMData, []string{"pmdata_wellness.csv", "pmdata_srpe.csv"},
		"end_date_time,activity_names,perceived_exertion,duration_min\n2019-11-05T22:51:54.710Z, {},,\n2019-11-05T22:51:54.710Z,\"['team'\",-1,1e9\n",
	)
}

func FuzzTemplate(f *testing.F) {
	fuzzParser(f, FormatTemplate, []string{"template.csv"},
		"kind,occurred_at,session_id,exercise,load,unit,reps,rpe,rir,joint_pain,rep_velocities_mps\nset,2026-01-05T10:00:00Z,s1,Squat,100,lb,5,8,2,,0.5|0.4\nwellness,2026-01-05,,,,,,,,knee:x,\n",
	)
}
