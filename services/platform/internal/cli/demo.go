package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
	"github.com/supercomp/supercomp/services/platform/internal/demo"
)

func init() { subcommands = append(subcommands, newDemoCmd) }

type demoOptions struct {
	team                          string
	athletes, overreachers, weeks int
	seed                          uint64
	wait                          time.Duration
}

func newDemoCmd(opts *options) *cobra.Command {
	d := demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Stream a simulated team through the platform and show what it detects",
		Long: "Generates a squad over weeks (a few athletes overreach from a known day), gives every\n" +
			"athlete a profile and a program, streams the data through the gRPC ingestion path in\n" +
			"accelerated time, then shows the deload recommendations, the deload weeks and the alerts.\n" +
			"Its --team defaults to \"demo\", never to SC_TEAM: simulated data must not land in a real team.",
		Example:     "  sc demo\n  sc demo --athletes 12 --overreachers 3 --weeks 10",
		Annotations: map[string]string{annotationRPCs: ingestionv1.IngestionService_RecordBatch_FullMethodName},
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			conn, err := opts.dial()
			if err != nil {
				return err
			}
			defer conn.Close()
			return runDemo(cmd.Context(), conn, opts.out, d)
		},
	}
	cmd.Flags().StringVar(&d.team, "team", "demo", "team id of the simulated squad")
	cmd.Flags().IntVar(&d.athletes, "athletes", 30, "athletes in the squad (20-40 reads well)")
	cmd.Flags().IntVar(&d.overreachers, "overreachers", 4, "athletes who overreach from a known day")
	cmd.Flags().IntVar(&d.weeks, "weeks", 14, "weeks of training history")
	cmd.Flags().Uint64Var(&d.seed, "seed", 1, "random seed (the same seed gives the same squad)")
	cmd.Flags().DurationVar(&d.wait, "wait", time.Minute, "how long to wait for the platform's conclusions")
	return cmd
}

func runDemo(ctx context.Context, conn *grpc.ClientConn, out io.Writer, d demoOptions) error {
	if d.athletes < 1 || d.overreachers < 0 || d.overreachers > d.athletes || d.weeks < 6 {
		return usagef("need --athletes >= 1, 0 <= --overreachers <= --athletes and --weeks >= 6")
	}
	start := mondayWeeksAgo(time.Now(), d.weeks)
	sim := simulate.Generate(simulate.Config{Team: d.team, Athletes: d.athletes, Overreachers: d.overreachers,
		Weeks: d.weeks, Start: start, Seed: d.seed})
	fmt.Fprintf(out, "Simulated team %q: %d athletes, %d weeks from %s, %d records; overreaching:",
		d.team, d.athletes, d.weeks, start.Format(time.DateOnly), len(sim.Events))
	for _, tr := range sim.Truth {
		if tr.Overreacher {
			fmt.Fprintf(out, " %s (from %s)", tr.AthleteID, tr.Onset.Format("Jan 2"))
		}
	}
	fmt.Fprintln(out)

	if err := provisionDemo(ctx, conn, d.team, sim, start); err != nil {
		return err
	}
	fmt.Fprintf(out, "Profiles and a linear program assigned to every athlete.\n")
	coachKey, err := demoCoachKey(ctx, conn, d.team)
	if err != nil {
		return err
	}

	if err := feedDemoWeeks(ctx, conn, out, d.team, sim.Events, start); err != nil {
		return err
	}

	// The services work asynchronously behind the streams: wait until every overreacher has
	// been seen or the wait is over, then show what the platform concluded.
	fatigue := fatiguev1.NewFatigueServiceClient(conn)
	deadline := time.Now().Add(d.wait)
	var board *fatiguev1.ListTeamStatusResponse
	for {
		var err error
		board, err = fatigue.ListTeamStatus(ctx, &fatiguev1.ListTeamStatusRequest{TeamId: d.team})
		if err != nil {
			return fmt.Errorf("team status: %w", err)
		}
		if recommended(board) >= d.overreachers || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	time.Sleep(2 * time.Second) // let programming and notifications react to the last ones

	if err := printDemoOutcome(ctx, conn, out, d.team, board); err != nil {
		return err
	}

	example := "a01"
	for _, tr := range sim.Truth {
		if tr.Overreacher {
			example = tr.AthleteID
			break
		}
	}
	fmt.Fprintf(out, `
A coach key for team %[1]s was created for this demo (shown once, valid 7 days); it reads team
%[1]s and nothing else:
  export SC_TOKEN=%[3]s
`, d.team, example, coachKey)
	fmt.Fprintf(out, `
Try next:
  bin/sc status --team %[1]s                      the coach's board
  bin/sc explain --team %[1]s --athlete %[2]s       why a deload is recommended
  bin/sc deload list --team %[1]s                 approve with: bin/sc deload approve <id> --team %[1]s
  bin/sc program show --team %[1]s --athlete %[2]s  the week table (the deload week once approved)
  bin/sc trends --team %[1]s                      squad trends
  bin/sc alerts watch --team %[1]s                alerts as they happen
`, d.team, example)
	return nil
}

// feedDemoWeeks sends the simulated records a week at a time, as a squad's apps would upload
// them, and says what each week's upload did.
func feedDemoWeeks(ctx context.Context, conn *grpc.ClientConn, out io.Writer, team string, events []*eventsv1.Event, start time.Time) error {
	ingest := ingestionv1.NewIngestionServiceClient(conn)
	weekEnd := start.AddDate(0, 0, 7)
	var batch []*eventsv1.Event
	flush := func(label string) error {
		c, err := demo.Feed(ctx, ingest, team, batch, 1000)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %s: %d records sent, %d accepted, %d duplicates, %d rejected\n", label, c.Sent, c.Accepted, c.Duplicates, c.Rejected)
		batch = batch[:0]
		return nil
	}
	week := 1
	for _, ev := range events {
		for !ev.GetOccurredAt().AsTime().Before(weekEnd) {
			if err := flush(fmt.Sprintf("week %2d", week)); err != nil {
				return err
			}
			week++
			weekEnd = weekEnd.AddDate(0, 0, 7)
		}
		batch = append(batch, ev)
	}
	if err := flush(fmt.Sprintf("week %2d", week)); err != nil {
		return err
	}

	return nil
}

// printDemoOutcome shows what the platform concluded: the recommendations on the board, the
// deload weeks programming holds and the alerts notifications raised.
func printDemoOutcome(ctx context.Context, conn *grpc.ClientConn, out io.Writer, team string, board *fatiguev1.ListTeamStatusResponse) error {
	fmt.Fprintln(out, "\nDeload recommendations (fatigue):")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ATHLETE\tSTATUS\tSCORE\tWHY")
	for _, a := range board.GetAthletes() {
		if a.GetStatus() == commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED {
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\n", a.GetAthleteId(), statusWord(a.GetStatus()), a.GetScore(), a.GetHeadline())
		}
	}
	tw.Flush()

	fmt.Fprintln(out, "\nDeload weeks (programming):")
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ATHLETE\tWEEK OF\tKIND\tSTATUS\tREASON")
	prog := programmingv1.NewProgrammingServiceClient(conn)
	deloads, err := prog.ListDeloads(ctx, &programmingv1.ListDeloadsRequest{TeamId: team, PageSize: 1000})
	if err != nil {
		return fmt.Errorf("deloads: %w", err)
	}
	rows := deloads.GetDeloads()
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].GetKind() > rows[j].GetKind() })
	shownPlanned := 0
	for _, dl := range rows {
		if dl.GetKind() == commonv1.DeloadKind_DELOAD_KIND_PLANNED {
			if shownPlanned >= 5 {
				continue
			}
			shownPlanned++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", dl.GetAthleteId(), dateText(dl.GetWeekStart()), enumWord(dl.GetKind().String(), "DELOAD_KIND_"),
			enumWord(dl.GetStatus().String(), "DELOAD_STATUS_"), firstLine(dl.GetReason()))
	}
	tw.Flush()

	fmt.Fprintln(out, "\nAlerts (notifications):")
	alerts, err := notificationsv1.NewNotificationServiceClient(conn).ListAlerts(ctx, &notificationsv1.ListAlertsRequest{TeamId: team, PageSize: 100})
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ATHLETE\tKIND\tSTATE\tTITLE")
	for _, a := range alerts.GetAlerts() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.GetAthleteId(), enumWord(a.GetContent().GetKind().String(), "ALERT_KIND_"),
			enumWord(a.GetState().String(), "ALERT_STATE_"), a.GetContent().GetTitle())
	}
	tw.Flush()

	return nil
}

// provisionDemo gives every simulated athlete a profile and the linear program from the start.
func provisionDemo(ctx context.Context, conn *grpc.ClientConn, team string, sim simulate.Team, start time.Time) error {
	prog := programmingv1.NewProgrammingServiceClient(conn)
	program, err := prog.CreateProgram(ctx, &programmingv1.CreateProgramRequest{TeamId: team, Name: "Demo linear block",
		Source: &programmingv1.CreateProgramRequest_TemplateId{TemplateId: "linear_progression"},
		TemplateOptions: &programmingv1.TemplateOptions{Weeks: 16, Lifts: []*programmingv1.TemplateLift{
			{Exercise: "Squat (Barbell)", LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, Sets: 5, Reps: 5, StartPercent_1Rm: 70},
			{Exercise: "Bench Press (Barbell)", LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS, Sets: 5, Reps: 5, StartPercent_1Rm: 70},
		}}})
	if err != nil {
		return fmt.Errorf("create program: %w", err)
	}
	levels := []commonv1.ExperienceLevel{commonv1.ExperienceLevel_EXPERIENCE_LEVEL_NOVICE,
		commonv1.ExperienceLevel_EXPERIENCE_LEVEL_INTERMEDIATE, commonv1.ExperienceLevel_EXPERIENCE_LEVEL_ADVANCED}
	groups := []string{"forwards", "backs"}
	for i, tr := range sim.Truth {
		squat, bench := 140.0, 100.0
		if _, err := prog.PutAthleteProfile(ctx, &programmingv1.PutAthleteProfileRequest{TeamId: team, AthleteId: tr.AthleteID,
			Profile: &programmingv1.AthleteProfile{
				DisplayName: "Athlete " + strings.TrimPrefix(tr.AthleteID, "a"), PositionGroup: groups[i%len(groups)],
				ExperienceLevel: levels[i%len(levels)],
				LiftMaxes: []*programmingv1.LiftMax{
					{LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, TrainingMaxKg: &squat},
					{LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_BENCH_PRESS, TrainingMaxKg: &bench},
				},
			}}); err != nil {
			return fmt.Errorf("profile %s: %w", tr.AthleteID, err)
		}
		if _, err := prog.AssignProgram(ctx, &programmingv1.AssignProgramRequest{TeamId: team, AthleteId: tr.AthleteID,
			ProgramId: program.GetProgram().GetProgramId(),
			StartDate: &commonv1.Date{Year: int32(start.Year()), Month: int32(start.Month()), Day: int32(start.Day())}}); err != nil {
			return fmt.Errorf("assign program to %s: %w", tr.AthleteID, err)
		}
	}
	return nil
}

func recommended(board *fatiguev1.ListTeamStatusResponse) int {
	n := 0
	for _, a := range board.GetAthletes() {
		if a.GetStatus() == commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED {
			n++
		}
	}
	return n
}

// mondayWeeksAgo is the Monday `weeks` weeks before now's week, so the history ends this week.
func mondayWeeksAgo(now time.Time, weeks int) time.Time {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	offset := (int(day.Weekday()) + 6) % 7
	return day.AddDate(0, 0, -offset-7*weeks)
}

func enumWord(name, prefix string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, prefix)), "_", " ")
}

func statusWord(s commonv1.AthleteStatus) string { return enumWord(s.String(), "ATHLETE_STATUS_") }

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 70 {
		line = line[:67] + "..."
	}
	return line
}

// demoCoachKey registers the demo team and creates a coach key for it, as a team admin would
// for their strength coach: the key shows what a coach sees, limited to this team.
func demoCoachKey(ctx context.Context, conn *grpc.ClientConn, team string) (string, error) {
	authc := authv1.NewAuthServiceClient(conn)
	_, err := authc.CreateTeam(ctx, &authv1.CreateTeamRequest{Team: &authv1.Team{TeamId: team, Name: "Demo squad"}})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return "", fmt.Errorf("create team %s: %w", team, err)
	}
	resp, err := authc.CreateApiKey(ctx, &authv1.CreateApiKeyRequest{Name: "demo coach", Role: commonv1.Role_ROLE_COACH,
		Grants: []*authv1.TeamGrant{{TeamId: team}}, Ttl: durationpb.New(7 * 24 * time.Hour)})
	if err != nil {
		return "", fmt.Errorf("create the demo coach key: %w", err)
	}
	return resp.GetSecret(), nil
}
