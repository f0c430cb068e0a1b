package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

func init() { subcommands = append(subcommands, newProgramCmd) }

func newProgramCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "program", Aliases: []string{"programs"},
		Short: "Programs: templates, create, list, get, update, assign; an athlete's week and prescription (deloads applied)"}
	cmd.AddCommand(newProgramAssignCmd(opts), newProgramShowCmd(opts), newProgramTemplatesCmd(opts), newProgramListCmd(opts),
		newProgramGetCmd(opts), newProgramCreateCmd(opts), newProgramUpdateCmd(opts), newProgramPrescriptionCmd(opts))
	return cmd
}

// parseTemplateLift reads "Back Squat:squat:5x5@70".
func parseTemplateLift(spec string) (*programmingv1.TemplateLift, error) {
	bad := usagef("--lift %q: want \"Exercise:lift:SETSxREPS@PERCENT\", e.g. \"Back Squat:squat:5x5@70\"", spec)
	parts := strings.Split(spec, ":")
	if len(parts) != 3 {
		return nil, bad
	}
	lift, err := progParseEnum("lift", parts[1], "LIFT_CATEGORY_", commonv1.LiftCategory_value)
	if err != nil {
		return nil, err
	}
	dose, pctText, ok := strings.Cut(parts[2], "@")
	setsText, repsText, ok2 := strings.Cut(dose, "x")
	sets, err1 := strconv.Atoi(setsText)
	reps, err2 := strconv.Atoi(repsText)
	pct, err3 := strconv.ParseFloat(pctText, 64)
	if !ok || !ok2 || err1 != nil || err2 != nil || err3 != nil {
		return nil, bad
	}
	return &programmingv1.TemplateLift{Exercise: strings.TrimSpace(parts[0]), LiftCategory: commonv1.LiftCategory(lift),
		Sets: uint32(sets), Reps: uint32(reps), StartPercent_1Rm: pct}, nil
}

func newProgramAssignCmd(opts *options) *cobra.Command {
	var team, athlete, programID, template, name, startText string
	var lifts []string
	var weeks, sessions uint32
	var increment float64
	cmd := &cobra.Command{
		Use:   "assign --athlete A (--program ID | --template T --lift SPEC...) [--start YYYY-MM-DD]",
		Short: "Assign a program (an existing one, or a new one from a template) and place the planned deloads",
		Example: "  sc program assign --team t1 --athlete a42 --template linear_progression \\\n" +
			"      --lift \"Back Squat:squat:5x5@70\" --lift \"Bench Press:bench_press:5x5@70\" --start 2026-01-05\n" +
			"  templates: linear_progression, accumulation_3_1",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needTeam(team); err != nil {
				return err
			}
			if athlete == "" || (programID == "") == (template == "") {
				return usagef("give --athlete and exactly one of --program or --template")
			}
			start, err := progParseDate("start", startText)
			if err != nil {
				return err
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			client := programmingv1.NewProgrammingServiceClient(conn)
			if template != "" {
				o := &programmingv1.TemplateOptions{Weeks: weeks, SessionsPerWeek: sessions, WeeklyIncrementPercent: increment}
				for _, l := range lifts {
					tl, err := parseTemplateLift(l)
					if err != nil {
						return err
					}
					o.Lifts = append(o.Lifts, tl)
				}
				if name == "" {
					name = template + " for " + athlete
				}
				created, err := client.CreateProgram(ctx, &programmingv1.CreateProgramRequest{
					TeamId: team, Name: name, Source: &programmingv1.CreateProgramRequest_TemplateId{TemplateId: template}, TemplateOptions: o,
				})
				if err != nil {
					return opts.callFailed("create program", err)
				}
				programID = created.GetProgram().GetProgramId()
			}
			resp, err := client.AssignProgram(ctx, &programmingv1.AssignProgramRequest{TeamId: team, AthleteId: athlete, ProgramId: programID, StartDate: start})
			if err != nil {
				return opts.callFailed("assign program", err)
			}
			a := resp.GetAssignment()
			fmt.Fprintf(opts.out, "assigned program %s to %s from %s\n", a.GetProgramId(), a.GetAthleteId(), progFormatDate(a.GetStartDate()))
			if len(resp.GetPlannedDeloads()) == 0 {
				fmt.Fprintln(opts.out, "no planned deloads within the program")
			}
			for _, d := range resp.GetPlannedDeloads() {
				fmt.Fprintf(opts.out, "planned deload: week of %s (%s)\n", progFormatDate(d.GetWeekStart()), d.GetReason())
			}
			return nil
		},
	}
	teamFlag(cmd, &team, "")
	f := cmd.Flags()
	f.StringVar(&athlete, "athlete", "", "athlete id")
	f.StringVar(&programID, "program", "", "id of an existing program")
	f.StringVar(&template, "template", "", "generate a new program from this template")
	f.StringVar(&name, "name", "", "name of the generated program")
	f.StringArrayVar(&lifts, "lift", nil, "template lift \"Exercise:lift:SETSxREPS@PERCENT\"; repeatable")
	f.Uint32Var(&weeks, "weeks", 0, "weeks to generate (0: the template's default)")
	f.Uint32Var(&sessions, "sessions", 0, "sessions per week (0: 3)")
	f.Float64Var(&increment, "increment", 0, "weekly progression in % of training max (0: 2.5)")
	f.StringVar(&startText, "start", "", "first day (moved to its Monday); default next Monday")
	covers(cmd, programmingv1.ProgrammingService_CreateProgram_FullMethodName, programmingv1.ProgrammingService_AssignProgram_FullMethodName)
	return cmd
}

func newProgramShowCmd(opts *options) *cobra.Command {
	var team, athlete, output string
	var week uint32
	cmd := &cobra.Command{
		Use:     "show --athlete A [--week N]",
		Short:   "Show one week of an athlete's program with deload reductions applied",
		Example: "  sc program show --team t1 --athlete a42\n  sc program show --team t1 --athlete a42 --week 4 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, ctx, done, err := opts.connectForTeam(cmd, output, team)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).GetAthleteProgram(ctx, &programmingv1.GetAthleteProgramRequest{TeamId: team, AthleteId: athlete, Week: week})
			if err != nil {
				return opts.callFailed("read program", err)
			}
			if output != outputTable {
				return render(opts.out, output, resp, nil)
			}
			return printProgramWeek(opts, resp)
		},
	}
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&athlete, "athlete", "", "athlete id")
	cmd.Flags().Uint32Var(&week, "week", 0, "program week (1-based); 0 for the current week")
	outputFlag(cmd, &output)
	covers(cmd, programmingv1.ProgrammingService_GetAthleteProgram_FullMethodName)
	return cmd
}

func printProgramWeek(opts *options, r *programmingv1.GetAthleteProgramResponse) error {
	p := r.GetPrescription()
	title := fmt.Sprintf("%s: week %d of %d (%s to %s)", r.GetProgramName(), r.GetWeek(), r.GetTotalWeeks(),
		progFormatDate(p.GetRange().GetStart()), progFormatDate(p.GetRange().GetEnd()))
	if p.GetDeload() {
		title += " DELOAD"
		if p.GetDeloadId() != "" {
			title += " " + p.GetDeloadId()
		}
	}
	fmt.Fprintln(opts.out, title)
	tw := newTable(opts.out)
	if err := writePrescription(tw, p); err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, d := range r.GetUpcomingDeloads() {
		fmt.Fprintf(opts.out, "upcoming deload: week of %s, %s %s (%s)\n", progFormatDate(d.GetWeekStart()),
			progEnumWord(d.GetKind().String(), "DELOAD_KIND_"), progEnumWord(d.GetStatus().String(), "DELOAD_STATUS_"), d.GetDeloadId())
	}
	return nil
}

// writePrescription draws a prescription's sessions, one row per exercise.
func writePrescription(tw io.Writer, p *eventsv1.Prescription) error {
	fmt.Fprintln(tw, "DAY\tDATE\tSESSION\tEXERCISE\tSETS x REPS\tLOAD\tEFFORT\tNORMAL WEEK")
	for _, s := range p.GetSessions() {
		for _, e := range s.GetExercises() {
			normal := ""
			if e.GetDeload() && e.GetNormalSets() > 0 {
				normal = fmt.Sprintf("%dx%d", e.GetNormalSets(), e.GetNormalReps())
				if e.NormalLoadKg != nil {
					normal += fmt.Sprintf(" @ %.1f kg", e.GetNormalLoadKg())
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%dx%d\t%s\t%s\t%s\n", progWeekdayOf(s.GetDate()), progFormatDate(s.GetDate()), s.GetName(),
				e.GetExercise(), e.GetSets(), e.GetReps(), loadText(e), effortText(e), normal)
		}
	}
	if len(p.GetSessions()) == 0 {
		fmt.Fprintln(tw, "-\t-\t(no sessions)\t\t\t\t\t")
	}
	return nil
}

func loadText(e *eventsv1.PrescribedExercise) string {
	switch {
	case e.LoadKg != nil && e.Percent_1Rm != nil:
		return fmt.Sprintf("%.1f kg (%.1f%%)", e.GetLoadKg(), e.GetPercent_1Rm())
	case e.LoadKg != nil:
		return fmt.Sprintf("%.1f kg", e.GetLoadKg())
	case e.Percent_1Rm != nil:
		return fmt.Sprintf("%.1f%% 1RM", e.GetPercent_1Rm())
	}
	return "-"
}

func effortText(e *eventsv1.PrescribedExercise) string {
	var parts []string
	if e.TargetRpe != nil {
		parts = append(parts, fmt.Sprintf("RPE %.1f", e.GetTargetRpe()))
	}
	if e.TargetRir != nil {
		parts = append(parts, fmt.Sprintf("RIR %.0f", e.GetTargetRir()))
	}
	if e.RpeCap != nil {
		parts = append(parts, fmt.Sprintf("cap %.1f", e.GetRpeCap()))
	}
	if e.GetDeload() && !e.GetAllowFailure() {
		parts = append(parts, "no failure")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
