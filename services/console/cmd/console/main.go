// Command console runs the Supercomp web console on its own, as a gRPC client of the services
// (`supercomp` serves the same console on its HTTP port). --help lists every flag; each also
// reads an SC_* variable (--fatigue-addr -> SC_FATIGUE_ADDR).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/log"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/service"
	"github.com/supercomp/supercomp/pkg/version"
	"github.com/supercomp/supercomp/services/console/console"
)

func main() {
	ctx := context.Background()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "probe" {
		// `console probe [URL]`: the container health check, since the image has no curl.
		err = probe(ctx, os.Args[2:])
	} else {
		err = run(ctx, os.Args[1:], os.Stderr)
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "console: "+err.Error())
		os.Exit(1)
	}
}

// cfg is the standalone console's configuration.
type cfg struct {
	Log      config.Log
	HTTP     config.HTTP
	Shutdown config.Shutdown
	Console  console.Config
	Targets  console.Targets
}

func (c *cfg) validate() error {
	var v config.Validator
	v.Add(c.Log.Validate(), c.HTTP.Validate(), c.Shutdown.Validate(), c.Console.Validate(), c.Targets.Validate())
	return v.Err()
}

func run(ctx context.Context, args []string, usageOut io.Writer) error {
	c := cfg{
		HTTP:    config.HTTP{Addr: "127.0.0.1:7405"},
		Console: console.DefaultConfig(),
		// the standalone ports of docs/architecture.md.
		Targets: console.Targets{Auth: "127.0.0.1:7401", Fatigue: "127.0.0.1:7402", Programming: "127.0.0.1:7403", Notifications: "127.0.0.1:7404"},
	}
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	c.Log.RegisterFlags(fs)
	fs.StringVar(&c.HTTP.Addr, config.FlagHTTPAddr, c.HTTP.Addr, "host:port serving the console, /healthz and /metrics")
	fs.BoolVar(&c.HTTP.Pprof, config.FlagPprof, c.HTTP.Pprof, "also serve Go's runtime profiles under /debug/pprof/ on the HTTP port")
	c.Shutdown.RegisterFlags(fs)
	c.Console.RegisterFlags(fs)
	c.Targets.RegisterFlags(fs)
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	logger, err := log.New(c.Log)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	logger.Info("starting console", zap.String("version", version.String()), zap.String("http_addr", c.HTTP.Addr),
		zap.String("fatigue_addr", c.Targets.Fatigue), zap.String("auth_addr", c.Targets.Auth))

	clients, closeClients, err := console.Dial(c.Targets)
	if err != nil {
		return err
	}
	defer func() { _ = closeClients() }()
	web, err := console.New(c.Console, clients, logger)
	if err != nil {
		return err
	}
	// The console is ready when it serves: each page reports a service it cannot reach itself.
	httpServer := server.NewHTTP(c.HTTP.Addr, service.NewMetricsRegistry(), nil, logger)
	httpServer.Handle("/", web)
	if c.HTTP.Pprof {
		httpServer.ServePprof()
	}
	httpServer.OnShutdown(web.Shutdown)
	if err := httpServer.Listen(); err != nil {
		return err
	}
	registry := lifecycle.New(logger, c.Shutdown.Timeout)
	registry.Add(httpServer)
	return registry.Run(ctx)
}

// probe exits successfully when the console's /healthz answers 200.
func probe(ctx context.Context, args []string) error {
	target := "http://127.0.0.1:7405/healthz"
	if len(args) > 0 {
		target = args[0]
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", target, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: %s", target, resp.Status)
	}
	return nil
}
