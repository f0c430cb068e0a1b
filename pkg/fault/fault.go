// Package fault is the domain error vocabulary shared by every service.
//
// Domain and application code return these errors without knowing about gRPC;
// the server kit (pkg/server) maps them to gRPC status codes in one place.
// A kind is tested with errors.Is (errors.Is(err, fault.ErrNotFound)); bad
// input is reported with an *Invalid that lists every offending field, so a
// caller can fix all of them in one round trip.
package fault

import (
	"errors"
	"fmt"
	"slices"
)

// Error kinds. Wrap them (through the constructors below or with %w) rather
// than returning them bare, so the message says what was not found or why.
var (
	// ErrNotFound: the addressed entity does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a create collided with an existing entity.
	ErrAlreadyExists = errors.New("already exists")
	// ErrFailedPrecondition: the system is not in the state the request
	// assumes, for example a write against a stale revision.
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrPermissionDenied: the caller is known but not allowed to do this.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrUnauthenticated: the caller could not be identified.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrUnavailable: a dependency is down; retrying later may succeed.
	ErrUnavailable = errors.New("unavailable")
)

// NotFound returns an error of kind ErrNotFound, e.g. NotFound("athlete %q", id).
func NotFound(format string, args ...any) error { return kind(ErrNotFound, format, args) }

// AlreadyExists returns an error of kind ErrAlreadyExists.
func AlreadyExists(format string, args ...any) error { return kind(ErrAlreadyExists, format, args) }

// FailedPrecondition returns an error of kind ErrFailedPrecondition.
func FailedPrecondition(format string, args ...any) error {
	return kind(ErrFailedPrecondition, format, args)
}

// PermissionDenied returns an error of kind ErrPermissionDenied.
func PermissionDenied(format string, args ...any) error {
	return kind(ErrPermissionDenied, format, args)
}

// Unauthenticated returns an error of kind ErrUnauthenticated.
func Unauthenticated(format string, args ...any) error {
	return kind(ErrUnauthenticated, format, args)
}

// Unavailable returns an error of kind ErrUnavailable. A cause may be wrapped
// with %w, e.g. Unavailable("clickhouse: %w", err), and stays reachable
// through errors.Is and errors.As.
func Unavailable(format string, args ...any) error { return kind(ErrUnavailable, format, args) }

// kind formats the message and appends the sentinel with %w, so both the
// sentinel and any %w cause in args are in the error's tree.
func kind(sentinel error, format string, args []any) error {
	// Clip so append never writes into a caller's slice passed with args...
	return fmt.Errorf(format+": %w", append(slices.Clip(args), sentinel)...)
}
