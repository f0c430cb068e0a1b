// Package cli implements the sc command tree. Each subcommand dials the platform over gRPC,
// prints tables a coach can read (or the response as JSON or YAML with -o), and returns errors
// (never exits) so Run reports them once, with an exit code scripts can branch on.
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
	errOut  io.Writer
	// tz is --tz (env SC_TZ): the IANA zone of every time sc prints and of the clock times it
	// sends (quiet hours, digests); loc is it loaded when the command starts.
	tz  string
	loc *time.Location
	// quiet is --quiet: no progress bars and no notes on stderr, only results and errors.
	quiet bool
	// started is set when a command's own code begins: an error before that came from cobra
	// reading the command line (unknown flag, wrong arguments) and is a usage error.
	started bool
	// token is --token / SC_TOKEN: an API key or a token from `sc login`.
	token string
	// dataDir is the local platform's data dir, where it keeps its admin key.
	dataDir string
	// tls is how the connection is secured; zero means plaintext (the local platform).
	tls clientTLS
}

// Run runs sc with args, reports an error on errOut and returns the exit code.
func Run(ctx context.Context, args []string, out, errOut io.Writer) int {
	root, opts := newRoot(out, errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !opts.started {
		err = &usageError{msg: err.Error()}
	}
	if err != nil {
		PrintError(errOut, err)
	}
	return ExitCode(err)
}

// NewRoot builds the sc command tree writing to out and errOut.
func NewRoot(out, errOut io.Writer) *cobra.Command {
	root, _ := newRoot(out, errOut)
	return root
}

// rootLong is the top of `sc --help`: the environment and the exit codes, which every
// command shares.
const rootLong = `Supercomp CLI: recovery-aware strength training for teams.

Commands that list or show take -o table|json|yaml; json is the protobuf JSON mapping of the
response (field names as in the .proto files). Lists follow page tokens up to --limit and say
when more exist.

Environment: SC_ADDR (--addr), SC_TOKEN (--token), SC_TEAM (--team of every command),
SC_TZ (--tz), SC_DATA_DIR (--data-dir).

Exit codes: 0 ok, 1 other failure, 2 usage or invalid input, 3 not found,
4 not authenticated or permission denied, 5 conflict (stale revision, already exists,
wrong state), 6 platform unavailable or too slow.`

func newRoot(out, errOut io.Writer) (*cobra.Command, *options) {
	opts := &options{out: out, errOut: errOut}
	root := &cobra.Command{
		Use:           "sc",
		Short:         "Supercomp CLI: recovery-aware strength training for teams",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if opts.tz == "" {
				return nil
			}
			loc, err := time.LoadLocation(opts.tz)
			if err != nil {
				return usagef("--tz %q: want an IANA time zone, e.g. Europe/Oslo", opts.tz)
			}
			opts.loc = loc
			return nil
		},
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
	root.PersistentFlags().StringVar(&opts.tz, "tz", os.Getenv("SC_TZ"),
		"IANA time zone of the times sc prints and of clock times it sends, e.g. Europe/Oslo (env SC_TZ; default UTC)")
	root.PersistentFlags().BoolVarP(&opts.quiet, "quiet", "q", false, "no progress bars and no notes on stderr: results and errors only")
	opts.tls.registerFlags(root)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: err.Error()} })

	for _, newCmd := range subcommands {
		root.AddCommand(newCmd(opts))
	}
	markStart(root, opts)
	return root, opts
}

// markStart wraps every command's RunE so opts.started tells cobra's errors (read before
// RunE) from the command's own. A group (sc alerts) shows its help, and a mistyped
// subcommand (sc alerts lsit) is a usage error instead of help with exit code 0.
func markStart(cmd *cobra.Command, opts *options) {
	if cmd.HasParent() && cmd.HasSubCommands() && !cmd.Runnable() {
		cmd.Args = cobra.NoArgs
		cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	} else if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			opts.started = true
			return run(c, args)
		}
	}
	for _, sub := range cmd.Commands() {
		markStart(sub, opts)
	}
}

// subcommands builds every top-level command. Each command's file appends its constructor in
// an init function, so areas of the CLI (import, status, alerts, trends...) stay in their own
// files without one list that every change has to edit.
var subcommands = []func(*options) *cobra.Command{newVersionCmd, newHealthCmd}

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

// connectForTeam is connect for a command about one team that prints: the -o format and
// --team are checked first, so a usage mistake never waits on the network.
func (o *options) connectForTeam(cmd *cobra.Command, output, team string) (*grpc.ClientConn, context.Context, func(), error) {
	if err := checkOutput(cmd, output); err != nil {
		return nil, nil, nil, err
	}
	if err := needTeam(team); err != nil {
		return nil, nil, nil, err
	}
	return o.connect(cmd)
}

// dial opens a client connection that presents the resolved credential on every call;
// grpc.NewClient connects lazily, so reachability errors show up on the first call and are
// reported there with the address.
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
