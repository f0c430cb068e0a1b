package fatigue_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store"
	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/services/fatigue/fatigue"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
)

// running is one instance of the service with its gRPC client.
type running struct {
	svc    *fatigue.Service
	client fatiguev1.FatigueServiceClient
	done   chan error
	stop   func()
	// crashed: the instance lost its connection without stopping (see crash).
	crashed bool
}

// crash kills the instance as a lost process would: its NATS connection closes with no
// acknowledgement, flush or unpinning, and its consumers end with an error.
func (r *running) crash(b *bus.Bus) {
	r.crashed = true
	b.Conn().Close()
}

func start(t testing.TB, deps service.Deps) *running {
	t.Helper()
	return startWith(t, deps, fatigue.Options{})
}

func startWith(t testing.TB, deps service.Deps, opts fatigue.Options) *running {
	t.Helper()
	svc, err := fatigue.NewWithOptions(deps, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	svc.Register(srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	r := &running{svc: svc, client: fatiguev1.NewFatigueServiceClient(conn), done: make(chan error, 1)}
	comps := svc.Components()
	go func() { r.done <- comps[0].Start(context.Background()) }()
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := comps[0].Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		if err := <-r.done; err != nil && !r.crashed {
			t.Errorf("engine: %v", err)
		}
		srv.Stop()
		conn.Close()
	}
	t.Cleanup(r.stop)
	return r
}

// outMsgs encodes evs as bus messages (subject and Nats-Msg-Id from each event).
func outMsgs(t testing.TB, evs []*eventsv1.Event) []bus.OutMsg {
	t.Helper()
	msgs := make([]bus.OutMsg, 0, len(evs))
	for _, ev := range evs {
		m, err := events.OutMsg(ev)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func publish(t *testing.T, b *bus.Bus, evs []*eventsv1.Event) {
	t.Helper()
	if _, err := b.PublishBatch(context.Background(), outMsgs(t, evs)); err != nil {
		t.Fatal(err)
	}
}

// waitConsumed waits until a durable has acked everything in its stream.
func waitConsumed(t *testing.T, b *bus.Bus, stream, durable string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		c, err := b.JetStream().Consumer(context.Background(), stream, durable)
		if err == nil {
			info, err := c.Info(context.Background())
			if err == nil && info.NumPending == 0 && info.NumAckPending == 0 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/%s did not catch up", stream, durable)
}

// recommendations reads every DeloadRecommended on ANALYSIS.
func recommendations(t *testing.T, b *bus.Bus) []*eventsv1.Event {
	t.Helper()
	ctx := context.Background()
	c, err := b.JetStream().OrderedConsumer(ctx, bus.StreamAnalysis, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"sc.analysis.*.*.deload_recommended"}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []*eventsv1.Event
	pending := int(info.NumPending)
	// An empty fetch is retried (a loaded machine can return one before the messages); the
	// deadline turns a real shortfall into a failure instead of a silently short list.
	deadline := time.Now().Add(60 * time.Second)
	for len(out) < pending && time.Now().Before(deadline) {
		batch, err := c.Fetch(pending-len(out), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			ev, err := events.Decode(m.Data())
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ev)
		}
	}
	if len(out) != pending {
		t.Fatalf("read %d of %d recommendations", len(out), pending)
	}
	return out
}

func TestOverreachingAthleteGetsOneRecommendationAcrossRestarts(t *testing.T) {
	b, _ := bustest.New(t)
	st := storetest.OpenServer(t, "fatigue_it")
	ctx := context.Background()
	if err := store.Migrate(ctx, st, store.Migrations, nil); err != nil {
		t.Fatal(err)
	}
	deps := service.Deps{Log: bustest.Logger(t), Bus: b, Store: st}

	team := simulate.Generate(simulate.Config{Team: "t1", Athletes: 1, Overreachers: 1, Weeks: 12, Seed: 7})
	onset := team.Truth[0].Onset
	cut := onset.AddDate(0, 0, 10)
	var first, rest []*eventsv1.Event
	for _, ev := range team.Events {
		if ev.GetOccurredAt().AsTime().Before(cut) {
			first = append(first, ev)
		} else {
			rest = append(rest, ev)
		}
	}

	r1 := start(t, deps)
	publish(t, b, first)
	waitConsumed(t, b, bus.StreamTraining, "fatigue")
	recs := recommendations(t, b)
	if len(recs) != 1 {
		t.Fatalf("got %d recommendations up to 10 days after onset %s, want 1", len(recs), onset.Format(time.DateOnly))
	}
	rec := recs[0].GetDeloadRecommended()
	if len(rec.GetFamilies()) < 2 && rec.GetRuleFired() != "decline_plus_subjective" {
		t.Errorf("recommendation names families %v under rule %q", rec.GetFamilies(), rec.GetRuleFired())
	}
	named := map[commonv1.SignalFamily]bool{}
	for _, e := range rec.GetEvidence() {
		named[e.GetFamily()] = true
	}
	for _, f := range rec.GetFamilies() {
		if !named[f] {
			t.Errorf("family %v fired without evidence in %v", f, rec.GetEvidence())
		}
	}
	asOf := rec.GetAsOf()
	recDay := time.Date(int(asOf.GetYear()), time.Month(asOf.GetMonth()), int(asOf.GetDay()), 0, 0, 0, 0, time.UTC)
	if recDay.Before(onset) {
		t.Errorf("recommended on %s before onset %s", recDay.Format(time.DateOnly), onset.Format(time.DateOnly))
	}
	t.Logf("recommended %s (onset %s): %s", recDay.Format(time.DateOnly), onset.Format(time.DateOnly), rec.GetSummary())

	status, err := r1.client.GetAthleteStatus(ctx, &fatiguev1.GetAthleteStatusRequest{TeamId: "t1", AthleteId: "a01"})
	if err != nil {
		t.Fatal(err)
	}
	if status.GetOpenRecommendationId() != rec.GetRecommendationId() {
		t.Errorf("open recommendation %q, want %q", status.GetOpenRecommendationId(), rec.GetRecommendationId())
	}
	historyBefore := status.GetAssessment().GetResult().GetCoverage().GetHistoryDays()
	r1.stop()

	// A new instance on the same bus restores the snapshots: same history, no second
	// recommendation while the athlete stays overreached.
	r2 := start(t, deps)
	status, err = r2.client.GetAthleteStatus(ctx, &fatiguev1.GetAthleteStatusRequest{TeamId: "t1", AthleteId: "a01"})
	if err != nil {
		t.Fatal(err)
	}
	if got := status.GetAssessment().GetResult().GetCoverage().GetHistoryDays(); got != historyBefore {
		t.Errorf("after restart history is %d days, want %d", got, historyBefore)
	}
	publish(t, b, rest)
	waitConsumed(t, b, bus.StreamTraining, "fatigue")
	if recs := recommendations(t, b); len(recs) != 1 {
		t.Errorf("after restart %d recommendations, want still 1", len(recs))
	}

	board, err := r2.client.ListTeamStatus(ctx, &fatiguev1.ListTeamStatusRequest{TeamId: "t1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(board.GetAthletes()) != 1 || board.GetAthletes()[0].GetStatus() == commonv1.AthleteStatus_ATHLETE_STATUS_OK {
		t.Errorf("board %v", board.GetAthletes())
	}
	// The board row carries the coverage of the athlete's current assessment (the console's
	// data-coverage hint).
	now, err := r2.client.GetAthleteStatus(ctx, &fatiguev1.GetAthleteStatusRequest{TeamId: "t1", AthleteId: "a01"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := board.GetAthletes()[0].GetCoverage(), now.GetAssessment().GetResult().GetCoverage(); !proto.Equal(got, want) || got.GetShape() == 0 {
		t.Errorf("board row coverage %v, the athlete's status %v", got, want)
	}
	explain, err := r2.client.ExplainAssessment(ctx, &fatiguev1.ExplainAssessmentRequest{TeamId: "t1", AthleteId: "a01"})
	if err != nil {
		t.Fatal(err)
	}
	if len(explain.GetLines()) == 0 || !explain.GetLines()[0].GetAbnormal() {
		t.Errorf("explanation %v", explain.GetLines())
	}
	t.Logf("%s", explain.GetHeadline())

	waitConsumed(t, b, bus.StreamAnalysis, "fatigue-assessments")
	hist, err := r2.client.ListAssessments(ctx, &fatiguev1.ListAssessmentsRequest{TeamId: "t1", AthleteId: "a01", PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range hist.GetAssessments() {
		if a.GetEventId() == rec.GetAssessmentEventId() {
			found = a.GetResult().GetStatus() == commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED
		}
	}
	if !found {
		t.Errorf("assessment %s that fired is not in the ClickHouse history (%d rows)", rec.GetAssessmentEventId(), len(hist.GetAssessments()))
	}
}
