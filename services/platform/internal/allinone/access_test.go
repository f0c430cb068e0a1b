package allinone

import (
	"context"
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/supercomp/supercomp/pkg/auth"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	"github.com/supercomp/supercomp/pkg/service"
)

// withKey returns ctx presenting key.
func withKey(ctx context.Context, key string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}

// checkAccess is the "done when" against the real platform: no credentials is
// Unauthenticated, the admin key the platform wrote to its data dir works, a coach of team A
// gets PermissionDenied on every team-scoped RPC of every service for team B, and a device
// cannot read.
func checkAccess(t *testing.T, ctx context.Context, host *service.Host, conn *grpc.ClientConn, dataDir string) {
	path := CredentialsPath(dataDir)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file %s: %v, %v; want mode 0600", path, fi, err)
	}
	adminKey, err := auth.ReadCredentialsFile(path)
	if err != nil {
		t.Fatal(err)
	}
	authClient := authv1.NewAuthServiceClient(conn)
	if _, err := authClient.WhoAmI(ctx, &authv1.WhoAmIRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("WhoAmI without credentials = %v, want Unauthenticated", err)
	}
	me, err := authClient.WhoAmI(withKey(ctx, adminKey), &authv1.WhoAmIRequest{})
	if err != nil || me.GetPrincipal().GetRole() != commonv1.Role_ROLE_ADMIN {
		t.Fatalf("WhoAmI with the data dir's key = %v, %v", me, err)
	}
	newKey := func(role commonv1.Role) string {
		resp, err := authClient.CreateApiKey(withKey(ctx, adminKey), &authv1.CreateApiKeyRequest{
			Name: "team-a " + auth.RoleName(role), Role: role, Grants: []*authv1.TeamGrant{{TeamId: "team-a"}}})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetSecret()
	}
	coachA, deviceA := newKey(commonv1.Role_ROLE_COACH), newKey(commonv1.Role_ROLE_DEVICE)

	status := fatiguev1.NewFatigueServiceClient(conn)
	if _, err := status.GetAthleteStatus(ctx, &fatiguev1.GetAthleteStatusRequest{TeamId: "team-a", AthleteId: "a1"}); grpcCode(err) != codes.Unauthenticated {
		t.Errorf("GetAthleteStatus without credentials = %v", err)
	}
	if _, err := status.ListTeamStatus(withKey(ctx, deviceA), &fatiguev1.ListTeamStatusRequest{TeamId: "team-a"}); grpcCode(err) != codes.PermissionDenied {
		t.Errorf("device reading its own team = %v, want PermissionDenied", err)
	}

	checked := 0
	for svc, info := range host.GRPC().GRPC().GetServiceInfo() {
		if !strings.HasPrefix(svc, "supercomp.") {
			continue
		}
		for _, mi := range info.Methods {
			m, ok := auth.LookupMethod("/" + svc + "/" + mi.Name)
			if !ok || m.Rule.GetScope() != commonv1.AccessScope_ACCESS_SCOPE_TEAM {
				continue
			}
			checked++
			if code := invoke(t, withKey(ctx, coachA), conn, m, "team-b"); code != codes.PermissionDenied {
				t.Errorf("%s as coach of team-a on team-b = %v, want PermissionDenied", m.FullMethod, code)
			}
		}
	}
	if checked < 40 {
		t.Errorf("checked only %d team-scoped RPCs", checked)
	}
}

func grpcCode(err error) codes.Code { return status.Code(err) }

// invoke calls m with a request naming team and returns the status code.
func invoke(t *testing.T, ctx context.Context, conn *grpc.ClientConn, m auth.Method, team string) codes.Code {
	t.Helper()
	in, out := newMsg(t, m.Descriptor.Input()), newMsg(t, m.Descriptor.Output())
	in.ProtoReflect().Set(m.Descriptor.Input().Fields().ByName("team_id"), protoreflect.ValueOfString(team))
	d := m.Descriptor
	if !d.IsStreamingClient() && !d.IsStreamingServer() {
		return grpcCode(conn.Invoke(ctx, m.FullMethod, in, out))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: d.IsStreamingClient(), ServerStreams: d.IsStreamingServer()}, m.FullMethod)
	if err != nil {
		return grpcCode(err)
	}
	_ = stream.SendMsg(in)
	_ = stream.CloseSend()
	return grpcCode(stream.RecvMsg(out))
}

func newMsg(t *testing.T, md protoreflect.MessageDescriptor) proto.Message {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		t.Fatal(err)
	}
	return mt.New().Interface()
}
