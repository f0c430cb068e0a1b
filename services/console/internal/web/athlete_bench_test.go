package web

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

// BenchmarkAthletePage2Years renders the athlete page over two years of daily data (730
// assessments with lifts, load and device evidence; daily wellness; weekly trends) as a
// signed-in coach: every gRPC call over loopback through the real access guard, the nine charts
// and their tables. p95-ms is the 95th percentile of one render (issue 20 asks for <= 300 ms).
func BenchmarkAthletePage2Years(b *testing.B) {
	f := newFixture(b, Options{})
	f.fatigue.setAthlete("t1", "a01", cannedHistory("t1", "a01", "Athlete 1", 2*365, lastDay, historyShape{wellness: true, devices: true}))
	br := f.browser()
	if p := br.signIn(f.key(commonv1.Role_ROLE_COACH, "t1", 0)); p.code != http.StatusSeeOther {
		b.Fatalf("sign in: %d", p.code)
	}
	cookies := br.client.Jar.Cookies(mustURL(b, f.console.URL))
	durations := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/teams/t1/athletes/a01?weeks=104", nil)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		f.web.ServeHTTP(rec, req)
		durations = append(durations, time.Since(start))
		if rec.Code != http.StatusOK {
			b.Fatalf("athlete page: %d", rec.Code)
		}
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(len(durations)), "renders")
}
