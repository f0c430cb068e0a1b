package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

func init() { subcommands = append(subcommands, newSubscribeCmd) }

type subscribeFlags struct {
	team, name, webhook, secret, slack, minSeverity, quiet, quietBypass, tz, digest, checkinReminder string
	emails, athletes, groups, kinds                                                                  []string
	escalateAfter                                                                                    time.Duration
	escalationsOnly                                                                                  bool
}

// subscribeExample is the help example of both spellings of the create command.
const subscribeExample = "  sc subscribe --team t1 --name 'Head coach' --webhook https://hooks.example.com/sc --quiet-hours 22:00-07:00 --tz America/Chicago\n" +
	"  sc subscriptions create --team t1 --email coach@club.org --kinds deload_recommended --digest 07:00"

func newSubscribeCmd(opts *options) *cobra.Command {
	cmd := newSubscriptionCreateCmd(opts)
	cmd.Use = "subscribe"
	return cmd
}

func newSubscriptionCreateCmd(opts *options) *cobra.Command {
	var f subscribeFlags
	cmd := covers(&cobra.Command{
		Use:   "create",
		Short: "Subscribe a coach or staff member to a team's alerts",
		Long: "Creates a subscription: which alerts (kinds, minimum severity, athletes or position groups), where\n" +
			"(--webhook, --slack, --email) and when (--quiet-hours, --digest, in --tz). For webhooks the signing\n" +
			"secret is printed once. --checkin-reminder HH:MM also reminds, once a day, the athletes who have not\n" +
			"checked in. `sc subscribe` and `sc subscriptions create` are the same command.",
		Example: subscribeExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needTeam(f.team); err != nil {
				return err
			}
			f.tz = opts.tz
			sub, err := f.subscription()
			if err != nil {
				return err
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			resp, err := notificationsv1.NewNotificationServiceClient(conn).Subscribe(ctx, &notificationsv1.SubscribeRequest{TeamId: f.team, Subscription: sub})
			if err != nil {
				return opts.callFailed("subscribe", err)
			}
			fmt.Fprintf(opts.out, "subscription %s created for team %s\n", resp.GetSubscription().GetSubscriptionId(), f.team)
			if resp.GetSigningSecret() != "" {
				fmt.Fprintf(opts.out, "webhook signing secret (shown once): %s\n", resp.GetSigningSecret())
			}
			return nil
		},
	}, notificationsv1.NotificationService_Subscribe_FullMethodName)
	f.register(cmd)
	return cmd
}

// register adds the flags that describe a subscription, shared by create and update.
func (f *subscribeFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	teamFlag(cmd, &f.team, "")
	fl.StringVar(&f.name, "name", "", "subscriber name, e.g. 'Head S&C coach'")
	fl.StringVar(&f.webhook, "webhook", "", "signed JSON webhook URL")
	fl.StringVar(&f.secret, "secret", "", "webhook signing secret (generated when empty)")
	fl.StringVar(&f.slack, "slack", "", "Slack-style incoming webhook URL")
	fl.StringSliceVar(&f.emails, "email", nil, "email addresses (comma-separated)")
	fl.StringSliceVar(&f.athletes, "athletes", nil, "only these athletes")
	fl.StringSliceVar(&f.groups, "groups", nil, "only these position groups")
	fl.StringSliceVar(&f.kinds, "kinds", nil, "alert kinds: deload_recommended, deload_scheduled, deload_decided, team_trend, joint_pain")
	fl.StringVar(&f.minSeverity, "min-severity", "", "minimum severity: info, warning, critical")
	fl.StringVar(&f.quiet, "quiet-hours", "", "quiet hours HH:MM-HH:MM in --tz, e.g. 22:00-07:00")
	// --quiet was the first name of --quiet-hours; scripts written then keep working, while
	// everywhere else --quiet means "no progress or notes".
	fl.StringVar(&f.quiet, "quiet", "", "quiet hours (old name of --quiet-hours)")
	_ = fl.MarkDeprecated("quiet", "use --quiet-hours")
	fl.StringVar(&f.quietBypass, "quiet-bypass", "", "severity delivered even in quiet hours, e.g. critical")
	fl.StringVar(&f.digest, "digest", "", "send a daily digest at HH:MM in --tz instead of instant alerts")
	fl.StringVar(&f.checkinReminder, "checkin-reminder", "", "remind athletes who have not checked in by HH:MM in --tz (webhook: one per athlete; email: the list)")
	fl.DurationVar(&f.escalateAfter, "escalate-after", 0, "escalate alerts not acknowledged within this time")
	fl.BoolVar(&f.escalationsOnly, "escalations-only", false, "receive only escalated alerts (an escalation contact)")
}

func (f subscribeFlags) subscription() (*notificationsv1.Subscription, error) {
	sub := &notificationsv1.Subscription{Name: f.name, AthleteIds: f.athletes, PositionGroups: f.groups, EscalationsOnly: f.escalationsOnly}
	if f.webhook != "" {
		sub.Channels = append(sub.Channels, &notificationsv1.ChannelTarget{Target: &notificationsv1.ChannelTarget_Webhook{
			Webhook: &notificationsv1.WebhookTarget{Url: f.webhook, SigningSecret: f.secret}}})
	}
	if f.slack != "" {
		sub.Channels = append(sub.Channels, &notificationsv1.ChannelTarget{Target: &notificationsv1.ChannelTarget_SlackWebhook{
			SlackWebhook: &notificationsv1.SlackWebhookTarget{Url: f.slack}}})
	}
	if len(f.emails) > 0 {
		sub.Channels = append(sub.Channels, &notificationsv1.ChannelTarget{Target: &notificationsv1.ChannelTarget_Email{
			Email: &notificationsv1.EmailTarget{Addresses: f.emails}}})
	}
	if len(sub.Channels) == 0 {
		return nil, usagef("give at least one channel: --webhook, --slack or --email")
	}
	for _, k := range f.kinds {
		v, ok := commonv1.AlertKind_value["ALERT_KIND_"+strings.ToUpper(k)]
		if !ok {
			return nil, usagef("--kinds: unknown alert kind %q", k)
		}
		sub.Kinds = append(sub.Kinds, commonv1.AlertKind(v))
	}
	var err error
	if sub.MinSeverity, err = parseSeverity("--min-severity", f.minSeverity); err != nil {
		return nil, err
	}
	if f.quiet != "" {
		start, end, ok := strings.Cut(f.quiet, "-")
		s, err1 := parseClock(start)
		e, err2 := parseClock(end)
		if !ok || err1 != nil || err2 != nil {
			return nil, usagef("--quiet-hours %q: want HH:MM-HH:MM", f.quiet)
		}
		bypass, err := parseSeverity("--quiet-bypass", f.quietBypass)
		if err != nil {
			return nil, err
		}
		sub.QuietHours = &notificationsv1.QuietHours{StartMinute: s, EndMinute: e, TimeZone: f.tz, BypassSeverity: bypass}
	}
	if f.digest != "" {
		m, err := parseClock(f.digest)
		if err != nil {
			return nil, usagef("--digest %q: want HH:MM", f.digest)
		}
		sub.Digest = &notificationsv1.DigestSchedule{Enabled: true, SendMinute: m, TimeZone: f.tz}
	}
	if f.checkinReminder != "" {
		m, err := parseClock(f.checkinReminder)
		if err != nil {
			return nil, usagef("--checkin-reminder %q: want HH:MM", f.checkinReminder)
		}
		sub.CheckinReminder = &notificationsv1.CheckinReminder{Enabled: true, SendMinute: m, TimeZone: f.tz}
	}
	if f.escalateAfter > 0 {
		sub.EscalateAfter = durationpb.New(f.escalateAfter)
	}
	return sub, nil
}

func parseSeverity(flag, s string) (commonv1.Severity, error) {
	if s == "" {
		return commonv1.Severity_SEVERITY_UNSPECIFIED, nil
	}
	v, ok := commonv1.Severity_value["SEVERITY_"+strings.ToUpper(s)]
	if !ok {
		return 0, usagef("%s: unknown severity %q (info, warning, critical)", flag, s)
	}
	return commonv1.Severity(v), nil
}

func parseClock(s string) (uint32, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, err
	}
	return uint32(t.Hour()*60 + t.Minute()), nil
}
