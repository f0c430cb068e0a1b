package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	platformconfig "github.com/supercomp/supercomp/pkg/config"
	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/services/platform/internal/platformtest"
)

// liveAdminKey is the bootstrap admin key of the platform the live tests start.
const liveAdminKey = "cli-live-admin-key-0123456789abcdef0123"

// outputCase is how the live test runs one command that has -o: its arguments, and the
// top-level field of the JSON answer that must be a non-empty list ("" for single objects).
type outputCase struct {
	args      []string
	wantsList string
}

// TestSCAgainstALivePlatform starts the all-in-one platform on the ClickHouse server once
// and runs sc against it as a coach or a script would.
func TestSCAgainstALivePlatform(t *testing.T) {
	for _, env := range []string{"SC_TEAM", "SC_TOKEN", "SC_TZ"} {
		t.Setenv(env, "")
	}
	t.Setenv("SC_CONFIG", filepath.Join(t.TempDir(), "config"))
	dsn := storetest.FreshServerDSN(t, "sc_cli")
	host, _ := platformtest.Start(t, platformconfig.Store{Backend: platformconfig.BackendClickHouse, DSN: dsn}, liveAdminKey)
	addr := host.GRPC().Addr().String()
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"--addr", addr, "--token", liveAdminKey, "teams", "create", "t1", "First team"}, &out, &errOut); code != ExitOK {
		t.Fatalf("teams create exited %d: %s", code, errOut.String())
	}
	t.Run("every command with -o prints JSON and YAML", func(t *testing.T) { everyOutputCommand(t, addr) })
	t.Run("changes", func(t *testing.T) { settingsAndSubscriptionChanges(t, addr) })
}

// everyOutputCommand gives team t1 an athlete, a program, a deload, a subscription (with its
// alert and delivery), training data and an audit trail through sc itself, then runs every
// command that has -o with -o json and -o yaml and parses what it printed. A new command with
// -o fails the test until it is added here.
func everyOutputCommand(t *testing.T, addr string) {
	sc := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		code := Run(context.Background(), append([]string{"--addr", addr, "--token", liveAdminKey}, args...), &out, &errOut)
		if code != ExitOK {
			t.Fatalf("sc %s exited %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		return out.String()
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)

	sc("athlete", "set", "--team", "t1", "--athlete", "a1", "--name", "Sam Example", "--group", "forwards", "--experience", "intermediate",
		"--max", "squat=150", "--days", "mon,wed,fri")
	sc("program", "assign", "--team", "t1", "--athlete", "a1", "--template", "linear_progression", "--lift", "Back Squat:squat:5x5@70")
	programID := jsonList(t, sc("program", "list", "--team", "t1", "-o", "json"), "programs")[0]["program_id"].(string)
	subOut := sc("subscribe", "--team", "t1", "--name", "Head coach", "--webhook", hook.URL)
	subID := regexp.MustCompile(`subscription (\S+) created`).FindStringSubmatch(subOut)[1]
	monday := time.Now().UTC().AddDate(0, 0, 21)
	deloadOut := sc("deload", "schedule", "--team", "t1", "--athlete", "a1", "--week", monday.Format(time.DateOnly), "--reason", "exam week")
	deloadID := regexp.MustCompile(`deload (\S+) of a1`).FindStringSubmatch(deloadOut)[1]
	importFile := filepath.Join(t.TempDir(), "sets.csv")
	day := time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly)
	csv := "kind,occurred_at,session_id,exercise,load,reps,rpe,lift_category,fatigue,sleep_quality\n" +
		fmt.Sprintf("set,%sT10:00:00Z,s1,Back Squat,120,5,8,squat,,\nset,%sT10:05:00Z,s1,Back Squat,120,5,8.5,squat,,\n", day, day) +
		fmt.Sprintf("wellness,%sT07:00:00Z,,,,,,,3,4\n", day)
	if err := os.WriteFile(importFile, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := sc("import", "csv", importFile, "--team", "t1", "--athlete", "a1"); !regexp.MustCompile(`(?m)^imported\s+3\s*$`).MatchString(out) {
		t.Fatalf("import of 3 rows:\n%s", out)
	}

	// The scheduled deload raises an alert for the subscription; its delivery is logged.
	var alertID string
	deadline := time.Now().Add(30 * time.Second)
	for alertID == "" && time.Now().Before(deadline) {
		if alerts := jsonList(t, sc("alerts", "list", "--team", "t1", "-o", "json"), "alerts"); len(alerts) > 0 {
			alertID = alerts[0]["alert_id"].(string)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if alertID == "" {
		t.Fatal("no alert within 30s of scheduling a deload")
	}
	// The imported day is assessed; explain reads that assessment.
	var assessed bool
	for !assessed && time.Now().Before(deadline) {
		assessed = len(jsonList(t, sc("status", "history", "--team", "t1", "--athlete", "a1", "-o", "json"), "assessments")) > 0
		time.Sleep(200 * time.Millisecond)
	}
	if !assessed {
		t.Fatal("a1 not assessed within 30s of the import")
	}

	cases := map[string]outputCase{
		"sc whoami":               {args: []string{"whoami"}},
		"sc teams list":           {args: []string{"teams", "list"}, wantsList: "teams"},
		"sc keys list":            {args: []string{"keys", "list"}, wantsList: "keys"},
		"sc grants list":          {args: []string{"grants", "list"}},
		"sc audit list":           {args: []string{"audit", "list", "--limit", "0"}, wantsList: "records"},
		"sc athlete list":         {args: []string{"athlete", "list", "--team", "t1"}, wantsList: "profiles"},
		"sc athlete show":         {args: []string{"athlete", "show", "--team", "t1", "--athlete", "a1"}},
		"sc program templates":    {args: []string{"program", "templates", "--team", "t1"}, wantsList: "templates"},
		"sc program list":         {args: []string{"program", "list", "--team", "t1"}, wantsList: "programs"},
		"sc program get":          {args: []string{"program", "get", programID, "--team", "t1"}},
		"sc program show":         {args: []string{"program", "show", "--team", "t1", "--athlete", "a1"}},
		"sc program prescription": {args: []string{"program", "prescription", "--team", "t1", "--athlete", "a1", "--week"}},
		"sc deload list":          {args: []string{"deload", "list", "--team", "t1", "--limit", "0"}, wantsList: "deloads"},
		"sc deload show":          {args: []string{"deload", "show", deloadID, "--team", "t1"}},
		"sc policy get":           {args: []string{"policy", "get", "--team", "t1"}},
		"sc thresholds get":       {args: []string{"thresholds", "get", "--team", "t1"}},
		"sc subscriptions list":   {args: []string{"subscriptions", "list", "--team", "t1"}, wantsList: "subscriptions"},
		"sc subscriptions get":    {args: []string{"subscriptions", "get", subID, "--team", "t1"}},
		"sc subscriptions test":   {args: []string{"subscriptions", "test", subID, "--team", "t1"}, wantsList: "attempts"},
		"sc alerts list":          {args: []string{"alerts", "list", "--team", "t1"}, wantsList: "alerts"},
		"sc alerts show":          {args: []string{"alerts", "show", alertID, "--team", "t1"}},
		"sc alerts deliveries":    {args: []string{"alerts", "deliveries", alertID, "--team", "t1"}},
		"sc import":               {args: []string{"import", "csv", importFile, "--team", "t1", "--athlete", "a1", "--dry-run"}},
		"sc status":               {args: []string{"status", "--team", "t1"}},
		"sc status history":       {args: []string{"status", "history", "--team", "t1", "--athlete", "a1", "--limit", "0"}, wantsList: "assessments"},
		"sc explain":              {args: []string{"explain", "--team", "t1", "--athlete", "a1"}},
		"sc trends":               {args: []string{"trends", "--team", "t1", "--weeks", "2"}},
		"sc trends episodes":      {args: []string{"trends", "episodes", "--team", "t1"}},
	}
	// Tables name the athlete next to the id, from the profile.
	for _, args := range [][]string{{"alerts", "list", "--team", "t1"}, {"deload", "list", "--team", "t1"}, {"status", "history", "--team", "t1", "--athlete", "a1"},
		{"athlete", "list", "--team", "t1"}, {"deload", "show", deloadID, "--team", "t1"}} {
		if out := sc(args...); !regexp.MustCompile(`a1\s+\(?Sam Example`).MatchString(out) {
			t.Errorf("sc %s: no display name next to a1:\n%s", strings.Join(args, " "), out)
		}
	}
	// Times follow --tz.
	if out := sc("alerts", "list", "--team", "t1", "--tz", "Asia/Kolkata"); !strings.Contains(out, "RAISED (Asia/Kolkata)") {
		t.Errorf("alerts list --tz: header does not name the zone:\n%s", out)
	}

	var withOutput []string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Annotations[annotationOutput] != "" {
			withOutput = append(withOutput, c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(io.Discard, io.Discard))
	slices.Sort(withOutput)
	for _, path := range withOutput {
		c, ok := cases[path]
		if !ok {
			t.Errorf("%s has -o but no case in this test", path)
			continue
		}
		t.Run(strings.TrimPrefix(path, "sc "), func(t *testing.T) {
			out := sc(append(c.args, "-o", "json")...)
			var doc map[string]any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("%s -o json printed no JSON object: %v\n%s", path, err, out)
			}
			if c.wantsList != "" {
				list, _ := doc[c.wantsList].([]any)
				if len(list) == 0 {
					t.Errorf("%s -o json: %q is not a non-empty list:\n%s", path, c.wantsList, out)
				}
				// Unset fields are written too, so every record has the same keys.
				for _, item := range list[min(1, len(list)):] {
					first, _ := list[0].(map[string]any)
					if other, _ := item.(map[string]any); !slices.Equal(keys(first), keys(other)) {
						t.Errorf("%s -o json: records with different keys %v and %v", path, keys(first), keys(other))
					}
				}
			}
			// yaml is the same document.
			var fromYAML map[string]any
			if err := yaml.Unmarshal([]byte(sc(append(c.args, "-o", "yaml")...)), &fromYAML); err != nil {
				t.Fatalf("%s -o yaml: %v", path, err)
			}
			if len(fromYAML) != len(doc) {
				t.Errorf("%s: yaml has fields %v, json %v", path, keys(fromYAML), keys(doc))
			}
		})
	}
}

// settingsAndSubscriptionChanges runs the commands that change settings, subscriptions,
// programs and profiles, reads the result back with -o json, and checks the exit codes of a
// stale revision and of a rejected value.
func settingsAndSubscriptionChanges(t *testing.T, addr string) {
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), append([]string{"--addr", addr, "--token", liveAdminKey}, args...), &out, &errOut)
		return code, out.String(), errOut.String()
	}
	sc := func(args ...string) string {
		t.Helper()
		code, out, stderr := run(args...)
		if code != ExitOK {
			t.Fatalf("sc %s exited %d: %s", strings.Join(args, " "), code, stderr)
		}
		return out
	}
	// SC_TEAM stands in for --team from here on.
	t.Setenv("SC_TEAM", "t1")

	t.Run("thresholds", func(t *testing.T) {
		if out := sc("thresholds", "set", "load.acwr_high=1.6", "rule.cooldown_days=10"); !regexp.MustCompile(`load.acwr_high\s+1.6`).MatchString(out) {
			t.Errorf("thresholds set printed:\n%s", out)
		}
		var got struct {
			Overridden []string `json:"overridden_paths"`
			Revision   string   `json:"revision"`
		}
		mustJSON(t, sc("thresholds", "get", "-o", "json"), &got)
		if !slices.Contains(got.Overridden, "load.acwr_high") || !slices.Contains(got.Overridden, "rule.cooldown_days") {
			t.Errorf("overridden after set: %v", got.Overridden)
		}
		if code, _, stderr := run("thresholds", "set", "--revision", "99", "load.acwr_high=1.7"); code != ExitConflict {
			t.Errorf("stale --revision exited %d (%s), want %d", code, stderr, ExitConflict)
		}
		if code, _, stderr := run("thresholds", "set", "load.acwr_high=-3"); code != ExitUsage || !strings.Contains(stderr, "acwr_high") {
			t.Errorf("a negative ACWR threshold exited %d with %q; want %d naming the field", code, stderr, ExitUsage)
		}
		if code, _, stderr := run("thresholds", "set", "load.no_such_field=1"); code != ExitUsage || !strings.Contains(stderr, `no field "no_such_field"`) {
			t.Errorf("an unknown path exited %d with %q", code, stderr)
		}
		sc("thresholds", "reset", "load.acwr_high")
		got.Overridden = nil
		mustJSON(t, sc("thresholds", "get", "-o", "json"), &got)
		if slices.Contains(got.Overridden, "load.acwr_high") || !slices.Contains(got.Overridden, "rule.cooldown_days") {
			t.Errorf("overridden after reset of load.acwr_high: %v", got.Overridden)
		}
	})

	t.Run("policy", func(t *testing.T) {
		sc("policy", "set", "reactive_cooldown_days=21", "auto_approve_reactive=true")
		var got struct {
			Policy struct {
				Cooldown int  `json:"reactive_cooldown_days"`
				Auto     bool `json:"auto_approve_reactive"`
			}
		}
		mustJSON(t, sc("policy", "get", "-o", "json"), &got)
		if got.Policy.Cooldown != 21 || !got.Policy.Auto {
			t.Errorf("policy after set: %+v", got.Policy)
		}
	})

	t.Run("subscriptions", func(t *testing.T) {
		out := sc("subscriptions", "create", "--name", "Physio", "--email", "physio@club.example")
		id := regexp.MustCompile(`subscription (\S+) created`).FindStringSubmatch(out)[1]
		sc("subscriptions", "update", id, "--min-severity", "critical", "--quiet-hours", "22:00-07:00", "--tz", "Europe/Oslo")
		var got struct {
			Name        string `json:"name"`
			MinSeverity string `json:"min_severity"`
			QuietHours  struct {
				Start    int    `json:"start_minute"`
				TimeZone string `json:"time_zone"`
			} `json:"quiet_hours"`
			Channels []any `json:"channels"`
		}
		mustJSON(t, sc("subscriptions", "get", id, "-o", "json"), &got)
		if got.Name != "Physio" || got.MinSeverity != "SEVERITY_CRITICAL" || got.QuietHours.Start != 22*60 || got.QuietHours.TimeZone != "Europe/Oslo" || len(got.Channels) != 1 {
			t.Errorf("subscription after update: %+v", got)
		}
		if code, _, _ := run("subscriptions", "update", id, "--name", "x", "--revision", "99"); code != ExitConflict {
			t.Errorf("stale --revision exited %d, want %d", code, ExitConflict)
		}
		sc("subscriptions", "remove", id)
		if code, _, _ := run("subscriptions", "get", id); code != ExitNotFound {
			t.Errorf("get of a removed subscription exited %d, want %d", code, ExitNotFound)
		}
	})

	t.Run("program and athlete", func(t *testing.T) {
		sc("athlete", "set", "--athlete", "a2", "--name", "Alex", "--max", "squat=140")
		out := sc("program", "create", "--name", "Block A", "--template", "linear_progression", "--lift", "Back Squat:squat:5x5@70")
		id := regexp.MustCompile(`created program (\S+)`).FindStringSubmatch(out)[1]
		file := filepath.Join(t.TempDir(), "program.yaml")
		if err := os.WriteFile(file, []byte(sc("program", "get", id, "-o", "yaml")), 0o600); err != nil {
			t.Fatal(err)
		}
		sc("program", "update", id, "--file", file, "--name", "Block A (edited)")
		var got struct {
			Program struct {
				Name     string `json:"name"`
				Revision string `json:"revision"`
				Weeks    []any  `json:"weeks"`
			}
		}
		mustJSON(t, sc("program", "get", id, "-o", "json"), &got)
		if got.Program.Name != "Block A (edited)" || len(got.Program.Weeks) == 0 {
			t.Errorf("program after update from its own yaml: %+v", got.Program)
		}
		// The file still carries the revision it was read at: writing it again is a conflict.
		if code, _, _ := run("program", "update", id, "--file", file); code != ExitConflict {
			t.Errorf("update from a stale file exited %d, want %d", code, ExitConflict)
		}
		sc("athlete", "remove", "--athlete", "a2")
		var list struct {
			Profiles []struct {
				ID     string `json:"athlete_id"`
				Active bool   `json:"active"`
			}
		}
		mustJSON(t, sc("athlete", "list", "--all", "-o", "json"), &list)
		i := slices.IndexFunc(list.Profiles, func(p struct {
			ID     string `json:"athlete_id"`
			Active bool   `json:"active"`
		}) bool {
			return p.ID == "a2"
		})
		if i < 0 || list.Profiles[i].Active {
			t.Errorf("a2 after remove: %+v", list.Profiles)
		}
	})
}

func mustJSON(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("not the JSON expected: %v\n%s", err, out)
	}
}

// jsonList reads the list field of an -o json answer as objects.
func jsonList(t *testing.T, out, field string) []map[string]any {
	t.Helper()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, out)
	}
	var list []map[string]any
	if err := json.Unmarshal(doc[field], &list); err != nil {
		t.Fatalf("%q is not a list of objects: %v\n%s", field, err, out)
	}
	return list
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
