package allinone

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"

	"github.com/supercomp/supercomp/pkg/service"
)

// wantServices are the Supercomp services the all-in-one must serve.
var wantServices = []string{
	"supercomp.auth.v1.AuthService",
	"supercomp.ingestion.v1.IngestionService",
	"supercomp.fatigue.v1.FatigueService",
	"supercomp.trends.v1.TrendsService",
	"supercomp.programming.v1.ProgrammingService",
	"supercomp.notifications.v1.NotificationService",
	"supercomp.deadletter.v1.DeadLetterService",
}

// testConfig runs on free ports with data in a temp dir.
func testConfig(t *testing.T, dataDir string) Config {
	cfg := DefaultConfig()
	cfg.DataDir = dataDir
	cfg.NATSPort = -1
	cfg.GRPC.Addr = "127.0.0.1:0"
	cfg.HTTP.Addr = "127.0.0.1:0"
	cfg.Log.Level = "warn"
	cfg.Shutdown.Timeout = 10 * time.Second
	return cfg
}

// start runs the platform in the background and returns its host and a stop function that
// waits for a clean exit.
func start(t *testing.T, cfg Config) (*service.Host, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	hosts := make(chan *service.Host, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, func(h *service.Host) { hosts <- h }) }()
	select {
	case h := <-hosts:
		return h, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("platform stopped with error: %v", err)
			}
		}
	case err := <-done:
		cancel()
		t.Fatalf("platform did not start: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("platform did not start within 60s")
	}
	return nil, nil
}

// TestPlatform runs the real all-in-one (embedded NATS + chDB) twice on the same data dir:
// chDB allows one session per process, so every check shares these runs.
func TestPlatform(t *testing.T) {
	dataDir := t.TempDir()
	host, stop := start(t, testConfig(t, dataDir))

	conn, err := grpc.NewClient(host.GRPC().Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	t.Run("health serving for the server and each service", func(t *testing.T) {
		client := healthpb.NewHealthClient(conn)
		for _, name := range append([]string{""}, wantServices...) {
			resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
			if err != nil {
				t.Fatalf("health %q: %v", name, err)
			}
			if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("health %q = %v, want SERVING", name, resp.GetStatus())
			}
		}
	})

	t.Run("reflection lists every service", func(t *testing.T) {
		// A stream left open would hold up the graceful stop, so it ends with the subtest.
		streamCtx, cancelStream := context.WithCancel(ctx)
		defer cancelStream()
		stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(streamCtx)
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
		}); err != nil {
			t.Fatal(err)
		}
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range resp.GetListServicesResponse().GetService() {
			got = append(got, s.GetName())
		}
		for _, want := range append(slices.Clone(wantServices), "grpc.health.v1.Health") {
			if !slices.Contains(got, want) {
				t.Errorf("reflection lists %v, missing %s", got, want)
			}
		}
	})

	t.Run("access control", func(t *testing.T) { checkAccess(t, ctx, host, conn, dataDir) })

	t.Run("healthz and metrics answer", func(t *testing.T) {
		base := "http://" + host.HTTP().Addr().String()
		body := httpGet(t, base+"/healthz")
		if strings.TrimSpace(body) != "ok" {
			t.Errorf("/healthz = %q", body)
		}
		metrics := httpGet(t, base+"/metrics")
		for _, want := range []string{"go_goroutines", "grpc_"} {
			if !strings.Contains(metrics, want) {
				t.Errorf("/metrics has no %s", want)
			}
		}
	})

	t.Run("the web console answers next to them", func(t *testing.T) {
		base := "http://" + host.HTTP().Addr().String()
		signin := httpGet(t, base+"/signin")
		if !strings.Contains(signin, `action="/signin"`) {
			t.Errorf("/signin is not the console's sign-in page:\n%s", signin)
		}
		// A page that needs a session sends the browser to sign in.
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(base + "/teams/t1")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
			t.Errorf("/teams/t1 without a session: %s to %q", resp.Status, resp.Header.Get("Location"))
		}
	})

	t.Run("data survives a restart", func(t *testing.T) {
		// AUDIT has no consumer in the platform, so the probe message stays where it is.
		js := host.Bus().JetStream()
		// Earlier subtests audited key creations on AUDIT too; the probe comes on top of them.
		before, err := js.Stream(ctx, "AUDIT")
		if err != nil {
			t.Fatal(err)
		}
		wantMsgs := before.CachedInfo().State.Msgs + 1
		if _, err := js.Publish(ctx, "sc.audit.t1._team.probe", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := host.Store().Exec(ctx, "CREATE TABLE IF NOT EXISTS restart_probe (id UInt32) ENGINE = MergeTree ORDER BY id"); err != nil {
			t.Fatal(err)
		}
		if err := host.Store().InsertBatch(ctx, "restart_probe", []string{"id"}, [][]any{{uint32(7)}}); err != nil {
			t.Fatal(err)
		}
		stop()
		stop = func() {}

		host2, stop2 := start(t, testConfig(t, dataDir))
		defer stop2()
		info, err := host2.Bus().JetStream().Stream(ctx, "AUDIT")
		if err != nil {
			t.Fatal(err)
		}
		if n := info.CachedInfo().State.Msgs; n != wantMsgs {
			t.Errorf("AUDIT has %d messages after restart, want %d", n, wantMsgs)
		}
		rows, err := host2.Store().Query(ctx, "SELECT id FROM restart_probe")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []uint32
		for rows.Next() {
			var id uint32
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		if !slices.Equal(ids, []uint32{7}) {
			t.Errorf("restart_probe after restart = %v, want [7]", ids)
		}
	})
	stop()
}

func httpGet(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	return string(b)
}

// TestRunFlags checks the operator-facing side of configuration: a bad flag or env value stops
// the binary with an error naming it, --help is a clean exit.
func TestRunFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "unknown flag", args: []string{"--no-such-flag"}, wantErr: "no-such-flag"},
		{name: "bad grpc addr", args: []string{"--grpc-addr", "nope"}, wantErr: "--grpc-addr"},
		{name: "bad backend", args: []string{"--store-backend", "postgres"}, wantErr: "--store-backend"},
		{name: "clickhouse without dsn", args: []string{"--store-backend", "clickhouse"}, wantErr: "--clickhouse-dsn"},
		{name: "bad env", env: map[string]string{"SC_NATS_PORT": "many"}, wantErr: "SC_NATS_PORT"},
		{name: "bad nats port", args: []string{"--nats-port", "70000"}, wantErr: "nats-port"},
		{name: "short admin key", env: map[string]string{"SC_ADMIN_KEY": "short"}, wantErr: "admin-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			err := Run(context.Background(), tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Run(%v) = %v, want an error naming %q", tt.args, err, tt.wantErr)
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		var out strings.Builder
		err := Run(context.Background(), []string{"--help"}, &out)
		if !errors.Is(err, flag.ErrHelp) {
			t.Fatalf("Run(--help) = %v, want flag.ErrHelp", err)
		}
		for _, f := range []string{"--data-dir", "--grpc-addr", "--nats-url", "--clickhouse-dsn", "SC_DATA_DIR"} {
			if !strings.Contains(out.String(), f) {
				t.Errorf("--help does not mention %s", f)
			}
		}
	})
}
