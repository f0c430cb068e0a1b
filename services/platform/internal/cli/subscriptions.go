package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

func init() { subcommands = append(subcommands, newSubscriptionsCmd) }

func newSubscriptionsCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "subscriptions", Aliases: []string{"subs"},
		Short: "Create, list, show, change, test and remove alert subscriptions"}
	cmd.AddCommand(newSubscriptionCreateCmd(opts), newSubscriptionsListCmd(opts), newSubscriptionGetCmd(opts),
		newSubscriptionUpdateCmd(opts), newSubscriptionTestCmd(opts), newSubscriptionRemoveCmd(opts))
	return cmd
}

func newSubscriptionsListCmd(opts *options) *cobra.Command {
	var team, output string
	cmd := covers(&cobra.Command{
		Use:     "list --team T",
		Short:   "List a team's subscriptions: who gets which alerts where and when",
		Example: "  sc subscriptions list --team t1\n  sc subscriptions list --team t1 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			resp, err := listSubscriptions(cmd, opts, team)
			if err != nil {
				return err
			}
			return render(opts.out, output, resp, func(w io.Writer) error {
				fmt.Fprintln(w, "SUBSCRIPTION\tNAME\tCHANNELS\tKINDS\tMIN SEVERITY\tQUIET HOURS\tDIGEST\tREVISION")
				for _, s := range resp.GetSubscriptions() {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", s.GetSubscriptionId(), orText(s.GetName()), channelsText(s), kindsText(s),
						severityWord(s.GetMinSeverity().String()), quietText(s.GetQuietHours()), digestText(s.GetDigest()), s.GetRevision())
				}
				if len(resp.GetSubscriptions()) == 0 {
					fmt.Fprintln(w, "(none)")
				}
				return nil
			})
		},
	}, notificationsv1.NotificationService_ListSubscriptions_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output)
	return cmd
}

func listSubscriptions(cmd *cobra.Command, opts *options, team string) (*notificationsv1.ListSubscriptionsResponse, error) {
	if err := needTeam(team); err != nil {
		return nil, err
	}
	conn, ctx, done, err := opts.connect(cmd)
	if err != nil {
		return nil, err
	}
	defer done()
	resp, err := notificationsv1.NewNotificationServiceClient(conn).ListSubscriptions(ctx, &notificationsv1.ListSubscriptionsRequest{TeamId: team})
	return resp, opts.callFailed("list subscriptions", err)
}

// findSubscription reads one subscription; the API lists a team's (a handful) rather than
// having a get of its own.
func findSubscription(cmd *cobra.Command, opts *options, team, id string) (*notificationsv1.Subscription, error) {
	resp, err := listSubscriptions(cmd, opts, team)
	if err != nil {
		return nil, err
	}
	for _, s := range resp.GetSubscriptions() {
		if s.GetSubscriptionId() == id {
			return s, nil
		}
	}
	return nil, &notFoundError{what: fmt.Sprintf("subscription %s of team %s", id, team)}
}

func newSubscriptionGetCmd(opts *options) *cobra.Command {
	var team, output string
	cmd := covers(&cobra.Command{
		Use:     "get SUBSCRIPTION_ID --team T",
		Aliases: []string{"show"},
		Short:   "Show one subscription in full",
		Example: "  sc subscriptions get 0193a5c2-... --team t1 -o yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			s, err := findSubscription(cmd, opts, team, args[0])
			if err != nil {
				return err
			}
			return render(opts.out, output, s, func(w io.Writer) error { return writeSubscription(w, opts, s) })
		},
	}, notificationsv1.NotificationService_ListSubscriptions_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output)
	return cmd
}

func writeSubscription(w io.Writer, opts *options, s *notificationsv1.Subscription) error {
	fmt.Fprintf(w, "SUBSCRIPTION\t%s\n", s.GetSubscriptionId())
	fmt.Fprintf(w, "TEAM\t%s\n", s.GetTeamId())
	fmt.Fprintf(w, "NAME\t%s\n", orText(s.GetName()))
	fmt.Fprintf(w, "CHANNELS\t%s\n", channelsText(s))
	fmt.Fprintf(w, "KINDS\t%s\n", kindsText(s))
	fmt.Fprintf(w, "MIN SEVERITY\t%s\n", severityWord(s.GetMinSeverity().String()))
	fmt.Fprintf(w, "ATHLETES\t%s\n", orText(strings.Join(s.GetAthleteIds(), ",")))
	fmt.Fprintf(w, "GROUPS\t%s\n", orText(strings.Join(s.GetPositionGroups(), ",")))
	fmt.Fprintf(w, "QUIET HOURS\t%s\n", quietText(s.GetQuietHours()))
	fmt.Fprintf(w, "DIGEST\t%s\n", digestText(s.GetDigest()))
	if r := s.GetCheckinReminder(); r.GetEnabled() {
		fmt.Fprintf(w, "CHECK-IN REMINDER\t%s %s\n", clockText(r.GetSendMinute()), zoneText(r.GetTimeZone()))
	}
	if s.GetEscalateAfter() != nil {
		fmt.Fprintf(w, "ESCALATE AFTER\t%s\n", s.GetEscalateAfter().AsDuration())
	}
	fmt.Fprintf(w, "ESCALATIONS ONLY\t%v\n", s.GetEscalationsOnly())
	fmt.Fprintf(w, "OWNER\t%s\n", orText(s.GetOwner().GetSubject()))
	fmt.Fprintf(w, "CREATED\t%s\n", opts.timeText(s.GetCreatedAt()))
	_, err := fmt.Fprintf(w, "REVISION\t%d\n", s.GetRevision())
	return err
}

func newSubscriptionUpdateCmd(opts *options) *cobra.Command {
	var f subscribeFlags
	var revision int64
	cmd := covers(&cobra.Command{
		Use:   "update SUBSCRIPTION_ID --team T [flags of create]",
		Short: "Change a subscription; only the flags given change (revision-checked)",
		Long: "Reads the subscription, applies the flags given and writes it back only if nobody changed it in\n" +
			"between. Giving any of --webhook, --slack, --email replaces all channels; --quiet-hours, --digest and\n" +
			"--checkin-reminder take 'off' to switch them off.",
		Example: "  sc subscriptions update 0193a5c2-... --team t1 --min-severity critical --quiet-hours off\n" +
			"  sc subscriptions update 0193a5c2-... --team t1 --email coach@club.org,physio@club.org --revision 2",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needTeam(f.team); err != nil {
				return err
			}
			f.tz = opts.tz
			sub, err := findSubscription(cmd, opts, f.team, args[0])
			if err != nil {
				return err
			}
			expected := sub.GetRevision()
			if revision >= 0 {
				expected = uint64(revision)
			}
			if err := f.apply(sub, cmd.Flags().Changed); err != nil {
				return err
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			resp, err := notificationsv1.NewNotificationServiceClient(conn).UpdateSubscription(ctx,
				&notificationsv1.UpdateSubscriptionRequest{TeamId: f.team, Subscription: sub, ExpectedRevision: &expected})
			if err != nil {
				return opts.callFailed("update subscription", err)
			}
			_, err = fmt.Fprintf(opts.out, "subscription %s updated (revision %d)\n", resp.GetSubscription().GetSubscriptionId(), resp.GetSubscription().GetRevision())
			return err
		},
	}, notificationsv1.NotificationService_UpdateSubscription_FullMethodName, notificationsv1.NotificationService_ListSubscriptions_FullMethodName)
	f.register(cmd)
	revisionFlag(cmd, &revision, "subscription")
	return cmd
}

// apply changes sub by the flags that changed; the rest of sub stays as stored.
func (f subscribeFlags) apply(sub *notificationsv1.Subscription, changed func(string) bool) error {
	// Parse the flags as a new subscription would be; a placeholder channel keeps the
	// "at least one channel" rule of create out of an update that leaves channels alone.
	parsed := f
	if parsed.webhook == "" && parsed.slack == "" && len(parsed.emails) == 0 {
		parsed.emails = []string{"unchanged@example.invalid"}
	}
	for _, off := range []*string{&parsed.quiet, &parsed.digest, &parsed.checkinReminder} {
		if *off == "off" {
			*off = ""
		}
	}
	fresh, err := parsed.subscription()
	if err != nil {
		return err
	}
	if changed("name") {
		sub.Name = fresh.GetName()
	}
	if changed("webhook") || changed("slack") || changed("email") {
		sub.Channels = fresh.GetChannels()
	}
	if changed("athletes") {
		sub.AthleteIds = fresh.GetAthleteIds()
	}
	if changed("groups") {
		sub.PositionGroups = fresh.GetPositionGroups()
	}
	if changed("kinds") {
		sub.Kinds = fresh.GetKinds()
	}
	if changed("min-severity") {
		sub.MinSeverity = fresh.GetMinSeverity()
	}
	if changed("quiet-hours") || changed("quiet") {
		sub.QuietHours = fresh.GetQuietHours()
	} else if changed("quiet-bypass") && sub.QuietHours != nil {
		// Only the bypass changes; the stored hours stay.
		if sub.QuietHours.BypassSeverity, err = parseSeverity("--quiet-bypass", f.quietBypass); err != nil {
			return err
		}
	}
	if changed("digest") {
		sub.Digest = fresh.GetDigest()
	}
	if changed("checkin-reminder") {
		sub.CheckinReminder = fresh.GetCheckinReminder()
	}
	// --tz alone moves every clock of the subscription to the new zone.
	if changed("tz") {
		if q := sub.GetQuietHours(); q != nil {
			q.TimeZone = f.tz
		}
		if d := sub.GetDigest(); d != nil {
			d.TimeZone = f.tz
		}
		if r := sub.GetCheckinReminder(); r != nil {
			r.TimeZone = f.tz
		}
	}
	if changed("escalate-after") {
		sub.EscalateAfter = nil
		if f.escalateAfter > 0 {
			sub.EscalateAfter = durationpb.New(f.escalateAfter)
		}
	}
	if changed("escalations-only") {
		sub.EscalationsOnly = f.escalationsOnly
	}
	return nil
}

func newSubscriptionTestCmd(opts *options) *cobra.Command {
	var team, output string
	cmd := covers(&cobra.Command{
		Use:     "test SUBSCRIPTION_ID --team T",
		Short:   "Send a test alert through every channel of a subscription now and show each attempt",
		Example: "  sc subscriptions test 0193a5c2-... --team t1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			conn, ctx, done, err := opts.connectForTeam(cmd, output, team)
			if err != nil {
				return err
			}
			defer done()
			resp, err := notificationsv1.NewNotificationServiceClient(conn).TestDelivery(ctx,
				&notificationsv1.TestDeliveryRequest{TeamId: team, SubscriptionId: args[0]})
			if err != nil {
				return opts.callFailed("test delivery", err)
			}
			return render(opts.out, output, resp, func(w io.Writer) error { return writeDeliveries(w, opts, resp.GetAttempts()) })
		},
	}, notificationsv1.NotificationService_TestDelivery_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output)
	return cmd
}

func newSubscriptionRemoveCmd(opts *options) *cobra.Command {
	var team string
	cmd := covers(&cobra.Command{
		Use:     "remove SUBSCRIPTION_ID --team T",
		Aliases: []string{"rm", "unsubscribe"},
		Short:   "Remove a subscription: its channels get no more alerts",
		Example: "  sc subscriptions remove 0193a5c2-... --team t1",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needTeam(team); err != nil {
				return err
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			_, err = notificationsv1.NewNotificationServiceClient(conn).Unsubscribe(ctx, &notificationsv1.UnsubscribeRequest{TeamId: team, SubscriptionId: args[0]})
			if err != nil {
				return opts.callFailed("remove subscription", err)
			}
			_, err = fmt.Fprintf(opts.out, "subscription %s removed\n", args[0])
			return err
		},
	}, notificationsv1.NotificationService_Unsubscribe_FullMethodName)
	teamFlag(cmd, &team, "")
	return cmd
}

func channelsText(s *notificationsv1.Subscription) string {
	var parts []string
	for _, c := range s.GetChannels() {
		switch t := c.GetTarget().(type) {
		case *notificationsv1.ChannelTarget_Webhook:
			parts = append(parts, "webhook "+t.Webhook.GetUrl())
		case *notificationsv1.ChannelTarget_SlackWebhook:
			parts = append(parts, "slack")
		case *notificationsv1.ChannelTarget_Email:
			parts = append(parts, "email "+strings.Join(t.Email.GetAddresses(), ","))
		default:
			parts = append(parts, "other")
		}
	}
	return orText(strings.Join(parts, "; "))
}

func kindsText(s *notificationsv1.Subscription) string {
	if len(s.GetKinds()) == 0 {
		return "all"
	}
	parts := make([]string, len(s.GetKinds()))
	for i, k := range s.GetKinds() {
		parts[i] = alertEnum(k.String(), "ALERT_KIND_")
	}
	return strings.Join(parts, ",")
}

func severityWord(s string) string {
	if w := alertEnum(s, "SEVERITY_"); w != "unspecified" {
		return w
	}
	return "any"
}

func quietText(q *notificationsv1.QuietHours) string {
	if q == nil {
		return "-"
	}
	return clockText(q.GetStartMinute()) + "-" + clockText(q.GetEndMinute()) + " " + zoneText(q.GetTimeZone())
}

func digestText(d *notificationsv1.DigestSchedule) string {
	if !d.GetEnabled() {
		return "-"
	}
	return clockText(d.GetSendMinute()) + " " + zoneText(d.GetTimeZone())
}

func clockText(minute uint32) string { return fmt.Sprintf("%02d:%02d", minute/60, minute%60) }

func zoneText(tz string) string {
	if tz == "" {
		return "UTC"
	}
	return tz
}

func orText(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
