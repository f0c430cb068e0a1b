package cli

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
)

// boardServer answers with a fixed board and explanation, to check what sc prints.
type boardServer struct {
	fatiguev1.UnimplementedFatigueServiceServer
}

func (boardServer) ListTeamStatus(_ context.Context, req *fatiguev1.ListTeamStatusRequest) (*fatiguev1.ListTeamStatusResponse, error) {
	return &fatiguev1.ListTeamStatusResponse{Athletes: []*fatiguev1.AthleteStatusSummary{
		{AthleteId: "a07", Status: commonv1.AthleteStatus_ATHLETE_STATUS_DELOAD_RECOMMENDED, Score: 65, Confidence: 0.84,
			AsOf:             &commonv1.Date{Year: 2026, Month: 3, Day: 2},
			AbnormalFamilies: []commonv1.SignalFamily{commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS, commonv1.SignalFamily_SIGNAL_FAMILY_MOTIVATION_SLEEP}},
		{AthleteId: "a01", Status: commonv1.AthleteStatus_ATHLETE_STATUS_OK, Score: 10, Confidence: 0.9},
	}}, nil
}

func (boardServer) ExplainAssessment(_ context.Context, req *fatiguev1.ExplainAssessmentRequest) (*fatiguev1.ExplainAssessmentResponse, error) {
	return &fatiguev1.ExplainAssessmentResponse{
		Assessment: &fatiguev1.Assessment{Result: &eventsv1.AthleteAssessed{AsOf: &commonv1.Date{Year: 2026, Month: 3, Day: 2}}},
		Headline:   "Deload recommended: harder at familiar loads + motivation and sleep (score 65, confidence 0.84)",
		Lines: []*fatiguev1.ExplanationLine{{Family: commonv1.SignalFamily_SIGNAL_FAMILY_HARDER_AT_FAMILIAR_LOADS, Abnormal: true,
			Text: "RPE at familiar loads +1.6 vs the 28-day median"}},
		ConfidenceNote: "no HRV data",
		Missing:        []string{"lifting_decline: Strength below baseline on 1 of the last 3 lifting days; needs 2"},
	}, nil
}

func runFatigueSC(t *testing.T, args ...string) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	fatiguev1.RegisterFatigueServiceServer(srv, boardServer{})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	var out, errOut bytes.Buffer
	root := NewRoot(&out, &errOut)
	root.SetArgs(append([]string{"--addr", lis.Addr().String()}, args...))
	if err := root.Execute(); err != nil {
		t.Fatalf("sc %v: %v", args, err)
	}
	return out.String()
}

func TestStatusBoard(t *testing.T) {
	out := runFatigueSC(t, "status", "--team", "t1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "a07") || !strings.Contains(lines[1], "DELOAD") ||
		!strings.Contains(lines[1], "RPE up, motivation/sleep") || !strings.Contains(lines[2], "ok") {
		t.Errorf("board:\n%s", out)
	}
}

func TestExplain(t *testing.T) {
	out := runFatigueSC(t, "explain", "--team", "t1", "--athlete", "a07")
	for _, want := range []string{"Deload recommended", "as of 2026-03-02", "!!", "RPE up", "+1.6", "Confidence: no HRV data",
		"No deload rule fired. What each rule still lacks:", "  - lifting_decline: Strength below baseline on 1 of the last 3 lifting days; needs 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
}
