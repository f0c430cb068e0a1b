package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

func init() { subcommands = append(subcommands, newAlertsCmd) }


func newAlertsCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "alerts", Short: "List, watch, acknowledge and resolve coach alerts"}
	cmd.AddCommand(newAlertsListCmd(opts), newAlertsAckCmd(opts, false), newAlertsAckCmd(opts, true), newAlertsWatchCmd(opts))
	return cmd
}

func alertEnum(s, prefix string) string { return strings.ToLower(strings.TrimPrefix(s, prefix)) }

func printAlerts(w io.Writer, alerts []*notificationsv1.Alert) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ALERT\tATHLETE\tKIND\tSEVERITY\tSTATE\tSEEN\tDELIVERED\tRAISED\tTITLE")
	for _, a := range alerts {
		athlete := a.GetAthleteId()
		if athlete == "" {
			athlete = "(team)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", a.GetAlertId(), athlete,
			alertEnum(a.GetContent().GetKind().String(), "ALERT_KIND_"), alertEnum(a.GetContent().GetSeverity().String(), "SEVERITY_"),
			alertEnum(a.GetState().String(), "ALERT_STATE_"), a.GetOccurrences(), a.GetDeliveries(),
			a.GetRaisedAt().AsTime().Local().Format("2006-01-02 15:04"), a.GetContent().GetTitle())
	}
	return tw.Flush()
}

func newAlertsListCmd(opts *options) *cobra.Command {
	var team, athlete string
	var states []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List a team's alerts, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &notificationsv1.ListAlertsRequest{TeamId: team, AthleteId: athlete, PageSize: 500}
			for _, s := range states {
				v, ok := commonv1.AlertState_value["ALERT_STATE_"+strings.ToUpper(s)]
				if !ok {
					return fmt.Errorf("--state: unknown state %q (open, acknowledged, resolved)", s)
				}
				req.States = append(req.States, commonv1.AlertState(v))
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			resp, err := notificationsv1.NewNotificationServiceClient(conn).ListAlerts(ctx, req)
			if err != nil {
				return opts.callFailed("list alerts", err)
			}
			return printAlerts(opts.out, resp.GetAlerts())
		},
	}
	cmd.Flags().StringVar(&team, "team", "", "team id (required)")
	cmd.Flags().StringVar(&athlete, "athlete", "", "only this athlete")
	cmd.Flags().StringSliceVar(&states, "state", nil, "only these states: open, acknowledged, resolved")
	_ = cmd.MarkFlagRequired("team")
	return cmd
}

func newAlertsAckCmd(opts *options, resolve bool) *cobra.Command {
	var team, note string
	use, short := "ack ALERT_ID", "Acknowledge an alert: stops paging and escalation"
	if resolve {
		use, short = "resolve ALERT_ID", "Resolve (close) an alert"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
	cmd.Flags().StringVar(&team, "team", "", "team id (required)")
	cmd.Flags().StringVar(&note, "note", "", "optional note")
	_ = cmd.MarkFlagRequired("team")
	return cmd
}

func newAlertsWatchCmd(opts *options) *cobra.Command {
	var team string
	var includeOpen bool
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Stream a team's alert changes live until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			fmt.Fprintf(opts.out, "watching alerts of team %s (Ctrl-C to stop)\n", team)
			for {
				m, err := stream.Recv()
				if errors.Is(err, io.EOF) || status.Code(err) == codes.Canceled || cmd.Context().Err() != nil {
					return nil
				}
				if err != nil {
					return opts.callFailed("watch alerts", err)
				}
				a := m.GetAlert()
				fmt.Fprintf(opts.out, "%s  %-13s %s  %s [%s, %s, seen %d]\n", m.GetChangedAt().AsTime().Local().Format(time.TimeOnly),
					alertEnum(m.GetChange().String(), "ALERT_CHANGE_"), a.GetAlertId(), a.GetContent().GetTitle(),
					alertEnum(a.GetContent().GetSeverity().String(), "SEVERITY_"), alertEnum(a.GetState().String(), "ALERT_STATE_"), a.GetOccurrences())
			}
		},
	}
	cmd.Flags().StringVar(&team, "team", "", "team id (required)")
	cmd.Flags().BoolVar(&includeOpen, "include-open", true, "start with the alerts open now")
	_ = cmd.MarkFlagRequired("team")
	return cmd
}
