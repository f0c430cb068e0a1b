package cli

import (
	"slices"
	"strings"
	"testing"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

func TestSubscribeCheckinReminderFlag(t *testing.T) {
	f := subscribeFlags{team: "t1", webhook: "https://hooks.example.com/athletes", checkinReminder: "08:30", tz: "Europe/Berlin"}
	sub, err := f.subscription()
	if err != nil {
		t.Fatal(err)
	}
	r := sub.GetCheckinReminder()
	if !r.GetEnabled() || r.GetSendMinute() != 8*60+30 || r.GetTimeZone() != "Europe/Berlin" {
		t.Fatalf("checkin_reminder %v, want enabled at minute 510 in Europe/Berlin", r)
	}

	f.checkinReminder = "8h30"
	if _, err := f.subscription(); err == nil || !strings.Contains(err.Error(), "--checkin-reminder") {
		t.Fatalf("bad time: %v, want an error naming --checkin-reminder", err)
	}

	f.checkinReminder = ""
	if sub, err := f.subscription(); err != nil || sub.GetCheckinReminder() != nil {
		t.Fatalf("without the flag: %v, %v; want no reminder", sub.GetCheckinReminder(), err)
	}
}

// TestSubscriptionUpdateAppliesOnlyChangedFlags: `sc subscriptions update` keeps everything
// the flags do not name.
func TestSubscriptionUpdateAppliesOnlyChangedFlags(t *testing.T) {
	stored := func() *notificationsv1.Subscription {
		return &notificationsv1.Subscription{SubscriptionId: "s1", Name: "Head coach", MinSeverity: commonv1.Severity_SEVERITY_WARNING,
			Channels:   []*notificationsv1.ChannelTarget{{Target: &notificationsv1.ChannelTarget_Webhook{Webhook: &notificationsv1.WebhookTarget{Url: "https://hooks.example.com/a"}}}},
			QuietHours: &notificationsv1.QuietHours{StartMinute: 22 * 60, EndMinute: 7 * 60, TimeZone: "Europe/Oslo"},
			Digest:     &notificationsv1.DigestSchedule{Enabled: true, SendMinute: 7 * 60, TimeZone: "Europe/Oslo"}}
	}
	changedOnly := func(names ...string) func(string) bool {
		return func(n string) bool { return slices.Contains(names, n) }
	}
	cases := []struct {
		name  string
		flags subscribeFlags
		set   []string
		check func(*notificationsv1.Subscription) bool
	}{
		{"bypass keeps the hours", subscribeFlags{quietBypass: "critical"}, []string{"quiet-bypass"}, func(s *notificationsv1.Subscription) bool {
			return s.GetQuietHours().GetStartMinute() == 22*60 && s.GetQuietHours().GetBypassSeverity() == commonv1.Severity_SEVERITY_CRITICAL && s.GetName() == "Head coach"
		}},
		{"quiet hours off", subscribeFlags{quiet: "off"}, []string{"quiet-hours"}, func(s *notificationsv1.Subscription) bool {
			return s.GetQuietHours() == nil && s.GetDigest().GetEnabled()
		}},
		{"tz moves every clock", subscribeFlags{tz: "America/Chicago"}, []string{"tz"}, func(s *notificationsv1.Subscription) bool {
			return s.GetQuietHours().GetTimeZone() == "America/Chicago" && s.GetDigest().GetTimeZone() == "America/Chicago" && s.GetQuietHours().GetStartMinute() == 22*60
		}},
		{"a channel flag replaces the channels", subscribeFlags{emails: []string{"physio@club.example"}}, []string{"email"}, func(s *notificationsv1.Subscription) bool {
			return len(s.GetChannels()) == 1 && s.GetChannels()[0].GetEmail().GetAddresses()[0] == "physio@club.example"
		}},
		{"other flags leave channels alone", subscribeFlags{minSeverity: "critical"}, []string{"min-severity"}, func(s *notificationsv1.Subscription) bool {
			return s.GetMinSeverity() == commonv1.Severity_SEVERITY_CRITICAL && s.GetChannels()[0].GetWebhook().GetUrl() == "https://hooks.example.com/a"
		}},
	}
	for _, c := range cases {
		sub := stored()
		if err := c.flags.apply(sub, changedOnly(c.set...)); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !c.check(sub) {
			t.Errorf("%s: got %v", c.name, sub)
		}
	}
}
