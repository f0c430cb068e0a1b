package notifications

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

// BenchmarkAlertLatency measures the time from publishing a DeloadRecommended to the webhook
// receiving the signed alert, end to end through JetStream, the KV state and HTTP, one alert at
// a time. background_load adds a stream of assessments (~2000/s) that the same analysis consumer
// must work through.
func BenchmarkAlertLatency(b *testing.B) {
	for _, load := range []bool{false, true} {
		name := "idle"
		if load {
			name = "background_load"
		}
		b.Run(name, func(b *testing.B) { benchAlertLatency(b, load) })
	}
}

func benchAlertLatency(b *testing.B, load bool) {
	h := newHarness(b, testConfig(), harnessOpts{})
	rcv := newReceiver(b, nil)
	_, rcv.secret = h.subscribe(&notificationsv1.Subscription{Kinds: []commonv1.AlertKind{commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED},
		Channels: []*notificationsv1.ChannelTarget{webhookTarget(rcv.srv.URL, "")}})
	ctx, cancel := context.WithCancel(h.ctx)
	var wg sync.WaitGroup
	if load {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for i := 0; ctx.Err() == nil; i++ {
				<-tick.C
				for j := 0; j < 2; j++ {
					ev := &eventsv1.Event{Id: events.NewID(), TeamId: team, AthleteId: fmt.Sprintf("bg%d", (i*2+j)%500), Source: "fatigue",
						OccurredAt: timestamppb.Now(), Payload: &eventsv1.Event_AthleteAssessed{AthleteAssessed: &eventsv1.AthleteAssessed{
							Score: 40, Status: commonv1.AthleteStatus_ATHLETE_STATUS_WATCH}}}
					_, _ = events.Publish(ctx, h.bus, ev)
				}
			}
		}()
		time.Sleep(200 * time.Millisecond)
	}
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		h.recommend(fmt.Sprintf("bench%d", i), 70)
		select {
		case at := <-rcv.arrived:
			latencies = append(latencies, at.Sub(start))
		case <-time.After(30 * time.Second):
			b.Fatalf("alert %d not delivered within 30s", i)
		}
	}
	b.StopTimer()
	cancel()
	wg.Wait()
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
	b.ReportMetric(0, "ns/op")
}
