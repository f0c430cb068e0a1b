package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/server"
	"github.com/supercomp/supercomp/pkg/server/servertest"
)

// allServices are every Supercomp gRPC service with its generated Unimplemented server: the
// table test serves the real descriptors, so a new RPC in any proto shows up in it.
func allServices() []struct {
	desc grpc.ServiceDesc
	impl any
} {
	return []struct {
		desc grpc.ServiceDesc
		impl any
	}{
		{ingestionv1.IngestionService_ServiceDesc, ingestionv1.UnimplementedIngestionServiceServer{}},
		{fatiguev1.FatigueService_ServiceDesc, fatiguev1.UnimplementedFatigueServiceServer{}},
		{trendsv1.TrendsService_ServiceDesc, trendsv1.UnimplementedTrendsServiceServer{}},
		{programmingv1.ProgrammingService_ServiceDesc, programmingv1.UnimplementedProgrammingServiceServer{}},
		{notificationsv1.NotificationService_ServiceDesc, notificationsv1.UnimplementedNotificationServiceServer{}},
		{authv1.AuthService_ServiceDesc, authv1.UnimplementedAuthServiceServer{}},
	}
}

// reached records which methods' handlers received a request that passed the guard.
type reached struct {
	mu    sync.Mutex
	calls map[string]int
}

func (r *reached) hit(method string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls[method]++
}

func (r *reached) count(method string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[method]
}

// recording wraps a generated service descriptor so each handler records that a request got
// through the guard. Unary handlers record inside the interceptor chain (after the guard); a
// server stream records when its request is received (the guard checks it in RecvMsg); a client
// stream is answered by reading one message, because the Unimplemented server returns without
// reading and the guard checks messages as they are read.
func recording(desc grpc.ServiceDesc, rec *reached) *grpc.ServiceDesc {
	out := desc
	out.Methods = nil
	for _, md := range desc.Methods {
		full := "/" + desc.ServiceName + "/" + md.MethodName
		orig := md.Handler
		md.Handler = func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			return orig(srv, ctx, dec, func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
				return ic(ctx, req, info, func(ctx context.Context, req any) (any, error) {
					rec.hit(full)
					return h(ctx, req)
				})
			})
		}
		out.Methods = append(out.Methods, md)
	}
	out.Streams = nil
	for _, sd := range desc.Streams {
		full := "/" + desc.ServiceName + "/" + sd.StreamName
		orig := sd.Handler
		clientStreams := sd.ClientStreams
		sd.Handler = func(srv any, ss grpc.ServerStream) error {
			if clientStreams {
				m, _ := LookupMethod(full)
				mt, err := protoregistry.GlobalTypes.FindMessageByName(m.Descriptor.Input().FullName())
				if err != nil {
					return err
				}
				if err := ss.RecvMsg(mt.New().Interface()); err != nil {
					return err
				}
				rec.hit(full)
				return status.Error(codes.Unimplemented, "recorded")
			}
			return orig(srv, &recordingStream{ServerStream: ss, rec: rec, method: full})
		}
		out.Streams = append(out.Streams, sd)
	}
	return &out
}

type recordingStream struct {
	grpc.ServerStream
	rec    *reached
	method string
}

func (s *recordingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	s.rec.hit(s.method)
	return nil
}

// fixture is a real gRPC server (pkg/server) with the guard, every service registered, and a
// credential store on real JetStream.
type fixture struct {
	bus   *bus.Bus
	authn *Authenticator
	srv   *server.Server
	conn  *grpc.ClientConn
	rec   *reached
	keys  map[string]string // principal name -> presented key
}

func newFixture(t *testing.T, register ...func(*grpc.Server)) *fixture {
	t.Helper()
	return newLoggedFixture(t, zap.NewNop(), register...)
}

// newLoggedFixture is newFixture with the server's request log written to logger.
func newLoggedFixture(t *testing.T, logger *zap.Logger, register ...func(*grpc.Server)) *fixture {
	t.Helper()
	ctx := context.Background()
	b, _ := bustest.New(t)
	authn, err := Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	guard := NewGuard(authn)
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0"}, logger,
		server.WithUnaryInterceptors(guard.Unary()), server.WithStreamInterceptors(guard.Stream()))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{bus: b, authn: authn, srv: srv, rec: &reached{calls: map[string]int{}}, keys: map[string]string{}}
	for _, s := range allServices() {
		srv.GRPC().RegisterService(recording(s.desc, f.rec), s.impl)
	}
	for _, r := range register {
		r(srv.GRPC())
	}
	f.conn, err = grpc.NewClient(servertest.Serve(t, srv), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.conn.Close() })
	return f
}

// key creates an API key and remembers it under name.
func (f *fixture) key(t *testing.T, name string, role commonv1.Role, ttl time.Duration, grants ...Grant) *KeyRecord {
	t.Helper()
	k, presented, err := f.authn.Store().CreateKey(context.Background(), KeySpec{Name: name, Role: role, Grants: grants, TTL: ttl}, nil, time.Now())
	if err != nil {
		t.Fatalf("create key %s: %v", name, err)
	}
	f.keys[name] = presented
	return k
}

// call invokes method with req as credential (empty: none) and returns the status code.
func (f *fixture) call(t *testing.T, m Method, credential string, req proto.Message) codes.Code {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if credential != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+credential)
	}
	out := newMessage(t, m.Descriptor.Output())
	d := m.Descriptor
	if !d.IsStreamingClient() && !d.IsStreamingServer() {
		return status.Code(f.conn.Invoke(ctx, m.FullMethod, req, out))
	}
	stream, err := f.conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: d.IsStreamingClient(), ServerStreams: d.IsStreamingServer()}, m.FullMethod)
	if err != nil {
		return status.Code(err)
	}
	if err := stream.SendMsg(req); err != nil && err.Error() != "EOF" {
		return status.Code(err)
	}
	_ = stream.CloseSend()
	return status.Code(stream.RecvMsg(out))
}

func newMessage(t *testing.T, md protoreflect.MessageDescriptor) proto.Message {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		t.Fatalf("message type %s: %v", md.FullName(), err)
	}
	return mt.New().Interface()
}
