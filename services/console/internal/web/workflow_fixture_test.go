package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

// cannedDecisions answers the deload calls like the programming service does where the
// console depends on it: revision-checked decisions (FailedPrecondition when stale), field
// violations for parameters out of range, and the week's prescription once approved.
type cannedDecisions struct {
	*cannedProgramming
	mu      sync.Mutex
	deloads map[string]*programmingv1.Deload
}

func (c *cannedDecisions) put(d *programmingv1.Deload) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deloads[d.GetDeloadId()] = d
}

func (c *cannedDecisions) get(id string) *programmingv1.Deload {
	c.mu.Lock()
	defer c.mu.Unlock()
	return proto.Clone(c.deloads[id]).(*programmingv1.Deload)
}

func (c *cannedDecisions) ListDeloads(ctx context.Context, req *programmingv1.ListDeloadsRequest) (*programmingv1.ListDeloadsResponse, error) {
	if req.GetAthleteId() != "" {
		// One athlete's deloads (the athlete page) come from the athlete fixtures.
		return c.cannedProgramming.ListDeloads(ctx, req)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := &programmingv1.ListDeloadsResponse{}
	for _, d := range c.deloads {
		if d.GetTeamId() != req.GetTeamId() {
			continue
		}
		for _, st := range req.GetStatuses() {
			if st == d.GetStatus() {
				out.Deloads = append(out.Deloads, proto.Clone(d).(*programmingv1.Deload))
			}
		}
	}
	return out, nil
}

func (c *cannedDecisions) GetDeload(_ context.Context, req *programmingv1.GetDeloadRequest) (*programmingv1.GetDeloadResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.deloads[req.GetDeloadId()]
	if !ok || d.GetTeamId() != req.GetTeamId() {
		return nil, fault.NotFound("deload %s not found", req.GetDeloadId())
	}
	return &programmingv1.GetDeloadResponse{Deload: proto.Clone(d).(*programmingv1.Deload)}, nil
}

func (c *cannedDecisions) DecideDeload(_ context.Context, req *programmingv1.DecideDeloadRequest) (*programmingv1.DecideDeloadResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.deloads[req.GetDeloadId()]
	if !ok || d.GetTeamId() != req.GetTeamId() {
		return nil, fault.NotFound("deload %s not found", req.GetDeloadId())
	}
	if req.ExpectedRevision != nil && req.GetExpectedRevision() != d.GetRevision() {
		return nil, fault.FailedPrecondition("deload %s is at revision %d, not %d: reload and retry", d.GetDeloadId(), d.GetRevision(), req.GetExpectedRevision())
	}
	if req.GetDecidedBy().GetSubject() == "" {
		return nil, fault.InvalidField("decided_by.subject", "is required: who decides")
	}
	var bad fault.Invalid
	next := proto.Clone(d).(*programmingv1.Deload)
	switch req.GetDecision() {
	case commonv1.DeloadDecision_DELOAD_DECISION_APPROVE:
		next.Status = commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED
	case commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE:
		next.WeekStart = req.GetPostponeTo()
	case commonv1.DeloadDecision_DELOAD_DECISION_DISMISS:
		if req.GetReason() == "" {
			bad.Add("reason", "is required to dismiss")
		}
		next.Status = commonv1.DeloadStatus_DELOAD_STATUS_DISMISSED
	case commonv1.DeloadDecision_DELOAD_DECISION_EDIT:
		p := req.GetParameters()
		if lp := p.GetLoadPercent(); lp != 0 && (lp < 50 || lp > 70) {
			bad.Add("parameters.load_percent", "must be between 50 and 70, got %v", lp)
		}
		if rc := p.GetRpeCap(); rc != 0 && (rc < 6 || rc > 7) {
			bad.Add("parameters.rpe_cap", "must be between 6 and 7, got %v", rc)
		}
		if p.GetLoadPercent() != 0 {
			next.Parameters.LoadPercent = p.GetLoadPercent()
		}
		if p.GetRpeCap() != 0 {
			next.Parameters.RpeCap = p.GetRpeCap()
		}
	}
	if err := bad.Err(); err != nil {
		return nil, err
	}
	next.Revision++
	next.Decisions = append(next.Decisions, &programmingv1.DeloadDecisionRecord{DecidedAt: timestamppb.Now(), Decided: &eventsv1.DeloadDecided{
		DeloadId: d.GetDeloadId(), Decision: req.GetDecision(), DecidedBy: req.GetDecidedBy(), Reason: req.GetReason(),
		WeekStart: next.GetWeekStart(), Status: next.GetStatus()}})
	c.deloads[d.GetDeloadId()] = next
	return &programmingv1.DecideDeloadResponse{Deload: proto.Clone(next).(*programmingv1.Deload)}, nil
}

// GetPrescription answers one squat session, reduced when the athlete's deload is scheduled;
// an athlete without deloads has no program (NotFound, as the service says).
func (c *cannedDecisions) GetPrescription(_ context.Context, req *programmingv1.GetPrescriptionRequest) (*programmingv1.GetPrescriptionResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var deload *programmingv1.Deload
	for _, d := range c.deloads {
		if d.GetAthleteId() == req.GetAthleteId() {
			deload = d
		}
	}
	if deload == nil {
		return nil, fault.NotFound("athlete %s/%s has no program assigned", req.GetTeamId(), req.GetAthleteId())
	}
	load, normal, rpe := 140.0, 140.0, 8.0
	ex := &eventsv1.PrescribedExercise{Exercise: "Back Squat", Sets: 5, Reps: 5, LoadKg: &load, TargetRpe: &rpe}
	reduced := deload.GetStatus() == commonv1.DeloadStatus_DELOAD_STATUS_SCHEDULED
	if reduced {
		load, capRPE := normal*deload.GetParameters().GetLoadPercent()/100, deload.GetParameters().GetRpeCap()
		ex = &eventsv1.PrescribedExercise{Exercise: "Back Squat", Sets: 3, Reps: 3, LoadKg: &load, RpeCap: &capRPE, Deload: true,
			NormalLoadKg: &normal, NormalSets: 5, NormalReps: 5}
	}
	return &programmingv1.GetPrescriptionResponse{Prescription: &eventsv1.Prescription{Deload: reduced,
		Range:    &commonv1.DateRange{Start: deload.GetWeekStart(), End: deload.GetWeekStart()},
		Sessions: []*eventsv1.PrescribedSession{{Date: deload.GetWeekStart(), Name: "Lower A", Exercises: []*eventsv1.PrescribedExercise{ex}}}}}, nil
}

// cannedAlerts answers alerts and subscriptions: acknowledging and resolving change state,
// and a webhook to an internal address is refused with a field violation, as the
// notifications service does.
type cannedAlerts struct {
	quietNotifications
	mu     sync.Mutex
	alerts []*notificationsv1.Alert
	subs   map[string]*notificationsv1.Subscription
	nextID int
}

func (c *cannedAlerts) ListAlerts(_ context.Context, req *notificationsv1.ListAlertsRequest) (*notificationsv1.ListAlertsResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := &notificationsv1.ListAlertsResponse{}
	for _, a := range c.alerts {
		match := len(req.GetStates()) == 0
		for _, st := range req.GetStates() {
			match = match || st == a.GetState()
		}
		if match && a.GetTeamId() == req.GetTeamId() {
			out.Alerts = append(out.Alerts, proto.Clone(a).(*notificationsv1.Alert))
		}
	}
	return out, nil
}

func (c *cannedAlerts) change(team, id string, to commonv1.AlertState) (*notificationsv1.Alert, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.alerts {
		if a.GetAlertId() == id && a.GetTeamId() == team {
			a.State = to
			if to == commonv1.AlertState_ALERT_STATE_ACKNOWLEDGED {
				a.AcknowledgedAt, a.AcknowledgedBy = timestamppb.Now(), &commonv1.Actor{Subject: "coach", DisplayName: "Coach"}
			} else {
				a.ResolvedAt = timestamppb.Now()
			}
			return proto.Clone(a).(*notificationsv1.Alert), nil
		}
	}
	return nil, fault.NotFound("alert %s not found", id)
}

func (c *cannedAlerts) AcknowledgeAlert(_ context.Context, req *notificationsv1.AcknowledgeAlertRequest) (*notificationsv1.AcknowledgeAlertResponse, error) {
	a, err := c.change(req.GetTeamId(), req.GetAlertId(), commonv1.AlertState_ALERT_STATE_ACKNOWLEDGED)
	return &notificationsv1.AcknowledgeAlertResponse{Alert: a}, err
}

func (c *cannedAlerts) ResolveAlert(_ context.Context, req *notificationsv1.ResolveAlertRequest) (*notificationsv1.ResolveAlertResponse, error) {
	a, err := c.change(req.GetTeamId(), req.GetAlertId(), commonv1.AlertState_ALERT_STATE_RESOLVED)
	return &notificationsv1.ResolveAlertResponse{Alert: a}, err
}

func refuseInternalWebhooks(s *notificationsv1.Subscription) error {
	var bad fault.Invalid
	for i, ch := range s.GetChannels() {
		if w := ch.GetWebhook(); w != nil {
			if u, err := url.Parse(w.GetUrl()); err == nil && (u.Hostname() == "127.0.0.1" || strings.HasPrefix(u.Hostname(), "10.")) {
				bad.Add(fmt.Sprintf("subscription.channels[%d].webhook.url", i), "host %s is a loopback or private address; webhooks must reach a public address", u.Hostname())
			}
		}
	}
	return bad.Err()
}

func (c *cannedAlerts) Subscribe(_ context.Context, req *notificationsv1.SubscribeRequest) (*notificationsv1.SubscribeResponse, error) {
	if err := refuseInternalWebhooks(req.GetSubscription()); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	s := proto.Clone(req.GetSubscription()).(*notificationsv1.Subscription)
	s.SubscriptionId, s.TeamId, s.Revision = fmt.Sprintf("sub%d", c.nextID), req.GetTeamId(), 1
	s.Owner = &commonv1.Actor{Subject: "coach", DisplayName: "Coach"}
	c.subs[s.GetSubscriptionId()] = s
	secret := ""
	for _, ch := range s.GetChannels() {
		if ch.GetWebhook() != nil {
			secret = "whsec_canned_secret_0123456789"
		}
	}
	return &notificationsv1.SubscribeResponse{Subscription: s, SigningSecret: secret}, nil
}

func (c *cannedAlerts) UpdateSubscription(_ context.Context, req *notificationsv1.UpdateSubscriptionRequest) (*notificationsv1.UpdateSubscriptionResponse, error) {
	if err := refuseInternalWebhooks(req.GetSubscription()); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cur, ok := c.subs[req.GetSubscription().GetSubscriptionId()]
	if !ok {
		return nil, fault.NotFound("no such subscription")
	}
	if req.ExpectedRevision != nil && req.GetExpectedRevision() != cur.GetRevision() {
		return nil, fault.FailedPrecondition("subscription is at revision %d", cur.GetRevision())
	}
	next := proto.Clone(req.GetSubscription()).(*notificationsv1.Subscription)
	next.TeamId, next.Owner, next.Revision = cur.GetTeamId(), cur.GetOwner(), cur.GetRevision()+1
	c.subs[next.GetSubscriptionId()] = next
	return &notificationsv1.UpdateSubscriptionResponse{Subscription: next}, nil
}

func (c *cannedAlerts) ListSubscriptions(_ context.Context, req *notificationsv1.ListSubscriptionsRequest) (*notificationsv1.ListSubscriptionsResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := &notificationsv1.ListSubscriptionsResponse{}
	for _, s := range c.subs {
		if s.GetTeamId() == req.GetTeamId() {
			out.Subscriptions = append(out.Subscriptions, proto.Clone(s).(*notificationsv1.Subscription))
		}
	}
	return out, nil
}

func (c *cannedAlerts) Unsubscribe(_ context.Context, req *notificationsv1.UnsubscribeRequest) (*notificationsv1.UnsubscribeResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.subs, req.GetSubscriptionId())
	return &notificationsv1.UnsubscribeResponse{}, nil
}

func (c *cannedAlerts) TestDelivery(_ context.Context, req *notificationsv1.TestDeliveryRequest) (*notificationsv1.TestDeliveryResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.subs[req.GetSubscriptionId()]
	if !ok {
		return nil, fault.NotFound("no such subscription")
	}
	out := &notificationsv1.TestDeliveryResponse{}
	for _, ch := range s.GetChannels() {
		a := &notificationsv1.DeliveryAttempt{Attempt: 1, Target: &eventsv1.DeliveryTarget{SubscriptionId: s.GetSubscriptionId()}}
		switch {
		case ch.GetWebhook() != nil:
			a.Target.Channel, a.Target.Destination, a.Delivered, a.StatusCode, a.LatencyMs = commonv1.Channel_CHANNEL_WEBHOOK, "https://hooks.example.com/…", true, 200, 12
		case ch.GetEmail() != nil:
			a.Target.Channel, a.Target.Destination, a.Error = commonv1.Channel_CHANNEL_EMAIL, "k***@club.org", "no SMTP relay configured"
		}
		out.Attempts = append(out.Attempts, a)
	}
	return out, nil
}
