package ports

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	"github.com/supercomp/supercomp/services/notifications/internal/app"
)

// Consumers declares the service's durable consumers: ANALYSIS and PROGRAMMING raise and update
// alerts, TRAINING's wellness reports feed check-in reminders, NOTIFY's alert_raised/alert_escalated drive deliveries, and (with a store) NOTIFY is
// recorded in ClickHouse.
func Consumers(ctx context.Context, a *app.App, b *bus.Bus, rec *app.Recorder, log *zap.Logger) ([]*bus.Consumer, error) {
	cfg := a.Config()
	handleEvent := func(ctx context.Context, m jetstream.Msg) error { return a.HandleEvent(ctx, m.Data()) }
	var out []*bus.Consumer
	analysis, err := b.NewConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamAnalysis, Durable: app.DurableAnalysis, AckWait: cfg.AckWait,
		FilterSubjects: events.Filters(
			&eventsv1.Event_DeloadRecommended{}, &eventsv1.Event_JointPainFlagged{}, &eventsv1.Event_TeamTrendDetected{},
			&eventsv1.Event_TeamTrendEnded{}, &eventsv1.Event_AthleteAssessed{},
		),
	}, handleEvent, log)
	if err != nil {
		return nil, err
	}
	programming, err := b.NewConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamProgramming, Durable: app.DurableProgramming, AckWait: cfg.AckWait,
		FilterSubjects: []string{bus.SubjectsProgramming},
	}, handleEvent, log)
	if err != nil {
		return nil, err
	}
	// The retry policy decides the delays (bus.Retry) and when to give up (bus.Poison); the
	// consumer's own budget is a backstop for deliveries that crash every time.
	dispatch, err := b.NewConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamNotify, Durable: app.DurableDispatch, AckWait: cfg.AckWait,
		FilterSubjects: events.Filters(&eventsv1.Event_AlertRaised{}, &eventsv1.Event_AlertEscalated{}),
		MaxDeliver:     cfg.Retry.MaxAttempts + 2,
		BackOff:        []time.Duration{cfg.Retry.Base},
		Batch:          10,
	}, func(ctx context.Context, m jetstream.Msg) error {
		ev, err := events.Decode(m.Data())
		if err != nil {
			return bus.Poison(err)
		}
		id := ev.GetAlertRaised().GetAlertId()
		if id == "" {
			id = ev.GetAlertEscalated().GetAlertId()
		}
		return a.DeliverDue(ctx, ev.GetTeamId(), id, false)
	}, log)
	if err != nil {
		return nil, err
	}
	// Wellness reports only tell who checked in and when (the reminders' roster and "reported
	// today"); everything else on TRAINING is filtered out at the server.
	checkins, err := b.NewConsumer(ctx, bus.ConsumerConfig{
		Stream: bus.StreamTraining, Durable: app.DurableCheckins, AckWait: cfg.AckWait,
		FilterSubjects: events.Filters(&eventsv1.Event_WellnessReported{}),
	}, func(ctx context.Context, m jetstream.Msg) error { return a.HandleWellness(ctx, m.Data()) }, log)
	if err != nil {
		return nil, err
	}
	out = append(out, analysis, programming, dispatch, checkins)
	if rec != nil {
		recorder, err := b.NewBatchConsumer(ctx, bus.ConsumerConfig{
			Stream: bus.StreamNotify, Durable: app.DurableRecorder, MaxDeliver: -1, Batch: 1000, MaxWait: time.Second,
		}, rec.HandleBatch, log)
		if err != nil {
			return nil, err
		}
		out = append(out, recorder)
	}
	return out, nil
}
