package server

import (
	"context"
	"errors"
	"runtime/debug"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/supercomp/supercomp/pkg/log"
)

// interceptors holds what the recovery and logging interceptors share.
// Recovery needs the logger: a panic unwinds through the logging interceptor,
// so recovery logs the call itself. The metrics interceptor runs outside
// recovery and counts the Internal that recovery answers.
type interceptors struct {
	log     *zap.Logger
	metrics *metrics
	sampler *logSampler
	now     func() time.Time
}

func newInterceptors(logger *zap.Logger, m *metrics, now func() time.Time) *interceptors {
	// A stack trace of the interceptor chain says nothing about a failed
	// call, so request lines go without one.
	return &interceptors{log: logger.WithOptions(zap.AddStacktrace(zapcore.FatalLevel)), metrics: m,
		sampler: newLogSampler(m), now: now}
}

func (ic *interceptors) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			err = ic.recovered(info.FullMethod, p, time.Since(start))
		}
	}()
	return handler(ctx, req)
}

func (ic *interceptors) recoverStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			err = ic.recovered(info.FullMethod, p, time.Since(start))
		}
	}()
	return handler(srv, ss)
}

// recovered logs a panicked call, which the logging interceptor never sees,
// and answers Internal without a word about the panic: its value may hold
// anything.
func (ic *interceptors) recovered(method string, p any, d time.Duration) error {
	ic.log.Error("grpc handler panicked",
		zap.String(log.Method, method),
		zap.String(log.Code, codes.Internal.String()),
		zap.Duration(log.Duration, d),
		zap.Any("panic", p),
		zap.String("stack", string(debug.Stack())),
	)
	return status.Error(codes.Internal, internalMessage)
}

func (ic *interceptors) logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	ctx, extra := log.WithCallFields(ctx)
	resp, err := handler(ctx, req)
	ic.logCall(ctx, info.FullMethod, err, time.Since(start), extra)
	return resp, err
}

func (ic *interceptors) logStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	ctx, extra := log.WithCallFields(ss.Context())
	err := handler(srv, &streamWithContext{ServerStream: ss, ctx: ctx})
	ic.logCall(ctx, info.FullMethod, err, time.Since(start), extra)
	return err
}

// streamWithContext hands the inner interceptors and the handler a context
// that carries the call's log fields.
type streamWithContext struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *streamWithContext) Context() context.Context { return s.ctx }

// logCall writes the one line per call, with the client's address and what
// inner layers added with log.AddCallFields (the principal and team). err has
// been through the error mapping, and the error logged is the one the handler
// returned, so an Internal line says what really went wrong. Lines of failed
// authentications and rate-limited calls are sampled per address (see
// logSampler); a written line says how many were left out before it.
func (ic *interceptors) logCall(ctx context.Context, method string, err error, d time.Duration, extra *log.CallFields) {
	code := status.Code(err)
	ce := ic.log.Check(levelFor(code), "grpc call")
	if ce == nil {
		return
	}
	fields := make([]zap.Field, 0, 9)
	if sampledCode(code) {
		ok, suppressed, elsewhere := ic.sampler.allow(peerKey(ctx), ic.now())
		if !ok {
			return
		}
		if suppressed > 0 {
			fields = append(fields, zap.Int64(log.Suppressed, suppressed))
		}
		if elsewhere > 0 {
			fields = append(fields, zap.Int64(log.SuppressedOtherPeers, elsewhere))
		}
	}
	fields = append(fields,
		zap.String(log.Method, method),
		zap.String(log.Code, code.String()),
		zap.Duration(log.Duration, d),
	)
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		fields = append(fields, zap.Stringer(log.Peer, p.Addr))
	}
	fields = append(fields, extra.Fields()...)
	if err != nil {
		var mapped *statusError
		if errors.As(err, &mapped) {
			err = mapped.cause
		}
		fields = append(fields, zap.Error(err))
	}
	ce.Write(fields...)
}

// levelFor keeps the log quiet at Info: successes and hang-ups are Debug,
// the caller's mistakes Warn, and the server's own failures Error.
func levelFor(code codes.Code) zapcore.Level {
	switch code {
	case codes.OK, codes.Canceled:
		return zapcore.DebugLevel
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unavailable, codes.Unimplemented:
		return zapcore.ErrorLevel
	default:
		return zapcore.WarnLevel
	}
}

func mapErrorsUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	resp, err := handler(ctx, req)
	return resp, toStatusError(err)
}

func mapErrorsStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return toStatusError(handler(srv, ss))
}
