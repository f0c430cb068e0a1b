package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/bus/bustest"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/store/storetest"
)

// probeModule is the smallest module: it registers a health entry and one component, so the
// test sees both the gRPC side and the lifecycle side of hosting.
type probeModule struct{ started, stopped chan struct{} }

func (m *probeModule) Name() string           { return "probe" }
func (m *probeModule) Register(*grpc.Server)  {}
func (m *probeModule) GRPCServices() []string { return []string{"supercomp.probe.v1.ProbeService"} }
func (m *probeModule) Components() []lifecycle.Component {
	return []lifecycle.Component{lifecycle.FuncComponent{
		NameStr: "probe-consumer",
		StartFn: func(ctx context.Context) error { close(m.started); <-ctx.Done(); return nil },
		StopFn:  func(context.Context) error { close(m.stopped); return nil },
	}}
}

func TestStandaloneServesAgainstRealServers(t *testing.T) {
	nats := bustest.Server(t)
	dsn := storetest.FreshServerDSN(t, "sc_service_test")
	const adminKey = "standalone-test-admin-key-0123456789"
	module := &probeModule{started: make(chan struct{}), stopped: make(chan struct{})}
	hosts := make(chan *service.Host, 1)
	spec := service.Spec{
		Name:     "probe",
		GRPCAddr: "127.0.0.1:0",
		HTTPAddr: "127.0.0.1:0",
		New:      func(service.Deps) (service.Module, error) { return module, nil },
		Started:  func(h *service.Host) { hosts <- h },
	}
	// Profiles are off unless asked for; here the environment asks, as a pod spec would.
	t.Setenv("SC_PPROF", "true")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- service.Run(ctx, spec, []string{"--nats-url", nats.ClientURL(), "--clickhouse-dsn", dsn, "--log-level", "warn",
			"--admin-key", adminKey}, io.Discard)
	}()
	var host *service.Host
	select {
	case host = <-hosts:
	case err := <-done:
		t.Fatalf("service did not start: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("service did not start within 30s")
	}
	<-module.started

	conn, err := grpc.NewClient(host.GRPC().Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, name := range []string{"", "supercomp.probe.v1.ProbeService"} {
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: name})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health %q = %v, %v; want SERVING", name, resp.GetStatus(), err)
		}
	}
	// Every RPC but health and reflection needs credentials; the --admin-key works.
	whoami := authv1.NewAuthServiceClient(conn)
	if _, err := whoami.WhoAmI(ctx, &authv1.WhoAmIRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("WhoAmI without credentials = %v, want Unauthenticated", err)
	}
	me, err := whoami.WhoAmI(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+adminKey), &authv1.WhoAmIRequest{})
	if err != nil || me.GetPrincipal().GetRole() != commonv1.Role_ROLE_ADMIN {
		t.Errorf("WhoAmI with --admin-key = %v, %v; want the admin", me, err)
	}
	// The same services as JSON over HTTP on the service's HTTP port, with the same auth.
	checkJSONAPI(t, "http://"+host.HTTP().Addr().String(), adminKey)

	// A flood of wrong keys from one address is cut off after the default burst of failures
	// with a retry hint, while the admin key, which worked before, and health checks still do.
	const flood = 100
	wrong := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer sc_notakey_0123456789abcdef")
	limited := 0
	for range flood {
		_, err := whoami.WhoAmI(wrong, &authv1.WhoAmIRequest{})
		switch status.Code(err) {
		case codes.Unauthenticated:
		case codes.ResourceExhausted:
			limited++
			if !hasRetryInfo(err) {
				t.Errorf("rate-limited call without RetryInfo: %v", err)
			}
		default:
			t.Fatalf("wrong key = %v, want Unauthenticated or ResourceExhausted", err)
		}
	}
	if limited < flood/2 {
		t.Errorf("%d of %d wrong-key calls were rate limited, want most of them", limited, flood)
	}
	if _, err := whoami.WhoAmI(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+adminKey), &authv1.WhoAmIRequest{}); err != nil {
		t.Errorf("WhoAmI with --admin-key during the flood = %v, want OK", err)
	}
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("health during the flood = %v", err)
	}
	// An HTTP client on the flooding address is refused the same way, with the retry hint as
	// the Retry-After header HTTP clients look for.
	req, err := http.NewRequest(http.MethodPost, "http://"+host.HTTP().Addr().String()+"/api/supercomp.auth.v1.AuthService/WhoAmI",
		strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer sc_notakey_0123456789abcdef")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Errorf("WhoAmI over HTTP during the flood: %v", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Errorf("WhoAmI over HTTP with a wrong key during the flood = %d, Retry-After %q; want 429 with a Retry-After",
				resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}

	// The host records the AUDIT stream and reads it back: the team created here is in the trail.
	admin := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+adminKey)
	if _, err := whoami.CreateTeam(admin, &authv1.CreateTeamRequest{Team: &authv1.Team{TeamId: "t1", Name: "First team"}}); err != nil {
		t.Fatal(err)
	}
	var trail *authv1.ListAuditRecordsResponse
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if trail, err = whoami.ListAuditRecords(admin, &authv1.ListAuditRecordsRequest{TeamId: "t1"}); err != nil {
			t.Fatalf("ListAuditRecords: %v", err)
		}
		if len(trail.GetRecords()) > 0 {
			break
		}
	}
	if r := trail.GetRecords(); len(r) != 1 || r[0].GetAction() != "team.create" || r[0].GetActor().GetRole() != commonv1.Role_ROLE_ADMIN {
		t.Errorf("audit trail of t1 = %v, want the team's creation by the admin", r)
	}

	// SC_PPROF=true put the profiles on the HTTP port, and /metrics says which build runs and
	// what the host inserted (the audit record above).
	httpBase := "http://" + host.HTTP().Addr().String()
	if code, body := httpGet(t, httpBase+"/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("/debug/pprof/goroutine with SC_PPROF=true = %d %.80q, want the profile", code, body)
	}
	_, metrics := httpGet(t, httpBase+"/metrics")
	for _, want := range []string{`supercomp_build_info{commit="unknown",goversion="go`, `sc_store_insert_rows_total{table="audit_log"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// The streams were declared and the migrations applied on the way up.
	if _, err := host.Bus().JetStream().Stream(ctx, "TRAINING"); err != nil {
		t.Errorf("TRAINING stream: %v", err)
	}
	rows, err := host.Store().Query(ctx, "SELECT count() FROM schema_migrations")
	if err != nil {
		t.Fatalf("schema_migrations: %v", err)
	}
	var applied uint64
	for rows.Next() {
		if err := rows.Scan(&applied); err != nil {
			t.Fatal(err)
		}
	}
	rows.Close()
	if applied == 0 {
		t.Error("no migration recorded")
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("stop: %v", err)
	}
	select {
	case <-module.stopped:
	default:
		t.Error("the module's component was not stopped")
	}
}

func hasRetryInfo(err error) bool {
	for _, d := range status.Convert(err).Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok && r.GetRetryDelay().AsDuration() > 0 {
			return true
		}
	}
	return false
}

func TestStandaloneConfigErrorsNameTheFlag(t *testing.T) {
	spec := service.Spec{Name: "probe", GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		New: func(service.Deps) (service.Module, error) { return nil, errors.New("must not be built") }}
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--nats-url", ""}, "--nats-url"},
		{[]string{"--nats-url", "http://x"}, "--nats-url"},
		{[]string{"--clickhouse-dsn", "mysql://x"}, "--clickhouse-dsn"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--bogus"}, "bogus"},
		{[]string{"--admin-key", "short"}, "--admin-key"},
		{[]string{"--clickhouse-cluster", "two shards"}, "--clickhouse-cluster"},
		{[]string{"--grpc-principal-rate", "-5"}, "--grpc-principal-rate"},
		{[]string{"--grpc-auth-failure-burst", "0"}, "--grpc-auth-failure-burst"},
		{[]string{"--grpc-max-connections", "-1"}, "--grpc-max-connections"},
	}
	for _, tt := range tests {
		err := service.Run(context.Background(), spec, tt.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Run(%v) = %v; want an error naming %s", tt.args, err, tt.wantErr)
		}
	}
	var out strings.Builder
	if err := service.Run(context.Background(), spec, []string{"--help"}, &out); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("--help: %v", err)
	}
	for _, env := range []string{"SC_CLICKHOUSE_DSN", "SC_CLICKHOUSE_CLUSTER", "SC_GRPC_PEER_RATE", "SC_GRPC_KEEPALIVE_MIN_TIME"} {
		if !strings.Contains(out.String(), env) {
			t.Errorf("--help does not document %s:\n%s", env, out.String())
		}
	}
}

// httpGet returns the status and body of a GET.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// checkJSONAPI calls WhoAmI over HTTP at base: 401 without a key, the admin with it.
func checkJSONAPI(t *testing.T, base, key string) {
	t.Helper()
	call := func(credential string) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodPost, base+"/api/supercomp.auth.v1.AuthService/WhoAmI", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		if credential != "" {
			req.Header.Set("Authorization", "Bearer "+credential)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("WhoAmI over HTTP: the answer is not JSON: %v", err)
		}
		return resp.StatusCode, body
	}
	if code, body := call(""); code != http.StatusUnauthorized || body["code"] != float64(codes.Unauthenticated) {
		t.Errorf("WhoAmI over HTTP without a key = %d %v, want 401 and code %d", code, body, codes.Unauthenticated)
	}
	code, body := call(key)
	principal, _ := body["principal"].(map[string]any)
	if code != http.StatusOK || principal["role"] != commonv1.Role_ROLE_ADMIN.String() {
		t.Errorf("WhoAmI over HTTP with the admin key = %d %v, want 200 and the admin", code, body)
	}
}
