package auth

import (
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	"github.com/supercomp/supercomp/pkg/log"
)

// The request log line of a guarded call names who called and for which team, for unary and
// streaming calls, and for calls the grants refuse (those are the lines an operator reads).
func TestRequestLogNamesPrincipalAndTeam(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	f := newLoggedFixture(t, zap.New(core))
	coach := f.key(t, "coach", commonv1.Role_ROLE_COACH, 0, Grant{TeamID: "t1"})

	tests := []struct {
		method, team string
	}{
		{"/supercomp.fatigue.v1.FatigueService/ListTeamStatus", "t1"},
		{"/supercomp.ingestion.v1.IngestionService/StreamRecords", "t1"},
		{"/supercomp.fatigue.v1.FatigueService/ListTeamStatus", "t2"}, // not granted
	}
	for _, tt := range tests {
		m, ok := LookupMethod(tt.method)
		if !ok {
			t.Fatalf("no access rule for %s", tt.method)
		}
		req, _ := request(t, m, tt.team, "a1")
		logs.TakeAll()
		code := f.call(t, m, f.keys["coach"], req)
		lines := logs.FilterMessage("grpc call").FilterField(zap.String(log.Method, tt.method)).All()
		if len(lines) != 1 {
			t.Fatalf("%s on %s (%v): %d request log lines, want 1", tt.method, tt.team, code, len(lines))
		}
		fields := lines[0].ContextMap()
		if fields[log.Principal] != coach.ID || fields[log.Team] != tt.team {
			t.Errorf("%s on %s (%v) logged principal %v, team %v; want %s, %s",
				tt.method, tt.team, code, fields[log.Principal], fields[log.Team], coach.ID, tt.team)
		}
	}
}
