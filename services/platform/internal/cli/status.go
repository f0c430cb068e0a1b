package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

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
	var team, athlete string
	cmd := &cobra.Command{
		Use:   "status --team T [--athlete A]",
		Short: "Fatigue status of a team (sorted by concern) or of one athlete",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if team == "" {
				return fmt.Errorf("--team is required")
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			client := fatiguev1.NewFatigueServiceClient(conn)
			tw := tabwriter.NewWriter(opts.out, 0, 4, 2, ' ', 0)
			defer tw.Flush()
			if athlete != "" {
				resp, err := client.GetAthleteStatus(ctx, &fatiguev1.GetAthleteStatusRequest{TeamId: team, AthleteId: athlete})
				if err != nil {
					return opts.callFailed("status of "+athlete, err)
				}
				a := resp.GetAssessment().GetResult()
				fmt.Fprintf(tw, "ATHLETE\t%s\n", athlete)
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
					fmt.Fprintf(tw, "LAST DATA\t%s\n", ts.AsTime().Format(time.RFC3339))
				}
				return nil
			}
			resp, err := client.ListTeamStatus(ctx, &fatiguev1.ListTeamStatusRequest{TeamId: team})
			if err != nil {
				return opts.callFailed("team status of "+team, err)
			}
			if len(resp.GetAthletes()) == 0 {
				fmt.Fprintf(tw, "no athletes with data in team %s\n", team)
				return nil
			}
			fmt.Fprintln(tw, "ATHLETE\tSTATUS\tSCORE\tCONF\tAS OF\tABNORMAL")
			for _, r := range resp.GetAthletes() {
				fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.2f\t%s\t%s\n", r.GetAthleteId(), statusWords[r.GetStatus()], r.GetScore(), r.GetConfidence(),
					dateText(r.GetAsOf()), families(r.GetAbnormalFamilies()))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&team, "team", "", "team id (required)")
	cmd.Flags().StringVar(&athlete, "athlete", "", "one athlete instead of the team board")
	return cmd
}
