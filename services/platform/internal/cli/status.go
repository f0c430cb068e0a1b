package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
)

func init() { subcommands = append(subcommands, newStatusCmd, newExplainCmd) }

var statusWords = map[commonv1.AthleteStatus]string{
	commonv1.AthleteStatus_ATHLETE_STATUS_UNSPECIFIED:        "no data",
	commonv1.AthleteStatus_ATHLETE_STATUS_OK:                 "ok",
	commonv1.AthleteStatus_ATHLETE_STATUS_WATCH:              "WATCH",
	commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED: "DELOAD",
}

var familyWords = map[commonv1.SignalFamily]string{
	commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_STAGNATION:       "strength flat",
	commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE:          "strength down",
	commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS:  "RPE up",
	commonv1.SignalFamily_SIGNAL_FAMILY_SLOWER_BAR_SPEED:          "bar speed down",
	commonv1.SignalFamily_SIGNAL_FAMILY_SORENESS_JOINT_DISCOMFORT: "soreness/joints",
	commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP:          "motivation/sleep",
	commonv1.SignalFamily_SIGNAL_FAMILY_LOAD_SPIKE:                "load spike",
	commonv1.SignalFamily_SIGNAL_FAMILY_READINESS:                 "readiness",
}

func families(fs []commonv1.SignalFamily) string {
	if len(fs) == 0 {
		return "-"
	}
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, familyWords[f])
	}
	return strings.Join(out, ", ")
}

func dateText(d *commonv1.Date) string {
	if d == nil {
		return "-"
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

func newStatusCmd(opts *options) *cobra.Command {
	var team, athlete, group, output string
	var statuses []string
	cmd := covers(&cobra.Command{
		Use:   "status --team T [--athlete A]",
		Short: "Fatigue status of a team (sorted by concern) or of one athlete; `status history` for past assessments",
		Example: "  sc status --team t1\n" +
			"  sc status --team t1 --group forwards --status deload_recommended,watch -o json\n" +
			"  sc status --team t1 --athlete a42",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			if err := needTeam(team); err != nil {
				return err
			}
			if len(statuses) > 0 && athlete != "" {
				return usagef("--status filters the team board; leave out --athlete")
			}
			req := &fatiguev1.ListTeamStatusRequest{TeamId: team, PositionGroup: group}
			for _, s := range statuses {
				v, err := progParseEnum("status", s, "ATHLETE_STATUS_", commonv1.AthleteStatus_value)
				if err != nil {
					return err
				}
				req.Statuses = append(req.Statuses, commonv1.AthleteStatus(v))
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			client := fatiguev1.NewFatigueServiceClient(conn)
			if athlete != "" {
				resp, err := client.GetAthleteStatus(ctx, &fatiguev1.GetAthleteStatusRequest{TeamId: team, AthleteId: athlete})
				if err != nil {
					return opts.callFailed("status of "+athlete, err)
				}
				return render(opts.out, output, resp, func(tw io.Writer) error {
					a := resp.GetAssessment().GetResult()
					fmt.Fprintf(tw, "ATHLETE\t%s\n", athlete)
					fmt.Fprintf(tw, "NAME\t%s\n", orText(resp.GetDisplayName()))
					fmt.Fprintf(tw, "STATUS\t%s\n", statusWords[a.GetStatus()])
					fmt.Fprintf(tw, "SCORE\t%.0f/100 (confidence %.2f)\n", a.GetScore(), a.GetConfidence())
					fmt.Fprintf(tw, "AS OF\t%s\n", dateText(a.GetAsOf()))
					fmt.Fprintf(tw, "ABNORMAL\t%s\n", families(a.GetAbnormalFamilies()))
					if l := a.GetLoad(); l.Acwr != nil {
						fmt.Fprintf(tw, "ACWR\t%.2f (context only)\n", l.GetAcwr())
					}
					if a.GetCooldownUntil() != nil {
						fmt.Fprintf(tw, "COOLDOWN UNTIL\t%s\n", dateText(a.GetCooldownUntil()))
					}
					if id := resp.GetOpenRecommendationId(); id != "" {
						fmt.Fprintf(tw, "OPEN RECOMMENDATION\t%s\n", id)
					}
					if ts := resp.GetLastDataAt(); ts != nil {
						fmt.Fprintf(tw, "LAST DATA\t%s\n", opts.timeText(ts))
					}
					return nil
				})
			}
			resp, err := client.ListTeamStatus(ctx, req)
			if err != nil {
				return opts.callFailed("team status of "+team, err)
			}
			return render(opts.out, output, resp, func(tw io.Writer) error {
				if len(resp.GetAthletes()) == 0 {
					fmt.Fprintf(tw, "no athletes with data in team %s\n", team)
					return nil
				}
				fmt.Fprintln(tw, "ATHLETE\tNAME\tSTATUS\tSCORE\tCONF\tAS OF\tABNORMAL")
				for _, r := range resp.GetAthletes() {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%.0f\t%.2f\t%s\t%s\n", r.GetAthleteId(), orText(r.GetDisplayName()), statusWords[r.GetStatus()], r.GetScore(), r.GetConfidence(),
						dateText(r.GetAsOf()), families(r.GetAbnormalFamilies()))
				}
				return nil
			})
		},
	}, fatiguev1.FatigueService_ListTeamStatus_FullMethodName, fatiguev1.FatigueService_GetAthleteStatus_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&athlete, "athlete", "", "one athlete instead of the team board")
	cmd.Flags().StringVar(&group, "group", "", "only this position group")
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only these statuses: ok, watch, deload_recommended")
	outputFlag(cmd, &output)
	cmd.AddCommand(newStatusHistoryCmd(opts))
	return cmd
}

// maxAssessmentsPage is the largest page FatigueService.ListAssessments answers.
const maxAssessmentsPage = 500

func newStatusHistoryCmd(opts *options) *cobra.Command {
	var team, athlete, from, to, output string
	var page pageFlags
	cmd := covers(&cobra.Command{
		Use:     "history --team T --athlete A [--from DATE] [--to DATE]",
		Aliases: []string{"assessments"},
		Short:   "An athlete's assessment history, newest first: status, score and abnormal families per day",
		Example: "  sc status history --team t1 --athlete a42 --from 2026-01-01\n" +
			"  sc status history --team t1 --athlete a42 --limit 0 -o json > a42.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			if err := needTeam(team); err != nil {
				return err
			}
			if athlete == "" {
				return usagef("--athlete is required")
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
			req := &fatiguev1.ListAssessmentsRequest{TeamId: team, AthleteId: athlete, Range: &commonv1.DateRange{Start: start, End: end}}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			client := fatiguev1.NewFatigueServiceClient(conn)
			resp := &fatiguev1.ListAssessmentsResponse{}
			resp.NextPageToken, err = collectPages(page, maxAssessmentsPage, func(token string, size uint32) (int, string, error) {
				req.PageToken, req.PageSize = token, size
				r, err := client.ListAssessments(ctx, req)
				if err != nil {
					return 0, "", opts.callFailed("assessment history of "+athlete, err)
				}
				resp.Assessments = append(resp.Assessments, r.GetAssessments()...)
				return len(r.GetAssessments()), r.GetNextPageToken(), nil
			})
			if err != nil {
				return err
			}
			names := map[string]string{}
			if output == outputTable {
				names = athleteNames(ctx, conn, team)
			}
			if err := render(opts.out, output, resp, func(tw io.Writer) error {
				fmt.Fprintf(tw, "AS OF\tATHLETE\tNAME\tSTATUS\tSCORE\tCONF\tABNORMAL\tASSESSMENT\n")
				for _, a := range resp.GetAssessments() {
					r := a.GetResult()
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.0f\t%.2f\t%s\t%s\n", dateText(r.GetAsOf()), a.GetAthleteId(), nameOf(names, a.GetAthleteId()),
						statusWords[r.GetStatus()], r.GetScore(), r.GetConfidence(), families(r.GetAbnormalFamilies()), a.GetEventId())
				}
				if len(resp.GetAssessments()) == 0 {
					fmt.Fprintln(tw, "(no assessments)")
				}
				return nil
			}); err != nil {
				return err
			}
			opts.noteMore(output, resp.GetNextPageToken(), "assessments")
			return nil
		},
	}, fatiguev1.FatigueService_ListAssessments_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&athlete, "athlete", "", "athlete id (required)")
	cmd.Flags().StringVar(&from, "from", "", "first day (YYYY-MM-DD), inclusive")
	cmd.Flags().StringVar(&to, "to", "", "last day (YYYY-MM-DD), inclusive")
	page.register(cmd, 100)
	outputFlag(cmd, &output)
	return cmd
}
