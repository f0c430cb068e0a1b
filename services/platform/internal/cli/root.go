// Package cli implements the sc command tree. Each subcommand dials the platform over gRPC,
// prints tables a coach can read, and returns errors (never exits) so main reports them once.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
)

// DefaultAddr is the all-in-one platform's gRPC address.
const DefaultAddr = "127.0.0.1:7400"

// options are the flags every subcommand shares.
type options struct {
	addr    string
	timeout time.Duration
	out     io.Writer
	// token is --token / SC_TOKEN: an API key or a token from `sc login`.
	token string
	// dataDir is the local platform's data dir, where it keeps its admin key.
	dataDir string
	// tls is how the connection is secured; zero means plaintext (the local platform).
	tls clientTLS
}

// NewRoot builds the sc command tree writing to out and errOut.
func NewRoot(out, errOut io.Writer) *cobra.Command {
	opts := &options{out: out}
	root := &cobra.Command{
		Use:           "sc",
		Short:         "Supercomp CLI: recovery-aware strength training for teams",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(out)
	root.SetErr(errOut)
	addr := os.Getenv("SC_ADDR")
	if addr == "" {
		addr = DefaultAddr
	}
	root.PersistentFlags().StringVar(&opts.addr, "addr", addr, "gRPC address of the Supercomp platform (env SC_ADDR)")
	root.PersistentFlags().DurationVar(&opts.timeout, "timeout", 10*time.Second, "deadline for each call to the platform")
	// The flag's default stays empty and SC_TOKEN is read when a credential is needed: a
	// default is printed by --help, and a key must never be.
	root.PersistentFlags().StringVar(&opts.token, "token", "",
		"API key or token to call with (env SC_TOKEN); else the config file written by sc login, else the local platform's <data-dir>/credentials")
	dataDir := os.Getenv("SC_DATA_DIR")
	if dataDir == "" {
		dataDir = defaultDataDir
	}
	root.PersistentFlags().StringVar(&opts.dataDir, "data-dir", dataDir,
		"data dir of the local platform, whose credentials file sc uses when --addr is the local default (env SC_DATA_DIR)")
	opts.tls.registerFlags(root)

	for _, newCmd := range subcommands {
		root.AddCommand(newCmd(opts))
	}
	return root
}

// subcommands builds every top-level command. Each command's file appends its constructor in
// an init function, so areas of the CLI (import, status, alerts, trends...) stay in their own
// files without one list that every change has to edit.
var subcommands = []func(*options) *cobra.Command{newVersionCmd, newHealthCmd}

// dial opens a client connection that presents the resolved credential on every call;
// grpc.NewClient connects lazily, so reachability errors show up on the first call and are
// reported there with the address.
// connect dials the platform for one command's call: ctx carries the --timeout deadline, and
// done releases both.
func (o *options) connect(cmd *cobra.Command) (conn *grpc.ClientConn, ctx context.Context, done func(), err error) {
	conn, err = o.dial()
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), o.timeout)
	return conn, ctx, func() {
		cancel()
		_ = conn.Close()
	}, nil
}

func (o *options) dial() (*grpc.ClientConn, error) {
	transport, err := o.tls.credentials()
	if err != nil {
		return nil, err
	}
	dialOpts := []grpc.DialOption{grpc.WithTransportCredentials(transport)}
	cred, _, err := o.credential()
	if err != nil {
		return nil, err
	}
	if cred != "" {
		dialOpts = append(dialOpts, grpc.WithPerRPCCredentials(bearer(cred)))
	}
	conn, err := grpc.NewClient(o.addr, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("bad --addr %q: %w", o.addr, err)
	}
	return conn, nil
}
