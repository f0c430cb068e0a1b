package domain

import (
	"bytes"
	"os"
	"testing"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
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
	wantPublished := Published{EventID: "b4b77b9e-67a1-596f-892f-942b29eb9d3d", Valid: true, Status: commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED,
		ScoreBand: 8, Mask: 42, Day: day("2026-03-11")}
	if st.Published != wantPublished {
		t.Errorf("published %+v, want %+v", st.Published, wantPublished)
	}
	if st.FirstDay != day("2026-01-06") || st.LastDay != day("2026-03-11") || st.Seq != 295 || st.LastDataUnix != 1773253800 || !st.HasSessionLoad {
		t.Errorf("header: days %v-%v seq %d last data %d session load %v", st.FirstDay, st.LastDay, st.Seq, st.LastDataUnix, st.HasSessionLoad)
	}
	// Re-encoded, it is the same bytes: the days and lift exposures decoded as they were written.
	again, err := st.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, v1) {
		t.Errorf("re-encoded as %d bytes, want the %d bytes read", len(again), len(v1))
	}
}
