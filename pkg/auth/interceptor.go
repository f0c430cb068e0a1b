package auth

import (
	"context"
	"strings"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/supercomp/supercomp/pkg/fault"
	"github.com/supercomp/supercomp/pkg/log"
)

// openServices are answered without credentials: probes and load balancers check health, and
// grpcurl and buf curl need reflection to know the API before they can authenticate.
var openServices = []string{
	"/grpc.health.v1.Health/",
	"/grpc.reflection.v1.ServerReflection/",
	"/grpc.reflection.v1alpha.ServerReflection/",
}

// IsOpen reports whether fullMethod needs no credentials.
func IsOpen(fullMethod string) bool {
	for _, prefix := range openServices {
		if strings.HasPrefix(fullMethod, prefix) {
			return true
		}
	}
	return false
}

// Guard is the one place access is enforced: its interceptors authenticate the caller, put the
// principal in the context, and check the method's access rule (role, then the team and
// athletes the request names) before the handler sees the request. A method without a usable
// rule, or unknown to the process, is denied: a new RPC fails closed until it declares a rule.
type Guard struct {
	authn *Authenticator
}

// NewGuard returns a guard authenticating with authn.
func NewGuard(authn *Authenticator) *Guard { return &Guard{authn: authn} }

// Authenticator is the guard's authenticator.
func (g *Guard) Authenticator() *Authenticator { return g.authn }

// BearerFromContext returns the credential of the incoming `authorization: Bearer ...` metadata.
func BearerFromContext(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		scheme, cred, ok := strings.Cut(strings.TrimSpace(v), " ")
		if ok && strings.EqualFold(scheme, "bearer") {
			return strings.TrimSpace(cred)
		}
	}
	return ""
}

// admit authenticates the call and checks the role; it returns the method and principal.
func (g *Guard) admit(ctx context.Context, fullMethod string) (Method, *Principal, error) {
	m, known := LookupMethod(fullMethod)
	p, err := g.authn.Authenticate(ctx, BearerFromContext(ctx))
	if err != nil {
		return Method{}, nil, err
	}
	// The request log line says who called, also when the call is then refused.
	log.AddCallFields(ctx, zap.String(log.Principal, p.Subject))
	if !known {
		return Method{}, nil, fault.PermissionDenied("%s has no access rule in this server's descriptors", fullMethod)
	}
	if err := AuthorizeCall(p, m); err != nil {
		return Method{}, nil, err
	}
	return m, p, nil
}

// Unary is the unary server interceptor.
func (g *Guard) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if IsOpen(info.FullMethod) {
			return handler(ctx, req)
		}
		m, p, err := g.admit(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		msg, ok := req.(proto.Message)
		if !ok {
			return nil, fault.PermissionDenied("%s: request is not a protobuf message", info.FullMethod)
		}
		team := teamOf(msg)
		if team != "" {
			log.AddCallFields(ctx, zap.String(log.Team, team))
		}
		if err := AuthorizeRequest(p, m, ScopeOf(msg, NeedsAthletes(p, team)), false); err != nil {
			return nil, err
		}
		return handler(WithPrincipal(ctx, p), req)
	}
}

// Stream is the stream server interceptor. The caller is authenticated and its role checked
// before the handler starts; every message received is checked against the grants before the
// handler sees it (a server stream's single request included, so a denied Export or
// WatchAlerts never reaches the service).
func (g *Guard) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if IsOpen(info.FullMethod) {
			return handler(srv, ss)
		}
		m, p, err := g.admit(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		return handler(srv, &guardedStream{ServerStream: ss, ctx: WithPrincipal(ss.Context(), p), method: m, principal: p})
	}
}

// guardedStream checks each received message. The first message must name a team; later ones
// (an import's file chunks) may leave it empty and then act on the first message's team.
type guardedStream struct {
	grpc.ServerStream
	ctx       context.Context
	method    Method
	principal *Principal
	team      string
	received  int
	denied    error
}

func (s *guardedStream) Context() context.Context { return s.ctx }

func (s *guardedStream) RecvMsg(m any) error {
	if s.denied != nil {
		return s.denied
	}
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	msg, ok := m.(proto.Message)
	if !ok {
		s.denied = fault.PermissionDenied("%s: message is not a protobuf message", s.method.FullMethod)
		return s.denied
	}
	first := s.received == 0
	s.received++
	team := teamOf(msg)
	if first {
		s.team = team
		if team != "" {
			log.AddCallFields(s.ctx, zap.String(log.Team, team))
		}
	} else if team == "" {
		team = s.team
	}
	scope := ScopeOf(msg, NeedsAthletes(s.principal, team))
	scope.TeamID = team
	if err := AuthorizeRequest(s.principal, s.method, scope, !first); err != nil {
		// Once denied, the stream stays denied: a handler that ignores the error gets no more.
		s.denied = err
		return err
	}
	return nil
}

func teamOf(msg proto.Message) string {
	m := msg.ProtoReflect()
	if fd := teamField(m.Descriptor()); fd != nil {
		return m.Get(fd).String()
	}
	return ""
}
