package alertpath

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	eventsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/events/v1"
	ingestionv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/ingestion/v1"
	"github.com/supercomp/supercomp/services/fatigue/simulate"
	"github.com/supercomp/supercomp/services/platform/internal/demo"
)

const (
	// minSamples is the fewest alerts a run measures, whatever b.N: a p99 needs about a
	// hundred (each alert needs its own athlete's history loaded first).
	minSamples = 100
	// defaultBackgroundRate is the load: sets per second from other athletes.
	defaultBackgroundRate = 10000
	// envBackgroundRate overrides it, for a machine that cannot sustain it.
	envBackgroundRate = "SC_BENCH_BACKGROUND_SETS_PER_SEC"
	// backgroundBatch is how many sets one background RecordBatch call carries, as a
	// device uploading a session would.
	backgroundBatch   = 100
	backgroundSenders = 4
	// maxFatigueBacklog is how far fatigue may fall behind (sets pending) before the
	// background senders hold off: a load the pipeline cannot keep up with only measures
	// an ever-growing queue, so the load backs off to what this machine sustains.
	maxFatigueBacklog = 1000
	alertTimeout      = time.Minute
	// fatigueDurable is the fatigue service's TRAINING consumer (one partition, as the
	// all-in-one runs it).
	fatigueDurable = "fatigue"
	// deployedGOGC is the GC target the back-end services are deployed with (k8s/base;
	// TestDeployedGOGC keeps them equal): the benchmark runs with it unless GOGC is in the
	// environment (GOGC=100 measures the platform at Go's default).
	deployedGOGC = 400
)

// BenchmarkAlertPath measures end-to-end alert latency on the all-in-one platform: from the
// RecordBatch call carrying the set that makes an athlete's deload rule fire to the signed
// alert arriving at the coach's webhook (a local receiver). Every sample is another athlete
// whose history was loaded beforehand, so the trigger is the only new data about them.
// "idle" has nothing else going on; "background" adds a stream of other athletes' sets
// (10,000/s or SC_BENCH_BACKGROUND_SETS_PER_SEC) and reports the rate it really sustained.
// ns/op is the mean latency, p50_ms and p99_ms are over at least minSamples alerts. Only the
// triggers' traces are sampled; their spans break the latency down by leg in the log.
func BenchmarkAlertPath(b *testing.B) {
	p := startPlatform(b, sdktrace.ParentBased(sdktrace.NeverSample()))
	ath := newOverreacher(b)
	rate := defaultBackgroundRate
	if v := os.Getenv(envBackgroundRate); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive number of sets per second", envBackgroundRate, v)
		}
		rate = n
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		defer debug.SetGCPercent(debug.SetGCPercent(deployedGOGC))
	}
	gc := debug.SetGCPercent(-1)
	debug.SetGCPercent(gc)
	report("BenchmarkAlertPath: GOGC=%d\n", gc)
	runs := 0
	b.Run("idle", func(b *testing.B) { runs++; p.measure(b, ath, fmt.Sprintf("idle%d", runs), 0) })
	b.Run("background", func(b *testing.B) { runs++; p.measure(b, ath, fmt.Sprintf("bg%d", runs), rate) })
}

func (p *platform) measure(b *testing.B, ath overreacher, prefix string, rate int) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	n := max(b.N, minSamples)
	athletes := make([]string, n)
	for i := range athletes {
		athletes[i] = fmt.Sprintf("%s-%03d", prefix, i)
		p.feed(b, ctx, as(athletes[i], ath.history...))
	}
	p.settle(b, ctx)
	p.spans.Reset()

	var load *backgroundLoad
	if rate > 0 {
		load = startBackground(b, ctx, p, prefix, rate)
		time.Sleep(2 * time.Second) // into the steady state before the first sample
		load.restartCount()
	}
	latencies := make([]time.Duration, 0, n)
	traces := make([]trace.TraceID, 0, n)
	b.ResetTimer()
	for i, athlete := range athletes {
		// The timer covers b.N alerts, so ns/op is the mean latency and the benchmark
		// framework sizes b.N by it; the rest, up to minSamples, only add to the percentiles.
		if i == b.N {
			b.StopTimer()
		}
		trigger := as(athlete, ath.trigger)[0]
		arrived := p.hook.expect(athlete)
		start := time.Now()
		traces = append(traces, p.send(b, ctx, trigger))
		select {
		case <-arrived:
		case <-time.After(alertTimeout):
			b.Fatalf("no deload alert for %s within %s", athlete, alertTimeout)
		}
		hit, _ := p.hook.arrivalOf(athlete)
		latencies = append(latencies, hit.at.Sub(start))
	}
	b.StopTimer()
	if load != nil {
		sustained := load.stop()
		b.ReportMetric(sustained, "bg_sets/s")
		report("%s (b.N=%d) background: %d sets/s asked, %.0f/s sustained (accepted by ingestion while sampling; senders held off "+
			"%d of %d times when fatigue was %d sets behind)\n", b.Name(), b.N, rate, sustained, load.heldOff.Load(), load.ticks.Load(), maxFatigueBacklog)
		// What the load left queued is worked off before the next run (and before the
		// platform stops), so neither measures nor times out on this run's backlog.
		p.settle(b, ctx)
	}
	// The last webhook span ends when its answer is read, a moment after the receiver saw
	// the alert; wait for it rather than leave that trace out.
	for deadline := time.Now().Add(5 * time.Second); completeTraces(p.spans, traces) < len(traces) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	b.ReportMetric(percentile(latencies, 0.50), "p50_ms")
	b.ReportMetric(percentile(latencies, 0.99), "p99_ms")
	report("%s (b.N=%d): %d alerts, p50 %.1f ms, p99 %.1f ms, max %.1f ms; %s", b.Name(), b.N, len(latencies),
		percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(latencies, 1), breakdown(p.spans, traces))
	p.spans.Reset()
}

// report prints a run's breakdown on stdout, next to the benchmark lines. Not b.Logf: the
// framework keeps a benchmark's log across its runs and cuts it at ten lines, which leaves
// the first run's table and drops the last one's.
func report(format string, args ...any) {
	fmt.Fprintf(os.Stdout, format, args...)
}

// percentile in milliseconds, nearest rank.
func percentile(ds []time.Duration, q float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := min(len(s)-1, int(q*float64(len(s))))
	return float64(s[i].Microseconds()) / 1000
}

// leg is one stretch of the alert's path, measured between two points of its trace.
type leg struct {
	name     string
	from, to func(path) time.Time
}

// path holds the points of one trigger's trace that mark its way through the platform.
type path struct {
	ingest, lookup, publish, fatigue, notify, dispatch, webhook tracetest.SpanStub
	// Events on the fatigue span as its batch got past each step (fatigue/internal/app):
	// triggerAssessed when the trigger's own outputs were handed to the publisher, which
	// sends them while the rest of the batch is assessed.
	triggerAssessed, assessed, published, saved time.Time
	ok                                          bool
}

func pathOf(spans []tracetest.SpanStub) path {
	var p path
	pick := func(dst *tracetest.SpanStub, s tracetest.SpanStub) {
		if dst.Name == "" || s.StartTime.Before(dst.StartTime) {
			*dst = s
		}
	}
	for _, s := range spans {
		switch {
		case s.SpanKind == trace.SpanKindServer && strings.Contains(s.Name, "IngestionService/"):
			pick(&p.ingest, s)
		case s.Name == "ingestion duplicate lookup":
			pick(&p.lookup, s)
		case strings.HasPrefix(s.Name, "ingestion publish "):
			pick(&p.publish, s)
		case consumerGroup(s) == fatigueDurable:
			pick(&p.fatigue, s)
		case consumerGroup(s) == "notifications-analysis":
			pick(&p.notify, s)
		case consumerGroup(s) == "notifications-dispatch":
			pick(&p.dispatch, s)
		case s.Name == "webhook POST":
			pick(&p.webhook, s)
		}
	}
	for _, e := range p.fatigue.Events {
		switch e.Name {
		case "fatigue message assessed":
			p.triggerAssessed = e.Time
		case "fatigue batch assessed":
			p.assessed = e.Time
		case "fatigue batch published":
			p.published = e.Time
		case "fatigue batch saved":
			p.saved = e.Time
		}
	}
	p.ok = true
	for _, s := range []tracetest.SpanStub{p.ingest, p.lookup, p.publish, p.fatigue, p.notify, p.dispatch, p.webhook} {
		p.ok = p.ok && s.Name != ""
	}
	p.ok = p.ok && !p.triggerAssessed.IsZero() && !p.assessed.IsZero() && !p.published.IsZero() && !p.saved.IsZero()
	return p
}

// The first seven legs follow each other from the ingestion call to the webhook's answer;
// the rows in parentheses are parts of them, or run beside them.
var legs = []leg{
	{"ingestion call (validate, look up duplicates, publish, wait for acks)", func(p path) time.Time { return p.ingest.StartTime }, func(p path) time.Time { return p.ingest.EndTime }},
	{"TRAINING -> fatigue picks the set up (stream, the batch before it)", func(p path) time.Time { return p.ingest.EndTime }, func(p path) time.Time { return p.fatigue.StartTime }},
	{"fatigue assesses its batch up to the trigger", func(p path) time.Time { return p.fatigue.StartTime }, func(p path) time.Time { return p.triggerAssessed }},
	{"fatigue publishes ANALYSIS -> notifications picks it up", func(p path) time.Time { return p.triggerAssessed }, func(p path) time.Time { return p.notify.StartTime }},
	{"notifications raises the alert -> NOTIFY -> dispatch picks it up", func(p path) time.Time { return p.notify.StartTime }, func(p path) time.Time { return p.dispatch.StartTime }},
	{"dispatch -> webhook call starts", func(p path) time.Time { return p.dispatch.StartTime }, func(p path) time.Time { return p.webhook.StartTime }},
	{"webhook call (sign, POST, answer)", func(p path) time.Time { return p.webhook.StartTime }, func(p path) time.Time { return p.webhook.EndTime }},
	{"(ingestion: duplicate lookup in ClickHouse)", func(p path) time.Time { return p.lookup.StartTime }, func(p path) time.Time { return p.lookup.EndTime }},
	{"(ingestion: publish TRAINING until acked)", func(p path) time.Time { return p.publish.StartTime }, func(p path) time.Time { return p.publish.EndTime }},
	{"(fatigue: the whole batch assessed)", func(p path) time.Time { return p.fatigue.StartTime }, func(p path) time.Time { return p.assessed }},
	{"(fatigue: the batch's last outputs acked, after its assessment)", func(p path) time.Time { return p.assessed }, func(p path) time.Time { return p.published }},
	{"(fatigue: save snapshots, after the publish)", func(p path) time.Time { return p.published }, func(p path) time.Time { return p.saved }},
	{"(fatigue: the whole batch, handled and acked)", func(p path) time.Time { return p.fatigue.StartTime }, func(p path) time.Time { return p.fatigue.EndTime }},
}

// completeTraces counts the traces whose path spans have all ended.
func completeTraces(exp *tracetest.InMemoryExporter, traces []trace.TraceID) int {
	byTrace := map[trace.TraceID][]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		byTrace[s.SpanContext.TraceID()] = append(byTrace[s.SpanContext.TraceID()], s)
	}
	n := 0
	for _, id := range traces {
		if pathOf(byTrace[id]).ok {
			n++
		}
	}
	return n
}

// breakdown tabulates each leg's p50 and p99 over the triggers' traces.
func breakdown(exp *tracetest.InMemoryExporter, traces []trace.TraceID) string {
	byTrace := map[trace.TraceID][]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		byTrace[s.SpanContext.TraceID()] = append(byTrace[s.SpanContext.TraceID()], s)
	}
	per := make([][]time.Duration, len(legs))
	complete := 0
	for _, id := range traces {
		p := pathOf(byTrace[id])
		if !p.ok {
			continue
		}
		complete++
		for i, l := range legs {
			per[i] = append(per[i], l.to(p).Sub(l.from(p)))
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "where the time goes (%d traces complete):", complete)
	if complete == 0 {
		return sb.String()
	}
	fmt.Fprintf(&sb, "\n  %-70s %9s %9s\n", "leg", "p50 ms", "p99 ms")
	for i, l := range legs {
		fmt.Fprintf(&sb, "  %-70s %9.1f %9.1f\n", l.name, percentile(per[i], 0.5), percentile(per[i], 0.99))
	}
	return sb.String()
}

// backgroundLoad streams other athletes' sets through RecordBatch at a target rate, holding
// off while fatigue is more than maxFatigueBacklog sets behind.
type backgroundLoad struct {
	accepted atomic.Uint64
	since    atomic.Int64 // unix nanos the count restarted at
	behind   atomic.Uint64
	ticks    atomic.Uint64
	heldOff  atomic.Uint64
	stopc    chan struct{}
	wg       sync.WaitGroup
}

// watchFatigue keeps l.behind at the fatigue TRAINING consumer's pending and unacked count.
func (l *backgroundLoad) watchFatigue(b *testing.B, ctx context.Context, p *platform) {
	cons, err := p.host.Bus().JetStream().Consumer(ctx, bus.StreamTraining, fatigueDurable)
	if err != nil {
		b.Fatalf("fatigue consumer: %v", err)
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-l.stopc:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if info, err := cons.Info(ctx); err == nil {
				l.behind.Store(info.NumPending + uint64(info.NumAckPending))
			}
		}
	}()
}

// startBackground runs backgroundSenders goroutines that together send rate sets/s from a
// simulated squad without overreachers, renamed per round so every set is new data.
func startBackground(b *testing.B, ctx context.Context, p *platform, prefix string, rate int) *backgroundLoad {
	sim := simulate.Generate(simulate.Config{Team: team, Athletes: 40, Overreachers: 0, Weeks: 12, Seed: 11})
	var sets []*eventsv1.Event
	for _, ev := range sim.Events {
		if ev.GetSetRecorded() != nil {
			sets = append(sets, ev)
		}
	}
	l := &backgroundLoad{stopc: make(chan struct{})}
	l.restartCount()
	l.watchFatigue(b, ctx, p)
	interval := time.Duration(float64(time.Second) * backgroundBatch * backgroundSenders / float64(rate))
	for w := 0; w < backgroundSenders; w++ {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			req := &ingestionv1.RecordBatchRequest{TeamId: team}
			for round, next := 0, w*backgroundBatch; ; next += backgroundSenders * backgroundBatch {
				select {
				case <-l.stopc:
					return
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				l.ticks.Add(1)
				if l.behind.Load() > maxFatigueBacklog {
					l.heldOff.Add(1)
					continue
				}
				if next+backgroundBatch > len(sets) {
					round, next = round+1, w*backgroundBatch
				}
				req.Records = req.Records[:0]
				for _, ev := range sets[next : next+backgroundBatch] {
					rec, err := demo.Record(ev)
					if err != nil {
						b.Error(err)
						return
					}
					rec.Meta.EventId = events.NewID()
					rec.Meta.AthleteId = fmt.Sprintf("%s-bg%d-%s", prefix, round, ev.GetAthleteId())
					req.Records = append(req.Records, rec)
				}
				resp, err := p.ingest.RecordBatch(ctx, req)
				if err != nil {
					if ctx.Err() == nil {
						b.Errorf("background batch: %v", err)
					}
					return
				}
				l.accepted.Add(resp.GetCounts().GetAccepted())
			}
		}()
	}
	return l
}

func (l *backgroundLoad) restartCount() {
	l.accepted.Store(0)
	l.ticks.Store(0)
	l.heldOff.Store(0)
	l.since.Store(time.Now().UnixNano())
}

// stop ends the load and returns the sets/s accepted since the count restarted.
func (l *backgroundLoad) stop() float64 {
	elapsed := time.Since(time.Unix(0, l.since.Load()))
	n := l.accepted.Load()
	close(l.stopc)
	l.wg.Wait()
	return float64(n) / elapsed.Seconds()
}

// TestDeployedGOGC keeps BenchmarkAlertPath's GC target the one every back-end service is
// deployed with.
func TestDeployedGOGC(t *testing.T) {
	for _, svc := range []string{"ingestion", "fatigue", "notifications", "programming"} {
		manifest, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "k8s", "base", svc+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`- name: GOGC\s+value: "(\d+)"`).FindSubmatch(manifest)
		if m == nil {
			t.Errorf("k8s/base/%s.yaml sets no GOGC", svc)
			continue
		}
		if got := string(m[1]); got != strconv.Itoa(deployedGOGC) {
			t.Errorf("k8s/base/%s.yaml sets GOGC=%s, BenchmarkAlertPath runs with %d", svc, got, deployedGOGC)
		}
	}
}
