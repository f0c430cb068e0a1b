package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

func init() { subcommands = append(subcommands, newDeloadCmd) }

func newDeloadCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "deload", Aliases: []string{"deloads"}, Short: "List, show and schedule deloads; approve, postpone or dismiss them"}
	cmd.AddCommand(newDeloadListCmd(opts), newDeloadShowCmd(opts), newDeloadScheduleCmd(opts),
		newDeloadDecideCmd(opts, "approve", commonv1.DeloadDecision_DELOAD_DECISION_APPROVE, "Approve a pending deload for its week"),
		newDeloadDecideCmd(opts, "postpone", commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE, "Move a deload to the week containing --to"),
		newDeloadDecideCmd(opts, "dismiss", commonv1.DeloadDecision_DELOAD_DECISION_DISMISS, "Dismiss a deload (--reason required)"))
	return cmd
}

// maxDeloadsPage is the largest page ProgrammingService.ListDeloads answers.
const maxDeloadsPage = 1000

func newDeloadListCmd(opts *options) *cobra.Command {
	var team, athlete, from, to, output string
	var statuses []string
	var page pageFlags
	cmd := covers(&cobra.Command{
		Use:   "list [--athlete A] [--status pending_approval,scheduled,...]",
		Short: "List deloads by week, soonest first",
		Example: "  sc deload list --team t1 --status pending_approval\n" +
			"  sc deload list --team t1 --athlete a42 --from 2026-01-01 -o json",
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
			start, err := progParseDate("from", from)
			if err != nil {
				return err
			}
			end, err := progParseDate("to", to)
			if err != nil {
				return err
			}
			req := &programmingv1.ListDeloadsRequest{TeamId: team, AthleteId: athlete}
			if start != nil || end != nil {
				req.Range = &commonv1.DateRange{Start: start, End: end}
			}
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
			client := programmingv1.NewProgrammingServiceClient(conn)
			resp := &programmingv1.ListDeloadsResponse{}
			resp.NextPageToken, err = collectPages(page, maxDeloadsPage, func(token string, size uint32) (int, string, error) {
				req.PageToken, req.PageSize = token, size
				r, err := client.ListDeloads(ctx, req)
				if err != nil {
					return 0, "", opts.callFailed("list deloads", err)
				}
				resp.Deloads = append(resp.Deloads, r.GetDeloads()...)
				return len(r.GetDeloads()), r.GetNextPageToken(), nil
			})
			if err != nil {
				return err
			}
			names := map[string]string{}
			if output == outputTable {
				names = athleteNames(ctx, conn, team)
			}
			if err := render(opts.out, output, resp, func(tw io.Writer) error {
				fmt.Fprintln(tw, "DELOAD\tATHLETE\tNAME\tWEEK\tKIND\tSTATUS\tLOAD\tREASON")
				for _, d := range resp.GetDeloads() {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.0f%%\t%s\n", d.GetDeloadId(), d.GetAthleteId(), nameOf(names, d.GetAthleteId()), progFormatDate(d.GetWeekStart()),
						progEnumWord(d.GetKind().String(), "DELOAD_KIND_"), progEnumWord(d.GetStatus().String(), "DELOAD_STATUS_"),
						d.GetParameters().GetLoadPercent(), d.GetReason())
				}
				if len(resp.GetDeloads()) == 0 {
					fmt.Fprintln(tw, "(none)\t\t\t\t\t\t\t")
				}
				return nil
			}); err != nil {
				return err
			}
			opts.noteMore(output, resp.GetNextPageToken(), "deloads")
			return nil
		},
	}, programmingv1.ProgrammingService_ListDeloads_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&athlete, "athlete", "", "only this athlete")
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only these statuses: pending_approval, scheduled, in_progress, completed, dismissed, skipped")
	cmd.Flags().StringVar(&from, "from", "", "only weeks from this day (YYYY-MM-DD)")
	cmd.Flags().StringVar(&to, "to", "", "only weeks up to this day (YYYY-MM-DD)")
	page.register(cmd, 200)
	outputFlag(cmd, &output)
	return cmd
}

func newDeloadShowCmd(opts *options) *cobra.Command {
	var team, output string
	cmd := covers(&cobra.Command{
		Use:     "show DELOAD_ID --team T",
		Aliases: []string{"get"},
		Short:   "Show one deload: week, dose, evidence and every decision on it",
		Example: "  sc deload show 0193a5c2-... --team t1\n  sc deload show 0193a5c2-... --team t1 -o json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			conn, ctx, done, err := opts.connectForTeam(cmd, output, team)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).GetDeload(ctx, &programmingv1.GetDeloadRequest{TeamId: team, DeloadId: args[0]})
			if err != nil {
				return opts.callFailed("show deload", err)
			}
			names := map[string]string{}
			if output == outputTable {
				names = athleteNames(ctx, conn, team)
			}
			return render(opts.out, output, resp, func(w io.Writer) error { return writeDeload(w, opts, names, resp.GetDeload()) })
		},
	}, programmingv1.ProgrammingService_GetDeload_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output)
	return cmd
}

func writeDeload(w io.Writer, opts *options, names map[string]string, d *programmingv1.Deload) error {
	p := d.GetParameters()
	fmt.Fprintf(w, "DELOAD\t%s\n", d.GetDeloadId())
	fmt.Fprintf(w, "ATHLETE\t%s (%s)\n", d.GetAthleteId(), nameOf(names, d.GetAthleteId()))
	fmt.Fprintf(w, "WEEK\t%s\n", progFormatDate(d.GetWeekStart()))
	fmt.Fprintf(w, "KIND\t%s\n", progEnumWord(d.GetKind().String(), "DELOAD_KIND_"))
	fmt.Fprintf(w, "STATUS\t%s\n", progEnumWord(d.GetStatus().String(), "DELOAD_STATUS_"))
	fmt.Fprintf(w, "REASON\t%s\n", orText(d.GetReason()))
	fmt.Fprintf(w, "DOSE\tload %.0f%%, sets x%.2f (min %d), reps x%.2f, RPE cap %.1f, min RIR %.0f, %d days\n", p.GetLoadPercent(), p.GetSetsFactor(),
		p.GetMinSets(), p.GetRepsFactor(), p.GetRpeCap(), p.GetMinRir(), p.GetDurationDays())
	for _, e := range d.GetEvidence() {
		fmt.Fprintf(w, "EVIDENCE\t%s: %s\n", familyWords[e.GetFamily()], e.GetMetric())
	}
	for _, dec := range d.GetDecisions() {
		fmt.Fprintf(w, "DECISION\t%s %s by %s\n", opts.timeText(dec.GetDecidedAt()),
			progEnumWord(dec.GetDecided().GetDecision().String(), "DELOAD_DECISION_"), orText(dec.GetDecided().GetDecidedBy().GetSubject()))
	}
	fmt.Fprintf(w, "CREATED\t%s\n", opts.timeText(d.GetCreatedAt()))
	_, err := fmt.Fprintf(w, "REVISION\t%d\n", d.GetRevision())
	return err
}

func newDeloadScheduleCmd(opts *options) *cobra.Command {
	var team, athlete, week, kind, reason string
	var loadPercent float64
	cmd := covers(&cobra.Command{
		Use:   "schedule --team T --athlete A --week YYYY-MM-DD [--kind manual] [--reason R]",
		Short: "Schedule a deload for the week containing --week (a coach's own call)",
		Example: "  sc deload schedule --team t1 --athlete a42 --week 2026-03-09 --reason 'exam week'\n" +
			"  sc deload schedule --team t1 --athlete a42 --week 2026-03-09 --load-percent 60",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needTeam(team); err != nil {
				return err
			}
			if athlete == "" || week == "" {
				return usagef("--athlete and --week are required")
			}
			start, err := progParseDate("week", week)
			if err != nil {
				return err
			}
			req := &programmingv1.ScheduleDeloadRequest{TeamId: team, AthleteId: athlete, WeekStart: start, Reason: reason}
			if kind != "" {
				v, err := progParseEnum("kind", kind, "DELOAD_KIND_", commonv1.DeloadKind_value)
				if err != nil {
					return err
				}
				req.Kind = commonv1.DeloadKind(v)
			}
			if loadPercent > 0 {
				req.Parameters = &eventsv1.DeloadParameters{LoadPercent: loadPercent}
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).ScheduleDeload(ctx, req)
			if err != nil {
				return opts.callFailed("schedule deload", err)
			}
			d := resp.GetDeload()
			_, err = fmt.Fprintf(opts.out, "deload %s of %s: %s, week of %s\n", d.GetDeloadId(), d.GetAthleteId(),
				progEnumWord(d.GetStatus().String(), "DELOAD_STATUS_"), progFormatDate(d.GetWeekStart()))
			return err
		},
	}, programmingv1.ProgrammingService_ScheduleDeload_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&athlete, "athlete", "", "athlete id")
	cmd.Flags().StringVar(&week, "week", "", "a day of the deload week (moved to its Monday)")
	cmd.Flags().StringVar(&kind, "kind", "", "deload kind (default: the platform's for a coach's deload)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, shown to the athlete and in the audit trail")
	cmd.Flags().Float64Var(&loadPercent, "load-percent", 0, "load in % of normal (default: the team policy's dose)")
	return cmd
}

func newDeloadDecideCmd(opts *options, verb string, decision commonv1.DeloadDecision, short string) *cobra.Command {
	var team, by, to, reason string
	var revision int64
	example := "  sc deload " + verb + " 0193a5c2-... --team t1"
	switch decision {
	case commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE:
		example += " --to 2026-03-16"
	case commonv1.DeloadDecision_DELOAD_DECISION_DISMISS:
		example += " --reason 'feels fresh, PR last week'"
	}
	cmd := &cobra.Command{
		Use:     verb + " DELOAD_ID",
		Short:   short,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := needTeam(team); err != nil {
				return err
			}
			if by == "" {
				return usagef("--by is required: who decides (or set SC_USER)")
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
	covers(cmd, programmingv1.ProgrammingService_DecideDeload_FullMethodName)
	cmd.Flags().StringVar(&by, "by", user, "who decides (env SC_USER, else USER)")
	cmd.Flags().StringVar(&reason, "reason", "", "reason or note (required to dismiss)")
	cmd.Flags().Int64Var(&revision, "revision", -1, "decide only if the deload is still at this revision")
	if decision == commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE {
		cmd.Flags().StringVar(&to, "to", "", "a day of the week to move the deload to (YYYY-MM-DD)")
	}
	return cmd
}
