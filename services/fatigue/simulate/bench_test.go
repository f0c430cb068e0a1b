package simulate_test

import (
	"testing"

	"github.com/supercomp/supercomp/services/fatigue/internal/app"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// BenchmarkAssessor measures events/s through the assessor (observe + assess + conclude + build
// the events to publish) and the encoded state per athlete after 12 weeks.
func BenchmarkAssessor(b *testing.B) {
	team := simulate.Generate(simulate.Config{Team: "bench", Athletes: 20, Overreachers: 5, Weeks: 12, Seed: 3})
	th := domain.DefaultThresholds()
	b.ReportAllocs()
	b.ResetTimer()
	var bytes, athletes int
	for i := 0; i < b.N; i++ {
		states := map[string]*domain.State{}
		for _, ev := range team.Events {
			st := states[ev.GetAthleteId()]
			if st == nil {
				st = &domain.State{}
				states[ev.GetAthleteId()] = st
			}
			app.Step(st, ev, th)
		}
		if i == 0 {
			for _, st := range states {
				data, _ := st.MarshalBinary()
				bytes += len(data)
				athletes++
			}
		}
	}
	b.ReportMetric(float64(len(team.Events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(bytes)/float64(athletes), "state-bytes/athlete")
}

// BenchmarkStateCodec measures a snapshot's encode+decode.
func BenchmarkStateCodec(b *testing.B) {
	team := simulate.Generate(simulate.Config{Team: "bench", Athletes: 1, Overreachers: 0, Weeks: 12, Seed: 3})
	th := domain.DefaultThresholds()
	st := &domain.State{}
	for _, ev := range team.Events {
		app.Step(st, ev, th)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		data, _ := st.MarshalBinary()
		var back domain.State
		if err := back.UnmarshalBinary(data); err != nil {
			b.Fatal(err)
		}
	}
}
