// Package log builds the process logger and names the log fields, so every
// service writes the same keys for the same things and one query finds an
// athlete's events across all of them.
//
// Messages are static and values go in fields:
//
//	logger.Info("batch inserted", zap.Int("rows", n), zap.String(log.Stream, "TRAINING"))
//
// Errors use zap.Error(err), which writes the "error" key.
package log

import (
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/supercomp/supercomp/pkg/config"
)

// Field names shared by every service.
const (
	Team      = "team_id"
	Athlete   = "athlete_id"
	Principal = "principal" // the authenticated caller: an API key id (tokens carry their key's)
	Subject   = "subject"   // NATS subject
	Stream    = "stream"    // JetStream stream
	Consumer  = "consumer"  // JetStream durable consumer
	Component = "component"
	Addr      = "addr"        // a listen or dial address
	Method    = "grpc_method" // full gRPC method, /package.Service/Method
	Code      = "grpc_code"   // gRPC status code name
	Duration  = "duration"
	Peer      = "peer_addr" // a gRPC client's address, host:port
	// Suppressed counts log lines left out by sampling before the line that carries it, for
	// the same client address; SuppressedOtherPeers for addresses no longer tracked.
	Suppressed           = "suppressed"
	SuppressedOtherPeers = "suppressed_other_peers"
)

// New returns the process logger: JSON lines for production or a
// human-readable console encoding, at cfg.Level, with ISO8601 times, the
// caller, and stack traces on errors, written to stderr.
func New(cfg config.Log) (*zap.Logger, error) {
	return build(cfg, os.Stderr)
}

// build is New with the output injected for tests.
func build(cfg config.Log, out io.Writer) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(cfg.Level)
	if err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	var enc zapcore.Encoder
	switch cfg.Format {
	case "json":
		ec := zap.NewProductionEncoderConfig()
		ec.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewJSONEncoder(ec)
	case "console":
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeTime = zapcore.ISO8601TimeEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	default:
		return nil, fmt.Errorf("log format %q: want json or console", cfg.Format)
	}
	sink := zapcore.Lock(zapcore.AddSync(out))
	// No sampling: request logs of successful calls are debug, so what
	// reaches info and above is rare and each line matters.
	core := zapcore.NewCore(enc, sink, level)
	return zap.New(core, zap.AddCaller(), zap.AddStacktrace(zapcore.ErrorLevel), zap.ErrorOutput(sink)), nil
}
