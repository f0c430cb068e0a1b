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

	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// datasets is ../shared/datasets relative to the project root.
var datasets = filepath.Join("..", "..", "..", "..", "..", "shared", "datasets")

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

// readLog reads a CSV export into set events: dateCol, exercise, weight (times toKg), reps.
func readLog(t *testing.T, path, dateLayout string, dateCol, exCol, wCol, repsCol int, toKg float64) []*eventsv1.Event {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("%s not present", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []*eventsv1.Event
	for _, row := range rows[1:] {
		at, err := time.Parse(dateLayout, row[dateCol])
		if err != nil {
			continue
		}
		w, err1 := strconv.ParseFloat(row[wCol], 64)
		r, err2 := strconv.ParseFloat(row[repsCol], 64)
		if err1 != nil || err2 != nil || r < 1 || w <= 0 {
			continue // rest timers, cardio, bodyweight
		}
		out = append(out, &eventsv1.Event{Id: events.DeterministicID(path, strconv.Itoa(len(out))), TeamId: "real", AthleteId: "lifter",
			OccurredAt: timestamppb.New(at), Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{
				Exercise: row[exCol], LiftCategory: liftOf(row[exCol]), LoadKg: w * toKg, Reps: uint32(r), SetType: commonv1.SetType_SET_TYPE_WORKING}}})
	}
	return out
}

// period is a run of days with the same abnormal families.
type period struct {
	from, to domain.Day
	what     string
}

// flagged runs the assessor over a log and returns the flagged periods and recommendations.
func flagged(evs []*eventsv1.Event) (periods []period, recs int, lowConfidence bool) {
	st := &domain.State{}
	th := domain.DefaultThresholds()
	for _, ev := range evs {
		out, ok := Step(st, ev, th)
		if !ok {
			continue
		}
		if out.Recommended != nil {
			recs++
		}
		a := out.Result.Assessed
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

func TestRealLogs(t *testing.T) {
	for _, c := range []struct {
		name string
		evs  func(t *testing.T) []*eventsv1.Event
	}{
		{"strong", func(t *testing.T) []*eventsv1.Event {
			return readLog(t, filepath.Join(datasets, "strong-k2rth1k", "strong.csv"), "2006-01-02 15:04:05", 0, 3, 5, 6, 1)
		}},
		{"fitnotes", func(t *testing.T) []*eventsv1.Event {
			return readLog(t, filepath.Join(datasets, "fitnotes-wmgriffi3", "FitNotes_Export.csv"), "2006-01-02", 0, 1, 3, 4, 0.45359237)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			evs := c.evs(t)
			if len(evs) < 1000 {
				t.Fatalf("only %d sets read", len(evs))
			}
			periods, recs, low := flagged(evs)
			t.Logf("%d sets, %d flagged periods, %d recommendations", len(evs), len(periods), recs)
			for _, p := range periods {
				if p.to-p.from >= 6 {
					t.Logf("  %s..%s  %s", p.from, p.to, p.what)
				}
			}
			// Strength-only logs without RPE: every e1RM is an Epley estimate, and with one
			// source of evidence the two-family rule cannot fire.
			if !low {
				t.Error("e1RM not marked lower confidence for a log without RPE")
			}
			if recs != 0 {
				t.Errorf("%d recommendations from strength data alone", recs)
			}
			if len(periods) == 0 {
				t.Error("no period flagged in years of training")
			}
		})
	}
}

var _ = proto.Bool
