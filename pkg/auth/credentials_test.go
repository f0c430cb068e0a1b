package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
)

const getStatus = "/supercomp.fatigue.v1.FatigueService/GetAthleteStatus"

// callStatus calls GetAthleteStatus on team t1 with credential and returns the status.
func callStatus(t *testing.T, f *fixture, credential string) *status.Status {
	t.Helper()
	m, _ := LookupMethod(getStatus)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+credential)
	err := f.conn.Invoke(ctx, m.FullMethod, &fatiguev1.GetAthleteStatusRequest{TeamId: "t1", AthleteId: "a1"}, &fatiguev1.GetAthleteStatusResponse{})
	return status.Convert(err)
}

// signWith signs c as a token with kid and secret, as a forger or an older server would.
func signWith(t *testing.T, c claims, kid string, secret []byte) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCredentials(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	coach := f.key(t, "coach", commonv1.Role_ROLE_COACH, 0, Grant{TeamID: "t1"})
	p := coach.Principal(CredentialAPIKey)
	token, _, kid, err := f.authn.Tokens().Issue(ctx, p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	kr, _, err := f.authn.Store().keyring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	current, _ := kr.find(kid)
	valid := claims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: issuer, Subject: coach.ID, IssuedAt: jwt.NewNumericDate(time.Now()),
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))},
		Role: "coach",
	}
	expired := valid
	expired.IssuedAt = jwt.NewNumericDate(time.Now().Add(-2 * time.Hour))
	expired.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
	noExpiry := valid
	noExpiry.ExpiresAt = nil
	otherIssuer := valid
	otherIssuer.Issuer = "someone-else"

	// Tampered: the payload says admin, the signature is the coach token's.
	parts := strings.Split(token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"role":"coach"`, `"role":"admin"`, 1)))
	tampered := strings.Join(parts, ".")
	none := jwt.NewWithClaims(jwt.SigningMethodNone, valid)
	none.Header["kid"] = kid
	unsigned, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)

	presented := f.keys["coach"]
	tests := []struct {
		name       string
		credential string
		want       codes.Code
		msg        string
	}{
		{"api key", presented, codes.OK, ""},
		{"token", token, codes.OK, ""},
		{"token signed like the server", signWith(t, valid, kid, current.Secret), codes.OK, ""},
		{"missing", "", codes.Unauthenticated, "missing credentials"},
		{"expired token", signWith(t, expired, kid, current.Secret), codes.Unauthenticated, "token expired"},
		{"token without expiry", signWith(t, noExpiry, kid, current.Secret), codes.Unauthenticated, "invalid token"},
		{"other issuer", signWith(t, otherIssuer, kid, current.Secret), codes.Unauthenticated, "invalid token"},
		{"tampered token", tampered, codes.Unauthenticated, "invalid token"},
		{"wrong key, right kid", signWith(t, valid, kid, []byte("0123456789abcdef0123456789abcdef")), codes.Unauthenticated, "invalid token"},
		{"unknown kid", signWith(t, valid, "k000000000000", current.Secret), codes.Unauthenticated, "unknown signing key"},
		{"alg none", unsigned, codes.Unauthenticated, "invalid token"},
		{"wrong secret for a real key id", presented[:len(presented)-4] + "AAAA", codes.Unauthenticated, "unknown api key"},
		{"made-up key", "sck_0011223344556677_" + strings.Repeat("x", 43), codes.Unauthenticated, "unknown api key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.rec.count(getStatus)
			st := callStatus(t, f, tt.credential)
			got := st.Code()
			if got == codes.Unimplemented { // reached the handler: authenticated and allowed
				got = codes.OK
			}
			if got != tt.want || !strings.Contains(st.Message(), tt.msg) {
				t.Fatalf("= %v %q, want %v containing %q", st.Code(), st.Message(), tt.want, tt.msg)
			}
			if reached := f.rec.count(getStatus) > before; reached != (tt.want == codes.OK) {
				t.Errorf("handler reached = %v", reached)
			}
		})
	}

	t.Run("rotation keeps old tokens valid and signs with the new key", func(t *testing.T) {
		newKid, retired, err := f.authn.Tokens().Rotate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if newKid == kid || len(retired) != 1 || retired[0] != kid {
			t.Fatalf("rotate = %s, retired %v; want a new key and %s retired", newKid, retired, kid)
		}
		if st := callStatus(t, f, token); st.Code() != codes.Unimplemented {
			t.Errorf("token of the retired key = %v", st.Err())
		}
		fresh, _, freshKid, err := f.authn.Tokens().Issue(ctx, p, time.Hour)
		if err != nil || freshKid != newKid {
			t.Fatalf("issue after rotation: kid %s, %v; want %s", freshKid, err, newKid)
		}
		// A verifier in another process (fresh cache) learns the new key from the bucket.
		other := NewGuard(NewAuthenticator(f.authn.Store(), NewTokens(f.authn.Store())))
		if _, err := other.Authenticator().Authenticate(ctx, fresh); err != nil {
			t.Errorf("fresh verifier: %v", err)
		}
	})

	t.Run("revoking the key stops the key and its tokens", func(t *testing.T) {
		if _, err := f.authn.Store().RevokeKey(ctx, coach.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		for name, cred := range map[string]string{"key": presented, "token": token} {
			if st := callStatus(t, f, cred); st.Code() != codes.Unauthenticated || !strings.Contains(st.Message(), "revoked") {
				t.Errorf("revoked %s = %v %q, want Unauthenticated (revoked)", name, st.Code(), st.Message())
			}
		}
	})

	t.Run("expired key", func(t *testing.T) {
		k := f.key(t, "short", commonv1.Role_ROLE_COACH, time.Millisecond, Grant{TeamID: "t1"})
		time.Sleep(5 * time.Millisecond)
		if st := callStatus(t, f, f.keys["short"]); st.Code() != codes.Unauthenticated || !strings.Contains(st.Message(), "expired") {
			t.Errorf("expired key %s = %v %q", k.ID, st.Code(), st.Message())
		}
	})

	t.Run("narrowed grants apply to existing tokens", func(t *testing.T) {
		k := f.key(t, "coach2", commonv1.Role_ROLE_COACH, 0, Grant{TeamID: "t1"})
		tok, _, _, err := f.authn.Tokens().Issue(ctx, k.Principal(CredentialAPIKey), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.authn.Store().SetGrants(ctx, k.ID, []Grant{{TeamID: "t9"}}, nil); err != nil {
			t.Fatal(err)
		}
		if st := callStatus(t, f, tok); st.Code() != codes.PermissionDenied {
			t.Errorf("token after grants moved to t9 = %v, want PermissionDenied", st.Err())
		}
	})
}

// TestStreamMessagesAreCheckedOneByOne: a client stream that starts on its own team and then
// switches to another is refused at the switching message, before the handler reads it.
func TestStreamMessagesAreCheckedOneByOne(t *testing.T) {
	f := newFixture(t)
	f.key(t, "device", commonv1.Role_ROLE_DEVICE, 0, Grant{TeamID: "t1"})
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+f.keys["device"])
	guard := NewGuard(f.authn)
	var got []string
	handler := func(_ any, ss grpc.ServerStream) error {
		for {
			var m ingestionv1.StreamRecordsRequest
			if err := ss.RecvMsg(&m); err != nil {
				return err
			}
			got = append(got, m.GetTeamId())
		}
	}
	msgs := []*ingestionv1.StreamRecordsRequest{{TeamId: "t1"}, {TeamId: "t1"}, {TeamId: "t2"}, {TeamId: "t1"}}
	ss := &fakeStream{ctx: metadata.NewIncomingContext(ctx, mdOf(ctx)), msgs: msgs}
	err := guard.Stream()(nil, ss, &grpc.StreamServerInfo{FullMethod: "/supercomp.ingestion.v1.IngestionService/StreamRecords", IsClientStream: true}, handler)
	if !errors.Is(err, fault.ErrPermissionDenied) || !strings.Contains(err.Error(), "not granted team") {
		t.Fatalf("stream = %v, want PermissionDenied", err)
	}
	if len(got) != 2 {
		t.Errorf("handler received %v, want the two t1 messages before the switch only", got)
	}
}

func mdOf(ctx context.Context) metadata.MD {
	md, _ := metadata.FromOutgoingContext(ctx)
	return md
}

type fakeStream struct {
	grpc.ServerStream
	ctx  context.Context
	msgs []*ingestionv1.StreamRecordsRequest
}

func (s *fakeStream) Context() context.Context { return s.ctx }
func (s *fakeStream) RecvMsg(m any) error {
	if len(s.msgs) == 0 {
		return context.Canceled
	}
	proto.Merge(m.(proto.Message), s.msgs[0])
	s.msgs = s.msgs[1:]
	return nil
}

// TestMethodWithoutRuleIsDenied registers a service whose proto declares no access rule: even an
// admin is refused, so a new RPC fails closed until it declares one.
func TestMethodWithoutRuleIsDenied(t *testing.T) {
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("supercomp/authtest/v1/unruled.proto"),
		Package:    proto.String("supercomp.authtest.v1"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/protobuf/empty.proto"},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: proto.String("UnruledService"),
			Method: []*descriptorpb.MethodDescriptorProto{{
				Name: proto.String("Call"), InputType: proto.String(".google.protobuf.Empty"), OutputType: proto.String(".google.protobuf.Empty"),
			}},
		}},
	}
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		t.Fatal(err)
	}
	if err := protoregistry.GlobalFiles.RegisterFile(fd); err != nil {
		t.Fatal(err)
	}
	reached := false
	desc := grpc.ServiceDesc{
		ServiceName: "supercomp.authtest.v1.UnruledService",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Call", Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			in := new(emptypb.Empty)
			if err := dec(in); err != nil {
				return nil, err
			}
			return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/supercomp.authtest.v1.UnruledService/Call"},
				func(context.Context, any) (any, error) { reached = true; return &emptypb.Empty{}, nil })
		}}},
	}
	f := newFixture(t, func(s *grpc.Server) { s.RegisterService(&desc, struct{}{}) })
	f.key(t, "admin", commonv1.Role_ROLE_ADMIN, 0)
	m, ok := LookupMethod("/supercomp.authtest.v1.UnruledService/Call")
	if !ok || m.Usable() == nil {
		t.Fatalf("lookup = %+v, %v; want a method with an unusable rule", m, ok)
	}
	st := status.Convert(f.conn.Invoke(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+f.keys["admin"]),
		m.FullMethod, &emptypb.Empty{}, &emptypb.Empty{}))
	if st.Code() != codes.PermissionDenied || !strings.Contains(st.Message(), "no (supercomp.common.v1.access) rule") || reached {
		t.Fatalf("unruled call = %v %q (reached %v), want PermissionDenied naming the missing rule", st.Code(), st.Message(), reached)
	}
	// Health and reflection stay open without credentials.
	if err := f.conn.Invoke(context.Background(), "/grpc.health.v1.Health/Check", &emptypb.Empty{}, &emptypb.Empty{}); status.Code(err) == codes.Unauthenticated {
		t.Errorf("health needs credentials: %v", err)
	}
}
