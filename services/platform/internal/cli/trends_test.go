package cli

import (
	"bytes"
	"strings"
	"testing"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
)

func trendPoints(vals ...float64) []*trendsv1.TrendPoint {
	var out []*trendsv1.TrendPoint
	for i, v := range vals {
		p := &trendsv1.TrendPoint{BucketStart: &commonv1.Date{Year: 2026, Month: 1, Day: int32(5 + 7*i)}, Athletes: 2, Rows: 10}
		if !isNaN(v) {
			x := v
			p.Value = &x
		}
		out = append(out, p)
	}
	return out
}

func isNaN(v float64) bool { return v != v }

func TestSparkline(t *testing.T) {
	nan := 0.0
	nan = nan / nan
	if got := sparkline(trendPoints(0, 7, nan, 14)); got != "▁▄ █" {
		t.Errorf("sparkline = %q", got)
	}
	if got := sparkline(trendPoints(3, 3)); got != "▅▅" {
		t.Errorf("flat sparkline = %q", got)
	}
}

func TestTrendsTableAndCSV(t *testing.T) {
	resp := &trendsv1.GetTeamTrendsResponse{
		Range:           &commonv1.DateRange{Start: &commonv1.Date{Year: 2026, Month: 1, Day: 5}, End: &commonv1.Date{Year: 2026, Month: 1, Day: 18}},
		Buckets:         []*commonv1.Date{{Year: 2026, Month: 1, Day: 5}, {Year: 2026, Month: 1, Day: 12}},
		AthletesCovered: 2, RowsCovered: 18,
		Series: []*trendsv1.TrendSeries{
			{Label: "Volume-load squat (kg)", Metric: trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD, Unit: "kg", Points: trendPoints(1500, 2000)},
		},
	}
	var buf bytes.Buffer
	if err := writeTrendsTable(&buf, resp); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"2 athletes, 18 rows", "Volume-load squat (kg)", "▁█", "1500", "2000", "01-12"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	buf.Reset()
	if err := writeTrendsCSV(&buf, resp); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || lines[1] != "Volume-load squat (kg),TREND_METRIC_VOLUME_LOAD,TREND_STATISTIC_UNSPECIFIED,kg,2026-01-05,1500,2,10" {
		t.Errorf("csv = %q", lines)
	}
}
