package app

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/datasets"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// liftOf is a minimal exercise-name mapping for the real logs (ingestion owns the real one).
func liftOf(name string) commonv1.LiftCategory {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "romanian"), strings.Contains(n, "smith"):
		return commonv1.LiftCategory_LIFT_CATEGORY_OTHER
	case strings.Contains(n, "squat") && !strings.Contains(n, "split"):
		return commonv1.LiftCategory_LIFT_CATEGORY_SQUAT
	case strings.Contains(n, "bench press") && !strings.Contains(n, "dumbbell") && !strings.Contains(n, "incline"):
		return commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS
	case strings.Contains(n, "deadlift"):
		return commonv1.LiftCategory_LIFT_CATEGORY_DEADLIFT
	case strings.Contains(n, "overhead press"), strings.Contains(n, "military press"):
		return commonv1.LiftCategory_LIFT_CATEGORY_OVERHEAD_PRESS
	}
	return commonv1.LiftCategory_LIFT_CATEGORY_OTHER
}

// logColumns says where a CSV export keeps what the assessor reads; rpe and setType are -1
// when the export has no such column.
type logColumns struct {
	dateLayout                             string
	date, exercise, weight, reps, rpe, set int
	toKg                                   float64
}

// readLog reads a CSV export into set events.
func readLog(t *testing.T, path string, c logColumns) []*eventsv1.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("real log %s: %v", path, err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []*eventsv1.Event
	for _, row := range rows[1:] {
		at, err := time.Parse(c.dateLayout, row[c.date])
		if err != nil {
			continue
		}
		w, err1 := strconv.ParseFloat(row[c.weight], 64)
		r, err2 := strconv.ParseFloat(row[c.reps], 64)
		if err1 != nil || err2 != nil || r < 1 || w <= 0 {
			continue // rest timers, cardio, bodyweight
		}
		set := &eventsv1.SetRecorded{Exercise: row[c.exercise], LiftCategory: liftOf(row[c.exercise]), LoadKg: w * c.toKg, Reps: uint32(r),
			SetType: commonv1.SetType_SET_TYPE_WORKING}
		if c.set >= 0 {
			switch row[c.set] {
			case "warmup":
				set.SetType = commonv1.SetType_SET_TYPE_WARM_UP
			case "failure":
				set.SetType = commonv1.SetType_SET_TYPE_FAILURE
			case "dropset":
				set.SetType = commonv1.SetType_SET_TYPE_DROP
			}
		}
		if c.rpe >= 0 {
			if v, err := strconv.ParseFloat(row[c.rpe], 64); err == nil && v > 0 {
				set.Rpe = proto.Float64(v)
			}
		}
		out = append(out, &eventsv1.Event{Id: events.DeterministicID(path, strconv.Itoa(len(out))), TeamId: "real", AthleteId: "lifter",
			OccurredAt: timestamppb.New(at), Payload: &eventsv1.Event_SetRecorded{SetRecorded: set}})
	}
	return out
}

// period is a run of days with the same abnormal families.
type period struct {
	from, to domain.Day
	what     string
}

// recommendation is one recommendation the assessor made on a real log.
type recommendation struct {
	day     domain.Day
	summary string
}

// flagged runs the assessor over a log and returns the flagged periods and recommendations.
func flagged(evs []*eventsv1.Event) (periods []period, recs []recommendation, lowConfidence bool) {
	st := &domain.State{}
	th := domain.DefaultThresholds()
	for _, ev := range evs {
		out, ok := Step(st, ev, th)
		if !ok {
			continue
		}
		a := out.Result.Assessed
		if out.Recommended != nil {
			recs = append(recs, recommendation{domain.DayFromDate(a.GetAsOf()), out.Recommended.GetDeloadRecommended().GetSummary()})
		}
		for _, l := range a.GetLifts() {
			lowConfidence = lowConfidence || l.GetLowConfidence()
		}
		if len(a.GetAbnormalFamilies()) == 0 {
			continue
		}
		d := domain.DayFromDate(a.GetAsOf())
		what := Headline(a)
		if n := len(periods); n > 0 && periods[n-1].what == what && d-periods[n-1].to <= 7 {
			periods[n-1].to = d
			continue
		}
		periods = append(periods, period{d, d, what})
	}
	return periods, recs, lowConfidence
}

// weeklyBest is, per main lift and Monday, the heaviest Epley estimate of a working set of at
// most 10 reps: a plain reading of the log, independent of the assessor's windows.
func weeklyBest(evs []*eventsv1.Event) map[commonv1.LiftCategory]map[domain.Day]float64 {
	out := map[commonv1.LiftCategory]map[domain.Day]float64{}
	for _, ev := range evs {
		s := ev.GetSetRecorded()
		if s.GetLiftCategory() == commonv1.LiftCategory_LIFT_CATEGORY_OTHER || s.GetSetType() != commonv1.SetType_SET_TYPE_WORKING || s.GetReps() > 10 {
			continue
		}
		d := domain.DayOf(ev.GetOccurredAt().AsTime())
		monday := d - (d+3)%7 // 1970-01-01 was a Thursday
		if out[s.GetLiftCategory()] == nil {
			out[s.GetLiftCategory()] = map[domain.Day]float64{}
		}
		out[s.GetLiftCategory()][monday] = max(out[s.GetLiftCategory()][monday], domain.Epley(s.GetLoadKg(), int(s.GetReps())))
	}
	return out
}

// progressing reports whether the log shows the main lifts progressing into day d: the mean
// over the lifts trained in both of the best weekly estimate of the 3 weeks before d, against
// the best of the 4 weeks before those, is up by the progress the assessor asks of a lift
// (StagnationMinGainPct), or the log cannot tell.
func progressing(best map[commonv1.LiftCategory]map[domain.Day]float64, d domain.Day) (bool, float64) {
	var changes []float64
	for _, weeks := range best {
		var recent, before float64
		for monday, v := range weeks {
			switch {
			case monday > d-21 && monday <= d:
				recent = max(recent, v)
			case monday > d-49 && monday <= d-21:
				before = max(before, v)
			}
		}
		if recent > 0 && before > 0 {
			changes = append(changes, 100*(recent/before-1))
		}
	}
	if len(changes) == 0 {
		return true, 0
	}
	m, _ := domain.MeanSD(changes, false)
	return m >= domain.DefaultThresholds().Strength.StagnationMinGainPct, m
}

// TestRealLogs runs the assessor over the real app exports of the shared data sets and lists what
// it recommends and when. None of these logs carries RPE usable at scale, so only the sustained
// decline and missed reps can recommend, at lower confidence; and no recommendation may come while the log
// itself shows the main lifts progressing (best weekly estimate of the last 3 weeks at or above
// the 4 weeks before, read straight from the sets).
func TestRealLogs(t *testing.T) {
	for _, c := range []struct {
		name, dataset, file string
		cols                logColumns
	}{
		{"strong", datasets.Strong, "strong.csv",
			logColumns{dateLayout: "2006-01-02 15:04:05", date: 0, exercise: 3, weight: 5, reps: 6, rpe: 11, set: -1, toKg: 1}},
		{"hevy", datasets.Hevy, "workout_data.csv",
			logColumns{dateLayout: "02 Jan 2006, 15:04", date: 1, exercise: 4, weight: 9, reps: 10, rpe: 13, set: 8, toKg: 0.45359237}},
		{"fitnotes", datasets.FitNotes, "FitNotes_Export.csv",
			logColumns{dateLayout: "2006-01-02", date: 0, exercise: 1, weight: 3, reps: 4, rpe: -1, set: -1, toKg: 0.45359237}},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs := readLog(t, filepath.Join(datasets.Dir(t, c.dataset), c.file), c.cols)
			if len(evs) < 1000 {
				t.Fatalf("only %d sets read", len(evs))
			}
			periods, recs, low := flagged(evs)
			t.Logf("%d sets, %d flagged periods, %d recommendations", len(evs), len(periods), len(recs))
			for _, p := range periods {
				if p.to-p.from >= 6 {
					t.Logf("  %s..%s  %s", p.from, p.to, p.what)
				}
			}
			best := weeklyBest(evs)
			for _, r := range recs {
				up, chg := progressing(best, r.day)
				t.Logf("  recommended %s (log: main lifts %+.1f%% vs the 4 weeks before): %s", r.day, chg, r.summary)
				if up {
					t.Errorf("recommendation on %s while the log shows the main lifts progressing (%+.1f%%)", r.day, chg)
				}
				if !strings.Contains(r.summary, "Lower confidence: without RPE") {
					t.Errorf("recommendation on %s does not say why its confidence is lower: %s", r.day, r.summary)
				}
				if !strings.Contains(r.summary, domain.RuleSustainedDecline) && !strings.Contains(r.summary, domain.RuleMissedReps) {
					t.Errorf("recommendation on %s from %q, want only the rules of logs without RPE (sustained decline, missed reps)", r.day, r.summary)
				}
			}
			if !low {
				t.Error("e1RM not marked lower confidence for a log without RPE")
			}
			if len(periods) == 0 {
				t.Error("no period flagged in years of training")
			}
		})
	}
}
