package server

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/fault"
)

// internalMessage is all a client learns about an unexpected error; the cause
// goes to the log.
const internalMessage = "internal error"

// kindCodes maps the domain error kinds to status codes.
var kindCodes = []struct {
	kind error
	code codes.Code
}{
	{fault.ErrNotFound, codes.NotFound},
	{fault.ErrAlreadyExists, codes.AlreadyExists},
	{fault.ErrFailedPrecondition, codes.FailedPrecondition},
	{fault.ErrPermissionDenied, codes.PermissionDenied},
	{fault.ErrUnauthenticated, codes.Unauthenticated},
	{fault.ErrUnavailable, codes.Unavailable},
}

// statusError is what the error-mapping interceptor returns: gRPC sends st to
// the client, while the logging interceptor reaches the handler's error
// through Unwrap.
type statusError struct {
	st    *status.Status
	cause error
}

func (e *statusError) Error() string              { return e.st.Err().Error() }
func (e *statusError) GRPCStatus() *status.Status { return e.st }
func (e *statusError) Unwrap() error              { return e.cause }

// toStatusError maps a handler's error to the status the client receives.
func toStatusError(err error) error {
	if err == nil {
		return nil
	}
	return &statusError{st: toStatus(err), cause: err}
}

// toStatus is the one mapping from errors to gRPC statuses:
//   - a status (from status.Error, or a failed call to another service) as is;
//   - context cancellation and deadline as Canceled and DeadlineExceeded;
//   - a *fault.Invalid as InvalidArgument, with a google.rpc.BadRequest
//     detail listing the field violations for clients to act on;
//   - the fault kinds as their codes, with the error text as message;
//   - anything else as Internal with a generic message, since an
//     unexpected error's text may expose internals.
func toStatus(err error) *status.Status {
	if st, ok := status.FromError(err); ok {
		return st
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, err.Error())
	}
	var invalid *fault.Invalid
	if errors.As(err, &invalid) {
		return invalidStatus(invalid)
	}
	for _, k := range kindCodes {
		if errors.Is(err, k.kind) {
			return status.New(k.code, err.Error())
		}
	}
	return status.New(codes.Internal, internalMessage)
}

func invalidStatus(invalid *fault.Invalid) *status.Status {
	st := status.New(codes.InvalidArgument, invalid.Error())
	br := &errdetails.BadRequest{}
	for _, v := range invalid.Violations {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
			Field:       v.Field,
			Description: v.Description,
		})
	}
	detailed, err := st.WithDetails(br)
	if err != nil {
		// Only fails if br cannot be marshalled; the message already lists
		// the violations, so the client still learns what to fix.
		return st
	}
	return detailed
}
