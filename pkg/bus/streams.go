package bus

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/supercomp/supercomp/pkg/ids"
)

// Stream names. Each stream owns the subjects sc.<lowercase name>.>.
const (
	StreamTraining    = "TRAINING"
	StreamAnalysis    = "ANALYSIS"
	StreamProgramming = "PROGRAMMING"
	StreamNotify      = "NOTIFY"
	StreamAudit       = "AUDIT"
	StreamDLQ         = "DLQ"
)

// Subject wildcards captured by each stream.
const (
	SubjectsTraining    = "sc.training.>"
	SubjectsAnalysis    = "sc.analysis.>"
	SubjectsProgramming = "sc.programming.>"
	SubjectsNotify      = "sc.notify.>"
	SubjectsAudit       = "sc.audit.>"
	SubjectsDLQ         = "sc.dlq.>"
)

// TeamToken is the athlete token of subjects about a whole team, e.g.
// sc.analysis.t1._team.trend_detected.
const TeamToken = ids.TeamToken

const day = 24 * time.Hour

// DefaultStreams declares the platform's streams with the given replica count
// and DefaultDuplicateWindow; change Duplicates on the result to tune it.
//
// Retention is by age only (no message or byte caps), so nothing is evicted
// because a burst arrived: TRAINING keeps a year because fatigue state and
// ClickHouse can be rebuilt by replaying it; ANALYSIS is derived and can be
// recomputed, so it keeps less; PROGRAMMING holds coach decisions worth a
// season; NOTIFY is delivery bookkeeping; AUDIT keeps two years of who changed
// what; DLQ keeps a year so an operator always has time to inspect and replay
// what a consumer gave up on.
func DefaultStreams(replicas int) []jetstream.StreamConfig {
	if replicas < 1 {
		replicas = 1
	}
	stream := func(name, subjects, description string, maxAge time.Duration) jetstream.StreamConfig {
		return jetstream.StreamConfig{
			Name:        name,
			Description: description,
			Subjects:    []string{subjects},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			Discard:     jetstream.DiscardOld,
			MaxAge:      maxAge,
			MaxMsgs:     -1,
			MaxBytes:    -1,
			Duplicates:  DefaultDuplicateWindow,
			Replicas:    replicas,
		}
	}
	return []jetstream.StreamConfig{
		stream(StreamTraining, SubjectsTraining, "sets, sessions, wellness and readiness as recorded", 365*day),
		stream(StreamAnalysis, SubjectsAnalysis, "fatigue assessments, deload recommendations, team trends", 90*day),
		stream(StreamProgramming, SubjectsProgramming, "deloads scheduled and decided, prescriptions", 365*day),
		stream(StreamNotify, SubjectsNotify, "alerts raised, delivered and acknowledged", 30*day),
		stream(StreamAudit, SubjectsAudit, "who changed thresholds, grants, keys and decisions, and when", 730*day),
		stream(StreamDLQ, SubjectsDLQ, "messages consumers gave up on, with the reason in Sc-Dlq-* headers", 365*day),
	}
}

// EnsureStreams creates each stream or updates it to cfgs; running it at
// every start is safe and is how a config change reaches the server.
func (b *Bus) EnsureStreams(ctx context.Context, cfgs ...jetstream.StreamConfig) error {
	for _, cfg := range cfgs {
		if _, err := b.js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}

// EnsureDefaultStreams ensures DefaultStreams with the Config's replica count
// and duplicate window.
func (b *Bus) EnsureDefaultStreams(ctx context.Context) error {
	cfgs := DefaultStreams(b.cfg.Replicas)
	for i := range cfgs {
		cfgs[i].Duplicates = b.cfg.DuplicateWindow
	}
	return b.EnsureStreams(ctx, cfgs...)
}

// Subject builds sc.<stream>.<team>.<athlete>.<kind>, e.g.
// Subject(StreamTraining, "t1", "a42", "set") = "sc.training.t1.a42.set".
// team and athlete come from outside and must pass ValidToken first: a dot
// or wildcard in them would move the message into another team's subjects.
func Subject(stream, team, athlete, kind string) string {
	return "sc." + strings.ToLower(stream) + "." + team + "." + athlete + "." + kind
}

// ValidToken reports whether s is a subject-safe id (ids.Rule).
func ValidToken(s string) bool { return ids.Valid(s) }
