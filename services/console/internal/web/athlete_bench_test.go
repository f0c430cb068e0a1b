package web

import (
	"testing"
)

// BenchmarkAthletePage2Years renders the athlete page over two years of daily data (730
// assessments with lifts, load and device evidence; daily wellness; weekly trends) as a
// signed-in coach: every gRPC call over loopback through the real access guard, the nine charts
// and their tables. p95-ms is the 95th percentile of one render (issue 20 asks for <= 300 ms).
func BenchmarkAthletePage2Years(b *testing.B) {
	f := newFixture(b, Options{})
	f.fatigue.setAthlete("t1", "a01", cannedHistory("t1", "a01", "Athlete 1", 2*365, lastDay, historyShape{wellness: true, devices: true}))
	benchRender(b, f, "/teams/t1/athletes/a01?weeks=104")
}
