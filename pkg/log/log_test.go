package log

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/supercomp/supercomp/pkg/config"
)

var iso8601 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{4})$`)

func TestJSON(t *testing.T) {
	var out bytes.Buffer
	logger, err := build(config.Log{Level: "info", Format: "json"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	logger.Debug("hidden at info")
	logger.Info("batch inserted", zap.Int("rows", 3), zap.String(Team, "t1"))
	logger.Error("insert failed", zap.Error(errors.New("boom")))

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2 (debug filtered):\n%s", len(lines), out.String())
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &info); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, lines[0])
	}
	for key, want := range map[string]any{"level": "info", "msg": "batch inserted", "rows": 3.0, "team_id": "t1"} {
		if info[key] != want {
			t.Errorf("%s = %v, want %v", key, info[key], want)
		}
	}
	if ts, _ := info["ts"].(string); !iso8601.MatchString(ts) {
		t.Errorf("ts = %q, want ISO8601", info["ts"])
	}
	if caller, _ := info["caller"].(string); !strings.HasPrefix(caller, "log/log_test.go:") {
		t.Errorf("caller = %q, want this test file", info["caller"])
	}
	var failure map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &failure); err != nil {
		t.Fatal(err)
	}
	if failure["error"] != "boom" || failure["stacktrace"] == nil {
		t.Errorf("error line lacks error or stacktrace: %s", lines[1])
	}
}

func TestLevels(t *testing.T) {
	tests := []struct {
		level string
		want  []string // messages that get through
	}{
		{"debug", []string{"d", "i", "w", "e"}},
		{"info", []string{"i", "w", "e"}},
		{"warn", []string{"w", "e"}},
		{"error", []string{"e"}},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var out bytes.Buffer
			logger, err := build(config.Log{Level: tt.level, Format: "json"}, &out)
			if err != nil {
				t.Fatal(err)
			}
			logger.Debug("d")
			logger.Info("i")
			logger.Warn("w")
			logger.Error("e")
			var got []string
			for line := range strings.SplitSeq(strings.TrimSpace(out.String()), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatal(err)
				}
				got = append(got, m["msg"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("logged %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConsole(t *testing.T) {
	var out bytes.Buffer
	logger, err := build(config.Log{Level: "debug", Format: "console"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("server listening", zap.String(Addr, "127.0.0.1:7400"))
	line := out.String()
	for _, want := range []string{"INFO", "log/log_test.go:", "server listening", `"addr": "127.0.0.1:7400"`} {
		if !strings.Contains(line, want) {
			t.Errorf("console line lacks %q: %s", want, line)
		}
	}
	if !iso8601.MatchString(strings.Fields(line)[0]) {
		t.Errorf("console line does not start with an ISO8601 time: %s", line)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		cfg  config.Log
		want string
	}{
		{config.Log{Level: "loud", Format: "json"}, "log level"},
		{config.Log{Level: "info", Format: "xml"}, `log format "xml"`},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error mentioning %q", tt.cfg, err, tt.want)
		}
	}
}

func TestTraceField(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	logger := zap.New(core)
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID}))
	logger.Info("traced", Trace(ctx))
	logger.Info("untraced", Trace(context.Background()))
	entries := logs.All()
	if got := entries[0].ContextMap()[TraceID]; got != traceID.String() {
		t.Errorf("traced line: trace_id %v, want %s", got, traceID)
	}
	if _, ok := entries[1].ContextMap()[TraceID]; ok {
		t.Errorf("untraced line has a trace_id: %v", entries[1].ContextMap())
	}
}
