package domain

import (
	"math"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestQuantile(t *testing.T) {
	tests := []struct {
		xs   []float64
		q    float64
		want float64
		ok   bool
	}{
		{nil, 0.5, 0, false},
		{[]float64{7}, 0.9, 7, true},
		{[]float64{4, 1, 3, 2}, 0.5, 2.5, true},       // between 2 and 3
		{[]float64{1, 2, 3, 4, 5}, 0.25, 2, true},     // rank 1 of 0..4
		{[]float64{10, 20, 30, 40}, 0.1, 13, true},    // 0.3 of the way from 10 to 20
		{[]float64{10, 20, 30, 40}, 0.75, 32.5, true}, // 2.25 -> 30 + 0.25*10
	}
	for _, tt := range tests {
		got, ok := Quantile(tt.xs, tt.q)
		if ok != tt.ok || !near(got, tt.want) {
			t.Errorf("Quantile(%v, %v) = %v, %v; want %v, %v", tt.xs, tt.q, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBuckets(t *testing.T) {
	// 2026-11-27 is a Friday; its Monday is 2026-11-23.
	if got := Monday(day("2026-11-27")); !got.Equal(day("2026-11-23")) {
		t.Fatalf("Monday = %s", got)
	}
	if got := Monday(day("2026-11-23")); !got.Equal(day("2026-11-23")) {
		t.Fatalf("Monday of a Monday = %s", got)
	}
	if got := Monday(day("2026-11-29")); !got.Equal(day("2026-11-23")) {
		t.Fatalf("Monday of a Sunday = %s", got)
	}
	weeks := Buckets(day("2026-11-04"), day("2026-11-27"), Week)
	want := []string{"2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"}
	if len(weeks) != len(want) {
		t.Fatalf("weeks = %v", weeks)
	}
	for i := range want {
		if !weeks[i].Equal(day(want[i])) {
			t.Errorf("week %d = %s, want %s", i, weeks[i], want[i])
		}
	}
	if days := Buckets(day("2026-11-27"), day("2026-11-29"), Day); len(days) != 3 {
		t.Errorf("days = %v", days)
	}
	r, err := ResolveRange(nil, nil, 12, day("2026-11-27"))
	if err != nil || !r.From.Equal(day("2026-09-07")) || !r.To.Equal(day("2026-11-27")) {
		t.Errorf("12 weeks to Friday 2026-11-27 = %v, %v; want 2026-09-07..2026-11-27", r, err)
	}
	from, to := day("2026-02-01"), day("2026-01-01")
	if _, err := ResolveRange(&from, &to, 0, day("2026-11-27")); err == nil {
		t.Error("start after end accepted")
	}
	if _, err := ResolveRange(nil, nil, 500, day("2026-11-27")); err == nil {
		t.Error("500 weeks accepted")
	}
}

func TestACWR(t *testing.T) {
	start := day("2026-01-01")
	constant := map[time.Time]float64{}
	for i := 0; i < 60; i++ {
		constant[start.AddDate(0, 0, i)] = 100
	}
	// Equal loads every day: both bias-corrected EWMAs equal the load, ratio 1.
	if got, ok := ACWRAt(constant, start, start, start.AddDate(0, 0, 40)); !ok || !near(got, 1) {
		t.Errorf("constant load ACWR = %v, %v; want 1", got, ok)
	}
	// Hidden before 28 days of history.
	if _, ok := ACWRAt(constant, start, start, start.AddDate(0, 0, 26)); ok {
		t.Error("ACWR shown on day 27")
	}
	// A spike: 28 days at 100 then 7 days at 400. Hand computation: after 28 days of 100 both
	// corrected EWMAs are 100; raw acute = 100*(1-0.75^28), raw chronic = 100*(1-(27/29)^28).
	spike := map[time.Time]float64{}
	for i := 0; i < 35; i++ {
		load := 100.0
		if i >= 28 {
			load = 400
		}
		spike[start.AddDate(0, 0, i)] = load
	}
	la, lc := 0.25, 2.0/29
	var a, c float64
	for i := 0; i < 35; i++ {
		l := spike[start.AddDate(0, 0, i)]
		a = la*l + (1-la)*a
		c = lc*l + (1-lc)*c
	}
	want := (a / (1 - math.Pow(0.75, 35))) / (c / (1 - math.Pow(1-lc, 35)))
	got, ok := ACWRAt(spike, start, start, start.AddDate(0, 0, 34))
	if !ok || !near(got, want) || got < 1.5 {
		t.Errorf("spike ACWR = %v, %v; want %v (>= 1.5)", got, ok, want)
	}
}

func TestFamiliarLoadDeviations(t *testing.T) {
	ex := func(athlete string, d string, load, rpe float64) RatedExposure {
		return RatedExposure{Athlete: athlete, Exercise: "Back Squat", Reps: 5, LoadKg: load, Day: day(d), MeanRPE: rpe, Sets: 3}
	}
	in := []RatedExposure{
		ex("a", "2026-01-01", 100, 7),
		ex("a", "2026-01-08", 101, 8),   // within 2.5% of 100: baseline 7 -> +1
		ex("a", "2026-01-15", 100, 9),   // baseline median(7, 8) = 7.5 -> +1.5
		ex("a", "2026-01-15", 110, 9),   // 110 is 10% heavier: not familiar
		ex("a", "2026-03-01", 100, 7.5), // earlier exposures are older than 28 days: no baseline
		{Athlete: "a", Exercise: "Back Squat", Reps: 3, LoadKg: 100, Day: day("2026-01-20"), MeanRPE: 9, Sets: 1}, // other reps
		ex("b", "2026-01-08", 100, 6), // another athlete's history does not count
	}
	got := FamiliarLoadDeviations(in, FamiliarWindowDays, FamiliarLoadTolerance)
	if len(got) != 2 {
		t.Fatalf("deviations = %+v; want 2", got)
	}
	if !got[0].Day.Equal(day("2026-01-08")) || !near(got[0].Delta, 1) || !near(got[1].Delta, 1.5) {
		t.Errorf("deviations = %+v; want +1 on 01-08 and +1.5 on 01-15", got)
	}
}

// The window's edges: an exposure exactly windowDays before counts, one a day older does not,
// and the walk back over a long history stops at the window start without skipping anything.
func TestFamiliarLoadWindowEdges(t *testing.T) {
	ex := func(d string, rpe float64) RatedExposure {
		return RatedExposure{Athlete: "c", Exercise: "Bench Press", Reps: 5, LoadKg: 80, Day: day(d), MeanRPE: rpe, Sets: 2}
	}
	in := []RatedExposure{
		ex("2026-01-31", 9), // window 01-03..01-30: baselines 8 (01-03) and 6 (01-20) -> median 7 -> +2
		ex("2026-01-02", 9), // 29 days before 01-31: its own baseline only (7) -> +2
		ex("2026-01-03", 8), // exactly 28 days before 01-31: counts; baseline median(7, 9) = 8 -> 0
		ex("2026-01-01", 7),
		ex("2026-01-20", 6), // baseline median(7, 9, 8) = 8 -> -2
	}
	got := FamiliarLoadDeviations(in, FamiliarWindowDays, FamiliarLoadTolerance)
	want := map[string]float64{"2026-01-02": 2, "2026-01-03": 0, "2026-01-20": -2, "2026-01-31": 2}
	if len(got) != len(want) {
		t.Fatalf("deviations = %+v; want %v", got, want)
	}
	for _, d := range got {
		if w, ok := want[d.Day.Format(time.DateOnly)]; !ok || !near(d.Delta, w) {
			t.Errorf("%s: delta %v, want %v", d.Day.Format(time.DateOnly), d.Delta, w)
		}
	}
}

func TestE1RMChanges(t *testing.T) {
	w1, w2, w3 := day("2026-01-05"), day("2026-01-12"), day("2026-01-19")
	got := E1RMChanges([]BestE1RM{
		{Athlete: "a", Lift: "squat", Bucket: w2, Kg: 110},
		{Athlete: "a", Lift: "squat", Bucket: w1, Kg: 100},
		{Athlete: "b", Lift: "squat", Bucket: w2, Kg: 200}, // b starts in week 2
		{Athlete: "b", Lift: "squat", Bucket: w3, Kg: 190},
		{Athlete: "c", Lift: "squat", Bucket: w1, Kg: 0}, // no estimate: ignored
	})
	want := map[string]float64{"a" + w1.String(): 0, "a" + w2.String(): 10, "b" + w2.String(): 0, "b" + w3.String(): -5}
	if len(got) != len(want) {
		t.Fatalf("changes = %+v", got)
	}
	for _, c := range got {
		if w, ok := want[c.Athlete+c.Bucket.String()]; !ok || !near(c.Pct, w) {
			t.Errorf("%s %s = %v, want %v", c.Athlete, c.Bucket, c.Pct, w)
		}
	}
}

func TestRules(t *testing.T) {
	r := DefaultRules()
	wk := day("2026-01-26")
	weekly := func(vals ...float64) []WeekValue {
		out := make([]WeekValue, len(vals))
		for i, v := range vals {
			out[i] = WeekValue{Week: wk.AddDate(0, 0, 7*(i-len(vals)+1)), Value: v, OK: true}
		}
		return out
	}
	tests := []struct {
		name string
		w    SquadWeek
		want [3]bool
	}{
		{"3 of 10 flagged is 30%", SquadWeek{Week: wk, Squad: make([]string, 10), Flagged: []string{"a", "b", "c"}}, [3]bool{true, false, false}},
		{"2 of 10 flagged", SquadWeek{Week: wk, Squad: make([]string, 10), Flagged: []string{"a", "b"}}, [3]bool{}},
		{"1 of 2 is too small a squad", SquadWeek{Week: wk, Squad: make([]string, 2), Flagged: []string{"a"}}, [3]bool{}},
		{"rpe rising 3 weeks", SquadWeek{Week: wk, RPE: weekly(0, 0.1, 0.3, 0.6)}, [3]bool{false, true, false}},
		{"rpe rising 2 of 3 weeks", SquadWeek{Week: wk, RPE: weekly(0, 0.4, 0.3, 0.6)}, [3]bool{}},
		{"rpe rising but below baseline", SquadWeek{Week: wk, RPE: weekly(-1, -0.8, -0.5, -0.2)}, [3]bool{}},
		{"acwr spike with falling wellness", SquadWeek{Week: wk, ACWR: WeekValue{Value: 1.6, OK: true},
			Wellness: WeekValue{Value: 3.2, OK: true}, PrevWellness: WeekValue{Value: 3.5, OK: true}}, [3]bool{false, false, true}},
		{"acwr spike, wellness steady", SquadWeek{Week: wk, ACWR: WeekValue{Value: 1.6, OK: true},
			Wellness: WeekValue{Value: 3.45, OK: true}, PrevWellness: WeekValue{Value: 3.5, OK: true}}, [3]bool{}},
		{"acwr 1.4 with falling wellness", SquadWeek{Week: wk, ACWR: WeekValue{Value: 1.4, OK: true},
			Wellness: WeekValue{Value: 3, OK: true}, PrevWellness: WeekValue{Value: 3.5, OK: true}}, [3]bool{}},
	}
	for _, tt := range tests {
		got := r.Evaluate(tt.w)
		for i, f := range got {
			if f.Holds != tt.want[i] {
				t.Errorf("%s: rule %s holds = %v, want %v (%s)", tt.name, f.Rule, f.Holds, tt.want[i], f.Summary)
			}
		}
	}
	f := r.Evaluate(SquadWeek{Week: wk, Squad: make([]string, 10), Flagged: []string{"c", "a", "b"}})[0]
	if f.Rule != RuleFlaggedShare || len(f.Athletes) != 3 || f.Athletes[0] != "a" ||
		f.Evidence[0].Value == nil || !near(*f.Evidence[0].Value, 0.3) || !f.Evidence[0].Abnormal {
		t.Errorf("flagged finding = %+v", f)
	}
}

func TestStep(t *testing.T) {
	w1, w2, w3, w4 := day("2026-01-05"), day("2026-01-12"), day("2026-01-19"), day("2026-01-26")
	// Opens when the current week holds.
	ep, opened, ended := Step(nil, false, true, w1.AddDate(0, 0, -7), w1)
	if !opened || ended || !ep.Open || !ep.Start.Equal(w1) {
		t.Fatalf("open: %+v %v %v", ep, opened, ended)
	}
	// Holding again the same week: nothing new.
	ep, opened, ended = Step(&ep, false, true, w1.AddDate(0, 0, -7), w1)
	if opened || ended {
		t.Fatal("second verdict in the same week published again")
	}
	// Mid-week flip in week 1: stays open.
	ep, opened, ended = Step(&ep, false, false, w1.AddDate(0, 0, -7), w1)
	if opened || ended || !ep.Open {
		t.Fatalf("mid-week flip ended the episode: %+v", ep)
	}
	// Week 2, week 1 (complete) held: stays open, last held week 1.
	ep, _, ended = Step(&ep, true, false, w1, w2)
	if ended || !ep.LastHeld.Equal(w1) {
		t.Fatalf("week 2: %+v", ep)
	}
	// Week 3: week 2 complete and not held, week 3 not held: ends, first week not held = w2.
	ep, opened, ended = Step(&ep, false, false, w2, w3)
	if !ended || opened || ep.Open || !ep.Ended.Equal(w2) {
		t.Fatalf("end: %+v %v", ep, ended)
	}
	// The same start week never reopens; a later week opens a new episode.
	if _, opened, _ := Step(&ep, false, true, w1.AddDate(0, 0, -7), w1); opened {
		t.Error("ended episode reopened for its own start week")
	}
	ep2, opened, _ := Step(&ep, false, true, w3, w4)
	if !opened || !ep2.Start.Equal(w4) {
		t.Errorf("new episode: %+v %v", ep2, opened)
	}
}

// One pass over many days must give exactly what a pass per day gives (ACWRAt is the one-day
// case), including days before the history or the window start, with a gap and rest days.
func TestACWRsAtMatchesACWRAt(t *testing.T) {
	start := day("2026-01-01")
	first := day("2026-01-10")
	daily := map[time.Time]float64{}
	for i := 9; i < 120; i++ {
		if i%7 != 3 && (i < 50 || i > 60) { // a weekly rest day and an 11-day gap
			daily[start.AddDate(0, 0, i)] = float64(300 + 37*(i%5))
		}
	}
	var days []time.Time
	for i := 0; i < 130; i += 6 {
		days = append(days, start.AddDate(0, 0, i))
	}
	vals, oks := ACWRsAt(daily, start, first, days)
	some := false
	for i, d := range days {
		want, wantOK := ACWRAt(daily, start, first, d)
		if oks[i] != wantOK || vals[i] != want {
			t.Errorf("%s: got %v %v, ACWRAt %v %v", d.Format(time.DateOnly), vals[i], oks[i], want, wantOK)
		}
		some = some || wantOK
	}
	if !some || oks[0] {
		t.Errorf("want values only once 28 days of history exist: %v", oks)
	}
	if _, oks := ACWRsAt(daily, start, time.Time{}, days); oks[len(oks)-1] {
		t.Error("no history start: no ACWR")
	}
}

// One run handed to FamiliarRunDeviations gives what FamiliarLoadDeviations gives for it, and
// appends to what is already there.
func TestFamiliarRunDeviations(t *testing.T) {
	ex := func(d string, load, rpe float64) RatedExposure {
		return RatedExposure{Athlete: "a", Exercise: "Deadlift", Reps: 3, LoadKg: load, Day: day(d), MeanRPE: rpe, Sets: 1}
	}
	run := []RatedExposure{ex("2026-02-01", 150, 7), ex("2026-02-05", 152, 8), ex("2026-02-09", 150, 8.5), ex("2026-02-09", 170, 9)}
	prior := []RPEDeviation{{Athlete: "z", Delta: 42}}
	got := FamiliarRunDeviations(run, FamiliarWindowDays, FamiliarLoadTolerance, prior)
	// 02-05: baseline 7 -> +1; 02-09 at 150: median(7, 8) = 7.5 -> +1; 170 is not familiar.
	if len(got) != 3 || got[0].Delta != 42 || !near(got[1].Delta, 1) || !near(got[2].Delta, 1) {
		t.Fatalf("deviations = %+v", got)
	}
	all := FamiliarLoadDeviations(run, FamiliarWindowDays, FamiliarLoadTolerance)
	if len(all) != 2 || all[0] != got[1] || all[1] != got[2] {
		t.Errorf("FamiliarLoadDeviations = %+v, run = %+v", all, got[1:])
	}
}
