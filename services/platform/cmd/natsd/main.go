// Command natsd runs the embedded NATS JetStream server on its own, for running the services as
// separate processes on one machine (`make run-services`) without installing nats-server. It
// listens on 127.0.0.1 only and has no authentication: production uses a real NATS cluster.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/lifecycle"
	"github.com/supercomp/supercomp/pkg/log"
)

type natsdConfig struct {
	StoreDir string
	Port     int
	Log      config.Log
	Shutdown config.Shutdown
}

func main() {
	if err := run(os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "natsd: "+err.Error())
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg := natsdConfig{StoreDir: "./.data/services/nats", Port: 4222, Log: config.Log{Format: "console"}}
	fs := flag.NewFlagSet("natsd", flag.ContinueOnError)
	fs.StringVar(&cfg.StoreDir, "store-dir", cfg.StoreDir, "directory of the JetStream file store; a restart finds the streams again")
	fs.IntVar(&cfg.Port, "port", cfg.Port, "client port on 127.0.0.1 (-1 picks a free one)")
	cfg.Log.RegisterFlags(fs)
	cfg.Shutdown.RegisterFlags(fs)
	if err := config.Parse(fs, args); err != nil {
		return err
	}
	var v config.Validator
	v.Check(cfg.StoreDir != "", "store-dir", "must not be empty")
	v.Check(cfg.Port == -1 || (cfg.Port > 0 && cfg.Port < 65536), "port", "must be a port number or -1, got %d", cfg.Port)
	v.Add(cfg.Log.Validate(), cfg.Shutdown.Validate())
	if err := v.Err(); err != nil {
		return err
	}
	logger, err := log.New(cfg.Log)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	srv, err := bus.StartEmbedded(bus.EmbeddedConfig{StoreDir: cfg.StoreDir, Port: cfg.Port, ServerName: "natsd"}, logger)
	if err != nil {
		return err
	}
	// Scripts and tests read the address from this line on stdout.
	fmt.Println("NATS_URL=" + srv.ClientURL())
	reg := lifecycle.New(logger, cfg.Shutdown.Timeout)
	reg.Add(srv)
	return reg.Run(context.Background())
}
