package domain

import (
	"testing"
	"time"

	_ "time/tzdata" // the tests need zones on machines without /usr/share/zoneinfo
)

const (
	kindDeload   = KindDeloadRecommended
	kindTrend    = KindTeamTrend
	kindPain     = KindJointPain
	kindTest     = KindTest
	sevInfo      = SeverityInfo
	sevWarning   = SeverityWarning
	sevCritical  = SeverityCritical
	forwards     = "forwards"
	backs        = "backs"
	teamT1, a42  = "t1", "a42"
	otherAthlete = "a7"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestSubscriptionMatches(t *testing.T) {
	deload := AlertFacts{TeamID: teamT1, AthleteID: a42, PositionGroup: forwards, Kind: kindDeload, Severity: sevWarning}
	teamTrend := AlertFacts{TeamID: teamT1, Kind: kindTrend, Severity: sevCritical}
	groupTrend := AlertFacts{TeamID: teamT1, PositionGroup: backs, Kind: kindTrend, Severity: sevCritical}
	tests := []struct {
		name       string
		sub        Subscription
		facts      AlertFacts
		escalation bool
		want       bool
	}{
		{"whole team, every kind", Subscription{TeamID: teamT1}, deload, false, true},
		{"other team", Subscription{TeamID: "t2"}, deload, false, false},
		{"every kind excludes test", Subscription{TeamID: teamT1}, AlertFacts{TeamID: teamT1, Kind: kindTest, Severity: sevInfo}, false, false},
		{"test kind when asked for", Subscription{TeamID: teamT1, Kinds: []Kind{kindTest}}, AlertFacts{TeamID: teamT1, Kind: kindTest, Severity: sevInfo}, false, true},
		{"kind listed", Subscription{TeamID: teamT1, Kinds: []Kind{kindPain, kindDeload}}, deload, false, true},
		{"kind not listed", Subscription{TeamID: teamT1, Kinds: []Kind{kindPain}}, deload, false, false},
		{"severity at minimum", Subscription{TeamID: teamT1, MinSeverity: sevWarning}, deload, false, true},
		{"severity below minimum", Subscription{TeamID: teamT1, MinSeverity: sevCritical}, deload, false, false},
		{"athlete listed", Subscription{TeamID: teamT1, AthleteIDs: []string{otherAthlete, a42}}, deload, false, true},
		{"athlete not listed", Subscription{TeamID: teamT1, AthleteIDs: []string{otherAthlete}}, deload, false, false},
		{"position group listed", Subscription{TeamID: teamT1, PositionGroups: []string{forwards}}, deload, false, true},
		{"position group not listed", Subscription{TeamID: teamT1, PositionGroups: []string{backs}}, deload, false, false},
		{"athlete or group: group matches", Subscription{TeamID: teamT1, AthleteIDs: []string{otherAthlete}, PositionGroups: []string{forwards}}, deload, false, true},
		{"team alert to athlete-filtered sub", Subscription{TeamID: teamT1, AthleteIDs: []string{a42}}, teamTrend, false, false},
		{"group trend to group sub", Subscription{TeamID: teamT1, PositionGroups: []string{backs}}, groupTrend, false, true},
		{"team alert to whole-team sub", Subscription{TeamID: teamT1}, teamTrend, false, true},
		{"escalation contact skips first page", Subscription{TeamID: teamT1, EscalationsOnly: true}, deload, false, false},
		{"escalation contact gets escalation", Subscription{TeamID: teamT1, EscalationsOnly: true}, deload, true, true},
		{"regular sub skips escalation", Subscription{TeamID: teamT1}, deload, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sub.Matches(tt.facts, tt.escalation); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQuietHours(t *testing.T) {
	chicago := mustZone(t, "America/Chicago")
	// 22:00-07:00 Chicago. On 2026-11-27 Chicago is UTC-6 (CST).
	overnight := QuietHours{StartMinute: 22 * 60, EndMinute: 7 * 60, Location: chicago}
	lunch := QuietHours{StartMinute: 12 * 60, EndMinute: 13 * 60} // UTC
	tests := []struct {
		name     string
		q        QuietHours
		at       time.Time
		contains bool
		end      time.Time
	}{
		{"23:30 local is quiet", overnight, time.Date(2026, 11, 28, 5, 30, 0, 0, time.UTC), true, time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC)},
		{"03:00 local (after midnight) is quiet", overnight, time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC), true, time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC)},
		{"21:59 local is not", overnight, time.Date(2026, 11, 28, 3, 59, 0, 0, time.UTC), false, time.Date(2026, 11, 28, 3, 59, 0, 0, time.UTC)},
		{"22:00 local starts", overnight, time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC), true, time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC)},
		{"07:00 local ends", overnight, time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC), false, time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC)},
		{"same UTC instant, noon in UTC zone", lunch, time.Date(2026, 11, 28, 12, 30, 0, 0, time.UTC), true, time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC)},
		{"disabled when start equals end", QuietHours{StartMinute: 600, EndMinute: 600}, time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), false, time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)},
		// DST: Chicago springs forward on 2027-03-14 at 02:00 (CST -6 -> CDT -5). Quiet from
		// 23:00 on the 13th (05:00Z on the 14th) ends at 07:00 CDT = 12:00Z, 8 wall hours but 7 real.
		{"end across spring forward", overnight, time.Date(2027, 3, 14, 5, 0, 0, 0, time.UTC), true, time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.Contains(tt.at); got != tt.contains {
				t.Errorf("Contains = %v, want %v", got, tt.contains)
			}
			if got := tt.q.End(tt.at); !got.Equal(tt.end) {
				t.Errorf("End = %v, want %v", got.UTC(), tt.end)
			}
		})
	}
}

func TestDigestNextSend(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin") // UTC+1 in November
	d := DigestSchedule{Enabled: true, SendMinute: 18 * 60, Location: berlin}
	tests := []struct {
		at, want time.Time
	}{
		{time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC)},
		{time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC), time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)},
		{time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC), time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := d.NextSend(tt.at); !got.Equal(tt.want) {
			t.Errorf("NextSend(%v) = %v, want %v", tt.at, got.UTC(), tt.want)
		}
	}
}

func TestPlanDelivery(t *testing.T) {
	quietNow := time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC) // 02:00 UTC
	dayNow := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	quiet := QuietHours{StartMinute: 22 * 60, EndMinute: 6 * 60, BypassSeverity: sevCritical}
	digest := DigestSchedule{Enabled: true, SendMinute: 17 * 60, BypassSeverity: sevCritical}
	tests := []struct {
		name       string
		sub        Subscription
		sev        Severity
		now        time.Time
		escalation bool
		want       Plan
	}{
		{"no rules", Subscription{}, sevWarning, dayNow, false, Plan{Instant, dayNow}},
		{"quiet holds until end", Subscription{QuietHours: quiet}, sevWarning, quietNow, false, Plan{Held, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)}},
		{"quiet bypassed by critical", Subscription{QuietHours: quiet}, sevCritical, quietNow, false, Plan{Instant, quietNow}},
		{"quiet without bypass holds critical", Subscription{QuietHours: QuietHours{StartMinute: 22 * 60, EndMinute: 6 * 60}}, sevCritical, quietNow, false, Plan{Held, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)}},
		{"daytime is instant", Subscription{QuietHours: quiet}, sevWarning, dayNow, false, Plan{Instant, dayNow}},
		{"digest collects warnings", Subscription{Digest: digest}, sevWarning, dayNow, false, Plan{Digest, time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)}},
		{"digest bypassed by critical", Subscription{Digest: digest}, sevCritical, dayNow, false, Plan{Instant, dayNow}},
		{"digest without bypass takes all", Subscription{Digest: DigestSchedule{Enabled: true, SendMinute: 17 * 60}}, sevCritical, dayNow, false, Plan{Digest, time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)}},
		{"escalation ignores quiet hours", Subscription{QuietHours: quiet}, sevWarning, quietNow, true, Plan{Instant, quietNow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PlanDelivery(tt.sub, tt.sev, tt.now, tt.escalation)
			if got.Mode != tt.want.Mode || !got.At.Equal(tt.want.At) {
				t.Errorf("PlanDelivery = %v at %v, want %v at %v", got.Mode, got.At, tt.want.Mode, tt.want.At)
			}
		})
	}
}

func TestAlertLifecycle(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	a := &Alert{ID: "x", State: StateOpen, Occurrences: 1, RaisedAt: t0, Facts: AlertFacts{Severity: sevWarning}}

	if err := a.Absorb(sevInfo, t0.Add(time.Minute)); err != nil || a.Occurrences != 2 || a.Facts.Severity != sevWarning {
		t.Fatalf("absorb calmer cause: err %v, occurrences %d, severity %v; want nil, 2, WARNING", err, a.Occurrences, a.Facts.Severity)
	}
	if err := a.Absorb(sevCritical, t0.Add(2*time.Minute)); err != nil || a.Facts.Severity != sevCritical {
		t.Fatalf("absorb stronger cause: severity %v, want CRITICAL", a.Facts.Severity)
	}
	if changed, err := a.Acknowledge("coach", t0.Add(time.Hour)); !changed || err != nil || a.State != StateAcknowledged || a.AckedBy != "coach" {
		t.Fatalf("acknowledge: changed %v err %v state %v", changed, err, a.State)
	}
	if changed, err := a.Acknowledge("other", t0.Add(2*time.Hour)); changed || err != nil || a.AckedBy != "coach" {
		t.Fatalf("second acknowledge must be a no-op: changed %v err %v by %q", changed, err, a.AckedBy)
	}
	if err := a.Absorb(sevWarning, t0.Add(3*time.Hour)); err != nil || a.Occurrences != 4 {
		t.Fatalf("acknowledged alerts still absorb: err %v occurrences %d", err, a.Occurrences)
	}
	if !a.Resolve(1, "coach", t0.Add(4*time.Hour)) || a.State != StateResolved {
		t.Fatal("resolve did not close")
	}
	if a.Resolve(2, "", t0.Add(5*time.Hour)) || a.Resolution != 1 {
		t.Fatal("second resolve must be a no-op")
	}
	if _, err := a.Acknowledge("coach", t0.Add(6*time.Hour)); err == nil {
		t.Fatal("acknowledging a resolved alert must fail")
	}
	if err := a.Absorb(sevWarning, t0); err == nil {
		t.Fatal("a resolved alert must not absorb")
	}
}

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		key      KeyState
		cooldown time.Duration
		want     Action
	}{
		{"first ever", KeyState{}, 24 * time.Hour, Raise},
		{"active alert absorbs", KeyState{AlertID: "x", Active: true}, 24 * time.Hour, Update},
		{"resolved 2h ago, 24h cooldown", KeyState{AlertID: "x", ResolvedAt: now.Add(-2 * time.Hour)}, 24 * time.Hour, RaiseSuppressed},
		{"resolved 25h ago, 24h cooldown", KeyState{AlertID: "x", ResolvedAt: now.Add(-25 * time.Hour)}, 24 * time.Hour, Raise},
		{"resolved exactly at cooldown end", KeyState{AlertID: "x", ResolvedAt: now.Add(-24 * time.Hour)}, 24 * time.Hour, Raise},
		{"no cooldown", KeyState{AlertID: "x", ResolvedAt: now.Add(-time.Minute)}, 0, Raise},
	}
	for _, tt := range tests {
		if got := Decide(tt.key, now, tt.cooldown); got != tt.want {
			t.Errorf("%s: Decide = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestEscalationDue(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		alert Alert
		after time.Duration
		want  int
	}{
		{"never escalates without a time", Alert{State: StateOpen, RaisedAt: t0}, 10 * time.Hour, 0},
		{"before the first step", Alert{State: StateOpen, RaisedAt: t0, EscalateAfter: 2 * time.Hour}, 119 * time.Minute, 0},
		{"at the first step", Alert{State: StateOpen, RaisedAt: t0, EscalateAfter: 2 * time.Hour}, 2 * time.Hour, 1},
		{"second step at 4h", Alert{State: StateOpen, RaisedAt: t0, EscalateAfter: 2 * time.Hour, EscalationLevel: 1}, 5 * time.Hour, 2},
		{"capped at max level 3", Alert{State: StateOpen, RaisedAt: t0, EscalateAfter: time.Hour}, 10 * time.Hour, 3},
		{"acknowledged stops", Alert{State: StateAcknowledged, RaisedAt: t0, EscalateAfter: time.Hour}, 10 * time.Hour, 0},
		{"suppressed never escalates", Alert{State: StateOpen, Suppressed: true, RaisedAt: t0, EscalateAfter: time.Hour}, 10 * time.Hour, 0},
	}
	for _, tt := range tests {
		if got := tt.alert.EscalationDue(t0.Add(tt.after), 3); got != tt.want {
			t.Errorf("%s: EscalationDue = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestRetryPolicy(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 5, Base: time.Second, Max: 10 * time.Second, Multiplier: 2, Jitter: 0.5}
	backoffs := []struct {
		attempt int
		random  float64
		want    time.Duration
	}{
		{1, 0, time.Second},
		{2, 0, 2 * time.Second},
		{3, 0, 4 * time.Second},
		{4, 0, 8 * time.Second},
		{5, 0, 10 * time.Second},                          // 16s capped at Max
		{3, 0.5, 3 * time.Second},                         // 4s - 4s*0.5*0.5
		{3, 0.999999, 2*time.Second + 2*time.Microsecond}, // 4s - 4s*0.5*0.999999
		{0, 0, time.Second},                               // attempt numbers start at 1
	}
	for _, tt := range backoffs {
		got := p.Backoff(tt.attempt, tt.random)
		if diff := got - tt.want; diff < -time.Microsecond || diff > time.Microsecond {
			t.Errorf("Backoff(%d, %v) = %v, want %v", tt.attempt, tt.random, got, tt.want)
		}
	}
	http := []struct {
		status int
		want   Outcome
	}{
		{200, Delivered}, {204, Delivered}, {0, Transient}, {500, Transient}, {503, Transient},
		{429, Transient}, {408, Transient}, {400, Permanent}, {401, Permanent}, {404, Permanent}, {301, Permanent},
	}
	for _, tt := range http {
		if got := ClassifyHTTP(tt.status); got != tt.want {
			t.Errorf("ClassifyHTTP(%d) = %v, want %v", tt.status, got, tt.want)
		}
	}
	smtp := []struct {
		code int
		want Outcome
	}{{250, Delivered}, {0, Transient}, {421, Transient}, {451, Transient}, {550, Permanent}, {554, Permanent}}
	for _, tt := range smtp {
		if got := ClassifySMTP(tt.code); got != tt.want {
			t.Errorf("ClassifySMTP(%d) = %v, want %v", tt.code, got, tt.want)
		}
	}
	if !p.ShouldRetry(Transient, 4) || p.ShouldRetry(Transient, 5) || p.ShouldRetry(Permanent, 1) || p.ShouldRetry(Delivered, 1) {
		t.Error("ShouldRetry: want retries for transient failures below the budget only")
	}
}

func TestDedupeKey(t *testing.T) {
	if got := DedupeKey(teamT1, a42, kindDeload, ""); got != "t1/a42/deload_recommended" {
		t.Errorf("athlete key = %q", got)
	}
	if got := DedupeKey(teamT1, "", kindTrend, backs); got != "t1/_team/team_trend/backs" {
		t.Errorf("team key = %q", got)
	}
}
