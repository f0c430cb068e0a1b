package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/auth/authservice"
	"github.com/supercomp/supercomp/pkg/auth/authtest"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/server/servertest"
)

// The console's tests run against a real gRPC server with the real access guard and
// AuthService on embedded NATS, so sign-in, roles and team grants are the platform's own. Only
// the fatigue, programming and notification answers are canned.

const adminKey = "console-test-admin-key-0123456789abcdef"

// teamData is what the canned services answer for a team.
type teamData struct {
	rows     []*fatiguev1.AthleteStatusSummary
	profiles []*programmingv1.AthleteProfile
}

type cannedFatigue struct {
	fatiguev1.UnimplementedFatigueServiceServer
	mu    sync.Mutex
	teams map[string]teamData
	// athletes are the athlete pages' answers, by team/athlete (athlete_test.go).
	athletes map[string]*athleteHistory
}

func (f *cannedFatigue) ListTeamStatus(_ context.Context, req *fatiguev1.ListTeamStatusRequest) (*fatiguev1.ListTeamStatusResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &fatiguev1.ListTeamStatusResponse{Athletes: f.teams[req.GetTeamId()].rows}, nil
}

func (f *cannedFatigue) set(team string, d teamData) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.teams[team] = d
}

type cannedProgramming struct {
	programmingv1.UnimplementedProgrammingServiceServer
	fatigue *cannedFatigue
}

func (p *cannedProgramming) ListAthleteProfiles(_ context.Context, req *programmingv1.ListAthleteProfilesRequest) (*programmingv1.ListAthleteProfilesResponse, error) {
	p.fatigue.mu.Lock()
	defer p.fatigue.mu.Unlock()
	return &programmingv1.ListAthleteProfilesResponse{Profiles: p.fatigue.teams[req.GetTeamId()].profiles}, nil
}

// quietNotifications holds WatchAlerts open without alerts.
type quietNotifications struct {
	notificationsv1.UnimplementedNotificationServiceServer
}

func (quietNotifications) WatchAlerts(_ *notificationsv1.WatchAlertsRequest, stream grpc.ServerStreamingServer[notificationsv1.WatchAlertsResponse]) error {
	<-stream.Context().Done()
	return nil
}

type fixture struct {
	t       testing.TB
	console *httptest.Server
	web     *Server
	fatigue *cannedFatigue
	authn   *auth.Authenticator
	now     time.Time
	// decisions and alerts are the canned deloads, alerts and subscriptions (workflow_fixture_test.go).
	decisions *cannedDecisions
	alerts    *cannedAlerts
	// ingestion stores check-ins (checkin_test.go).
	ingestion *cannedIngestion
	// trends answers the squad trends page (trends_test.go).
	trends *cannedTrends
	// audit is the audit trail AuthService reads (audit_test.go).
	audit *cannedAuditLog
	// nats is the embedded NATS server behind AuthService (stopped to make it unavailable).
	nats *bus.Embedded
	// clients and opts are the console's, for a second replica (replica).
	clients Clients
	opts    Options
}

// replica starts another console on the same services with session key key, as a second
// replica or a restarted console would be, and returns its address.
func (f *fixture) replica(key []byte) string {
	f.t.Helper()
	opts := f.opts
	opts.SessionKey = key
	web, err := New(f.clients, opts, zap.NewNop())
	if err != nil {
		f.t.Fatal(err)
	}
	srv := httptest.NewServer(web)
	f.t.Cleanup(srv.Close)
	f.t.Cleanup(web.Shutdown)
	return srv.URL
}

func newFixture(t testing.TB, opts Options) *fixture {
	t.Helper()
	b, nats := bustest.New(t)
	authn := authtest.WithAdmin(t, b, adminKey)
	guard := auth.NewGuard(authn)
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, zap.NewNop(),
		server.WithUnaryInterceptors(guard.Unary()), server.WithStreamInterceptors(guard.Stream()))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, fatigue: &cannedFatigue{teams: map[string]teamData{}, athletes: map[string]*athleteHistory{}}, authn: authn, now: time.Now(),
		audit: &cannedAuditLog{}, nats: nats}
	authservice.New(authn, b, authservice.WithAuditLog(f.audit)).Register(srv.GRPC())
	fatiguev1.RegisterFatigueServiceServer(srv.GRPC(), f.fatigue)
	f.decisions = &cannedDecisions{cannedProgramming: &cannedProgramming{fatigue: f.fatigue}, deloads: map[string]*programmingv1.Deload{}}
	f.alerts = &cannedAlerts{subs: map[string]*notificationsv1.Subscription{}}
	programmingv1.RegisterProgrammingServiceServer(srv.GRPC(), f.decisions)
	notificationsv1.RegisterNotificationServiceServer(srv.GRPC(), f.alerts)
	f.trends = &cannedTrends{fatigue: f.fatigue}
	trendsv1.RegisterTrendsServiceServer(srv.GRPC(), f.trends)
	f.ingestion = &cannedIngestion{}
	ingestionv1.RegisterIngestionServiceServer(srv.GRPC(), f.ingestion)
	conn, err := grpc.NewClient(servertest.Serve(t, srv), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if opts.SessionIdle == 0 {
		opts = Options{SessionIdle: 30 * time.Minute, SessionMax: time.Hour, LiveInterval: 50 * time.Millisecond, Now: opts.Now, SessionKey: opts.SessionKey}
	}
	f.clients = Clients{
		Auth:          authv1.NewAuthServiceClient(conn),
		Fatigue:       fatiguev1.NewFatigueServiceClient(conn),
		Programming:   programmingv1.NewProgrammingServiceClient(conn),
		Notifications: notificationsv1.NewNotificationServiceClient(conn),
		Trends:        trendsv1.NewTrendsServiceClient(conn),
		Ingestion:     ingestionv1.NewIngestionServiceClient(conn),
	}
	f.opts = opts
	f.web, err = New(f.clients, opts, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	f.console = httptest.NewServer(f.web)
	t.Cleanup(f.console.Close)
	t.Cleanup(f.web.Shutdown)
	return f
}

// key creates an API key (a one-time one when within > 0) and returns its secret.
func (f *fixture) key(role commonv1.Role, team string, within time.Duration) string {
	f.t.Helper()
	admin, err := f.authn.Authenticate(context.Background(), adminKey)
	if err != nil {
		f.t.Fatal(err)
	}
	req := &authv1.CreateApiKeyRequest{Name: auth.RoleName(role) + " of " + team, Role: role, Grants: []*authv1.TeamGrant{{TeamId: team}}}
	if role == commonv1.Role_ROLE_ATHLETE {
		req.Grants[0].AthleteIds = []string{"a01"}
	}
	if within > 0 {
		req.Ttl, req.SingleUseWithin = durationpb.New(time.Hour), durationpb.New(within)
	}
	resp, err := authservice.New(f.authn, nil).CreateApiKey(auth.WithPrincipal(context.Background(), admin), req)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.GetSecret()
}

// team registers a team in time zone zone, as an admin does with `sc teams create --tz`.
func (f *fixture) team(id, zone string) {
	f.t.Helper()
	admin, err := f.authn.Authenticate(context.Background(), adminKey)
	if err != nil {
		f.t.Fatal(err)
	}
	_, err = authservice.New(f.authn, nil).CreateTeam(auth.WithPrincipal(context.Background(), admin),
		&authv1.CreateTeamRequest{Team: &authv1.Team{TeamId: id, Name: "Team " + id, TimeZone: zone}})
	if err != nil {
		f.t.Fatal(err)
	}
}

// squad is a canned team of n athletes: every fifth recommended a deload, every third on watch.
func squad(n int, now time.Time) teamData {
	var d teamData
	groups := []string{"forwards", "backs"}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("a%02d", i)
		st, fams := commonv1.AthleteStatus_ATHLETE_STATUS_OK, []commonv1.SignalFamily(nil)
		switch {
		case i%5 == 0:
			st = commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED
			fams = []commonv1.SignalFamily{commonv1.SignalFamily_SIGNAL_FAMILY_STRENGTH_DECLINE, commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS}
		case i%3 == 0:
			st = commonv1.AthleteStatus_ATHLETE_STATUS_WATCH
			fams = []commonv1.SignalFamily{commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP}
		}
		row := &fatiguev1.AthleteStatusSummary{AthleteId: id, Status: st, Score: float64(20 + i%60), Confidence: 0.7,
			AbnormalFamilies: fams, Headline: "canned", LastDataAt: timestamppb.New(now.Add(-time.Duration(i) * time.Hour)),
			Coverage: &eventsv1.DataCoverage{Shape: eventsv1.DataShape_DATA_SHAPE_SETS_RPE, LiftingDays_28D: 11}}
		if st == commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED {
			row.OpenRecommendationId = "rec-" + id
		}
		d.rows = append(d.rows, row)
		d.profiles = append(d.profiles, &programmingv1.AthleteProfile{TeamId: "t1", AthleteId: id, DisplayName: fmt.Sprintf("Athlete %d", i),
			PositionGroup: groups[i%2], TimeZone: "Europe/Oslo", Active: true})
	}
	// One athlete with a profile and no data yet.
	d.profiles = append(d.profiles, &programmingv1.AthleteProfile{AthleteId: "new01", DisplayName: "New Signing", PositionGroup: "backs", Active: true})
	return d
}

// browser is a cookie-keeping HTTP client that does not follow redirects, so tests see them.
type browser struct {
	t      testing.TB
	base   string
	client *http.Client
}

func (f *fixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: f.t, base: f.console.URL, client: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	code     int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, body: string(body), location: resp.Header.Get("Location"), header: resp.Header}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.base)
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func formToken(t testing.TB, p response) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no csrf field in page:\n%s", p.body)
	}
	return m[1]
}

// signIn signs b in with key and returns where it was sent.
func (b *browser) signIn(key string) response {
	b.t.Helper()
	form := b.get("/signin")
	return b.post("/signin", url.Values{"csrf": {formToken(b.t, form)}, "key": {key}, "next": {"/"}})
}

func regexpMust(pattern string) *regexp.Regexp { return regexp.MustCompile(pattern) }
