package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

func init() { subcommands = append(subcommands, newAthleteCmd) }

func newAthleteCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "athlete", Aliases: []string{"athletes"},
		Short: "List, show, set and remove athlete profiles (name, experience, position group, training maxes, days)"}
	cmd.AddCommand(newAthleteListCmd(opts), newAthleteSetCmd(opts), newAthleteShowCmd(opts), newAthleteRemoveCmd(opts))
	return cmd
}

func newAthleteSetCmd(opts *options) *cobra.Command {
	var team, athlete, name, group, experience, days string
	var maxes []string
	cmd := &cobra.Command{
		Use:   "set --athlete A [--experience novice|intermediate|advanced] [--group G] [--max squat=150] [--days mon,wed,fri]",
		Short: "Create or change an athlete's profile; only the flags given change (revision-checked)",
		Example: "  sc athlete set --team t1 --athlete a42 --name Sam --group forwards --experience intermediate \\\n" +
			"      --max squat=150 --max bench_press=100 --max \"Front Squat=120\" --days mon,wed,fri",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			client := programmingv1.NewProgrammingServiceClient(conn)

			// Start from the stored profile so unchanged fields survive, and write back only
			// if nobody changed it in between.
			profile := &programmingv1.AthleteProfile{}
			expected := uint64(0)
			got, err := client.GetAthleteProfile(ctx, &programmingv1.GetAthleteProfileRequest{TeamId: team, AthleteId: athlete})
			switch {
			case err == nil:
				profile, expected = got.GetProfile(), got.GetProfile().GetRevision()
			case status.Code(err) != codes.NotFound:
				return opts.callFailed("read profile", err)
			}
			f := cmd.Flags()
			if f.Changed("name") {
				profile.DisplayName = name
			}
			if f.Changed("group") {
				profile.PositionGroup = group
			}
			if f.Changed("experience") {
				v, err := progParseEnum("experience", experience, "EXPERIENCE_LEVEL_", commonv1.ExperienceLevel_value)
				if err != nil {
					return err
				}
				profile.ExperienceLevel = commonv1.ExperienceLevel(v)
			}
			for _, m := range maxes {
				if err := setLiftMax(profile, m); err != nil {
					return err
				}
			}
			if f.Changed("days") {
				if profile.Availability == nil {
					profile.Availability = &programmingv1.Availability{}
				}
				profile.Availability.TrainingDays = nil
				for _, d := range strings.Split(days, ",") {
					v, err := progParseEnum("days", weekdayName(d), "WEEKDAY_", commonv1.Weekday_value)
					if err != nil {
						return err
					}
					profile.Availability.TrainingDays = append(profile.Availability.TrainingDays, commonv1.Weekday(v))
				}
			}
			resp, err := client.PutAthleteProfile(ctx, &programmingv1.PutAthleteProfileRequest{
				TeamId: team, AthleteId: athlete, Profile: profile, ExpectedRevision: &expected,
			})
			if err != nil {
				return opts.callFailed("save profile", err)
			}
			return printProfile(opts, resp.GetProfile())
		},
	}
	covers(cmd, programmingv1.ProgrammingService_GetAthleteProfile_FullMethodName, programmingv1.ProgrammingService_PutAthleteProfile_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&athlete, "athlete", "", "athlete id")
	cmd.Flags().StringVar(&name, "name", "", "display name")
	cmd.Flags().StringVar(&group, "group", "", "position group, e.g. forwards")
	cmd.Flags().StringVar(&experience, "experience", "", "novice, intermediate or advanced (sets the planned-deload interval)")
	cmd.Flags().StringArrayVar(&maxes, "max", nil, "training max in kg as lift=kg (squat, bench_press, deadlift, overhead_press, row, pull_up) or \"Exercise Name=kg\"; repeatable")
	cmd.Flags().StringVar(&days, "days", "", "training days, e.g. mon,wed,fri")
	return cmd
}

func weekdayName(d string) string {
	full := map[string]string{"mon": "monday", "tue": "tuesday", "wed": "wednesday", "thu": "thursday", "fri": "friday", "sat": "saturday", "sun": "sunday"}
	d = strings.ToLower(strings.TrimSpace(d))
	if f, ok := full[d]; ok {
		return f
	}
	return d
}

// setLiftMax applies "squat=150" (a lift category) or "Front Squat=120" (an exercise).
func setLiftMax(p *programmingv1.AthleteProfile, spec string) error {
	name, kgText, ok := strings.Cut(spec, "=")
	kg, err := strconv.ParseFloat(strings.TrimSpace(kgText), 64)
	if !ok || err != nil || name == "" {
		return usagef("--max %q: want lift=kg, e.g. squat=150", spec)
	}
	entry := &programmingv1.LiftMax{TrainingMaxKg: &kg}
	if v, ok := commonv1.LiftCategory_value["LIFT_CATEGORY_"+strings.ToUpper(strings.TrimSpace(name))]; ok && v != 0 {
		entry.LiftCategory = commonv1.LiftCategory(v)
	} else {
		entry.Exercise = strings.TrimSpace(name)
	}
	for i, m := range p.GetLiftMaxes() {
		if m.GetExercise() == entry.GetExercise() && m.GetLiftCategory() == entry.GetLiftCategory() {
			p.LiftMaxes[i] = entry
			return nil
		}
	}
	p.LiftMaxes = append(p.LiftMaxes, entry)
	return nil
}

func newAthleteShowCmd(opts *options) *cobra.Command {
	var team, athlete, output string
	cmd := covers(&cobra.Command{
		Use:     "show --athlete A",
		Short:   "Show an athlete's profile",
		Example: "  sc athlete show --team t1 --athlete a42\n  sc athlete show --team t1 --athlete a42 -o yaml",
		Args:    cobra.NoArgs,
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
			resp, err := programmingv1.NewProgrammingServiceClient(conn).GetAthleteProfile(ctx, &programmingv1.GetAthleteProfileRequest{TeamId: team, AthleteId: athlete})
			if err != nil {
				return opts.callFailed("read profile", err)
			}
			if output != outputTable {
				return render(opts.out, output, resp, nil)
			}
			return printProfile(opts, resp.GetProfile())
		},
	}, programmingv1.ProgrammingService_GetAthleteProfile_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&athlete, "athlete", "", "athlete id")
	outputFlag(cmd, &output)
	return cmd
}

func newAthleteListCmd(opts *options) *cobra.Command {
	var team, group, output string
	var all bool
	cmd := covers(&cobra.Command{
		Use:     "list --team T [--group G] [--all]",
		Short:   "List a team's athletes with name, group, experience and training days",
		Example: "  sc athlete list --team t1\n  sc athlete list --team t1 --group forwards -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, ctx, done, err := opts.connectForTeam(cmd, output, team)
			if err != nil {
				return err
			}
			defer done()
			resp, err := programmingv1.NewProgrammingServiceClient(conn).ListAthleteProfiles(ctx,
				&programmingv1.ListAthleteProfilesRequest{TeamId: team, PositionGroup: group, IncludeInactive: all})
			if err != nil {
				return opts.callFailed("list athletes", err)
			}
			return render(opts.out, output, resp, func(w io.Writer) error {
				fmt.Fprintln(w, "ATHLETE\tNAME\tGROUP\tEXPERIENCE\tDAYS\tMAXES\tACTIVE\tREVISION")
				for _, p := range resp.GetProfiles() {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%v\t%d\n", p.GetAthleteId(), orText(p.GetDisplayName()), orText(p.GetPositionGroup()),
						progEnumWord(p.GetExperienceLevel().String(), "EXPERIENCE_LEVEL_"), orText(trainingDays(p)), len(p.GetLiftMaxes()), p.GetActive(), p.GetRevision())
				}
				if len(resp.GetProfiles()) == 0 {
					fmt.Fprintln(w, "(no athletes)")
				}
				return nil
			})
		},
	}, programmingv1.ProgrammingService_ListAthleteProfiles_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&group, "group", "", "only this position group")
	cmd.Flags().BoolVar(&all, "all", false, "include inactive (removed) athletes")
	outputFlag(cmd, &output)
	return cmd
}

func newAthleteRemoveCmd(opts *options) *cobra.Command {
	var team, athlete string
	var revision int64
	cmd := covers(&cobra.Command{
		Use:     "remove --team T --athlete A",
		Aliases: []string{"rm"},
		Short:   "Remove an athlete's profile (kept as inactive; training history stays)",
		Example: "  sc athlete remove --team t1 --athlete a42",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			resp, err := programmingv1.NewProgrammingServiceClient(conn).DeleteAthleteProfile(ctx,
				&programmingv1.DeleteAthleteProfileRequest{TeamId: team, AthleteId: athlete, ExpectedRevision: expectedRevision(revision)})
			if err != nil {
				return opts.callFailed("remove athlete", err)
			}
			_, err = fmt.Fprintf(opts.out, "athlete %s of team %s removed (revision %d)\n", athlete, team, resp.GetProfile().GetRevision())
			return err
		},
	}, programmingv1.ProgrammingService_DeleteAthleteProfile_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&athlete, "athlete", "", "athlete id")
	revisionFlag(cmd, &revision, "profile")
	return cmd
}

func trainingDays(p *programmingv1.AthleteProfile) string {
	var days []string
	for _, d := range p.GetAvailability().GetTrainingDays() {
		days = append(days, progEnumWord(d.String(), "WEEKDAY_")[:3])
	}
	return strings.Join(days, ",")
}

func printProfile(opts *options, p *programmingv1.AthleteProfile) error {
	tw := newTable(opts.out)
	fmt.Fprintf(tw, "ATHLETE\t%s/%s\n", p.GetTeamId(), p.GetAthleteId())
	fmt.Fprintf(tw, "NAME\t%s\n", p.GetDisplayName())
	fmt.Fprintf(tw, "GROUP\t%s\n", p.GetPositionGroup())
	fmt.Fprintf(tw, "EXPERIENCE\t%s\n", progEnumWord(p.GetExperienceLevel().String(), "EXPERIENCE_LEVEL_"))
	fmt.Fprintf(tw, "TRAINING DAYS\t%s\n", trainingDays(p))
	fmt.Fprintf(tw, "ACTIVE\t%v\n", p.GetActive())
	fmt.Fprintf(tw, "REVISION\t%d\n", p.GetRevision())
	for _, m := range p.GetLiftMaxes() {
		name := m.GetExercise()
		if name == "" {
			name = progEnumWord(m.GetLiftCategory().String(), "LIFT_CATEGORY_")
		}
		fmt.Fprintf(tw, "MAX %s\ttraining max %.1f kg\n", name, m.GetTrainingMaxKg())
	}
	return tw.Flush()
}
