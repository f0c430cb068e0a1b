// Package cli implements the sc command tree. Each subcommand dials the platform over gRPC,
// prints tables a coach can read, and returns errors (never exits) so main reports them once.
package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// DefaultAddr is the all-in-one platform's gRPC address.
const DefaultAddr = "127.0.0.1:7400"

// options are the flags every subcommand shares.
type options struct {
	addr    string
	timeout time.Duration
	out     io.Writer
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

	for _, newCmd := range subcommands {
		root.AddCommand(newCmd(opts))
	}
	return root
}

// subcommands builds every top-level command. Each command's file appends its constructor in
// an init function, so areas of the CLI (import, status, alerts, trends...) stay in their own
// files without one list that every change has to edit.
var subcommands = []func(*options) *cobra.Command{newVersionCmd, newHealthCmd}

// dial opens a client connection; grpc.NewClient connects lazily, so reachability errors show
// up on the first call and are reported there with the address.
func (o *options) dial() (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(o.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("bad --addr %q: %w", o.addr, err)
	}
	return conn, nil
}
