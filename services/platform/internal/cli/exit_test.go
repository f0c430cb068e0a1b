package cli

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// runExit runs sc as main does and returns the exit code and what it wrote.
func runExit(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExitCodeOfEveryGRPCCode(t *testing.T) {
	want := map[codes.Code]int{
		codes.OK: ExitOK, codes.Canceled: ExitFailure, codes.Unknown: ExitFailure, codes.InvalidArgument: ExitUsage,
		codes.DeadlineExceeded: ExitUnavailable, codes.NotFound: ExitNotFound, codes.AlreadyExists: ExitConflict,
		codes.PermissionDenied: ExitPermission, codes.ResourceExhausted: ExitFailure, codes.FailedPrecondition: ExitConflict,
		codes.Aborted: ExitConflict, codes.OutOfRange: ExitUsage, codes.Unimplemented: ExitFailure, codes.Internal: ExitFailure,
		codes.Unavailable: ExitUnavailable, codes.DataLoss: ExitFailure, codes.Unauthenticated: ExitPermission,
	}
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if got := exitCodeOf(c); got != want[c] {
			t.Errorf("exitCodeOf(%s) = %d, want %d", c, got, want[c])
		}
		if c == codes.OK {
			continue
		}
		opts := &options{addr: "127.0.0.1:7400"}
		if got := ExitCode(opts.callFailed("call", status.Error(c, "x"))); got != want[c] {
			t.Errorf("ExitCode of a %s call = %d, want %d", c, got, want[c])
		}
		if got := ExitCode(fmt.Errorf("in its own words: %w", status.Error(c, "x"))); got != want[c] {
			t.Errorf("ExitCode of a wrapped %s = %d, want %d", c, got, want[c])
		}
	}
}

func TestErrorFormatterPrintsFieldViolations(t *testing.T) {
	st, err := status.New(codes.InvalidArgument, "invalid request").WithDetails(&errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
		{Field: "subscription.quiet_hours.time_zone", Description: `"Mars/Olympus" is not an IANA time zone`},
		{Field: "subscription.channels", Description: "at least one channel is required"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	opts := &options{addr: "127.0.0.1:7400"}
	got := opts.callFailed("subscribe", st.Err()).Error()
	want := `subscribe: invalid request (subscription.quiet_hours.time_zone: "Mars/Olympus" is not an IANA time zone; subscription.channels: at least one channel is required)`
	if got != want {
		t.Errorf("formatted error\n got %s\nwant %s", got, want)
	}
	// A violation the message already carries is not repeated.
	st, _ = status.New(codes.InvalidArgument, "team.name: is required").WithDetails(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "team.name", Description: "is required"}}})
	if got := opts.callFailed("", st.Err()).Error(); got != "team.name: is required" {
		t.Errorf("repeated violation: %q", got)
	}
	var buf bytes.Buffer
	PrintError(&buf, opts.callFailed("", status.Error(codes.Unavailable, "connection refused")))
	if buf.String() != "sc: cannot reach Supercomp at 127.0.0.1:7400: connection refused\n" {
		t.Errorf("PrintError = %q", buf.String())
	}
}

// TestExitCodes runs sc as a script would and checks the documented exit code of each kind
// of failure, against the real auth service on JetStream where the platform decides.
func TestExitCodes(t *testing.T) {
	t.Setenv("SC_TEAM", "")
	t.Setenv("SC_TOKEN", "")
	t.Setenv("SC_CONFIG", t.TempDir()+"/config")
	addr, admin := startSecureServer(t)
	as := func(args ...string) []string { return append([]string{"--addr", addr, "--token", admin}, args...) }

	code, out, _ := runExit(t, as("keys", "create", "--name", "c", "--role", "coach", "--team", "t1")...)
	if code != ExitOK {
		t.Fatalf("keys create exited %d", code)
	}
	coach := regexp.MustCompile(`secret \(shown only now\): (\S+)`).FindStringSubmatch(out)[1]

	cases := []struct {
		name       string
		args       []string
		code       int
		stderrHas  string
		stdoutNone bool
	}{
		{"unknown command", []string{"statuz"}, ExitUsage, "unknown command", true},
		{"mistyped subcommand", []string{"alerts", "lsit"}, ExitUsage, `unknown command "lsit" for "sc alerts"`, true},
		{"unknown flag", []string{"teams", "list", "--colour"}, ExitUsage, "unknown flag: --colour", true},
		{"wrong argument count", []string{"alerts", "ack"}, ExitUsage, "accepts 1 arg", true},
		{"missing team", []string{"alerts", "list"}, ExitUsage, "--team is required (or set SC_TEAM)", true},
		{"bad -o", []string{"teams", "list", "-o", "xml"}, ExitUsage, `-o "xml": one of table, json, yaml`, true},
		{"bad --tz", []string{"teams", "list", "--tz", "Mars/Olympus"}, ExitUsage, "--tz", true},
		{"invalid input with field violations", as("teams", "create", "_bad id", " "), ExitUsage, "team.name: is required", true},
		{"not authenticated", []string{"--addr", addr, "teams", "list"}, ExitPermission, "not authenticated", true},
		{"permission denied", []string{"--addr", addr, "--token", coach, "keys", "list"}, ExitPermission, "permission denied", true},
		{"not found", as("keys", "revoke", "0000000000000000"), ExitNotFound, "not found", true},
		{"unavailable", []string{"--addr", "127.0.0.1:1", "--timeout", "2s", "--token", "x", "teams", "list"}, ExitUnavailable, "cannot reach Supercomp at 127.0.0.1:1", true},
	}
	if code, _, stderr := runExit(t, as("teams", "create", "t9", "Nine")...); code != ExitOK {
		t.Fatalf("teams create exited %d: %s", code, stderr)
	}
	cases = append(cases, struct {
		name       string
		args       []string
		code       int
		stderrHas  string
		stdoutNone bool
	}{"conflict", as("teams", "create", "t9", "Nine again"), ExitConflict, "t9", true})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runExit(t, c.args...)
			if code != c.code || !strings.Contains(stderr, c.stderrHas) || !strings.HasPrefix(stderr, "sc: ") {
				t.Errorf("sc %v exited %d with stderr %q; want %d and %q", c.args, code, stderr, c.code, c.stderrHas)
			}
			if c.stdoutNone && stdout != "" {
				t.Errorf("a failed command wrote to stdout: %q", stdout)
			}
		})
	}
}
