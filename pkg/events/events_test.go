package events_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
)

func TestEveryPayloadHasAStreamAndKind(t *testing.T) {
	streams := map[string]bool{}
	for _, cfg := range bus.DefaultStreams(1) {
		streams[cfg.Name] = true
	}
	oneof := (&eventsv1.Event{}).ProtoReflect().Descriptor().Oneofs().ByName("payload")
	seen := map[string]string{}
	fields := oneof.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		ev := &eventsv1.Event{TeamId: "t1", AthleteId: "a1"}
		m := ev.ProtoReflect()
		m.Set(fd, m.NewField(fd))
		r, err := events.RouteOf(ev)
		if err != nil {
			t.Fatalf("%s: %v", fd.Name(), err)
		}
		if !streams[r.Stream] {
			t.Errorf("%s routes to stream %q, which DefaultStreams does not declare", fd.Name(), r.Stream)
		}
		key := r.Stream + "/" + r.Kind
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s share route %s", fd.Name(), other, key)
		}
		seen[key] = string(fd.Name())
	}
}

func TestSubject(t *testing.T) {
	set := &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{}}
	trend := &eventsv1.Event_TeamTrendDetected{TeamTrendDetected: &eventsv1.TeamTrendDetected{}}
	tests := []struct {
		name    string
		ev      *eventsv1.Event
		want    string
		wantErr string
	}{
		{"athlete set", &eventsv1.Event{TeamId: "t1", AthleteId: "a42", Payload: set}, "sc.training.t1.a42.set", ""},
		{"team trend", &eventsv1.Event{TeamId: "t1", Payload: trend}, "sc.analysis.t1._team.trend_detected", ""},
		{"no payload", &eventsv1.Event{TeamId: "t1"}, "", "no payload"},
		{"wildcard team", &eventsv1.Event{TeamId: "t*", AthleteId: "a1", Payload: set}, "", "team id"},
		{"dotted athlete", &eventsv1.Event{TeamId: "t1", AthleteId: "a.b", Payload: set}, "", "athlete id"},
		{"reserved athlete", &eventsv1.Event{TeamId: "t1", AthleteId: "_team", Payload: set}, "", "athlete id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.Subject(tt.ev)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Subject = %q, %v; want error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Subject = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestIDs(t *testing.T) {
	a, b := events.NewID(), events.NewID()
	if a == b || len(a) != 36 || a[14] != '7' {
		t.Errorf("NewID gave %s and %s; want distinct UUIDv7s", a, b)
	}
	// Stored rows carry these ids, and a re-import deduplicates only if it derives the same
	// ones: the value is pinned, so a change to the derivation fails here first.
	if got, want := events.DeterministicID("t1", "a1", "2024-01-01", "squat", "1"), "fad60010-d6c1-5c59-b129-22a8224e7d7d"; got != want {
		t.Errorf("DeterministicID = %s, want %s (ids already stored would no longer match)", got, want)
	}
	// The separator keeps ("ab","c") and ("a","bc") apart.
	if events.DeterministicID("ab", "c") == events.DeterministicID("a", "bc") {
		t.Error("DeterministicID ignores part boundaries")
	}
}

func TestPublishRoundTripAndDedupe(t *testing.T) {
	b, _ := bustest.New(t)
	ctx := context.Background()
	if err := b.EnsureStreams(ctx, bus.DefaultStreams(1)...); err != nil {
		t.Fatal(err)
	}
	load := 100.0
	ev := &eventsv1.Event{TeamId: "t1", AthleteId: "a1", Source: "test",
		Payload: &eventsv1.Event_SetRecorded{SetRecorded: &eventsv1.SetRecorded{LoadKg: load, Reps: 5}}}
	ack, err := events.Publish(ctx, b, ev)
	if err != nil || ack.Duplicate {
		t.Fatalf("first publish: %+v, %v", ack, err)
	}
	if ev.GetId() == "" || ev.GetRecordedAt() == nil || ev.GetOccurredAt() == nil {
		t.Fatalf("Publish did not stamp the event: %v", ev)
	}
	again := proto.Clone(ev).(*eventsv1.Event)
	ack, err = events.Publish(ctx, b, again)
	if err != nil || !ack.Duplicate {
		t.Fatalf("second publish of the same id: %+v, %v; want a duplicate", ack, err)
	}
	stream, err := b.JetStream().Stream(ctx, bus.StreamTraining)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, "sc.training.t1.a1.set")
	if err != nil {
		t.Fatal(err)
	}
	got, err := events.Decode(msg.Data)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, ev) {
		t.Errorf("decoded %v, want %v", got, ev)
	}
	if msg.Header.Get("Nats-Msg-Id") != ev.GetId() {
		t.Errorf("Nats-Msg-Id = %q, want the event id %q", msg.Header.Get("Nats-Msg-Id"), ev.GetId())
	}
}

// subjectMatches is NATS's wildcard rule: "*" matches one token, a final ">" the rest.
func subjectMatches(filter, subject string) bool {
	f, s := strings.Split(filter, "."), strings.Split(subject, ".")
	for i, tok := range f {
		if tok == ">" {
			return len(s) > i
		}
		if i >= len(s) || tok != "*" && tok != s[i] {
			return false
		}
	}
	return len(f) == len(s)
}

func TestFiltersFollowTheRoutes(t *testing.T) {
	wellness := &eventsv1.Event{TeamId: "t1", AthleteId: "a1", Payload: &eventsv1.Event_WellnessReported{}}
	set := &eventsv1.Event{TeamId: "t1", AthleteId: "a1", Payload: &eventsv1.Event_SetRecorded{}}
	trend := &eventsv1.Event{TeamId: "t2", Payload: &eventsv1.Event_TeamTrendEnded{}}
	subject := func(ev *eventsv1.Event) string {
		s, err := events.Subject(ev)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	got := events.Filters(&eventsv1.Event_WellnessReported{}, &eventsv1.Event_TeamTrendEnded{})
	want := []string{"sc.training.*.*.wellness", "sc.analysis.*.*.trend_ended"}
	if !slices.Equal(got, want) {
		t.Fatalf("Filters = %q, want %q", got, want)
	}
	if !subjectMatches(got[0], subject(wellness)) || subjectMatches(got[0], subject(set)) || !subjectMatches(got[1], subject(trend)) {
		t.Fatalf("filters %q select the wrong events", got)
	}

	if f := events.StreamFilter("TRAINING"); f != "sc.training.*.*.*" || !subjectMatches(f, subject(set)) || !subjectMatches(f, subject(wellness)) {
		t.Fatalf("StreamFilter(TRAINING) = %q", f)
	}
	team := events.TeamFilter("ANALYSIS", "t2")
	if !subjectMatches(team, subject(trend)) || subjectMatches(team, subject(&eventsv1.Event{TeamId: "t1", Payload: &eventsv1.Event_TeamTrendEnded{}})) {
		t.Fatalf("TeamFilter(ANALYSIS, t2) = %q selects the wrong team", team)
	}
	athlete := events.AthleteFilter("TRAINING", "t1", "a1")
	other := &eventsv1.Event{TeamId: "t1", AthleteId: "a2", Payload: &eventsv1.Event_SetRecorded{}}
	if !subjectMatches(athlete, subject(set)) || !subjectMatches(athlete, subject(wellness)) || subjectMatches(athlete, subject(other)) {
		t.Fatalf("AthleteFilter(TRAINING, t1, a1) = %q selects the wrong athletes", athlete)
	}
}

func TestFiltersRefuseWhatIsNotAPayload(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "not a routed Event payload") {
			t.Fatalf("Filters(SetRecorded message) recovered %v, want a panic naming the mistake", r)
		}
	}()
	events.Filters(&eventsv1.SetRecorded{}) // the message, not its oneof wrapper
}
