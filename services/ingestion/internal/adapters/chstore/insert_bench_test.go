package chstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/ingestion/internal/adapters/chstore"
	"github.com/supercomp/supercomp/services/ingestion/internal/itest"
)

// recorderBatch is the recorder's largest insert.
const recorderBatch = 20000

// BenchmarkInsert is one recorder insert of 20,000 new set events on the ClickHouse server:
// the stored-id lookup, building the rows and sending them. allocs/op is the client's exact
// count; ns/op includes the server's share, so on a shared machine it varies more.
func BenchmarkInsert(b *testing.B) {
	st := itest.ClickHouse(b)
	tables := chstore.New(st)
	ctx := context.Background()
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		evs := make([]*eventsv1.Event, recorderBatch)
		for k := range evs {
			at := base.Add(time.Duration(i*recorderBatch+k) * time.Millisecond)
			evs[k] = &eventsv1.Event{
				Id: events.DeterministicID("chstore-bench", fmt.Sprint(i), fmt.Sprint(k)), TeamId: "t1", AthleteId: fmt.Sprintf("a%d", k%25),
				Source: "bench", OccurredAt: timestamppb.New(at), RecordedAt: timestamppb.New(at),
				Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{SessionId: "s", Exercise: "Squat (Barbell)",
					LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, LoadKg: 100 + float64(k%50), Reps: uint32(1 + k%10),
					Rpe: f(8), SetType: commonv1.SetType_SET_TYPE_WORKING, SetIndex: uint32(1 + k%5)}},
			}
		}
		b.StartTimer()
		if n, err := tables.Insert(ctx, evs); err != nil || n != recorderBatch {
			b.Fatalf("insert: %d rows, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*recorderBatch), "ns/set")
}
