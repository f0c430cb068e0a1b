package bus_test

import (
	"strings"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/bus"
)

func TestSubject(t *testing.T) {
	tests := []struct {
		stream, team, athlete, kind string
		want                        string
	}{
		{bus.StreamTraining, "t1", "a42", "set", "sc.training.t1.a42.set"},
		{bus.StreamAnalysis, "t1", "a42", "deload_recommended", "sc.analysis.t1.a42.deload_recommended"},
		{bus.StreamAnalysis, "t1", bus.TeamToken, "trend_detected", "sc.analysis.t1._team.trend_detected"},
	}
	for _, tt := range tests {
		if got := bus.Subject(tt.stream, tt.team, tt.athlete, tt.kind); got != tt.want {
			t.Errorf("Subject(%q, %q, %q, %q) = %q, want %q", tt.stream, tt.team, tt.athlete, tt.kind, got, tt.want)
		}
	}
}

func TestValidToken(t *testing.T) {
	tests := []struct {
		token string
		want  bool
	}{
		{"t1", true},
		{"Team_A-2", true},
		{"_team", true},
		{strings.Repeat("a", 64), true},
		{"", false},
		{strings.Repeat("a", 65), false},
		{"a.b", false},
		{"a*", false},
		{">", false},
		{"a b", false},
		{"é", false},
	}
	for _, tt := range tests {
		if got := bus.ValidToken(tt.token); got != tt.want {
			t.Errorf("ValidToken(%q) = %v, want %v", tt.token, got, tt.want)
		}
	}
}

func TestDefaultStreamsCoverEverySubject(t *testing.T) {
	cfgs := bus.DefaultStreams(3)
	want := map[string]string{
		bus.StreamTraining:    bus.SubjectsTraining,
		bus.StreamAnalysis:    bus.SubjectsAnalysis,
		bus.StreamProgramming: bus.SubjectsProgramming,
		bus.StreamNotify:      bus.SubjectsNotify,
		bus.StreamAudit:       bus.SubjectsAudit,
		bus.StreamDLQ:         bus.SubjectsDLQ,
	}
	if len(cfgs) != len(want) {
		t.Fatalf("got %d streams, want %d", len(cfgs), len(want))
	}
	for _, c := range cfgs {
		if len(c.Subjects) != 1 || c.Subjects[0] != want[c.Name] {
			t.Errorf("stream %s subjects %v, want [%s]", c.Name, c.Subjects, want[c.Name])
		}
		if c.Replicas != 3 || c.Duplicates != bus.DefaultDuplicateWindow || c.MaxAge <= 0 || c.MaxMsgs != -1 {
			t.Errorf("stream %s: replicas %d, duplicates %s, max age %s, max msgs %d", c.Name, c.Replicas, c.Duplicates, c.MaxAge, c.MaxMsgs)
		}
	}
	if cfgs[0].MaxAge < 365*24*time.Hour {
		t.Errorf("TRAINING keeps %s, want at least a year", cfgs[0].MaxAge)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  bus.Config
		ok   bool
	}{
		{"empty is fine", bus.Config{}, true},
		{"cluster", bus.Config{URL: "nats://a:4222,nats://b:4222", Replicas: 3}, true},
		{"user and password", bus.Config{User: "ingestion", Password: "secret"}, true},
		{"too many replicas", bus.Config{Replicas: 7}, false},
		{"negative replicas", bus.Config{Replicas: -1}, false},
		{"password without user", bus.Config{Password: "secret"}, false},
		{"creds and user", bus.Config{CredsFile: "x.creds", User: "u"}, false},
		{"cert without key", bus.Config{TLSCertFile: "c.pem"}, false},
		{"negative pending", bus.Config{PublishMaxPending: -1}, false},
	}
	for _, tt := range tests {
		err := tt.cfg.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestConsumerConfigValidate(t *testing.T) {
	base := bus.ConsumerConfig{Stream: bus.StreamTraining, Durable: "recorder"}
	tests := []struct {
		name   string
		change func(*bus.ConsumerConfig)
		ok     bool
	}{
		{"defaults", func(*bus.ConsumerConfig) {}, true},
		{"retry forever", func(c *bus.ConsumerConfig) { c.MaxDeliver = -1 }, true},
		{"backoff as long as max deliver", func(c *bus.ConsumerConfig) {
			c.MaxDeliver = 2
			c.BackOff = []time.Duration{time.Second, time.Second}
		}, true},
		{"backoff longer than max deliver", func(c *bus.ConsumerConfig) {
			c.MaxDeliver = 2
			c.BackOff = []time.Duration{time.Second, time.Second, time.Second}
		}, false},
		{"zero backoff step", func(c *bus.ConsumerConfig) { c.BackOff = []time.Duration{0} }, false},
		{"no stream", func(c *bus.ConsumerConfig) { c.Stream = "" }, false},
		{"dotted durable", func(c *bus.ConsumerConfig) { c.Durable = "a.b" }, false},
		{"max deliver below -1", func(c *bus.ConsumerConfig) { c.MaxDeliver = -2 }, false},
		{"negative batch", func(c *bus.ConsumerConfig) { c.Batch = -1 }, false},
	}
	for _, tt := range tests {
		cfg := base
		tt.change(&cfg)
		err := cfg.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
