package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/services/notifications/notifications"
)

// adminKey is the services' bootstrap admin key; the suite's calls carry it.
const adminKey = "chaos-admin-key-0123456789abcdef01234567"

// bearer attaches the admin key to every call.
type bearer string

func (b bearer) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + string(b)}, nil
}

// RequireTransportSecurity is false: every process listens on 127.0.0.1 without TLS.
func (b bearer) RequireTransportSecurity() bool { return false }

// service is one of the four standalone services as a child process.
type service struct {
	proc     *process
	grpcName string
	addr     string
	conn     *grpc.ClientConn
}

// platform is what `make run-services` runs: natsd, the four services, and ClickHouse, which
// the services reach only through a proxy the suite can cut.
type platform struct {
	logDir   string
	natsd    *process
	natsURL  string
	proxy    *storetest.OutageProxy
	services []*service // in start order
}

var serviceNames = []struct{ name, grpcName string }{
	{"ingestion", "supercomp.ingestion.v1.IngestionService"},
	{"fatigue", "supercomp.fatigue.v1.FatigueService"},
	{"programming", "supercomp.programming.v1.ProgrammingService"},
	{"notifications", "supercomp.notifications.v1.NotificationService"},
}

// startPlatform builds and starts everything; on error, what did start is in p for stop.
func startPlatform(ctx context.Context, p *platform, dsn string) error {
	bin := filepath.Join(p.logDir, "bin")
	if err := buildBinaries(ctx, bin); err != nil {
		return err
	}
	natsAddr, err := freeAddr()
	if err != nil {
		return err
	}
	_, natsPort, err := net.SplitHostPort(natsAddr)
	if err != nil {
		return err
	}
	// A fixed port and a store directory that outlives the process: killed and started again,
	// natsd finds its streams and the clients reconnect to the same URL.
	p.natsd = &process{name: "natsd", path: filepath.Join(bin, "natsd"), logPath: filepath.Join(p.logDir, "natsd.log"),
		args: []string{"--store-dir", filepath.Join(p.logDir, "nats"), "--port", natsPort, "--log-level", "warn"}}
	p.natsURL = "nats://" + natsAddr
	if err := startNATS(ctx, p); err != nil {
		return err
	}

	u, err := url.Parse(dsn)
	if err != nil {
		return err
	}
	if p.proxy, err = storetest.NewOutageProxy(u.Host); err != nil {
		return err
	}
	u.Host = p.proxy.Addr()
	viaProxy := u.String()

	// One after the other: each applies the migrations at start, and the first creates the
	// tables for all.
	for _, s := range serviceNames {
		grpcAddr, err := freeAddr()
		if err != nil {
			return err
		}
		httpAddr, err := freeAddr()
		if err != nil {
			return err
		}
		svc := &service{grpcName: s.grpcName, addr: grpcAddr, proc: &process{
			name: s.name, path: filepath.Join(bin, s.name), logPath: filepath.Join(p.logDir, s.name+".log"),
			args: []string{"--nats-url", p.natsURL, "--clickhouse-dsn", viaProxy, "--grpc-addr", grpcAddr,
				"--http-addr", httpAddr, "--log-level", "info", "--shutdown-timeout", "10s"},
			// The key goes through the environment, as scripts/run-services.sh passes it. The
			// coaches' webhook receiver is on loopback, which notifications refuses unless allowed.
			env: []string{"SC_ADMIN_KEY=" + adminKey, notifications.EnvAllowedNetworks + "=127.0.0.0/8"},
		}}
		p.services = append(p.services, svc)
		// A restarted service is back within a second or two; the default reconnect backoff
		// (up to two minutes) would measure gRPC's patience instead of the service.
		svc.conn, err = grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(bearer(adminKey)),
			grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 100 * time.Millisecond,
				Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second}, MinConnectTimeout: 2 * time.Second}))
		if err != nil {
			return err
		}
		if err := svc.proc.start(); err != nil {
			return err
		}
		if err := waitServing(ctx, svc); err != nil {
			return err
		}
	}
	return nil
}

func startNATS(ctx context.Context, p *platform) error {
	if err := p.natsd.start(); err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return waitListening(waitCtx, p.natsURL[len("nats://"):])
}

func (p *platform) service(name string) *service {
	for _, s := range p.services {
		if s.proc.name == name {
			return s
		}
	}
	panic("no service " + name)
}

// waitServing waits until the service's health check answers SERVING (it has its NATS streams,
// consumers and ClickHouse tables).
func waitServing(ctx context.Context, s *service) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	client := healthpb.NewHealthClient(s.conn)
	for {
		callCtx, callCancel := context.WithTimeout(ctx, 2*time.Second)
		resp, err := client.Check(callCtx, &healthpb.HealthCheckRequest{Service: s.grpcName})
		callCancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		if !s.proc.running() {
			return fmt.Errorf("%s exited while starting (log %s)", s.proc.name, s.proc.logPath)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not serving: %w", s.proc.name, errors.Join(err, ctx.Err()))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stop stops the services in reverse start order while NATS still runs (so they drain), then
// natsd, then the proxy; every process by its own PID.
func (p *platform) stop() error {
	var errs []error
	for i := len(p.services) - 1; i >= 0; i-- {
		s := p.services[i]
		errs = append(errs, s.proc.stop(30*time.Second))
		if s.conn != nil {
			s.conn.Close()
		}
	}
	if p.natsd != nil {
		errs = append(errs, p.natsd.stop(20*time.Second))
	}
	if p.proxy != nil {
		p.proxy.Cut()
	}
	return errors.Join(errs...)
}

// logTails returns the end of every child's log, for a failed run.
func (p *platform) logTails() string {
	var out string
	procs := []*process{p.natsd}
	for _, s := range p.services {
		procs = append(procs, s.proc)
	}
	for _, proc := range procs {
		if proc == nil {
			continue
		}
		if b, err := os.ReadFile(proc.logPath); err == nil {
			out += fmt.Sprintf("--- %s (%s)\n%s\n", proc.name, proc.logPath, lastLines(string(b), 25))
		}
	}
	return out
}
