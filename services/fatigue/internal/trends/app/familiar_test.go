package app_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/adapters"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/domain"
	"github.com/supercomp/supercomp/services/fatigue/internal/trends/trendstest"
)

// genSet is one generated set; rpe 0 means unrated.
type genSet struct {
	id, athlete, exercise, lift string
	day                         time.Time
	working                     bool
	load                        float64
	reps                        uint32
	rpe                         float64
}

// familiarHistory generates ~10 weeks of sets for three athletes with loads straddling the
// +-2.5% tolerance (100 vs 102.5 in, 97.5 vs 100 in, 105 vs 102 in, 105 vs 100 out), even and odd
// baseline counts, warm-ups, unrated sets, one exercise logged under two lift categories on the
// same day (one exposure split across cells) and replayed event ids.
func familiarHistory() []genSet {
	r := rand.New(rand.NewPCG(7, 11))
	start := day("2025-12-01")
	loads := []float64{97.5, 100, 102, 102.5, 105}
	var out []genSet
	n := 0
	for _, a := range []string{"a", "b", "c"} {
		for d := 0; d < 70; d++ {
			if r.IntN(3) == 0 {
				continue
			}
			for _, ex := range []string{"Back Squat", "Bench Press"} {
				lift := map[string]string{"Back Squat": "squat", "Bench Press": "bench_press"}[ex]
				reps := uint32(3 + 2*r.IntN(2))
				load := loads[r.IntN(len(loads))]
				for s := range 1 + r.IntN(3) {
					rpe := 6 + 0.5*float64(r.IntN(9))
					if r.IntN(8) == 0 {
						rpe = 0
					}
					l := lift
					if a == "c" && s == 1 {
						l = "other" // same exercise, another lift category: still one exposure
					}
					n++
					out = append(out, genSet{fmt.Sprintf("g%d", n), a, ex, l, start.AddDate(0, 0, d), r.IntN(6) != 0, load, reps, rpe})
				}
			}
		}
	}
	return out
}

// TestSetSummaryMatchesDomain checks the SQL familiar-load deviations (baselines by arraySort
// and index) and the per-athlete buckets against the domain's Go reference on both backends.
func TestSetSummaryMatchesDomain(t *testing.T) {
	sets := familiarHistory()
	from, to := day("2026-01-05"), day("2026-02-08")
	f := adapters.Filter{Team: "t1", From: from, To: to, Bucket: domain.Week}

	// Reference: rated working sets (load > 0) per athlete, exercise, reps, load and day.
	type ekey struct {
		athlete, exercise string
		reps              uint32
		load              float64
		day               time.Time
	}
	type acc struct {
		sum float64
		n   uint64
	}
	exp := map[ekey]*acc{}
	type bkey struct {
		athlete, lift string
		bucket        time.Time
	}
	wantBuckets := map[bkey]*adapters.SetBucket{}
	for _, s := range sets {
		if s.day.After(to) || s.day.Before(from.AddDate(0, 0, -domain.FamiliarWindowDays)) {
			continue
		}
		if s.working && s.rpe > 0 && s.load > 0 {
			k := ekey{s.athlete, s.exercise, s.reps, s.load, s.day}
			if exp[k] == nil {
				exp[k] = &acc{}
			}
			exp[k].sum += s.rpe
			exp[k].n++
		}
		if s.day.Before(from) {
			continue
		}
		k := bkey{s.athlete, s.lift, domain.Monday(s.day)}
		b := wantBuckets[k]
		if b == nil {
			b = &adapters.SetBucket{}
			wantBuckets[k] = b
		}
		b.Rows++
		if s.working {
			b.Working++
			b.VolumeKg += s.load * float64(s.reps)
			if s.rpe > 0 && 10-s.rpe <= 3 {
				b.HardSets++
			}
		}
	}
	var exps []domain.RatedExposure
	for k, a := range exp {
		exps = append(exps, domain.RatedExposure{Athlete: k.athlete, Exercise: k.exercise, Reps: k.reps, LoadKg: k.load, Day: k.day,
			MeanRPE: a.sum / float64(a.n), Sets: a.n})
	}
	type fkey struct {
		athlete string
		bucket  time.Time
	}
	wantFam := map[fkey]*adapters.FamiliarBucket{}
	for _, d := range domain.FamiliarLoadDeviations(exps, domain.FamiliarWindowDays, domain.FamiliarLoadTolerance) {
		if d.Day.Before(from) {
			continue
		}
		k := fkey{d.Athlete, domain.Monday(d.Day)}
		fb := wantFam[k]
		if fb == nil {
			fb = &adapters.FamiliarBucket{}
			wantFam[k] = fb
		}
		fb.DeltaSum += d.Delta
		fb.Exposures++
		fb.Sets += d.Sets
	}
	if len(wantFam) < 10 {
		t.Fatalf("the generated history has only %d familiar buckets; it tests nothing", len(wantFam))
	}

	trendstest.Backends(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		var rows [][]any
		for i, s := range sets {
			rows = append(rows, set(s.id, s.athlete, s.day.Format(time.DateOnly), s.exercise, s.lift, s.working, s.load, s.reps, s.rpe, 0))
			if i%17 == 0 { // a replayed event: must count once
				rows = append(rows, set(s.id, s.athlete, s.day.Format(time.DateOnly), s.exercise, s.lift, s.working, s.load, s.reps, s.rpe, 0))
			}
		}
		must(t, st.InsertBatch(ctx, "training_sets", setCols, rows))
		got, err := adapters.Repo{Store: st}.SetSummary(ctx, f, true)
		must(t, err)
		if len(got.Familiar) != len(wantFam) {
			t.Errorf("familiar buckets = %d, want %d", len(got.Familiar), len(wantFam))
		}
		for _, fb := range got.Familiar {
			w := wantFam[fkey{fb.Athlete, domain.Date(fb.Bucket)}]
			if w == nil {
				t.Errorf("unexpected familiar bucket %s %s", fb.Athlete, fb.Bucket.Format(time.DateOnly))
				continue
			}
			if fb.Exposures != w.Exposures || fb.Sets != w.Sets || math.Abs(fb.DeltaSum-w.DeltaSum) > 1e-9 {
				t.Errorf("%s %s: got %+v, want %+v", fb.Athlete, fb.Bucket.Format(time.DateOnly), fb, *w)
			}
		}
		if len(got.Buckets) != len(wantBuckets) {
			t.Errorf("set buckets = %d, want %d", len(got.Buckets), len(wantBuckets))
		}
		for _, sb := range got.Buckets {
			w := wantBuckets[bkey{sb.Athlete, sb.Lift, domain.Date(sb.Bucket)}]
			if w == nil {
				t.Errorf("unexpected set bucket %s %s %s", sb.Athlete, sb.Lift, sb.Bucket.Format(time.DateOnly))
				continue
			}
			if sb.Rows != w.Rows || sb.Working != w.Working || sb.HardSets != w.HardSets || math.Abs(sb.VolumeKg-w.VolumeKg) > 1e-6 {
				t.Errorf("%s %s %s: got %+v, want %+v", sb.Athlete, sb.Lift, sb.Bucket.Format(time.DateOnly), sb, *w)
			}
		}
	})
}
