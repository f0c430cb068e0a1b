// Package app holds the programming service's use cases: it loads records from the tables,
// asks the domain rules what to do, stores the result with revision checks and publishes the
// events that say what changed. Ports (gRPC, the ANALYSIS consumer) call it; adapters implement
// its Table and Publisher.
package app

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/fault"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	sclog "github.com/supercomp/supercomp/pkg/log"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

// Source is the envelope source of everything the service publishes.
const Source = "programming"

// Publisher publishes one event and returns once the stream has it. Events carry deterministic
// ids where a retry must not duplicate them.
type Publisher interface {
	Publish(ctx context.Context, ev *eventsv1.Event) error
}

// Service is the programming application.
type Service struct {
	tables Tables
	pub    Publisher
	log    *zap.Logger
	now    func() time.Time
}

// Option adjusts a Service.
type Option func(*Service)

// WithClock replaces time.Now (tests pin "today").
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New builds the service over its tables and publisher.
func New(tables Tables, pub Publisher, log *zap.Logger, opts ...Option) *Service {
	if log == nil {
		log = zap.NewNop()
	}
	s := &Service{tables: tables, pub: pub, log: log, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// cause is the event a change follows from. The events the change publishes name it as their
// causation and take its occurred_at, so that replaying it publishes the same facts at the same
// times.
type cause struct {
	eventID string
	// at is when the cause happened; zero lets publishing stamp the time.
	at time.Time
}

// causedBy is the cause of what ev leads to.
func causedBy(ev *eventsv1.Event) cause {
	c := cause{eventID: ev.GetId()}
	switch {
	case ev.GetOccurredAt() != nil:
		c.at = ev.GetOccurredAt().AsTime()
	case ev.GetRecordedAt() != nil:
		c.at = ev.GetRecordedAt().AsTime()
	}
	return c
}

// byClock is the cause of a change no event led to (an RPC, the sweep): it happens now.
func (s *Service) byClock() cause { return cause{at: s.now()} }

// occurredAt is the occurred_at of the events the change publishes; nil lets publishing stamp it.
func (c cause) occurredAt() *timestamppb.Timestamp {
	if c.at.IsZero() {
		return nil
	}
	return timestamppb.New(c.at)
}

// today is the current calendar day (UTC).
func (s *Service) today() time.Time { return domain.Midnight(s.now().UTC()) }

// invalid turns domain violations into a fault.Invalid, prefixing each field with prefix.
func invalid(prefix string, vs []domain.Violation) error {
	var bad fault.Invalid
	for _, v := range vs {
		field := v.Field
		if prefix != "" {
			field = prefix + "." + field
		}
		bad.Add(field, "%s", v.Description)
	}
	return bad.Err()
}

// Policy returns the team's effective policy (defaults when it set none) and its revision.
func (s *Service) Policy(ctx context.Context, team string) (*programmingv1.ProgrammingPolicy, uint64, error) {
	p, rev, err := s.tables.Policies.Get(ctx, team)
	if errors.Is(err, fault.ErrNotFound) {
		return wirePolicy(domain.DefaultPolicy()), 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return p, rev, nil
}

func (s *Service) domainPolicy(ctx context.Context, team string) (domain.Policy, error) {
	p, _, err := s.Policy(ctx, team)
	if err != nil {
		return domain.Policy{}, err
	}
	return policyOf(p), nil
}

// UpdatePolicy sets the paths in mask from update (on top of the effective policy), validates
// the result and stores it revision-checked.
func (s *Service) UpdatePolicy(ctx context.Context, team string, update *programmingv1.ProgrammingPolicy, mask []string, expected *uint64) (*programmingv1.ProgrammingPolicy, uint64, error) {
	cur, rev, err := s.Policy(ctx, team)
	if err != nil {
		return nil, 0, err
	}
	if expected != nil && *expected != rev {
		return nil, 0, fault.FailedPrecondition("policy of team %s is at revision %d, not %d: reload and retry", team, rev, *expected)
	}
	if len(mask) == 0 {
		return nil, 0, fault.InvalidField("update_mask", "is required: name the fields to change, e.g. auto_approve_reactive")
	}
	var bad fault.Invalid
	for i, path := range mask {
		if err := copyPath(cur, update, path); err != nil {
			bad.Add(fault.Field("update_mask", "paths", i), "%v", err)
		}
	}
	if err := bad.Err(); err != nil {
		return nil, 0, err
	}
	if err := invalid("policy", policyOf(cur).Validate()); err != nil {
		return nil, 0, err
	}
	// Revision 0 means "defaults only": create the record then.
	newRev, err := s.tables.Policies.Put(ctx, team, cur, &rev)
	if err != nil {
		return nil, 0, err
	}
	s.log.Info("policy updated", zap.String(sclog.Team, team), zap.Strings("paths", mask), zap.Uint64("revision", newRev))
	return cur, newRev, nil
}
