package cli

import (
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

func TestParseAssignments(t *testing.T) {
	th := &fatiguev1.FatigueThresholds{}
	paths, err := parseAssignments(th.ProtoReflect(), []string{"load.acwr_high=1.6", "rule.cooldown_days = 10"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(paths, ",") != "load.acwr_high,rule.cooldown_days" || th.GetLoad().GetAcwrHigh() != 1.6 || th.GetRule().GetCooldownDays() != 10 {
		t.Errorf("paths %v, thresholds %v", paths, th)
	}
	sub := &notificationsv1.Subscription{}
	if _, err := parseAssignments(sub.ProtoReflect(), []string{"kinds=deload_recommended,joint_pain", "min_severity=critical", "escalate_after=36h", "escalations_only=true"}); err != nil {
		t.Fatal(err)
	}
	want := &notificationsv1.Subscription{Kinds: []commonv1.AlertKind{commonv1.AlertKind_ALERT_KIND_DELOAD_RECOMMENDED, commonv1.AlertKind_ALERT_KIND_JOINT_PAIN},
		MinSeverity: commonv1.Severity_SEVERITY_CRITICAL, EscalateAfter: durationpb.New(36 * time.Hour), EscalationsOnly: true}
	if !proto.Equal(sub, want) {
		t.Errorf("enums, lists, durations and bools: got %v, want %v", sub, want)
	}
	for _, bad := range []struct{ arg, says string }{
		{"load.acwr_high", "want path=value"},
		{"load.nope=1", `no field "nope"`},
		{"load=1", "is a group of settings"},
		{"load.acwr_high=high", `load.acwr_high="high"`},
		{"rule.cooldown_days=-1", "rule.cooldown_days"},
		{"load.acwr_high.x=1", "is not a group of settings"},
	} {
		_, err := parseAssignments((&fatiguev1.FatigueThresholds{}).ProtoReflect(), []string{bad.arg})
		if err == nil || !strings.Contains(err.Error(), bad.says) || ExitCode(err) != ExitUsage {
			t.Errorf("%q: %v, want a usage error saying %q", bad.arg, err, bad.says)
		}
	}
}

// TestSettingsExamplesAreValid runs the PATH=VALUE arguments of the --help examples of
// thresholds set and policy set through the parser, so help never shows a path that fails.
func TestSettingsExamplesAreValid(t *testing.T) {
	root := NewRoot(io.Discard, io.Discard)
	for path, msg := range map[string]func() proto.Message{
		"thresholds set": func() proto.Message { return &fatiguev1.FatigueThresholds{} },
		"policy set":     func() proto.Message { return &programmingv1.ProgrammingPolicy{} },
	} {
		cmd, _, err := root.Find(strings.Fields(path))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, field := range strings.Fields(cmd.Example) {
			if strings.Contains(field, "=") && !strings.HasPrefix(field, "-") {
				n++
				if _, err := parseAssignments(msg().ProtoReflect(), []string{field}); err != nil {
					t.Errorf("sc %s example %q: %v", path, field, err)
				}
			}
		}
		if n == 0 {
			t.Errorf("sc %s has no PATH=VALUE example", path)
		}
	}
}
