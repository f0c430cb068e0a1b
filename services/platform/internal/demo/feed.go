// Package demo feeds a simulated team (services/fatigue/simulate) into a running platform
// through the real gRPC ingestion path, as a team's devices would: the same validation,
// idempotency, JetStream publish and recording that real data goes through. `make demo` and
// the end-to-end tests use it.
package demo

import (
	"context"
	"fmt"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
)

// Record turns a training event into the record a device would send. The event id travels as
// the client-supplied id, so feeding the same team twice stores everything once.
func Record(ev *eventsv1.Event) (*ingestionv1.Record, error) {
	rec := &ingestionv1.Record{Meta: &ingestionv1.RecordMeta{
		EventId:    ev.GetId(),
		AthleteId:  ev.GetAthleteId(),
		OccurredAt: ev.GetOccurredAt(),
		Source:     ev.GetSource(),
	}}
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_SetRecorded:
		s := p.SetRecorded
		rec.Data = &ingestionv1.Record_Set{Set: &ingestionv1.SetInput{
			SessionId:        s.GetSessionId(),
			Exercise:         s.GetExercise(),
			LiftCategory:     s.GetLiftCategory(),
			Load:             s.GetLoadKg(),
			LoadUnit:         commonv1.WeightUnit_WEIGHT_UNIT_KG,
			Reps:             s.GetReps(),
			Rpe:              s.Rpe,
			Rir:              s.Rir,
			SetType:          s.GetSetType(),
			SetIndex:         s.GetSetIndex(),
			RepVelocitiesMps: s.GetRepVelocitiesMps(),
			Notes:            s.GetNotes(),
		}}
	case *eventsv1.Event_SessionRecorded:
		rec.Data = &ingestionv1.Record_Session{Session: p.SessionRecorded}
	case *eventsv1.Event_WellnessReported:
		rec.Data = &ingestionv1.Record_Wellness{Wellness: p.WellnessReported}
	case *eventsv1.Event_ReadinessMeasured:
		rec.Data = &ingestionv1.Record_Readiness{Readiness: p.ReadinessMeasured}
	default:
		return nil, fmt.Errorf("event %s: %T is not training data", ev.GetId(), ev.GetPayload())
	}
	return rec, nil
}

// Counts sums what the platform answered for a feed.
type Counts struct {
	Sent, Accepted, Duplicates, Rejected uint64
}

// Feed sends events for team in batches through IngestionService.RecordBatch, in order, and
// returns the platform's counts. It stops at the first failed call; rejected records are
// counted, not fatal, because a device keeps sending the good ones.
func Feed(ctx context.Context, client ingestionv1.IngestionServiceClient, team string, evs []*eventsv1.Event, batch int) (Counts, error) {
	var c Counts
	for start := 0; start < len(evs); start += batch {
		chunk := evs[start:min(start+batch, len(evs))]
		req := &ingestionv1.RecordBatchRequest{TeamId: team}
		for _, ev := range chunk {
			rec, err := Record(ev)
			if err != nil {
				return c, err
			}
			req.Records = append(req.Records, rec)
		}
		resp, err := client.RecordBatch(ctx, req)
		if err != nil {
			return c, fmt.Errorf("record batch at event %d: %w", start, err)
		}
		c.Sent += uint64(len(chunk))
		c.Accepted += resp.GetCounts().GetAccepted()
		c.Duplicates += resp.GetCounts().GetDuplicates()
		c.Rejected += resp.GetCounts().GetRejected()
	}
	return c, nil
}
