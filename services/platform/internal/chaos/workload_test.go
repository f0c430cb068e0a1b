package chaos

import (
	"context"
	"fmt"
	"time"

	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
	"github.com/supercomp/supercomp/services/platform/internal/demo"
)

const (
	// batchSize records per RecordBatch call, as a team's app uploads them.
	batchSize = 100
	// batchPause spreads a workload over about 15 s, so a fault lands mid-stream and the
	// stream goes on during it.
	batchPause = 400 * time.Millisecond
	// callTimeout bounds one RecordBatch call; a call that fails or times out is sent again.
	callTimeout = 15 * time.Second
)

// workload is the squad every run sends: the same simulated twelve weeks (same seed, so the
// same recommendations) under each run's own team, so each run's event ids are its own and
// every check can be made per team.
func workload(team string) []*eventsv1.Event {
	return simulate.Generate(simulate.Config{Team: team, Athletes: 10, Overreachers: 3, Weeks: 12, Seed: 11}).Events
}

type feedResult struct {
	err                            error
	retries                        int
	accepted, duplicates, rejected uint64
}

// feed sends events in order through RecordBatch and closes reached once the first faultAt
// events are accepted. A failed call is sent again until it is answered, as a device with a
// local queue does: the event ids make a retry of an accepted batch harmless.
func feed(ctx context.Context, client ingestionv1.IngestionServiceClient, team string, events []*eventsv1.Event, faultAt int, reached chan<- struct{}) feedResult {
	var r feedResult
	signalled := false
	for start := 0; start < len(events); start += batchSize {
		req := &ingestionv1.RecordBatchRequest{TeamId: team}
		for _, ev := range events[start:min(start+batchSize, len(events))] {
			rec, err := demo.Record(ev)
			if err != nil {
				r.err = err
				return r
			}
			req.Records = append(req.Records, rec)
		}
		for {
			callCtx, cancel := context.WithTimeout(ctx, callTimeout)
			resp, err := client.RecordBatch(callCtx, req)
			cancel()
			if err == nil {
				r.accepted += resp.GetCounts().GetAccepted()
				r.duplicates += resp.GetCounts().GetDuplicates()
				r.rejected += resp.GetCounts().GetRejected()
				break
			}
			if ctx.Err() != nil {
				r.err = fmt.Errorf("record batch at event %d: %w", start, err)
				return r
			}
			r.retries++
			_ = sleep(ctx, 500*time.Millisecond)
		}
		if !signalled && start+batchSize >= faultAt {
			close(reached)
			signalled = true
		}
		_ = sleep(ctx, batchPause)
	}
	if !signalled {
		close(reached)
	}
	return r
}
