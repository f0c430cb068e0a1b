// Package ports exposes the notifications application: the NotificationService gRPC handlers
// (including the live WatchAlerts stream) and the NATS consumers.
package ports

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/pkg/ids"
	"github.com/supercomp/supercomp/services/notifications/internal/app"
)

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// Server implements NotificationService.
type Server struct {
	notificationsv1.UnimplementedNotificationServiceServer
	App      *app.App
	Bus      *bus.Bus
	Recorder *app.Recorder // nil without a store: ListDeliveries is then unavailable
}

// actor names the caller. Until authentication fills the context, the caller may name itself
// with the "x-sc-actor" metadata; otherwise it is "anonymous".
func actor(ctx context.Context) *commonv1.Actor {
	a := &commonv1.Actor{Subject: "anonymous", Role: commonv1.Role_ROLE_COACH}
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get("x-sc-actor"); len(v) > 0 && v[0] != "" {
			a.Subject, a.DisplayName = v[0], v[0]
		}
	}
	return a
}

func requireTeam(team string, bad *fault.Invalid) {
	ids.CheckTeam(bad, "team_id", team)
}

func requireID(field, id string, bad *fault.Invalid) {
	if id == "" {
		bad.Add(field, "is required")
	}
}

// Subscribe implements NotificationService.
func (s *Server) Subscribe(ctx context.Context, req *notificationsv1.SubscribeRequest) (*notificationsv1.SubscribeResponse, error) {
	sub, secret, err := s.App.Subscribe(ctx, req.GetTeamId(), req.GetSubscription(), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &notificationsv1.SubscribeResponse{Subscription: sub, SigningSecret: secret}, nil
}

// UpdateSubscription implements NotificationService.
func (s *Server) UpdateSubscription(ctx context.Context, req *notificationsv1.UpdateSubscriptionRequest) (*notificationsv1.UpdateSubscriptionResponse, error) {
	var expected *uint64
	if req.ExpectedRevision != nil {
		v := req.GetExpectedRevision()
		expected = &v
	}
	sub, err := s.App.UpdateSubscription(ctx, req.GetTeamId(), req.GetSubscription(), expected)
	if err != nil {
		return nil, err
	}
	return &notificationsv1.UpdateSubscriptionResponse{Subscription: sub}, nil
}

// Unsubscribe implements NotificationService.
func (s *Server) Unsubscribe(ctx context.Context, req *notificationsv1.UnsubscribeRequest) (*notificationsv1.UnsubscribeResponse, error) {
	var bad fault.Invalid
	requireTeam(req.GetTeamId(), &bad)
	requireID("subscription_id", req.GetSubscriptionId(), &bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	if err := s.App.State.DeleteSubscription(ctx, req.GetTeamId(), req.GetSubscriptionId()); err != nil {
		return nil, err
	}
	return &notificationsv1.UnsubscribeResponse{}, nil
}

// ListSubscriptions implements NotificationService.
func (s *Server) ListSubscriptions(ctx context.Context, req *notificationsv1.ListSubscriptionsRequest) (*notificationsv1.ListSubscriptionsResponse, error) {
	var bad fault.Invalid
	requireTeam(req.GetTeamId(), &bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	subs, err := s.App.State.Subscriptions(ctx, req.GetTeamId())
	if err != nil {
		return nil, err
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].GetSubscriptionId() < subs[j].GetSubscriptionId() })
	out := make([]*notificationsv1.Subscription, len(subs))
	for i, sub := range subs {
		out[i] = app.Redacted(sub)
	}
	return &notificationsv1.ListSubscriptionsResponse{Subscriptions: out}, nil
}

// TestDelivery implements NotificationService.
func (s *Server) TestDelivery(ctx context.Context, req *notificationsv1.TestDeliveryRequest) (*notificationsv1.TestDeliveryResponse, error) {
	var bad fault.Invalid
	requireTeam(req.GetTeamId(), &bad)
	requireID("subscription_id", req.GetSubscriptionId(), &bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	attempts, err := s.App.TestDelivery(ctx, req.GetTeamId(), req.GetSubscriptionId())
	if err != nil {
		return nil, err
	}
	return &notificationsv1.TestDeliveryResponse{Attempts: attempts}, nil
}

// ListAlerts implements NotificationService.
func (s *Server) ListAlerts(ctx context.Context, req *notificationsv1.ListAlertsRequest) (*notificationsv1.ListAlertsResponse, error) {
	var bad fault.Invalid
	requireTeam(req.GetTeamId(), &bad)
	if req.GetPageSize() > maxPageSize {
		bad.Add("page_size", "must be at most %d, got %d", maxPageSize, req.GetPageSize())
	}
	offset := 0
	if req.GetPageToken() != "" {
		n, err := strconv.Atoi(req.GetPageToken())
		if err != nil || n < 0 {
			bad.Add("page_token", "not a token from a previous response")
		}
		offset = n
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	recs, err := s.teamAlerts(ctx, req.GetTeamId())
	if err != nil {
		return nil, err
	}
	var matched []*notificationsv1.Alert
	for _, rec := range recs {
		al, err := ToProto(rec)
		if err != nil {
			return nil, err
		}
		if req.GetAthleteId() != "" && al.GetAthleteId() != req.GetAthleteId() ||
			len(req.GetStates()) > 0 && !slices.Contains(req.GetStates(), al.GetState()) ||
			len(req.GetKinds()) > 0 && !slices.Contains(req.GetKinds(), al.GetContent().GetKind()) ||
			!inRange(rec.Alert.RaisedAt.UTC(), req.GetRange()) {
			continue
		}
		matched = append(matched, al)
	}
	sort.Slice(matched, func(i, j int) bool {
		return matched[i].GetRaisedAt().AsTime().After(matched[j].GetRaisedAt().AsTime())
	})
	resp := &notificationsv1.ListAlertsResponse{}
	if offset < len(matched) {
		end := min(offset+size, len(matched))
		resp.Alerts = matched[offset:end]
		if end < len(matched) {
			resp.NextPageToken = strconv.Itoa(end)
		}
	}
	return resp, nil
}

func inRange(t time.Time, r *commonv1.DateRange) bool {
	y, m, d := t.Date()
	day := y*10000 + int(m)*100 + d
	if s := r.GetStart(); s != nil && day < int(s.GetYear())*10000+int(s.GetMonth())*100+int(s.GetDay()) {
		return false
	}
	if e := r.GetEnd(); e != nil && day > int(e.GetYear())*10000+int(e.GetMonth())*100+int(e.GetDay()) {
		return false
	}
	return true
}

func (s *Server) teamAlerts(ctx context.Context, team string) ([]*app.AlertRecord, error) {
	ids, err := s.App.State.AlertIDs(ctx, team)
	if err != nil {
		return nil, err
	}
	out := make([]*app.AlertRecord, 0, len(ids))
	for _, id := range ids {
		rec, _, err := s.App.State.Alert(ctx, team, id)
		if errors.Is(err, fault.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// GetAlert implements NotificationService.
func (s *Server) GetAlert(ctx context.Context, req *notificationsv1.GetAlertRequest) (*notificationsv1.GetAlertResponse, error) {
	var bad fault.Invalid
	requireTeam(req.GetTeamId(), &bad)
	requireID("alert_id", req.GetAlertId(), &bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	rec, _, err := s.App.State.Alert(ctx, req.GetTeamId(), req.GetAlertId())
	if err != nil {
		return nil, err
	}
	al, err := ToProto(rec)
	if err != nil {
		return nil, err
	}
	return &notificationsv1.GetAlertResponse{Alert: al}, nil
}

// AcknowledgeAlert implements NotificationService.
func (s *Server) AcknowledgeAlert(ctx context.Context, req *notificationsv1.AcknowledgeAlertRequest) (*notificationsv1.AcknowledgeAlertResponse, error) {
	var bad fault.Invalid
	requireTeam(req.GetTeamId(), &bad)
	requireID("alert_id", req.GetAlertId(), &bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	rec, err := s.App.Acknowledge(ctx, req.GetTeamId(), req.GetAlertId(), actor(ctx), req.GetNote())
	if err != nil {
		return nil, err
	}
	al, err := ToProto(rec)
	if err != nil {
		return nil, err
	}
	return &notificationsv1.AcknowledgeAlertResponse{Alert: al}, nil
}

// ResolveAlert implements NotificationService.
func (s *Server) ResolveAlert(ctx context.Context, req *notificationsv1.ResolveAlertRequest) (*notificationsv1.ResolveAlertResponse, error) {
	var bad fault.Invalid
	requireTeam(req.GetTeamId(), &bad)
	requireID("alert_id", req.GetAlertId(), &bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	rec, err := s.App.Resolve(ctx, req.GetTeamId(), req.GetAlertId(), eventsv1.AlertResolution_ALERT_RESOLUTION_MANUAL, actor(ctx), req.GetNote(), "")
	if err != nil {
		return nil, err
	}
	al, err := ToProto(rec)
	if err != nil {
		return nil, err
	}
	return &notificationsv1.ResolveAlertResponse{Alert: al}, nil
}

// ListDeliveries implements NotificationService.
func (s *Server) ListDeliveries(ctx context.Context, req *notificationsv1.ListDeliveriesRequest) (*notificationsv1.ListDeliveriesResponse, error) {
	var bad fault.Invalid
	requireTeam(req.GetTeamId(), &bad)
	requireID("alert_id", req.GetAlertId(), &bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	if s.Recorder == nil {
		return nil, fault.Unavailable("delivery log: no time-series store configured")
	}
	attempts, err := s.Recorder.Deliveries(ctx, req.GetTeamId(), req.GetAlertId())
	if err != nil {
		return nil, err
	}
	return &notificationsv1.ListDeliveriesResponse{Attempts: attempts}, nil
}

// WatchAlerts implements NotificationService: an ordered, ephemeral consumer on the team's NOTIFY
// subjects, created before the open alerts are listed so no change falls in between.
func (s *Server) WatchAlerts(req *notificationsv1.WatchAlertsRequest, stream notificationsv1.NotificationService_WatchAlertsServer) error {
	var bad fault.Invalid
	requireTeam(req.GetTeamId(), &bad)
	if err := bad.Err(); err != nil {
		return err
	}
	ctx := stream.Context()
	cons, err := s.Bus.JetStream().OrderedConsumer(ctx, bus.StreamNotify, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.TeamFilter(bus.StreamNotify, req.GetTeamId())},
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	})
	if err != nil {
		return fmt.Errorf("watch alerts: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("watch alerts: %w", err)
	}
	defer it.Stop()
	go func() { <-ctx.Done(); it.Stop() }()

	wanted := func(al *notificationsv1.Alert) bool {
		return (len(req.GetAthleteIds()) == 0 || slices.Contains(req.GetAthleteIds(), al.GetAthleteId())) &&
			(len(req.GetKinds()) == 0 || slices.Contains(req.GetKinds(), al.GetContent().GetKind())) &&
			al.GetContent().GetSeverity() >= req.GetMinSeverity()
	}
	if req.GetIncludeOpen() {
		recs, err := s.teamAlerts(ctx, req.GetTeamId())
		if err != nil {
			return err
		}
		sort.Slice(recs, func(i, j int) bool { return recs[i].Alert.RaisedAt.Before(recs[j].Alert.RaisedAt) })
		for _, rec := range recs {
			al, err := ToProto(rec)
			if err != nil {
				return err
			}
			if rec.Alert.Active() && wanted(al) {
				if err := stream.Send(&notificationsv1.WatchAlertsResponse{Change: notificationsv1.AlertChange_ALERT_CHANGE_OPEN_AT_START,
					Alert: al, ChangedAt: timestamppb.Now()}); err != nil {
					return err
				}
			}
		}
	}
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch alerts: %w", err)
		}
		ev, err := events.Decode(m.Data())
		if err != nil {
			continue
		}
		change, alertID := changeOf(ev)
		if change == notificationsv1.AlertChange_ALERT_CHANGE_UNSPECIFIED {
			continue
		}
		rec, _, err := s.App.State.Alert(ctx, ev.GetTeamId(), alertID)
		if err != nil {
			continue // a change of an alert this instance cannot read (yet); the next change shows it
		}
		al, err := ToProto(rec)
		if err != nil {
			// Readable but undecodable is not a race to wait out: the watcher hears of it.
			return fmt.Errorf("watch alerts: %w", err)
		}
		if !wanted(al) {
			continue
		}
		if err := stream.Send(&notificationsv1.WatchAlertsResponse{Change: change, Alert: al,
			ChangedAt: ev.GetOccurredAt(), EventId: ev.GetId()}); err != nil {
			return err
		}
	}
}

func changeOf(ev *eventsv1.Event) (notificationsv1.AlertChange, string) {
	switch p := ev.GetPayload().(type) {
	case *eventsv1.Event_AlertRaised:
		return notificationsv1.AlertChange_ALERT_CHANGE_RAISED, p.AlertRaised.GetAlertId()
	case *eventsv1.Event_AlertUpdated:
		return notificationsv1.AlertChange_ALERT_CHANGE_UPDATED, p.AlertUpdated.GetAlertId()
	case *eventsv1.Event_AlertDelivered:
		return notificationsv1.AlertChange_ALERT_CHANGE_DELIVERED, p.AlertDelivered.GetAlertId()
	case *eventsv1.Event_AlertAcknowledged:
		return notificationsv1.AlertChange_ALERT_CHANGE_ACKNOWLEDGED, p.AlertAcknowledged.GetAlertId()
	case *eventsv1.Event_AlertResolved:
		return notificationsv1.AlertChange_ALERT_CHANGE_RESOLVED, p.AlertResolved.GetAlertId()
	case *eventsv1.Event_AlertEscalated:
		return notificationsv1.AlertChange_ALERT_CHANGE_ESCALATED, p.AlertEscalated.GetAlertId()
	}
	return notificationsv1.AlertChange_ALERT_CHANGE_UNSPECIFIED, ""
}

// ToProto is the wire form of a stored alert.
func ToProto(rec *app.AlertRecord) (*notificationsv1.Alert, error) {
	content, err := rec.DecodeContent()
	if err != nil {
		return nil, err
	}
	a := rec.Alert
	out := &notificationsv1.Alert{
		AlertId: a.ID, TeamId: a.Facts.TeamID, AthleteId: a.Facts.AthleteID, Content: content, State: app.WireState(a.State),
		Occurrences: uint32(a.Occurrences), RaisedAt: timestamppb.New(a.RaisedAt), UpdatedAt: timestamppb.New(a.UpdatedAt),
		EscalationLevel: uint32(a.EscalationLevel), Deliveries: uint32(rec.Deliveries), FailedAttempts: uint32(rec.FailedAttempts),
		Resolution: eventsv1.AlertResolution(a.Resolution),
	}
	if !a.AckedAt.IsZero() {
		out.AcknowledgedAt = timestamppb.New(a.AckedAt)
		out.AcknowledgedBy = &commonv1.Actor{Subject: a.AckedBy}
	}
	if !a.ResolvedAt.IsZero() {
		out.ResolvedAt = timestamppb.New(a.ResolvedAt)
		if a.ResolvedBy != "" {
			out.ResolvedBy = &commonv1.Actor{Subject: a.ResolvedBy}
		}
	}
	return out, nil
}
