package browser

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/config"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/services/platform/internal/platformtest"
)

// TestConsoleTrendsInTeamZone records a set at 00:30 on a Monday in Sydney (13:30 UTC on the
// Sunday before) for a team whose time zone is Australia/Sydney, and reads the console's squad
// trends per day from a real all-in-one on the ClickHouse server: the page and its CSV put the
// set on the Sydney Monday, which also starts its week. So does sc trends, unless told --tz UTC.
func TestConsoleTrendsInTeamZone(t *testing.T) {
	chromium := findChromium(t)
	dsn := storetest.FreshServerDSN(t, "sc_console_zone")
	host, conn := platformtest.Start(t, config.Store{Backend: config.BackendClickHouse, DSN: dsn}, adminKey)
	base := "http://" + host.HTTP().Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	const zoned = "sydney"
	auth := authv1.NewAuthServiceClient(conn)
	if _, err := auth.CreateTeam(ctx, &authv1.CreateTeamRequest{Team: &authv1.Team{TeamId: zoned, Name: "Sydney", TimeZone: "Australia/Sydney"}}); err != nil {
		t.Fatal(err)
	}
	coach := createKey(t, ctx, auth, "Sydney coach", commonv1.Role_ROLE_COACH, zoned)
	at := time.Date(2026, 1, 11, 13, 30, 0, 0, time.UTC) // Monday 2026-01-12 00:30 in Sydney
	rpe := 8.0
	if _, err := ingestionv1.NewIngestionServiceClient(conn).RecordSet(ctx, &ingestionv1.RecordSetRequest{TeamId: zoned,
		Meta: &ingestionv1.RecordMeta{AthleteId: "z1", OccurredAt: timestamppb.New(at)},
		Set: &ingestionv1.SetInput{SessionId: "z1-monday", Exercise: "Back Squat", LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, Load: 100,
			LoadUnit: commonv1.WeightUnit_WEIGHT_UNIT_KG, Reps: 5, Rpe: &rpe, SetType: commonv1.SetType_SET_TYPE_WORKING}}); err != nil {
		t.Fatal(err)
	}
	trends := trendsv1.NewTrendsServiceClient(conn)
	waitFor(t, settle, "the set stored", func() bool {
		resp, err := trends.GetTeamTrends(ctx, &trendsv1.GetTeamTrendsRequest{TeamId: zoned, Weeks: 2,
			Range: &commonv1.DateRange{End: &commonv1.Date{Year: 2026, Month: 1, Day: 18}}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetRowsCovered() > 0
	})

	// A zone that is not an IANA name: InvalidArgument naming the field, over real gRPC.
	_, err := trends.GetTeamTrends(ctx, &trendsv1.GetTeamTrendsRequest{TeamId: zoned, TimeZone: "Mars/Olympus"})
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	if status.Code(err) != codes.InvalidArgument || !slices.Equal(fields, []string{"time_zone"}) {
		t.Errorf("trends in Mars/Olympus = %v (fields %v), want InvalidArgument on time_zone", err, fields)
	}

	b := newBrowser(t, ctx, chromium)
	b.do(t, chromedp.Navigate(base+"/signin"))
	if code := b.signIn(t, coach); code != http.StatusOK {
		t.Fatalf("sign in answered %d", code)
	}
	for _, bucket := range []struct{ name, want string }{{"day", "2026-01-12"}, {"week", "2026-01-12"}} {
		page := base + "/teams/" + zoned + "/trends?weeks=2&to=2026-01-18&bucket=" + bucket.name
		if code := b.navigateBy(t, chromedp.Navigate(page)); code != http.StatusOK {
			t.Fatalf("%s answered %d", page, code)
		}
		if text := b.text(t, "main"); !strings.Contains(text, "Australia/Sydney") {
			t.Errorf("the trends page does not say its days are Sydney's:\n%s", text)
		}
		body, _ := b.evalAwait(t, `fetch(document.getElementById("trends-csv").href).then(r => r.text())`).(string)
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("trends CSV (%v):\n%s", err, body)
		}
		col := func(name string) int { return slices.Index(rows[0], name) }
		var days []string
		for _, r := range rows[1:] {
			if strings.HasPrefix(r[col("series")], "Volume-load") && r[col("value")] != "" {
				days = append(days, r[col("bucket_start")])
			}
		}
		if !slices.Equal(days, []string{bucket.want}) {
			t.Errorf("per %s the set's volume-load is in the buckets %v, want only %s (the Sydney day or week); CSV:\n%s",
				bucket.name, days, bucket.want, body)
		}
	}
	b.screenshot(t, "trends-sydney")

	// sc trends takes the team's zone from GetTeam; --tz overrides it.
	grpcAddr := host.GRPC().Addr().String()
	for _, c := range []struct {
		flags []string
		want  string
	}{{nil, "2026-01-12"}, {[]string{"--tz", "UTC"}, "2026-01-11"}} {
		args := append([]string{"--addr", grpcAddr, "--token", coach, "trends", "--team", zoned, "--daily", "--weeks", "2",
			"--until", "2026-01-18", "--metric", "volume", "-o", "csv"}, c.flags...)
		rows, err := csv.NewReader(strings.NewReader(sc(t, args...))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var days []string
		for _, r := range rows[1:] {
			if r[0] == "Volume-load squat (kg)" && r[5] != "" {
				days = append(days, r[4])
			}
		}
		if !slices.Equal(days, []string{c.want}) {
			t.Errorf("sc trends %v: the squat volume is on %v, want %s", c.flags, days, c.want)
		}
	}
}
