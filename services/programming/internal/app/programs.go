package app

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/programming/internal/domain"
)

func actor(subject string) *commonv1.Actor {
	if subject == "" {
		return nil
	}
	return &commonv1.Actor{Subject: subject}
}

// Templates lists the built-in templates.
func (s *Service) Templates() []*programmingv1.ProgramTemplate {
	var out []*programmingv1.ProgramTemplate
	for _, t := range domain.Templates() {
		out = append(out, &programmingv1.ProgramTemplate{
			TemplateId: t.ID, Name: t.Name, Description: t.Description,
			DefaultWeeks: uint32(t.DefaultWeeks), IncludesDeloadWeeks: t.IncludesDeloadWeeks,
		})
	}
	return out
}

// ProgramFromTemplate generates a program's weeks from a template.
func ProgramFromTemplate(templateID string, o *programmingv1.TemplateOptions) ([]*programmingv1.ProgramWeek, error) {
	t, ok := domain.TemplateByID(templateID)
	if !ok {
		return nil, fault.InvalidField("template_id", "unknown template %q: use %s or %s", templateID, domain.TemplateLinear, domain.TemplateAccumulation)
	}
	opts := domain.TemplateOptions{
		Weeks: int(o.GetWeeks()), SessionsPerWeek: int(o.GetSessionsPerWeek()), WeeklyIncrementPercent: o.GetWeeklyIncrementPercent(),
	}
	for _, l := range o.GetLifts() {
		opts.Lifts = append(opts.Lifts, domain.TemplateLift{
			Exercise: l.GetExercise(), Lift: int32(l.GetLiftCategory()), Sets: int(l.GetSets()), Reps: int(l.GetReps()), StartPercent: l.GetStartPercent_1Rm(),
		})
	}
	weeks, v := t.Generate(opts)
	if len(v) > 0 {
		return nil, invalid("", v)
	}
	return wireWeeks(weeks), nil
}

// CreateProgram stores a new program (weeks already generated or given, and validated by the
// port).
func (s *Service) CreateProgram(ctx context.Context, team string, p *programmingv1.Program, by string) (*programmingv1.Program, error) {
	p = proto.Clone(p).(*programmingv1.Program)
	p.ProgramId = events.NewID()
	p.TeamId = team
	p.CreatedAt = timestamppb.New(s.now())
	p.CreatedBy = actor(by)
	p.Revision = 0
	zero := uint64(0)
	rev, err := s.tables.Programs.Put(ctx, Key(team, p.GetProgramId()), p, &zero)
	if err != nil {
		return nil, err
	}
	p.Revision = rev
	return p, nil
}

// Program returns one program with its weeks.
func (s *Service) Program(ctx context.Context, team, id string) (*programmingv1.Program, error) {
	p, rev, err := s.tables.Programs.Get(ctx, Key(team, id))
	if err != nil {
		return nil, err
	}
	p.Revision = rev
	return p, nil
}

// Programs lists a team's programs without their weeks, by name.
func (s *Service) Programs(ctx context.Context, team string) ([]*programmingv1.Program, error) {
	all, err := s.tables.Programs.List(ctx, team)
	if err != nil {
		return nil, err
	}
	out := make([]*programmingv1.Program, 0, len(all))
	for _, v := range all {
		p := v.Value
		p.Revision = v.Revision
		p.Weeks = nil
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *programmingv1.Program) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, nil
}

// UpdateProgram replaces a program's content revision-checked.
func (s *Service) UpdateProgram(ctx context.Context, team string, p *programmingv1.Program, expected *uint64) (*programmingv1.Program, error) {
	cur, rev, err := s.tables.Programs.Get(ctx, Key(team, p.GetProgramId()))
	if err != nil {
		return nil, err
	}
	if expected == nil {
		expected = &rev
	}
	cur.Name, cur.Description, cur.Weeks, cur.Repeats = p.GetName(), p.GetDescription(), p.GetWeeks(), p.GetRepeats()
	cur.Revision = 0
	newRev, err := s.tables.Programs.Put(ctx, Key(team, cur.GetProgramId()), cur, expected)
	if err != nil {
		return nil, err
	}
	cur.Revision = newRev
	return cur, nil
}
