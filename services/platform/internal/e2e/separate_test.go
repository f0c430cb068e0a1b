package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/supercomp/supercomp/pkg/deadletter"
	deadletterv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/deadletter/v1"
	"github.com/supercomp/supercomp/pkg/store/clickhousestore"
	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/services/notifications/notifications"
	"github.com/supercomp/supercomp/services/platform/internal/platformtest"
)

// TestSeparateProcessesOnClickHouse runs the same scenario with each service in its own process
// (the standalone binaries), one NATS server (natsd) and the ClickHouse server.
func TestSeparateProcessesOnClickHouse(t *testing.T) {
	// The services inherit the environment: the coach's webhook receiver is on loopback, which
	// notifications refuses unless the operator allows it.
	t.Setenv(notifications.EnvAllowedNetworks, "127.0.0.0/8,::1/128")
	dsn := storetest.FreshServerDSN(t, "sc_e2e")
	bin := buildBinaries(t)

	natsURL := startNATS(t, bin)
	services := []struct{ name, grpcName string }{
		{"ingestion", "supercomp.ingestion.v1.IngestionService"},
		{"fatigue", "supercomp.fatigue.v1.FatigueService"},
		{"programming", "supercomp.programming.v1.ProgrammingService"},
		{"notifications", "supercomp.notifications.v1.NotificationService"},
	}
	conns := map[string]*grpc.ClientConn{}
	// One after the other: each applies the migrations at start, and the first one creates the
	// tables for all.
	for _, s := range services {
		addr := startService(t, bin, s.name, natsURL, dsn)
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithPerRPCCredentials(platformtest.Bearer(adminKey)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		waitServing(t, conn, s.grpcName)
		conns[s.name] = conn
	}
	// The operators' DeadLetterService is served by the ingestion process (sc dlq --addr).
	waitServing(t, conns["ingestion"], deadletter.ServiceName)
	if _, err := deadletterv1.NewDeadLetterServiceClient(conns["ingestion"]).ListDeadLetters(context.Background(),
		&deadletterv1.ListDeadLettersRequest{}); err != nil {
		t.Errorf("ListDeadLetters on the ingestion process: %v", err)
	}
	st, err := clickhousestore.Open(context.Background(), dsn, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	overreachingAthlete(t, endpoints{ingestion: conns["ingestion"], fatigue: conns["fatigue"],
		programming: conns["programming"], notifications: conns["notifications"], store: st})
}

// buildBinaries builds natsd and the four standalone services once per test run.
func buildBinaries(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..", "..")
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir+string(os.PathSeparator),
		"./services/platform/cmd/natsd", "./services/ingestion/cmd/ingestion", "./services/fatigue/cmd/fatigue",
		"./services/programming/cmd/programming", "./services/notifications/cmd/notifications")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// start runs a binary until the test ends; its output goes to the test log on failure.
func start(t *testing.T, path string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(path, args...)
	logFile, err := os.Create(filepath.Join(t.TempDir(), filepath.Base(path)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s exited with %v", filepath.Base(path), err)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("%s did not stop within 20s", filepath.Base(path))
		}
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logFile.Name()); err == nil {
				t.Logf("%s log:\n%s", filepath.Base(path), lastLines(string(b), 40))
			}
		}
	})
	return cmd
}

func startNATS(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(bin, "natsd"), "--store-dir", t.TempDir(), "--port", "-1", "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "NATS_URL=") {
		t.Fatalf("natsd said %q, %v", line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "NATS_URL="))
}

func startService(t *testing.T, bin, name, natsURL, dsn string) string {
	t.Helper()
	grpcAddr, httpAddr := freeAddr(t), freeAddr(t)
	cmd := start(t, filepath.Join(bin, name), "--nats-url", natsURL, "--clickhouse-dsn", dsn,
		"--grpc-addr", grpcAddr, "--http-addr", httpAddr, "--admin-key", adminKey, "--log-level", "warn")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	return grpcAddr
}

// freeAddr picks a free loopback port for a child process to listen on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitServing(t *testing.T, conn *grpc.ClientConn, service string) {
	t.Helper()
	client := healthpb.NewHealthClient(conn)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not serving after 60s: %v", service, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... %d lines before", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
