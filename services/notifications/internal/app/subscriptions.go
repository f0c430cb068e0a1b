package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	"github.com/supercomp/supercomp/pkg/ids"
	"github.com/supercomp/supercomp/services/notifications/internal/domain"
)

func failedPrecondition(err error) error { return fault.FailedPrecondition("%s", err.Error()) }

// ChannelOf is the channel of a target.
func ChannelOf(t *notificationsv1.ChannelTarget) commonv1.Channel {
	switch t.GetTarget().(type) {
	case *notificationsv1.ChannelTarget_Webhook:
		return commonv1.Channel_CHANNEL_WEBHOOK
	case *notificationsv1.ChannelTarget_SlackWebhook:
		return commonv1.Channel_CHANNEL_SLACK_WEBHOOK
	case *notificationsv1.ChannelTarget_Email:
		return commonv1.Channel_CHANNEL_EMAIL
	}
	return commonv1.Channel_CHANNEL_UNSPECIFIED
}

// RedactTarget is a target's destination without secrets.
func RedactTarget(t *notificationsv1.ChannelTarget) string {
	switch t := t.GetTarget().(type) {
	case *notificationsv1.ChannelTarget_Webhook:
		return Redact(t.Webhook.GetUrl())
	case *notificationsv1.ChannelTarget_SlackWebhook:
		return Redact(t.SlackWebhook.GetUrl())
	case *notificationsv1.ChannelTarget_Email:
		out := ""
		for i, a := range t.Email.GetAddresses() {
			if i > 0 {
				out += ", "
			}
			out += RedactAddress(a)
		}
		return out
	}
	return ""
}

// senderTarget is what a sender needs to reach the receiver.
func senderTarget(t *notificationsv1.ChannelTarget) Endpoint {
	switch t := t.GetTarget().(type) {
	case *notificationsv1.ChannelTarget_Webhook:
		return Endpoint{URL: t.Webhook.GetUrl(), SigningSecret: t.Webhook.GetSigningSecret()}
	case *notificationsv1.ChannelTarget_SlackWebhook:
		return Endpoint{URL: t.SlackWebhook.GetUrl()}
	case *notificationsv1.ChannelTarget_Email:
		return Endpoint{Addresses: t.Email.GetAddresses()}
	}
	return Endpoint{}
}

// ToDomain converts the stored subscription to the domain's view.
func ToDomain(s *notificationsv1.Subscription) (domain.Subscription, error) {
	qloc, err := domain.LoadLocation(s.GetQuietHours().GetTimeZone())
	if err != nil {
		return domain.Subscription{}, err
	}
	dloc, err := domain.LoadLocation(s.GetDigest().GetTimeZone())
	if err != nil {
		return domain.Subscription{}, err
	}
	return domain.Subscription{
		ID: s.GetSubscriptionId(), TeamID: s.GetTeamId(), AthleteIDs: s.GetAthleteIds(), PositionGroups: s.GetPositionGroups(),
		Kinds: kindsOf(s.GetKinds()), MinSeverity: SeverityOf(s.GetMinSeverity()),
		QuietHours: domain.QuietHours{StartMinute: int(s.GetQuietHours().GetStartMinute()), EndMinute: int(s.GetQuietHours().GetEndMinute()),
			Location: qloc, BypassSeverity: SeverityOf(s.GetQuietHours().GetBypassSeverity())},
		Digest: domain.DigestSchedule{Enabled: s.GetDigest().GetEnabled(), SendMinute: int(s.GetDigest().GetSendMinute()),
			Location: dloc, BypassSeverity: SeverityOf(s.GetDigest().GetBypassSeverity())},
		EscalateAfter:   s.GetEscalateAfter().AsDuration(),
		EscalationsOnly: s.GetEscalationsOnly(),
	}, nil
}

// ValidateSubscription reports every problem of a subscription at once.
func ValidateSubscription(team string, s *notificationsv1.Subscription, bad *fault.Invalid) {
	ids.CheckTeam(bad, "team_id", team)
	if s == nil {
		bad.Add("subscription", "is required")
		return
	}
	const p = "subscription"
	for i, a := range s.GetAthleteIds() {
		ids.CheckAthlete(bad, fault.Field(p, "athlete_ids", i), a)
	}
	for i, k := range s.GetKinds() {
		if _, ok := commonv1.AlertKind_name[int32(k)]; !ok || k == commonv1.AlertKind_ALERT_KIND_UNSPECIFIED {
			bad.Add(fault.Field(p, "kinds", i), "unknown alert kind %d", k)
		}
	}
	if _, ok := commonv1.Severity_name[int32(s.GetMinSeverity())]; !ok {
		bad.Add(p+".min_severity", "unknown severity %d", s.GetMinSeverity())
	}
	if len(s.GetChannels()) == 0 {
		bad.Add(p+".channels", "at least one channel is required")
	}
	for i, ch := range s.GetChannels() {
		f := fault.Field(p, "channels", i)
		switch t := ch.GetTarget().(type) {
		case *notificationsv1.ChannelTarget_Webhook:
			validURL(bad, f+".webhook.url", t.Webhook.GetUrl())
		case *notificationsv1.ChannelTarget_SlackWebhook:
			validURL(bad, f+".slack_webhook.url", t.SlackWebhook.GetUrl())
		case *notificationsv1.ChannelTarget_Email:
			if len(t.Email.GetAddresses()) == 0 {
				bad.Add(f+".email.addresses", "at least one address is required")
			}
			for j, addr := range t.Email.GetAddresses() {
				if _, err := mail.ParseAddress(addr); err != nil {
					bad.Add(fault.Field(f+".email.addresses", j), "not an email address: %q", addr)
				}
			}
		default:
			bad.Add(f, "a webhook, slack_webhook or email target is required")
		}
	}
	if q := s.GetQuietHours(); q != nil {
		if !domain.ValidMinute(int(q.GetStartMinute())) {
			bad.Add(p+".quiet_hours.start_minute", "must be 0-1439, got %d", q.GetStartMinute())
		}
		if !domain.ValidMinute(int(q.GetEndMinute())) {
			bad.Add(p+".quiet_hours.end_minute", "must be 0-1439, got %d", q.GetEndMinute())
		}
		if _, err := domain.LoadLocation(q.GetTimeZone()); err != nil {
			bad.Add(p+".quiet_hours.time_zone", "unknown IANA time zone %q", q.GetTimeZone())
		}
	}
	if d := s.GetDigest(); d != nil {
		if !domain.ValidMinute(int(d.GetSendMinute())) {
			bad.Add(p+".digest.send_minute", "must be 0-1439, got %d", d.GetSendMinute())
		}
		if _, err := domain.LoadLocation(d.GetTimeZone()); err != nil {
			bad.Add(p+".digest.time_zone", "unknown IANA time zone %q", d.GetTimeZone())
		}
	}
	if r := s.GetCheckinReminder(); r != nil {
		if !domain.ValidMinute(int(r.GetSendMinute())) {
			bad.Add(p+".checkin_reminder.send_minute", "must be 0-1439, got %d", r.GetSendMinute())
		}
		if _, err := domain.LoadLocation(r.GetTimeZone()); err != nil {
			bad.Add(p+".checkin_reminder.time_zone", "unknown IANA time zone %q", r.GetTimeZone())
		}
		if r.GetEnabled() {
			// A reminder goes to the athletes' own system (webhook, one per athlete) or to the
			// staff's inbox (email, the list); a coaches' Slack channel is the wrong audience.
			for i, ch := range s.GetChannels() {
				switch ch.GetTarget().(type) {
				case *notificationsv1.ChannelTarget_Webhook, *notificationsv1.ChannelTarget_Email:
				default:
					bad.Add(fault.Field(p, "channels", i), "a subscription with a check-in reminder takes only webhook or email channels")
				}
			}
		}
	}
	if e := s.GetEscalateAfter(); e != nil {
		if err := e.CheckValid(); err != nil || e.AsDuration() < 0 {
			bad.Add(p+".escalate_after", "must be a non-negative duration")
		} else if d := e.AsDuration(); d > 0 && d < time.Second {
			bad.Add(p+".escalate_after", "must be at least 1s, got %s", d)
		}
	}
}

// checkEgress refuses webhook and Slack URLs whose host is (or resolves to) an internal
// address, with the reason; delivery checks again at every connection.
func (a *App) checkEgress(ctx context.Context, s *notificationsv1.Subscription, bad *fault.Invalid) {
	for i, ch := range s.GetChannels() {
		f := fault.Field("subscription", "channels", i)
		var field, raw string
		switch t := ch.GetTarget().(type) {
		case *notificationsv1.ChannelTarget_Webhook:
			field, raw = f+".webhook.url", t.Webhook.GetUrl()
		case *notificationsv1.ChannelTarget_SlackWebhook:
			field, raw = f+".slack_webhook.url", t.SlackWebhook.GetUrl()
		default:
			continue
		}
		if u, err := url.Parse(raw); err != nil || u.Host == "" {
			continue // the syntax check has said so
		}
		if err := a.urls.CheckURL(ctx, raw); err != nil {
			bad.Add(field, "%v; webhooks must reach a public address (an operator can allow internal networks with SC_WEBHOOK_ALLOWED_NETWORKS)", err)
		}
	}
}

func validURL(bad *fault.Invalid, field, raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad.Add(field, "must be an http(s) URL, got %q", raw)
	}
}

func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return "whsec_" + hex.EncodeToString(b[:])
}

// Subscribe validates and stores a new subscription; it returns the stored subscription and
// the webhook signing secret (generated when not supplied).
func (a *App) Subscribe(ctx context.Context, team string, s *notificationsv1.Subscription, owner *commonv1.Actor) (*notificationsv1.Subscription, string, error) {
	var bad fault.Invalid
	ValidateSubscription(team, s, &bad)
	a.checkEgress(ctx, s, &bad)
	if err := bad.Err(); err != nil {
		return nil, "", err
	}
	s = proto.Clone(s).(*notificationsv1.Subscription)
	s.SubscriptionId = events.NewID()
	s.TeamId = team
	s.Owner = owner
	s.CreatedAt = timestamppb.New(a.now())
	secret := ""
	for _, ch := range s.GetChannels() {
		if w := ch.GetWebhook(); w != nil {
			if w.GetSigningSecret() == "" {
				if secret == "" {
					secret = newSecret()
				}
				w.SigningSecret = secret
			} else if secret == "" {
				secret = w.GetSigningSecret()
			}
		}
	}
	rev, err := a.State.PutSubscription(ctx, s, 0)
	if err != nil {
		return nil, "", err
	}
	s.Revision = rev
	return Redacted(s), secret, nil
}

// UpdateSubscription replaces a subscription's settings, revision-checked.
func (a *App) UpdateSubscription(ctx context.Context, team string, s *notificationsv1.Subscription, expected *uint64) (*notificationsv1.Subscription, error) {
	var bad fault.Invalid
	if s.GetSubscriptionId() == "" {
		bad.Add("subscription.subscription_id", "is required")
	}
	ValidateSubscription(team, s, &bad)
	a.checkEgress(ctx, s, &bad)
	if err := bad.Err(); err != nil {
		return nil, err
	}
	cur, err := a.State.Subscription(ctx, team, s.GetSubscriptionId())
	if err != nil {
		return nil, err
	}
	rev := cur.GetRevision()
	if expected != nil {
		if *expected != rev {
			return nil, fault.FailedPrecondition("subscription %s is at revision %d, not %d", s.GetSubscriptionId(), rev, *expected)
		}
	}
	next := proto.Clone(s).(*notificationsv1.Subscription)
	next.TeamId, next.Owner, next.CreatedAt, next.Revision = team, cur.GetOwner(), cur.GetCreatedAt(), 0
	oldSecret := ""
	for _, ch := range cur.GetChannels() {
		if w := ch.GetWebhook(); w != nil && oldSecret == "" {
			oldSecret = w.GetSigningSecret()
		}
	}
	for _, ch := range next.GetChannels() {
		if w := ch.GetWebhook(); w != nil && w.GetSigningSecret() == "" {
			if oldSecret == "" {
				oldSecret = newSecret()
			}
			w.SigningSecret = oldSecret
		}
	}
	newRev, err := a.State.PutSubscription(ctx, next, rev)
	if err != nil {
		return nil, err
	}
	next.Revision = newRev
	return Redacted(next), nil
}

// Redacted is s without secrets: no signing secrets, Slack URLs reduced to their host.
func Redacted(s *notificationsv1.Subscription) *notificationsv1.Subscription {
	out := proto.Clone(s).(*notificationsv1.Subscription)
	for _, ch := range out.GetChannels() {
		if w := ch.GetWebhook(); w != nil {
			w.SigningSecret = ""
		}
		if sl := ch.GetSlackWebhook(); sl != nil {
			sl.Url = Redact(sl.GetUrl())
		}
	}
	return out
}

func channelOfName(name string) commonv1.Channel {
	return commonv1.Channel(commonv1.Channel_value["CHANNEL_"+strings.ToUpper(name)])
}
