package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

func init() { subcommands = append(subcommands, newAlertsCmd) }

func newAlertsCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "alerts", Short: "List, show, watch, acknowledge and resolve coach alerts; the delivery log"}
	cmd.AddCommand(newAlertsListCmd(opts), newAlertsShowCmd(opts), newAlertsAckCmd(opts, false), newAlertsAckCmd(opts, true),
		newAlertsWatchCmd(opts), newAlertsDeliveriesCmd(opts))
	return cmd
}

func alertEnum(s, prefix string) string { return strings.ToLower(strings.TrimPrefix(s, prefix)) }

func writeAlerts(w io.Writer, opts *options, names map[string]string, alerts []*notificationsv1.Alert) {
	fmt.Fprintf(w, "ALERT\tATHLETE\tNAME\tKIND\tSEVERITY\tSTATE\tSEEN\tDELIVERED\tRAISED (%s)\tTITLE\n", opts.location())
	for _, a := range alerts {
		athlete, name := a.GetAthleteId(), nameOf(names, a.GetAthleteId())
		if athlete == "" {
			athlete, name = "(team)", "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", a.GetAlertId(), athlete, name,
			alertEnum(a.GetContent().GetKind().String(), "ALERT_KIND_"), alertEnum(a.GetContent().GetSeverity().String(), "SEVERITY_"),
			alertEnum(a.GetState().String(), "ALERT_STATE_"), a.GetOccurrences(), a.GetDeliveries(),
			opts.timeText(a.GetRaisedAt()), a.GetContent().GetTitle())
	}
	if len(alerts) == 0 {
		fmt.Fprintln(w, "(no alerts)")
	}
}

// maxAlertsPage is the largest page NotificationService.ListAlerts answers.
const maxAlertsPage = 500

func newAlertsListCmd(opts *options) *cobra.Command {
	var team, athlete, output string
	var states, kinds []string
	var page pageFlags
	cmd := covers(&cobra.Command{
		Use:   "list --team T [--athlete A] [--state open,...] [--kind ...]",
		Short: "List a team's alerts, newest first",
		Example: "  sc alerts list --team t1 --state open\n" +
			"  sc alerts list --team t1 --athlete a42 --limit 0 -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			if err := needTeam(team); err != nil {
				return err
			}
			if err := page.check(); err != nil {
				return err
			}
			req := &notificationsv1.ListAlertsRequest{TeamId: team, AthleteId: athlete}
			for _, s := range states {
				v, ok := commonv1.AlertState_value["ALERT_STATE_"+strings.ToUpper(s)]
				if !ok {
					return usagef("--state: unknown state %q (open, acknowledged, resolved)", s)
				}
				req.States = append(req.States, commonv1.AlertState(v))
			}
			for _, k := range kinds {
				v, ok := commonv1.AlertKind_value["ALERT_KIND_"+strings.ToUpper(k)]
				if !ok {
					return usagef("--kind: unknown alert kind %q", k)
				}
				req.Kinds = append(req.Kinds, commonv1.AlertKind(v))
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			client := notificationsv1.NewNotificationServiceClient(conn)
			resp := &notificationsv1.ListAlertsResponse{}
			resp.NextPageToken, err = collectPages(page, maxAlertsPage, func(token string, size uint32) (int, string, error) {
				req.PageToken, req.PageSize = token, size
				r, err := client.ListAlerts(ctx, req)
				if err != nil {
					return 0, "", opts.callFailed("list alerts", err)
				}
				resp.Alerts = append(resp.Alerts, r.GetAlerts()...)
				return len(r.GetAlerts()), r.GetNextPageToken(), nil
			})
			if err != nil {
				return err
			}
			names := map[string]string{}
			if output == outputTable {
				names = athleteNames(ctx, conn, team)
			}
			if err := render(opts.out, output, resp, func(w io.Writer) error { writeAlerts(w, opts, names, resp.GetAlerts()); return nil }); err != nil {
				return err
			}
			opts.noteMore(output, resp.GetNextPageToken(), "alerts")
			return nil
		},
	}, notificationsv1.NotificationService_ListAlerts_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&athlete, "athlete", "", "only this athlete")
	cmd.Flags().StringSliceVar(&states, "state", nil, "only these states: open, acknowledged, resolved")
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "only these kinds: deload_recommended, deload_scheduled, deload_decided, team_trend, joint_pain")
	page.register(cmd, 100)
	outputFlag(cmd, &output)
	return cmd
}

func newAlertsShowCmd(opts *options) *cobra.Command {
	var team, output string
	cmd := covers(&cobra.Command{
		Use:     "show ALERT_ID --team T",
		Aliases: []string{"get"},
		Short:   "Show one alert: its content, evidence and state",
		Example: "  sc alerts show 0193a5c2-... --team t1\n  sc alerts show 0193a5c2-... --team t1 -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			conn, ctx, done, err := opts.connectForTeam(cmd, output, team)
			if err != nil {
				return err
			}
			defer done()
			resp, err := notificationsv1.NewNotificationServiceClient(conn).GetAlert(ctx, &notificationsv1.GetAlertRequest{TeamId: team, AlertId: args[0]})
			if err != nil {
				return opts.callFailed("show alert", err)
			}
			a := resp.GetAlert()
			names := map[string]string{}
			if output == outputTable && a.GetAthleteId() != "" {
				names = athleteNames(ctx, conn, team)
			}
			return render(opts.out, output, resp, func(w io.Writer) error {
				fmt.Fprintf(w, "ALERT\t%s\n", a.GetAlertId())
				fmt.Fprintf(w, "TITLE\t%s\n", a.GetContent().GetTitle())
				fmt.Fprintf(w, "ATHLETE\t%s (%s)\n", orText(a.GetAthleteId()), nameOf(names, a.GetAthleteId()))
				fmt.Fprintf(w, "KIND\t%s\n", alertEnum(a.GetContent().GetKind().String(), "ALERT_KIND_"))
				fmt.Fprintf(w, "SEVERITY\t%s\n", alertEnum(a.GetContent().GetSeverity().String(), "SEVERITY_"))
				fmt.Fprintf(w, "STATE\t%s\n", alertEnum(a.GetState().String(), "ALERT_STATE_"))
				fmt.Fprintf(w, "RAISED\t%s\n", opts.timeText(a.GetRaisedAt()))
				fmt.Fprintf(w, "UPDATED\t%s\n", opts.timeText(a.GetUpdatedAt()))
				if a.GetAcknowledgedAt() != nil {
					fmt.Fprintf(w, "ACKNOWLEDGED\t%s\n", opts.timeText(a.GetAcknowledgedAt()))
				}
				fmt.Fprintf(w, "SEEN / DELIVERED\t%d / %d\n", a.GetOccurrences(), a.GetDeliveries())
				if summary := a.GetContent().GetSummary(); summary != "" {
					fmt.Fprintf(w, "SUMMARY\t%s\n", oneLine(summary, 200))
				}
				for _, e := range a.GetContent().GetEvidence() {
					fmt.Fprintf(w, "EVIDENCE\t%s: %s\n", familyWords[e.GetFamily()], e.GetMetric())
				}
				return nil
			})
		},
	}, notificationsv1.NotificationService_GetAlert_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output)
	return cmd
}

func newAlertsDeliveriesCmd(opts *options) *cobra.Command {
	var team, output string
	cmd := covers(&cobra.Command{
		Use:     "deliveries ALERT_ID --team T",
		Aliases: []string{"delivery-log"},
		Short:   "The delivery log of an alert: every attempt on every channel, with status and latency",
		Example: "  sc alerts deliveries 0193a5c2-... --team t1\n  sc alerts deliveries 0193a5c2-... --team t1 -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			conn, ctx, done, err := opts.connectForTeam(cmd, output, team)
			if err != nil {
				return err
			}
			defer done()
			resp, err := notificationsv1.NewNotificationServiceClient(conn).ListDeliveries(ctx, &notificationsv1.ListDeliveriesRequest{TeamId: team, AlertId: args[0]})
			if err != nil {
				return opts.callFailed("list deliveries", err)
			}
			return render(opts.out, output, resp, func(w io.Writer) error { return writeDeliveries(w, opts, resp.GetAttempts()) })
		},
	}, notificationsv1.NotificationService_ListDeliveries_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output)
	return cmd
}

func writeDeliveries(w io.Writer, opts *options, attempts []*notificationsv1.DeliveryAttempt) error {
	fmt.Fprintf(w, "TIME (%s)\tCHANNEL\tDESTINATION\tATTEMPT\tDELIVERED\tSTATUS\tLATENCY\tERROR\n", opts.location())
	for _, a := range attempts {
		status := "-"
		if a.GetStatusCode() != 0 {
			status = fmt.Sprint(a.GetStatusCode())
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%v\t%s\t%.0f ms\t%s\n", opts.timeText(a.GetAttemptedAt()),
			alertEnum(a.GetTarget().GetChannel().String(), "CHANNEL_"), a.GetTarget().GetDestination(), a.GetAttempt(), a.GetDelivered(),
			status, a.GetLatencyMs(), orText(oneLine(a.GetError(), 60)))
	}
	if len(attempts) == 0 {
		fmt.Fprintln(w, "(no delivery attempts)")
	}
	return nil
}

func newAlertsAckCmd(opts *options, resolve bool) *cobra.Command {
	var team, note string
	use, short, example := "ack ALERT_ID", "Acknowledge an alert: stops paging and escalation", "  sc alerts ack 0193a5c2-... --team t1 --note 'talked to Sam'"
	if resolve {
		use, short, example = "resolve ALERT_ID", "Resolve (close) an alert", "  sc alerts resolve 0193a5c2-... --team t1 --note 'deload done'"
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
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
			client := notificationsv1.NewNotificationServiceClient(conn)
			var alert *notificationsv1.Alert
			if resolve {
				resp, err := client.ResolveAlert(ctx, &notificationsv1.ResolveAlertRequest{TeamId: team, AlertId: args[0], Note: note})
				if err != nil {
					return opts.callFailed("resolve alert", err)
				}
				alert = resp.GetAlert()
			} else {
				resp, err := client.AcknowledgeAlert(ctx, &notificationsv1.AcknowledgeAlertRequest{TeamId: team, AlertId: args[0], Note: note})
				if err != nil {
					return opts.callFailed("acknowledge alert", err)
				}
				alert = resp.GetAlert()
			}
			_, err = fmt.Fprintf(opts.out, "alert %s is %s\n", alert.GetAlertId(), alertEnum(alert.GetState().String(), "ALERT_STATE_"))
			return err
		},
	}
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&note, "note", "", "optional note")
	method := notificationsv1.NotificationService_AcknowledgeAlert_FullMethodName
	if resolve {
		method = notificationsv1.NotificationService_ResolveAlert_FullMethodName
	}
	covers(cmd, method)
	return cmd
}

func newAlertsWatchCmd(opts *options) *cobra.Command {
	var team string
	var includeOpen bool
	cmd := &cobra.Command{
		Use:     "watch",
		Short:   "Stream a team's alert changes live until interrupted",
		Example: "  sc alerts watch --team t1\n  SC_TEAM=t1 sc alerts watch --include-open=false --tz Europe/Oslo",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needTeam(team); err != nil {
				return err
			}
			conn, err := opts.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			stream, err := notificationsv1.NewNotificationServiceClient(conn).WatchAlerts(cmd.Context(),
				&notificationsv1.WatchAlertsRequest{TeamId: team, IncludeOpen: includeOpen})
			if err != nil {
				return opts.callFailed("watch alerts", err)
			}
			if !opts.quiet {
				fmt.Fprintf(opts.errOut, "watching alerts of team %s (Ctrl-C to stop)\n", team)
			}
			for {
				m, err := stream.Recv()
				if errors.Is(err, io.EOF) || status.Code(err) == codes.Canceled || cmd.Context().Err() != nil {
					return nil
				}
				if err != nil {
					return opts.callFailed("watch alerts", err)
				}
				a := m.GetAlert()
				fmt.Fprintf(opts.out, "%s  %-13s %s  %s [%s, %s, seen %d]\n", m.GetChangedAt().AsTime().In(opts.location()).Format(time.TimeOnly),
					alertEnum(m.GetChange().String(), "ALERT_CHANGE_"), a.GetAlertId(), a.GetContent().GetTitle(),
					alertEnum(a.GetContent().GetSeverity().String(), "SEVERITY_"), alertEnum(a.GetState().String(), "ALERT_STATE_"), a.GetOccurrences())
			}
		},
	}
	teamFlag(cmd, &team, "")
	cmd.Flags().BoolVar(&includeOpen, "include-open", true, "start with the alerts open now")
	covers(cmd, notificationsv1.NotificationService_WatchAlerts_FullMethodName)
	return cmd
}
