package cli

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
)

func init() { subcommands = append(subcommands, newTrendsCmd) }

// trendMetricNames are the --metric values.
var trendMetricNames = map[string]trendsv1.TrendMetric{
	"volume":       trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD,
	"hard-sets":    trendsv1.TrendMetric_TREND_METRIC_HARD_SETS,
	"session-load": trendsv1.TrendMetric_TREND_METRIC_SESSION_LOAD,
	"acwr":         trendsv1.TrendMetric_TREND_METRIC_ACWR,
	"wellness":     trendsv1.TrendMetric_TREND_METRIC_WELLNESS,
	"e1rm":         trendsv1.TrendMetric_TREND_METRIC_E1RM_CHANGE,
	"rpe":          trendsv1.TrendMetric_TREND_METRIC_RPE_AT_FAMILIAR_LOADS,
	"status":       trendsv1.TrendMetric_TREND_METRIC_STATUS_SHARE,
	"compliance":   trendsv1.TrendMetric_TREND_METRIC_CHECKIN_COMPLIANCE,
}

func newTrendsCmd(opts *options) *cobra.Command {
	var team, group, format, output, until string
	var weeks uint32
	var metrics, athletes []string
	var daily bool
	cmd := &cobra.Command{
		Use:   "trends --team T [--group G] [--weeks 12] [--metric volume,acwr,...] [-o table|json|yaml|csv]",
		Short: "Team-wide trends per week: volume, hard sets, session load, ACWR, wellness, e1RM, RPE, statuses, check-in compliance",
		Long: "Team-wide trends per week (or day). Days and Monday-to-Sunday weeks are the team's, in its time zone " +
			"(sc teams set-zone); --tz counts them in another zone, e.g. --tz UTC.",
		Example: "  sc trends --team t1 --weeks 12\n  sc trends --team t1 --daily --weeks 2 --tz UTC\n  sc trends --team t1 --weeks 12 --until 2025-07-27\n  sc trends --team t1 --group forwards --metric volume,e1rm -o csv > squad.csv\n  sc trends episodes --team t1 --open",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := needTeam(team); err != nil {
				return err
			}
			// --format is the first name of -o; when given it wins, so old scripts keep working.
			if cmd.Flags().Changed("format") {
				output = format
			}
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			req := &trendsv1.GetTeamTrendsRequest{TeamId: team, PositionGroup: group, AthleteIds: athletes, Weeks: weeks}
			if until != "" {
				// An older export (last year's app history) is read by ending the range on its
				// last week instead of today.
				end, err := time.Parse(time.DateOnly, until)
				if err != nil {
					return usagef("--until %q: want YYYY-MM-DD", until)
				}
				start := end.AddDate(0, 0, -7*int(weeks)+1)
				req.Range = &commonv1.DateRange{
					Start: &commonv1.Date{Year: int32(start.Year()), Month: int32(start.Month()), Day: int32(start.Day())},
					End:   &commonv1.Date{Year: int32(end.Year()), Month: int32(end.Month()), Day: int32(end.Day())},
				}
			}
			if daily {
				req.Bucket = trendsv1.TrendBucket_TREND_BUCKET_DAY
			}
			for _, m := range metrics {
				for _, name := range strings.Split(m, ",") {
					v, ok := trendMetricNames[strings.TrimSpace(name)]
					if !ok {
						return usagef("--metric %q: one of volume, hard-sets, session-load, acwr, wellness, e1rm, rpe, status, compliance", name)
					}
					req.Metrics = append(req.Metrics, v)
				}
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			// Days and weeks are the team's unless --tz (or SC_TZ) says otherwise: a set at 23:30
			// in Sydney belongs to that Sydney day.
			req.TimeZone = opts.tz
			if req.TimeZone == "" {
				t, err := authv1.NewAuthServiceClient(conn).GetTeam(ctx, &authv1.GetTeamRequest{TeamId: team})
				if err != nil {
					return opts.callFailed("team time zone", err)
				}
				req.TimeZone = t.GetTeam().GetTimeZone()
			}
			resp, err := trendsv1.NewTrendsServiceClient(conn).GetTeamTrends(ctx, req)
			if err != nil {
				return opts.callFailed("trends", err)
			}
			switch output {
			case "csv":
				return writeTrendsCSV(opts.out, resp)
			case outputTable:
				fmt.Fprintf(opts.out, "days and weeks in %s\n", cmp.Or(req.TimeZone, "UTC"))
				return writeTrendsTable(opts.out, resp)
			}
			return render(opts.out, output, resp, nil)
		},
	}
	covers(cmd, trendsv1.TrendsService_GetTeamTrends_FullMethodName, authv1.AuthService_GetTeam_FullMethodName)
	teamFlag(cmd, &team, "")
	outputFlag(cmd, &output, "csv")
	cmd.AddCommand(newTrendEpisodesCmd(opts))
	cmd.Flags().StringVar(&group, "group", "", "position group (default: whole team)")
	cmd.Flags().StringSliceVar(&athletes, "athlete", nil, "only these athletes (repeatable)")
	cmd.Flags().Uint32Var(&weeks, "weeks", 12, "weeks back from today (or from --until)")
	cmd.Flags().StringVar(&until, "until", "", "last day of the range, YYYY-MM-DD (default today), e.g. the end of an older export")
	cmd.Flags().StringSliceVar(&metrics, "metric", nil, "metrics (default all): volume, hard-sets, session-load, acwr, wellness, e1rm, rpe, status, compliance (check-ins)")
	cmd.Flags().StringVar(&format, "format", "table", "old name of -o")
	_ = cmd.Flags().MarkDeprecated("format", "use -o")
	cmd.Flags().BoolVar(&daily, "daily", false, "daily buckets instead of weekly")
	return cmd
}

func trendDate(d *commonv1.Date) string {
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}

var sparkBlocks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws one block per point, scaled between the series' min and max; a space marks
// a bucket without data.
func sparkline(points []*trendsv1.TrendPoint) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range points {
		if p.Value != nil {
			lo, hi = math.Min(lo, p.GetValue()), math.Max(hi, p.GetValue())
		}
	}
	var b strings.Builder
	for _, p := range points {
		switch {
		case p.Value == nil:
			b.WriteRune(' ')
		case hi == lo:
			b.WriteRune(sparkBlocks[len(sparkBlocks)/2])
		default:
			i := int((p.GetValue() - lo) / (hi - lo) * float64(len(sparkBlocks)-1))
			b.WriteRune(sparkBlocks[i])
		}
	}
	return b.String()
}

func formatValue(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// hasData reports whether a series has any value (empty series are left out of the table).
func hasData(s *trendsv1.TrendSeries) bool {
	for _, p := range s.GetPoints() {
		if p.Value != nil {
			return true
		}
	}
	return false
}

func writeTrendsTable(out io.Writer, resp *trendsv1.GetTeamTrendsResponse) error {
	fmt.Fprintf(out, "%s .. %s: %d athletes, %d rows\n", trendDate(resp.GetRange().GetStart()), trendDate(resp.GetRange().GetEnd()),
		resp.GetAthletesCovered(), resp.GetRowsCovered())
	tw := tabwriter.NewWriter(out, 0, 2, 2, ' ', tabwriter.AlignRight)
	header := []string{"series", "trend", "athletes"}
	for _, b := range resp.GetBuckets() {
		header = append(header, fmt.Sprintf("%02d-%02d", b.GetMonth(), b.GetDay()))
	}
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	shown := 0
	for _, s := range resp.GetSeries() {
		if !hasData(s) {
			continue
		}
		shown++
		var maxAth uint32
		cells := []string{s.GetLabel(), sparkline(s.GetPoints()), ""}
		for _, p := range s.GetPoints() {
			maxAth = max(maxAth, p.GetAthletes())
			if p.Value == nil {
				cells = append(cells, "-")
			} else {
				cells = append(cells, formatValue(p.GetValue()))
			}
		}
		cells[2] = strconv.Itoa(int(maxAth))
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if shown == 0 {
		fmt.Fprintln(out, "no data in this range")
	}
	return nil
}

func writeTrendsCSV(out io.Writer, resp *trendsv1.GetTeamTrendsResponse) error {
	w := csv.NewWriter(out)
	_ = w.Write([]string{"series", "metric", "statistic", "unit", "bucket_start", "value", "athletes", "rows"})
	for _, s := range resp.GetSeries() {
		for _, p := range s.GetPoints() {
			val := ""
			if p.Value != nil {
				val = strconv.FormatFloat(p.GetValue(), 'g', -1, 64)
			}
			_ = w.Write([]string{s.GetLabel(), s.GetMetric().String(), s.GetStatistic().String(), s.GetUnit(), trendDate(p.GetBucketStart()),
				val, strconv.Itoa(int(p.GetAthletes())), strconv.FormatUint(p.GetRows(), 10)})
		}
	}
	w.Flush()
	return w.Error()
}

func newTrendEpisodesCmd(opts *options) *cobra.Command {
	var team, from, to, output string
	var open bool
	cmd := covers(&cobra.Command{
		Use:     "episodes --team T [--from DATE] [--to DATE] [--open]",
		Short:   "Team-wide trend episodes: when a share of the squad flagged together, and whether it is over",
		Example: "  sc trends episodes --team t1 --open\n  sc trends episodes --team t1 --from 2026-01-01 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			if err := needTeam(team); err != nil {
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
			req := &trendsv1.ListTrendEpisodesRequest{TeamId: team, OpenOnly: open}
			if start != nil || end != nil {
				req.Range = &commonv1.DateRange{Start: start, End: end}
			}
			conn, ctx, done, err := opts.connect(cmd)
			if err != nil {
				return err
			}
			defer done()
			resp, err := trendsv1.NewTrendsServiceClient(conn).ListTrendEpisodes(ctx, req)
			if err != nil {
				return opts.callFailed("trend episodes", err)
			}
			names := map[string]string{}
			if output == outputTable {
				names = athleteNames(ctx, conn, team)
			}
			return render(opts.out, output, resp, func(w io.Writer) error {
				fmt.Fprintln(w, "EPISODE\tWEEK\tENDED\tRULE\tGROUP\tFLAGGED\tSEVERITY\tATHLETES\tSUMMARY")
				for _, e := range resp.GetEpisodes() {
					d := e.GetDetected()
					athletes := make([]string, len(d.GetAthleteIds()))
					for i, a := range d.GetAthleteIds() {
						athletes[i] = a
						if n := names[a]; n != "" {
							athletes[i] += " (" + n + ")"
						}
					}
					ended := "open"
					if e.GetEndedWeekStart() != nil {
						ended = trendDate(e.GetEndedWeekStart())
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", d.GetEpisodeId(), trendDate(d.GetWeekStart()), ended,
						strings.ToLower(strings.TrimPrefix(d.GetRule().String(), "TEAM_TREND_RULE_")), orText(d.GetPositionGroup()),
						d.GetFlaggedCount(), d.GetSquadSize(), severityWord(d.GetSeverity().String()), strings.Join(athletes, ", "), oneLine(d.GetSummary(), 60))
				}
				if len(resp.GetEpisodes()) == 0 {
					fmt.Fprintln(w, "(no episodes)")
				}
				return nil
			})
		},
	}, trendsv1.TrendsService_ListTrendEpisodes_FullMethodName)
	teamFlag(cmd, &team, "")
	cmd.Flags().StringVar(&from, "from", "", "episodes from this day (YYYY-MM-DD)")
	cmd.Flags().StringVar(&to, "to", "", "episodes up to this day (YYYY-MM-DD)")
	cmd.Flags().BoolVar(&open, "open", false, "only episodes still open")
	outputFlag(cmd, &output)
	return cmd
}
