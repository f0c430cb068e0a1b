package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Exit codes of sc. Scripts branch on them, so they are part of the CLI's interface and are
// listed in the README; every gRPC code maps to one of them in exitCodeOf and nowhere else.
const (
	ExitOK = 0
	// ExitFailure is anything not classified below: a local file that cannot be read, an
	// internal error of the platform, a check (sc health) that found a problem.
	ExitFailure = 1
	// ExitUsage is a command line sc cannot run (unknown command or flag, missing or malformed
	// value) or input the platform rejected as invalid (InvalidArgument, OutOfRange).
	ExitUsage = 2
	// ExitNotFound is a team, athlete, alert, deload... that does not exist (NotFound).
	ExitNotFound = 3
	// ExitPermission is a caller the platform does not know (Unauthenticated) or who may not
	// do this (PermissionDenied).
	ExitPermission = 4
	// ExitConflict is a change that lost a race or does not fit the current state: a stale
	// --revision, a second create of the same id (AlreadyExists, Aborted, FailedPrecondition).
	ExitConflict = 5
	// ExitUnavailable is a platform sc cannot reach or that did not answer in time
	// (Unavailable, DeadlineExceeded); retrying later may succeed.
	ExitUnavailable = 6
)

// exitCodeOf maps a gRPC code to sc's exit code.
func exitCodeOf(c codes.Code) int {
	switch c {
	case codes.OK:
		return ExitOK
	case codes.InvalidArgument, codes.OutOfRange:
		return ExitUsage
	case codes.NotFound:
		return ExitNotFound
	case codes.Unauthenticated, codes.PermissionDenied:
		return ExitPermission
	case codes.AlreadyExists, codes.Aborted, codes.FailedPrecondition:
		return ExitConflict
	case codes.Unavailable, codes.DeadlineExceeded:
		return ExitUnavailable
	}
	return ExitFailure
}

// ExitCode is the process exit code for an error returned by the command tree.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var usage *usageError
	if errors.As(err, &usage) {
		return ExitUsage
	}
	var call *callError
	if errors.As(err, &call) {
		return exitCodeOf(call.st.Code())
	}
	var missing *notFoundError
	if errors.As(err, &missing) {
		return ExitNotFound
	}
	// A status wrapped by a command that reports it in its own words (sc demo) still
	// exits by its code.
	if st, ok := status.FromError(err); ok {
		return exitCodeOf(st.Code())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ExitUnavailable
	}
	return ExitFailure
}

// usageError is a command line sc refuses before calling the platform.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef reports a bad flag or argument; sc exits with ExitUsage.
func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// callError is a failed call to the platform. It keeps the gRPC status so the exit code and
// the message (with every field violation) come from one place.
type callError struct {
	what string
	addr string
	st   *status.Status
}

// callFailed wraps err from the call named by what ("list alerts"). Errors that are not gRPC
// statuses (a canceled context, a local failure) keep their own text after what.
func (o *options) callFailed(what string, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("%s: %w", what, err)
	}
	return &callError{what: what, addr: o.addr, st: st}
}

// GRPCStatus lets status.FromError and status.Code see the platform's answer.
func (e *callError) GRPCStatus() *status.Status { return e.st }

func (e *callError) Error() string {
	var b strings.Builder
	if e.what != "" {
		b.WriteString(e.what + ": ")
	}
	msg := e.st.Message()
	switch e.st.Code() {
	case codes.Unauthenticated:
		fmt.Fprintf(&b, "not authenticated: %s (pass --token, set SC_TOKEN or run `sc login --token <api key>`)", msg)
	case codes.PermissionDenied:
		b.WriteString("permission denied: " + msg)
	case codes.Unavailable:
		fmt.Fprintf(&b, "cannot reach Supercomp at %s: %s", e.addr, msg)
	case codes.DeadlineExceeded:
		fmt.Fprintf(&b, "no answer from Supercomp at %s in time (raise --timeout): %s", e.addr, msg)
	case codes.NotFound:
		if !strings.Contains(strings.ToLower(msg), "not found") {
			b.WriteString("not found: ")
		}
		b.WriteString(msg)
	default:
		b.WriteString(msg)
	}
	b.WriteString(fieldViolations(e.st, msg))
	return b.String()
}

// fieldViolations lists the BadRequest details of st as " (field: why; field: why)", leaving
// out the ones msg already says, so a rejected request names every bad field in one line.
func fieldViolations(st *status.Status, msg string) string {
	var parts []string
	for _, d := range st.Details() {
		br, ok := d.(*errdetails.BadRequest)
		if !ok {
			continue
		}
		for _, v := range br.GetFieldViolations() {
			part := v.GetDescription()
			if v.GetField() != "" {
				part = v.GetField() + ": " + part
			}
			if !strings.Contains(msg, part) {
				parts = append(parts, part)
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// PrintError writes err as sc reports it: one line on errOut, prefixed "sc: ", and for a
// usage error a pointer to --help.
func PrintError(errOut io.Writer, err error) {
	fmt.Fprintln(errOut, "sc: "+err.Error())
	if ExitCode(err) == ExitUsage {
		var call *callError
		if !errors.As(err, &call) {
			fmt.Fprintln(errOut, "run `sc <command> --help` for usage")
		}
	}
}

// notFoundError is a thing sc looked for in a list and did not find; it exits like a
// NotFound from the platform.
type notFoundError struct{ what string }

func (e *notFoundError) Error() string { return e.what + " not found" }
