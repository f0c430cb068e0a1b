package cli

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

func init() { subcommands = append(subcommands, newDeloadCmd) }

func newDeloadCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "deload", Short: "List deloads and approve, postpone or dismiss them"}
	cmd.AddCommand(newDeloadListCmd(opts),
		newDeloadDecideCmd(opts, "approve", commonv1.DeloadDecision_DELOAD_DECISION_APPROVE, "Approve a pending deload for its week"),
		newDeloadDecideCmd(opts, "postpone", commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE, "Move a deload to the week containing --to"),
		newDeloadDecideCmd(opts, "dismiss", commonv1.DeloadDecision_DELOAD_DECISION_DISMISS, "Dismiss a deload (--reason required)"))
	return cmd
}

func newDeloadListCmd(opts *options) *cobra.Command {
	var team, athlete string
	var statuses []string
	cmd := &cobra.Command{
		Use:   "list [--athlete A] [--status pending_approval,scheduled,...]",
		Short: "List deloads by week, soonest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needTeam(team); err != nil {
				return err
			}
			req := &programmingv1.ListDeloadsRequest{TeamId: team, AthleteId: athlete, PageSize: 1000}
			for _, s := range statuses {
				v, err := progParseEnum("status", s, "DELOAD_STATUS_", commonv1.DeloadStatus_value)
				if err != nil {
					return err
				}
				req.Statuses = append(req.Statuses, commonv1.DeloadStatus(v))
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).ListDeloads(ctx, req)
			if err != nil {
				return opts.callFailed("list deloads", err)
			}
			tw := tabwriter.NewWriter(opts.out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DELOAD\tATHLETE\tWEEK\tKIND\tSTATUS\tLOAD\tREASON")
			for _, d := range resp.GetDeloads() {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.0f%%\t%s\n", d.GetDeloadId(), d.GetAthleteId(), progFormatDate(d.GetWeekStart()),
					progEnumWord(d.GetKind().String(), "DELOAD_KIND_"), progEnumWord(d.GetStatus().String(), "DELOAD_STATUS_"),
					d.GetParameters().GetLoadPercent(), d.GetReason())
			}
			if len(resp.GetDeloads()) == 0 {
				fmt.Fprintln(tw, "(none)\t\t\t\t\t\t")
			}
			return tw.Flush()
		},
	}
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&athlete, "athlete", "", "only this athlete")
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only these statuses: pending_approval, scheduled, in_progress, completed, dismissed, skipped")
	return cmd
}

func newDeloadDecideCmd(opts *options, verb string, decision commonv1.DeloadDecision, short string) *cobra.Command {
	var team, by, to, reason string
	var revision int64
	cmd := &cobra.Command{
		Use:   verb + " DELOAD_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needTeam(team); err != nil {
				return err
			}
			if by == "" {
				return fmt.Errorf("--by is required: who decides (or set SC_USER)")
			}
			postpone, err := progParseDate("to", to)
			if err != nil {
				return err
			}
			req := &programmingv1.DecideDeloadRequest{TeamId: team, DeloadId: args[0], Decision: decision, PostponeTo: postpone,
				Reason: reason, DecidedBy: &commonv1.Actor{Subject: by, Role: commonv1.Role_ROLE_COACH}}
			if revision >= 0 {
				rev := uint64(revision)
				req.ExpectedRevision = &rev
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).DecideDeload(ctx, req)
			if err != nil {
				return opts.callFailed(verb+" deload", err)
			}
			d := resp.GetDeload()
			fmt.Fprintf(opts.out, "deload %s of %s: %s, week of %s (decided by %s)\n", d.GetDeloadId(), d.GetAthleteId(),
				progEnumWord(d.GetStatus().String(), "DELOAD_STATUS_"), progFormatDate(d.GetWeekStart()), by)
			return nil
		},
	}
	teamFlag(cmd, &team, "")
	user := os.Getenv("SC_USER")
	if user == "" {
		user = os.Getenv("USER")
	}
	cmd.Flags().StringVar(&by, "by", user, "who decides (env SC_USER, else USER)")
	cmd.Flags().StringVar(&reason, "reason", "", "reason or note (required to dismiss)")
	cmd.Flags().Int64Var(&revision, "revision", -1, "decide only if the deload is still at this revision")
	if decision == commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE {
		cmd.Flags().StringVar(&to, "to", "", "a day of the week to move the deload to (YYYY-MM-DD)")
	}
	return cmd
}
