// Package httpapi tests JSON over HTTP on a live platform with the examples the README gives,
// taken from README.md itself so the documentation cannot drift from what works.
package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/supercomp/supercomp/pkg/config"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
	fatiguev1 "github.com/supercomp/supercomp/pkg/gen/supercomp/fatigue/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	trendsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/trends/v1"
	"github.com/supercomp/supercomp/pkg/jsonapi"
	"github.com/supercomp/supercomp/pkg/store/storetest"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
	"github.com/supercomp/supercomp/services/platform/internal/demo"
	"github.com/supercomp/supercomp/services/platform/internal/platformtest"
)

const (
	// team is the team the README's examples read.
	team     = "t1"
	adminKey = "httpapi-admin-key-0123456789abcdef0123456789"
	// readmeHTTPAddr is the all-in-one's HTTP address in the README; the test swaps in its own.
	readmeHTTPAddr = "127.0.0.1:7480"
	settleTimeout  = 90 * time.Second
)

// TestReadmeJSONOverHTTP runs the README's curl and Python examples against a live platform
// holding a small simulated squad, and checks their answers against the same calls over gRPC.
func TestReadmeJSONOverHTTP(t *testing.T) {
	requireBinary(t, "curl")
	python := requireBinary(t, "python3")
	section := readmeSection(t, "JSON over HTTP")
	sh, py := codeBlocks(section, "sh"), codeBlocks(section, "python")
	if len(sh) != 2 || len(py) != 1 {
		t.Fatalf("README's JSON over HTTP section has %d sh and %d python blocks, want 2 and 1 (reads, errors; the script)", len(sh), len(py))
	}

	dsn := storetest.FreshServerDSN(t, "sc_httpapi")
	host, conn := platformtest.Start(t, config.Store{Backend: config.BackendClickHouse, DSN: dsn}, adminKey)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Eight weeks of a small squad ending last Sunday, so "the last N weeks" of the examples
	// covers it whatever day the test runs.
	today := time.Now().UTC().Truncate(24 * time.Hour)
	monday := today.AddDate(0, 0, -(int(today.Weekday())+6)%7)
	sim := simulate.Generate(simulate.Config{Team: team, Athletes: 4, Overreachers: 1, Weeks: 8, Seed: 23,
		Start: monday.AddDate(0, 0, -8*7)})
	if _, err := demo.Feed(ctx, ingestionv1.NewIngestionServiceClient(conn), team, sim.Events, 250); err != nil {
		t.Fatalf("feed the squad: %v", err)
	}
	waitSettled(t, ctx, host.Bus().JetStream())

	// What the examples must show: the answers of the same calls over gRPC.
	fatigue, trends := fatiguev1.NewFatigueServiceClient(conn), trendsv1.NewTrendsServiceClient(conn)
	wantBoard, err := fatigue.ListTeamStatus(ctx, &fatiguev1.ListTeamStatusRequest{TeamId: team})
	if err != nil {
		t.Fatal(err)
	}
	if len(wantBoard.GetAthletes()) != len(sim.Truth) {
		t.Fatalf("board over gRPC has %d athletes, want %d", len(wantBoard.GetAthletes()), len(sim.Truth))
	}
	wantTrends, err := trends.GetTeamTrends(ctx, &trendsv1.GetTeamTrendsRequest{TeamId: team, Weeks: 8,
		Metrics: []trendsv1.TrendMetric{trendsv1.TrendMetric_TREND_METRIC_VOLUME_LOAD}})
	if err != nil {
		t.Fatal(err)
	}

	// The scripts run where `make run` keeps its credentials file, as a reader of the README would.
	work := t.TempDir()
	if err := os.MkdirAll(filepath.Join(work, ".data"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, ".data", "credentials"), []byte("# admin key\n"+adminKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := host.HTTP().Addr().String()
	run := func(name string, stdin string, bin string, args ...string) []byte {
		t.Helper()
		if !strings.Contains(stdin, readmeHTTPAddr) {
			t.Fatalf("README %s example does not call %s", name, readmeHTTPAddr)
		}
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = work
		cmd.Stdin = strings.NewReader(strings.ReplaceAll(stdin, readmeHTTPAddr, addr))
		cmd.Env = os.Environ()
		// SC_TOKEN as the README's first block exports it, for the blocks that come after it.
		if name != "reads" {
			cmd.Env = append(cmd.Env, "SC_TOKEN="+adminKey)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("README %s example: %v\n%s%s", name, err, out, stderr.String())
		}
		return out
	}

	t.Run("curl reads", func(t *testing.T) {
		out := run("reads", sh[0], "bash", "-euo", "pipefail", "-s")
		dec := json.NewDecoder(bytes.NewReader(out))
		var answers []json.RawMessage
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatalf("curl output is not JSON: %v\n%s", err, out)
			}
			answers = append(answers, raw)
		}
		if len(answers) != 2 {
			t.Fatalf("curl printed %d JSON documents, want 2 (board, trends):\n%s", len(answers), out)
		}
		checkSameAnswer(t, answers[0], wantBoard, &fatiguev1.ListTeamStatusResponse{})
		checkSameAnswer(t, answers[1], wantTrends, &trendsv1.GetTeamTrendsResponse{})
		if !hasValue(wantTrends) {
			t.Errorf("the trends the example reads hold no value: %v", wantTrends)
		}
	})

	t.Run("curl errors", func(t *testing.T) {
		out := run("errors", sh[1], "bash", "-euo", "pipefail", "-s")
		t.Logf("curl printed:\n%s", out)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 2 {
			t.Fatalf("curl printed %d lines, want 2 (no key, bad field):\n%s", len(lines), out)
		}
		noKey := parseErrorLine(t, lines[0])
		if noKey.httpStatus != http.StatusUnauthorized || noKey.Code != 16 || !strings.Contains(noKey.Message, "missing credentials") {
			t.Errorf("without a key: %+v, want HTTP 401, code 16 (Unauthenticated), missing credentials", noKey)
		}
		bad := parseErrorLine(t, lines[1])
		if bad.httpStatus != http.StatusBadRequest || bad.Code != 3 {
			t.Errorf("weeks 500: %+v, want HTTP 400, code 3 (InvalidArgument)", bad)
		}
		var fields []string
		for _, d := range bad.Details {
			if d.Type != "type.googleapis.com/google.rpc.BadRequest" {
				continue
			}
			for _, v := range d.FieldViolations {
				if v.Description == "" {
					t.Errorf("field violation of %s without a description", v.Field)
				}
				fields = append(fields, v.Field)
			}
		}
		if !slices.Equal(fields, []string{"weeks"}) {
			t.Errorf("field violations name %v, want [weeks]; body %s", fields, lines[1])
		}
	})

	// What the README says beyond its examples: a stream answers one JSON object per line, and
	// a misspelled field or an oversized body is refused rather than ignored or held.
	t.Run("streams, unknown field, body bound", func(t *testing.T) {
		base := "http://" + addr + "/api/"
		lines := postLines(t, base+"supercomp.ingestion.v1.IngestionService/Export", `{"teamId": "t1", "kind": "RECORD_KIND_SESSIONS"}`)
		got := 0
		for _, line := range lines {
			var msg struct {
				Raw json.RawMessage `json:"result"`
			}
			if err := json.Unmarshal([]byte(line), &msg); err != nil || msg.Raw == nil {
				t.Fatalf("stream line is not {\"result\": ...}: %v\n%s", err, line)
			}
			var batch ingestionv1.ExportResponse
			if err := protojson.Unmarshal(msg.Raw, &batch); err != nil {
				t.Fatalf("stream line's result is not an ExportResponse: %v", err)
			}
			got += len(batch.GetEvents())
		}
		if want := countExported(t, ctx, ingestionv1.NewIngestionServiceClient(conn)); got == 0 || got != want {
			t.Errorf("Export over HTTP streamed %d sessions, gRPC %d", got, want)
		}

		// A client stream reads one message after another from the body: two messages with a
		// record each, both already stored by the feed, so both count as duplicates.
		var body strings.Builder
		for _, ev := range sim.Events[:2] {
			rec, err := demo.Record(ev)
			if err != nil {
				t.Fatal(err)
			}
			line, err := protojson.Marshal(&ingestionv1.StreamRecordsRequest{TeamId: team, Records: []*ingestionv1.Record{rec}})
			if err != nil {
				t.Fatal(err)
			}
			body.Write(line)
			body.WriteString("\n")
		}
		answer := postLines(t, base+"supercomp.ingestion.v1.IngestionService/StreamRecords", body.String())
		var streamed ingestionv1.StreamRecordsResponse
		if len(answer) != 1 || protojson.Unmarshal([]byte(answer[0]), &streamed) != nil {
			t.Fatalf("StreamRecords over HTTP answered %q, want one StreamRecordsResponse", answer)
		}
		if c := streamed.GetCounts(); c.GetDuplicates() != 2 || c.GetAccepted() != 0 || c.GetRejected() != 0 {
			t.Errorf("StreamRecords over HTTP of two stored records counted %v, want 2 duplicates", c)
		}

		for _, tc := range []struct{ name, body, wantMessage string }{
			{"a misspelled field", `{"teamId": "t1", "wekks": 4}`, "wekks"},
			{"a body over the bound", `{"teamId": "` + strings.Repeat("a", jsonapi.MaxBodyBytes) + `"}`, "too large"},
		} {
			resp, err := postJSON(base+"supercomp.trends.v1.TrendsService/GetTeamTrends", tc.body)
			if err != nil {
				t.Fatal(err)
			}
			var e httpError
			err = json.NewDecoder(resp.Body).Decode(&e)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusBadRequest || !strings.Contains(e.Message, tc.wantMessage) {
				t.Errorf("%s = HTTP %d %+v (%v), want 400 saying %q", tc.name, resp.StatusCode, e, err, tc.wantMessage)
			}
		}
	})

	// Every method over HTTP wants a key, as over gRPC; the examples show one of them.
	t.Run("every method needs a key", func(t *testing.T) {
		for _, service := range jsonapi.Services() {
			desc, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(service))
			if err != nil {
				t.Fatal(err)
			}
			methods := desc.(protoreflect.ServiceDescriptor).Methods()
			for i := range methods.Len() {
				url := "http://" + addr + jsonapi.Prefix + "/" + service + "/" + string(methods.Get(i).Name())
				resp, err := http.Post(url, "application/json", strings.NewReader(`{}`))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if methods.Get(i).IsStreamingServer() {
					// A stream's error is its one line, {"error": <status>}.
					var line struct {
						Error json.RawMessage `json:"error"`
					}
					if err := json.Unmarshal(body, &line); err != nil || line.Error == nil {
						t.Errorf("%s without a key: %s, want an {\"error\": ...} line", url, body)
						continue
					}
					body = line.Error
				}
				var e httpError
				err = json.Unmarshal(body, &e)
				if err != nil || resp.StatusCode != http.StatusUnauthorized || e.Code != 16 {
					t.Errorf("%s without a key = HTTP %d %+v (%v), want 401 Unauthenticated", url, resp.StatusCode, e, err)
				}
			}
		}
	})

	t.Run("python", func(t *testing.T) {
		out := run("python", py[0], python, "-")
		t.Logf("python printed %d lines, the first:\n%s", strings.Count(string(out), "\n"), firstLines(string(out), 3))
		var labels []string
		assessed := map[string]int{}
		for line := range strings.Lines(string(out)) {
			line = strings.TrimRight(line, "\n")
			if label, _, ok := strings.Cut(line, " ["); ok {
				labels = append(labels, label)
				continue
			}
			fields := strings.Fields(line)
			if len(fields) != 4 {
				t.Fatalf("python printed %q, want a trend series or `athlete day status score`", line)
			}
			if _, err := time.Parse(time.DateOnly, fields[1]); err != nil {
				t.Errorf("assessment day %q: %v", fields[1], err)
			}
			if _, ok := commonv1.AthleteStatus_value[fields[2]]; !ok {
				t.Errorf("assessment status %q is not an AthleteStatus", fields[2])
			}
			assessed[fields[0]]++
		}
		all, err := trends.GetTeamTrends(ctx, &trendsv1.GetTeamTrendsRequest{TeamId: team, Weeks: 12})
		if err != nil {
			t.Fatal(err)
		}
		var wantLabels []string
		for _, s := range all.GetSeries() {
			wantLabels = append(wantLabels, s.GetLabel())
		}
		if len(wantLabels) == 0 || !slices.Equal(labels, wantLabels) {
			t.Errorf("python printed the series %q, want %q", labels, wantLabels)
		}
		for _, a := range wantBoard.GetAthletes() {
			want := countAssessments(t, ctx, fatigue, a.GetAthleteId())
			if want == 0 || assessed[a.GetAthleteId()] != want {
				t.Errorf("python printed %d assessments of %s, want %d (all pages over gRPC)", assessed[a.GetAthleteId()], a.GetAthleteId(), want)
			}
		}
	})
}

// requireBinary finds name on PATH; the skip names the binary, because CI machines have both
// and a skip there means something is missing, not that the test is optional.
func requireBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed: the README's JSON over HTTP examples need it (%v)", name, err)
	}
	return path
}

// readmeSection is the text of the README's "## title" section, up to the next "## ".
func readmeSection(t *testing.T, title string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "\n## "+title+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", title)
	}
	section, _, _ := strings.Cut(rest, "\n## ")
	return section
}

// codeBlocks are the bodies of the section's fenced blocks of one language, in order.
func codeBlocks(section, lang string) []string {
	var blocks []string
	var current *strings.Builder
	sc := bufio.NewScanner(strings.NewReader(section))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case current == nil && line == "```"+lang:
			current = &strings.Builder{}
		case current != nil && line == "```":
			blocks = append(blocks, current.String())
			current = nil
		case current != nil:
			current.WriteString(line + "\n")
		}
	}
	return blocks
}

// waitSettled waits until the squad went through every service, so answers hold still.
func waitSettled(t *testing.T, ctx context.Context, js jetstream.JetStream) {
	t.Helper()
	deadline := time.Now().Add(settleTimeout)
	for !platformtest.Settled(t, ctx, js) {
		if time.Now().After(deadline) {
			t.Fatalf("the platform did not settle within %s after the squad was fed", settleTimeout)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// checkSameAnswer checks that raw, an HTTP answer, is the message want, the gRPC answer.
func checkSameAnswer(t *testing.T, raw json.RawMessage, want, got proto.Message) {
	t.Helper()
	if err := protojson.Unmarshal(raw, got); err != nil {
		t.Fatalf("HTTP answer is not a %s: %v\n%s", got.ProtoReflect().Descriptor().FullName(), err, raw)
	}
	if !proto.Equal(got, want) {
		t.Errorf("HTTP answer differs from gRPC's:\n got %v\nwant %v", got, want)
	}
}

func hasValue(r *trendsv1.GetTeamTrendsResponse) bool {
	for _, s := range r.GetSeries() {
		for _, p := range s.GetPoints() {
			if p.Value != nil {
				return true
			}
		}
	}
	return false
}

// httpError is one line of the errors example: a google.rpc.Status in JSON, then the HTTP status.
type httpError struct {
	httpStatus int
	Code       int    `json:"code"`
	Message    string `json:"message"`
	Details    []struct {
		Type            string `json:"@type"`
		FieldViolations []struct {
			Field       string `json:"field"`
			Description string `json:"description"`
		} `json:"fieldViolations"`
	} `json:"details"`
}

func parseErrorLine(t *testing.T, line string) httpError {
	t.Helper()
	i := strings.LastIndex(line, " HTTP ")
	if i < 0 {
		t.Fatalf("no HTTP status in %q", line)
	}
	var e httpError
	if err := json.Unmarshal([]byte(line[:i]), &e); err != nil {
		t.Fatalf("error body is not JSON: %v\n%s", err, line)
	}
	if _, err := fmt.Sscanf(line[i:], " HTTP %d", &e.httpStatus); err != nil {
		t.Fatalf("HTTP status in %q: %v", line, err)
	}
	return e
}

// countAssessments counts an athlete's assessments over gRPC, every page.
func countAssessments(t *testing.T, ctx context.Context, fatigue fatiguev1.FatigueServiceClient, athlete string) int {
	t.Helper()
	n, token := 0, ""
	for {
		resp, err := fatigue.ListAssessments(ctx, &fatiguev1.ListAssessmentsRequest{TeamId: team, AthleteId: athlete, PageSize: 500, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		n += len(resp.GetAssessments())
		if token = resp.GetNextPageToken(); token == "" {
			return n
		}
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "")
}

func postJSON(url, body string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	return http.DefaultClient.Do(req)
}

// postLines posts body and returns the answer's lines, failing unless it is a 200.
func postLines(t *testing.T, url, body string) []string {
	t.Helper()
	resp, err := postJSON(url, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lines []string
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			lines = append(lines, line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s = %d: %s", url, resp.StatusCode, strings.Join(lines, "\n"))
	}
	return lines
}

// countExported counts the team's sessions Export streams over gRPC.
func countExported(t *testing.T, ctx context.Context, ingestion ingestionv1.IngestionServiceClient) int {
	t.Helper()
	stream, err := ingestion.Export(ctx, &ingestionv1.ExportRequest{TeamId: team, Kind: ingestionv1.RecordKind_RECORD_KIND_SESSIONS})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		batch, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		n += len(batch.GetEvents())
	}
}
