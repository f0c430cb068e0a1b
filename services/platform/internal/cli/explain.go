package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
)

func newExplainCmd(opts *options) *cobra.Command {
	var team, athlete, assessment, output string
	cmd := covers(&cobra.Command{
		Use:   "explain --team T --athlete A",
		Short: "Why an athlete's fatigue status is what it is, family by family",
		Example: "  sc explain --team t1 --athlete a42\n" +
			"  sc explain --team t1 --athlete a42 --assessment 0193a5c2-... -o json   # a past one, from sc status history",
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
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			resp, err := fatiguev1.NewFatigueServiceClient(conn).ExplainAssessment(ctx, &fatiguev1.ExplainAssessmentRequest{
				TeamId: team, AthleteId: athlete, AssessmentEventId: assessment})
			if err != nil {
				return opts.callFailed("explain "+athlete, err)
			}
			if output != outputTable {
				return render(opts.out, output, resp, nil)
			}
			fmt.Fprintf(opts.out, "%s (as of %s)\n\n", resp.GetHeadline(), dateText(resp.GetAssessment().GetResult().GetAsOf()))
			for _, l := range resp.GetLines() {
				mark := "  ok "
				switch {
				case l.GetAbnormal() && l.GetContextOnly():
					mark = "  ctx"
				case l.GetAbnormal():
					mark = "  !! "
				case l.GetInsufficientData():
					mark = "  ?? "
				}
				fmt.Fprintf(opts.out, "%s %-17s %s\n", mark, familyWords[l.GetFamily()], l.GetText())
			}
			if missing := resp.GetMissing(); len(missing) > 0 {
				fmt.Fprintf(opts.out, "\nNo deload rule fired. What each rule still lacks:\n")
				for _, m := range missing {
					fmt.Fprintf(opts.out, "  - %s\n", m)
				}
			}
			fmt.Fprintf(opts.out, "\nConfidence: %s\n", resp.GetConfidenceNote())
			return nil
		},
	}, fatiguev1.FatigueService_ExplainAssessment_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output)
	cmd.Flags().StringVar(&athlete, "athlete", "", "athlete id (required)")
	cmd.Flags().StringVar(&assessment, "assessment", "", "a past assessment's event id (default: the latest)")
	return cmd
}
