package ports_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/supercomp/supercomp/pkg/bus/bustest"
	"github.com/supercomp/supercomp/pkg/fault"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
	"github.com/supercomp/supercomp/services/programming/internal/adapters/eventbus"
	"github.com/supercomp/supercomp/services/programming/internal/adapters/kvstore"
	"github.com/supercomp/supercomp/services/programming/internal/app"
	"github.com/supercomp/supercomp/services/programming/internal/ports"
)

func fields(t *testing.T, err error) []string {
	t.Helper()
	var inv *fault.Invalid
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v, want *fault.Invalid", err)
	}
	var out []string
	for _, v := range inv.Violations {
		out = append(out, v.Field)
	}
	return out
}

func TestFieldViolations(t *testing.T) {
	b, _ := bustest.New(t)
	tables, err := kvstore.Open(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	g := &ports.GRPC{App: app.New(tables, eventbus.Publisher{Bus: b}, nil)}
	ctx := context.Background()
	tests := []struct {
		name string
		call func() error
		want []string
	}{
		{"profile with bad ids, days and maxes", func() error {
			bad := -5.0
			_, err := g.PutAthleteProfile(ctx, &programmingv1.PutAthleteProfileRequest{TeamId: "t 1", AthleteId: "_team", Profile: &programmingv1.AthleteProfile{
				LiftMaxes:    []*programmingv1.LiftMax{{LiftCategory: commonv1.LiftCategory_LIFT_CATEGORY_SQUAT, TrainingMaxKg: &bad}},
				Availability: &programmingv1.Availability{TrainingDays: []commonv1.Weekday{commonv1.Weekday_WEEKDAY_MONDAY, commonv1.Weekday_WEEKDAY_MONDAY}},
				TimeZone:     "Mars/Olympus",
			}})
			return err
		}, []string{"team_id", "athlete_id", "profile.lift_maxes[0].training_max_kg", "profile.availability.training_days[1]", "profile.time_zone"}},
		{"decision without who or postpone date", func() error {
			d, err := g.ScheduleDeload(ctx, &programmingv1.ScheduleDeloadRequest{TeamId: "t1", AthleteId: "a1", WeekStart: &commonv1.Date{Year: 2099, Month: 1, Day: 5}, Reason: "travel"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = g.DecideDeload(ctx, &programmingv1.DecideDeloadRequest{TeamId: "t1", DeloadId: d.GetDeload().GetDeloadId(),
				Decision: commonv1.DeloadDecision_DELOAD_DECISION_POSTPONE})
			return err
		}, []string{"decided_by.subject", "postpone_to"}},
		{"schedule with a bad date and no reason", func() error {
			_, err := g.ScheduleDeload(ctx, &programmingv1.ScheduleDeloadRequest{TeamId: "t1", AthleteId: "a1", WeekStart: &commonv1.Date{Year: 2026, Month: 2, Day: 30}})
			return err
		}, []string{"week_start", "reason"}},
		{"template program with bad options", func() error {
			_, err := g.CreateProgram(ctx, &programmingv1.CreateProgramRequest{TeamId: "t1", Source: &programmingv1.CreateProgramRequest_TemplateId{TemplateId: "linear_progression"},
				TemplateOptions: &programmingv1.TemplateOptions{Lifts: []*programmingv1.TemplateLift{{Exercise: "Squat", Sets: 0, Reps: 5, StartPercent_1Rm: 70}}}})
			return err
		}, []string{"name", "template_options.lifts[0].sets"}},
		{"list page too large", func() error {
			_, err := g.ListDeloads(ctx, &programmingv1.ListDeloadsRequest{TeamId: "t1", PageSize: 5000, PageToken: "x"})
			return err
		}, []string{"page_token", "page_size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fields(t, tt.call())
			if !slices.Equal(got, tt.want) {
				t.Errorf("violations on %v, want %v", got, tt.want)
			}
		})
	}
}
