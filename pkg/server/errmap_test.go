package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.uber.org/zap/zapcore"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/fault"
)

func TestToStatus(t *testing.T) {
	var twoFields fault.Invalid
	twoFields.Add("team_id", "is required")
	twoFields.Add(fault.Field("records", 3, "load_kg"), "must not be negative")

	tests := []struct {
		name       string
		err        error
		code       codes.Code
		message    string
		violations []string // "field: description" of the BadRequest detail
	}{
		{"status as is", status.Error(codes.ResourceExhausted, "slow down"), codes.ResourceExhausted, "slow down", nil},
		{"wrapped status keeps its code", fmt.Errorf("call fatigue: %w", status.Error(codes.NotFound, "no athlete")), codes.NotFound, "call fatigue: rpc error: code = NotFound desc = no athlete", nil},
		{"canceled", fmt.Errorf("query: %w", context.Canceled), codes.Canceled, "query: context canceled", nil},
		{"deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), codes.DeadlineExceeded, "query: context deadline exceeded", nil},
		{"invalid", fmt.Errorf("ingest: %w", twoFields.Err()), codes.InvalidArgument,
			"invalid argument: team_id: is required; records[3].load_kg: must not be negative",
			[]string{"team_id: is required", "records[3].load_kg: must not be negative"}},
		{"not found", fault.NotFound("athlete %q", "a42"), codes.NotFound, `athlete "a42": not found`, nil},
		{"already exists", fault.AlreadyExists("team t1"), codes.AlreadyExists, "team t1: already exists", nil},
		{"failed precondition", fmt.Errorf("save program: %w", fault.FailedPrecondition("stale revision %d", 4)), codes.FailedPrecondition, "save program: stale revision 4: failed precondition", nil},
		{"permission denied", fault.PermissionDenied("team t2"), codes.PermissionDenied, "team t2: permission denied", nil},
		{"unauthenticated", fault.Unauthenticated("no credentials"), codes.Unauthenticated, "no credentials: unauthenticated", nil},
		{"unavailable", fault.ErrUnavailable, codes.Unavailable, "unavailable", nil},
		{"anything else is internal and says nothing", errors.New("dial 10.0.0.7:9000: password rejected"), codes.Internal, "internal error", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := toStatusError(tt.err)
			st := status.Convert(err)
			if st.Code() != tt.code || st.Message() != tt.message {
				t.Errorf("status = %v %q, want %v %q", st.Code(), st.Message(), tt.code, tt.message)
			}
			if !errors.Is(err, tt.err) {
				t.Error("mapped error does not unwrap to the handler's error")
			}
			var got []string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.GetFieldViolations() {
						got = append(got, v.GetField()+": "+v.GetDescription())
					}
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.violations, "\n") {
				t.Errorf("violations = %q, want %q", got, tt.violations)
			}
		})
	}
	if toStatusError(nil) != nil {
		t.Error("toStatusError(nil) != nil")
	}
}

func TestLevelFor(t *testing.T) {
	tests := []struct {
		code  codes.Code
		level zapcore.Level
	}{
		{codes.OK, zapcore.DebugLevel},
		{codes.Canceled, zapcore.DebugLevel},
		{codes.InvalidArgument, zapcore.WarnLevel},
		{codes.NotFound, zapcore.WarnLevel},
		{codes.FailedPrecondition, zapcore.WarnLevel},
		{codes.PermissionDenied, zapcore.WarnLevel},
		{codes.Unauthenticated, zapcore.WarnLevel},
		{codes.DeadlineExceeded, zapcore.WarnLevel},
		{codes.Internal, zapcore.ErrorLevel},
		{codes.Unknown, zapcore.ErrorLevel},
		{codes.Unavailable, zapcore.ErrorLevel},
		{codes.Unimplemented, zapcore.ErrorLevel},
	}
	for _, tt := range tests {
		if got := levelFor(tt.code); got != tt.level {
			t.Errorf("levelFor(%v) = %v, want %v", tt.code, got, tt.level)
		}
	}
}
