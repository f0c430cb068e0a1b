package app

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/supercomp/supercomp/pkg/fault"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	"github.com/supercomp/supercomp/services/fatigue/internal/domain"
)

// memOverrides is the OverrideStore contract in memory: the thresholds logic under test is
// resolution and validation, not storage (the KV adapter runs against real JetStream in the
// service tests).
type memOverrides map[string]Overrides

func (m memOverrides) Get(_ context.Context, team, athlete string) (Overrides, error) {
	o, ok := m[team+"/"+athlete]
	if !ok {
		return Overrides{Values: &fatiguev1.FatigueThresholds{}}, nil // as ThresholdsKV: nothing set
	}
	return o, nil
}

func (m memOverrides) Put(_ context.Context, team, athlete string, o Overrides) (uint64, error) {
	key := team + "/" + athlete
	if m[key].Revision != o.Revision {
		return 0, fault.FailedPrecondition("revision %d, expected %d", m[key].Revision, o.Revision)
	}
	o.Revision++
	o.Values = proto.Clone(o.Values).(*fatiguev1.FatigueThresholds)
	m[key] = o
	return o.Revision, nil
}

// The thresholds added after the first release (rpe_drift.recent_sessions,
// readiness.hrv_persist_days, rule.stagnation_counts, the lifting-day strength check) resolve to their defaults for teams that
// never set them, are settable per team, and are validated by UpdateThresholds.
func TestNewThresholdsDefaultSetAndValidate(t *testing.T) {
	ctx := context.Background()
	th := Thresholds{Store: memOverrides{}}
	eff, err := th.Effective(ctx, "t1", "a1")
	if err != nil {
		t.Fatal(err)
	}
	def := domain.DefaultThresholds()
	if eff.RPEDrift.RecentSessions != 3 || eff.Readiness.HRVPersistDays != 4 || eff.Rule.StagnationCounts || eff.Strength.LiftingDaysNeeded != 2 {
		t.Errorf("defaults: recent %d persist %d stagnation %v", eff.RPEDrift.RecentSessions, eff.Readiness.HRVPersistDays, eff.Rule.StagnationCounts)
	}
	if eff != def {
		t.Errorf("effective without overrides %+v, want the defaults %+v", eff, def)
	}

	for _, c := range []struct {
		name    string
		values  *fatiguev1.FatigueThresholds
		paths   []string
		invalid string // the violated field, "" when accepted
	}{
		{"recent sessions 0", &fatiguev1.FatigueThresholds{RpeDrift: &fatiguev1.RpeDriftThresholds{RecentSessions: 0}},
			[]string{"rpe_drift.recent_sessions"}, "thresholds.rpe_drift.recent_sessions"},
		{"persistence longer than the rolling window", &fatiguev1.FatigueThresholds{Readiness: &fatiguev1.ReadinessThresholds{HrvPersistDays: 8}},
			[]string{"readiness.hrv_persist_days"}, "thresholds.readiness.hrv_persist_days"},
		{"lifting days needed above those judged", &fatiguev1.FatigueThresholds{Strength: &fatiguev1.StrengthThresholds{LiftingDaysNeeded: 3}},
			[]string{"strength.lifting_days_needed"}, "thresholds.strength.lifting_days_needed"},
		{"all set", &fatiguev1.FatigueThresholds{
			RpeDrift:  &fatiguev1.RpeDriftThresholds{RecentSessions: 4},
			Readiness: &fatiguev1.ReadinessThresholds{HrvPersistDays: 0},
			Rule:      &fatiguev1.DeloadRuleThresholds{StagnationCounts: true},
			Strength:  &fatiguev1.StrengthThresholds{LiftingDaysNeeded: 3, LiftingDaysJudged: 4},
		}, []string{"rpe_drift.recent_sessions", "readiness.hrv_persist_days", "rule.stagnation_counts", "strength.lifting_days_needed", "strength.lifting_days_judged"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := th.Update(ctx, &fatiguev1.UpdateThresholdsRequest{TeamId: "t1", Thresholds: c.values, UpdateMask: &fieldmaskpb.FieldMask{Paths: c.paths}})
			if c.invalid == "" {
				if err != nil {
					t.Fatalf("update refused: %v", err)
				}
				got, err := th.Effective(ctx, "t1", "a1")
				if err != nil {
					t.Fatal(err)
				}
				if got.RPEDrift.RecentSessions != 4 || got.Readiness.HRVPersistDays != 0 || !got.Rule.StagnationCounts || got.Strength.LiftingDaysNeeded != 3 {
					t.Errorf("effective after update: recent %d persist %d stagnation %v lifting days %d", got.RPEDrift.RecentSessions, got.Readiness.HRVPersistDays, got.Rule.StagnationCounts, got.Strength.LiftingDaysNeeded)
				}
				return
			}
			var bad *fault.Invalid
			if !errors.As(err, &bad) {
				t.Fatalf("err %v, want invalid %s", err, c.invalid)
			}
			found := false
			for _, v := range bad.Violations {
				found = found || v.Field == c.invalid
			}
			if !found {
				t.Errorf("violations %v lack %s", bad.Violations, c.invalid)
			}
		})
	}
}
