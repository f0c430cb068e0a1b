package domain

import (
	"os"
	"reflect"
	"slices"
	"testing"
	"time"
)

// testdata/state-v1.bin is a snapshot written by the version 1 codec (commit 3ce4b3b), as the
// service saved it: simulate.Generate's athlete a01 (team t1, 12 weeks, seed 7, overreaching
// from day 45) run through app.Step up to 2026-03-11, with a deload scheduled for the week of
// 2026-01-19 and completed on 2026-01-25, and a recommendation open since 2026-02-25. Snapshots
// like it are in the KV buckets of running deployments: they must keep decoding.
func TestDecodesVersion1Snapshot(t *testing.T) {
	v1, err := os.ReadFile("testdata/state-v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := st.UnmarshalBinary(v1); err != nil {
		t.Fatalf("decode a version 1 snapshot: %v", err)
	}
	day := func(s string) Day {
		tm, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return DayOf(tm)
	}
	wantEpisode := Episode{Open: true, CooldownUntil: day("2026-03-18"), LastRecommendationDay: day("2026-02-25"), LastDeloadWeek: day("2026-01-19")}
	if st.Episode != wantEpisode {
		t.Errorf("episode %+v, want %+v", st.Episode, wantEpisode)
	}
	wantPublished := Published{EventID: "b4b77b9e-67a1-596f-892f-942b29eb9d3d", Valid: true, Status: StatusDeloadRecommended,
		ScoreBand: 8, Mask: 42, Day: day("2026-03-11")}
	if st.Published != wantPublished {
		t.Errorf("published %+v, want %+v", st.Published, wantPublished)
	}
	if st.FirstDay != day("2026-01-06") || st.LastDay != day("2026-03-11") || st.Seq != 295 || st.LastDataUnix != 1773253800 || !st.HasSessionLoad {
		t.Errorf("header: days %v-%v seq %d last data %d session load %v", st.FirstDay, st.LastDay, st.Seq, st.LastDataUnix, st.HasSessionLoad)
	}
	if len(slices.Clone(st.deloads)) != 0 {
		t.Errorf("a version 1 snapshot has no deload windows, got %v", slices.Clone(st.deloads))
	}
	// The cooldown version 1 kept still holds off through its day.
	if through, held := st.CooldownThrough(st.LastDay); !held || through != day("2026-03-18") {
		t.Errorf("cooldown through %v (%v), want 2026-03-18", through, held)
	}

	// Re-encoded, it is the version 1 bytes under the current version with an empty list of
	// windows and no plateau day, each lift exposure 5 bytes longer (no rated mean): the days
	// and lift exposures decoded as they were written.
	v2, err := st.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	exposures := 0
	for _, l := range st.lifts {
		exposures += len(l)
		for _, ld := range l {
			if ld.NRated != 0 || ld.Rated != 0 {
				t.Fatalf("exposure %+v decoded from version 1 with a rated mean", ld)
			}
		}
	}
	// Without a rated mean, the shortfall reads those exposures' top sets.
	if rated := st.appendRated(nil, st.LastDay, DefaultThresholds().Strength); len(rated) == 0 {
		t.Error("no exposure decoded from version 1 feeds the shortfall trend")
	}
	if v2[0] != stateVersion || len(v2) != len(v1)+1+4+5*exposures {
		t.Errorf("re-encoded as %d bytes (version %d), want the %d version 1 bytes, no windows, no plateau and %d exposures 5 bytes longer",
			len(v2), v2[0], len(v1), exposures)
	}
	var back State
	if err := back.UnmarshalBinary(v2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, st) {
		t.Error("the re-encoded snapshot decodes differently")
	}
}

func TestDeloadWindowsRoundTrip(t *testing.T) {
	th := DefaultThresholds()
	st, _ := scenario(t, th, 30, func(d int) bool { return d >= 20 })
	st.DeloadScheduled(day0+10, day0+35)
	st.DeloadScheduled(day0+12, day0+70)
	st.DeloadCompleted(day0+35, day0+41, th)
	data, err := st.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := back.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, *st) {
		t.Errorf("decoded windows %v, want %v", back.deloads, slices.Clone(st.deloads))
	}
	for _, bad := range [][]byte{
		data[:len(data)-1], // a window cut short
		append(slices.Clone(data), 0),
	} {
		if err := back.UnmarshalBinary(bad); err == nil {
			t.Errorf("%d bytes of a %d-byte snapshot decoded", len(bad), len(data))
		}
	}
	st.deloads = nil
	empty, _ := st.MarshalBinary()
	tooMany := slices.Concat(empty[:len(empty)-1], []byte{maxDeloadWindows + 1}, make([]byte, (maxDeloadWindows+1)*9))
	if err := back.UnmarshalBinary(tooMany); err == nil {
		t.Error("more windows than a state keeps decoded")
	}
}

// testdata/state-v2.bin is a snapshot written by the version 2 codec (commit 6e1d3ce, the last
// one storing protobuf enum numbers for the published status): simulate's athlete a01 of team
// t1 (4 athletes, 2 overreaching, 12 weeks from 2026-01-05, seed 7) run through app.Step up to
// 2026-03-11, with a deload of the week of 2026-01-19 scheduled on 2026-01-15 and completed on
// 2026-01-25, and another scheduled on 2026-03-06 for the week of 2026-03-09. It holds what
// version 2 added: a deload window, an open episode and a plateau report.
func TestDecodesVersion2Snapshot(t *testing.T) {
	v2, err := os.ReadFile("testdata/state-v2.bin")
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := st.UnmarshalBinary(v2); err != nil {
		t.Fatalf("decode a version 2 snapshot: %v", err)
	}
	day := func(s string) Day {
		tm, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return DayOf(tm)
	}
	wantEpisode := Episode{Open: true, CooldownUntil: day("2026-03-16"), LastRecommendationDay: day("2026-02-23"),
		LastDeloadWeek: day("2026-01-19"), LastPlateauDay: day("2026-02-18")}
	if st.Episode != wantEpisode {
		t.Errorf("episode %+v, want %+v", st.Episode, wantEpisode)
	}
	wantPublished := Published{EventID: "b4b77b9e-67a1-596f-892f-942b29eb9d3d", Valid: true, Status: StatusDeloadRecommended,
		ScoreBand: 9, Mask: 58, Day: day("2026-03-11")}
	if st.Published != wantPublished {
		t.Errorf("published %+v, want %+v", st.Published, wantPublished)
	}
	if st.FirstDay != day("2026-01-06") || st.LastDay != day("2026-03-11") || st.Seq != 295 || st.LastDataUnix != 1773253800 || !st.HasSessionLoad {
		t.Errorf("header: days %v-%v seq %d last data %d session load %v", st.FirstDay, st.LastDay, st.Seq, st.LastDataUnix, st.HasSessionLoad)
	}
	// The January windows ended and were pruned; the March deload week is still held off.
	wantWindows := []deloadWindow{{From: day("2026-03-09"), Until: day("2026-03-15")}}
	if !slices.Equal(slices.Clone(st.deloads), wantWindows) {
		t.Errorf("deload windows %v, want %v", slices.Clone(st.deloads), wantWindows)
	}
	if through, held := st.CooldownThrough(st.LastDay); !held || through != day("2026-03-16") {
		t.Errorf("cooldown through %v (%v), want 2026-03-16", through, held)
	}
	for i, l := range st.lifts {
		if len(l) == 0 {
			t.Errorf("no exposures of lift %d decoded", i)
		}
	}
	// Re-encoded by today's codec it decodes to the same state.
	again, err := st.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := back.UnmarshalBinary(again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, st) {
		t.Error("the re-encoded snapshot decodes differently")
	}
}
