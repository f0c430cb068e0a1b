package bus

import (
	"slices"
	"testing"
	"time"
)

// A consumer that retries forever waits out a dependency's outage: its delays grow from 1s to
// an 8s cap, so the backlog is retried within ~10s of the dependency's return (the old 2-minute
// step kept assessments, alerts and audit rows stale for minutes). Bounded consumers keep their
// longer schedule, which spreads their few attempts before the DLQ.
func TestBackOffDefaultsAndJitter(t *testing.T) {
	outage := ConsumerConfig{Stream: StreamTraining, Durable: "rec", MaxDeliver: -1}.withDefaults(true)
	if !slices.Equal(outage.BackOff, OutageBackOff()) {
		t.Errorf("unbounded consumer backoff %v, want %v", outage.BackOff, OutageBackOff())
	}
	bounded := ConsumerConfig{Stream: StreamTraining, Durable: "h"}.withDefaults(false)
	if !slices.Equal(bounded.BackOff, DefaultBackOff()) {
		t.Errorf("bounded consumer backoff %v, want %v", bounded.BackOff, DefaultBackOff())
	}
	c := &Consumer{cfg: outage}
	for delivered := uint64(1); delivered <= 20; delivered++ {
		want := OutageBackOff()[min(int(delivered), len(OutageBackOff()))-1]
		lo, hi := time.Duration(float64(want)*0.8), time.Duration(float64(want)*1.2)
		seen := map[time.Duration]bool{}
		for range 50 {
			d := c.backOff(delivered)
			if d < lo || d > hi {
				t.Fatalf("delivery %d: delay %v outside %v..%v", delivered, d, lo, hi)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("delivery %d: no jitter in 50 draws", delivered)
		}
	}
}
