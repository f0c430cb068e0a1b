package bus

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	sclog "github.com/supercomp/supercomp/pkg/log"
)

// Partitioned consumption lets several instances of a service share a
// stream while every key (an athlete) is handled by one instance at a time,
// in stream order. It uses only the server's features:
//
//   - a partitioned view: a stream that sources the original streams and,
//     with a subject transform, prefixes each subject with
//     {{partition(N, key wildcards)}}, so sc.training.t1.a42.set is stored
//     as <view>.<p>.sc.training.t1.a42.set. The original streams and every
//     existing filter stay as they are.
//   - one durable pull consumer per partition, filtered on <view>.<p>.>, with
//     the pinned_client priority policy: the server delivers a partition to
//     one client at a time and moves the pin to a waiting instance when the
//     pinned one stops pulling for PinnedTTL (it died) or unpins on Stop.
//   - a checkpoint per partition in a key-value bucket (<view>_checkpoints):
//     the view sequence up to which every message of the partition was
//     handled and settled, written by the instance holding the partition
//     after each batch.
//
// An instance given a partition (at start, on a handover, after a crash)
// and an instance whose batch failed start again from the message after the
// partition's checkpoint, in stream order (see partitioned_run.go: the
// server's own redelivery order is not kept on pinned consumers).
//
// Why a checkpoint and not the consumer's ack floor: a consumer leader
// elected after a server loss knows how far its predecessor delivered but
// can miss the pending entries of its last deliveries, and then counts them
// as acknowledged. Its floor is not evidence that anything was handled, so
// the view has limits retention (a work queue deleted what lay below that
// floor, and with it the events of a crashed instance's last delivery), and
// what is settled leaves the view by an explicit purge up to the
// checkpoint. MaxAge bounds the view if the instances stop consuming.

// Partitioned view defaults.
const (
	// MaxPartitions bounds the consumers a view declares.
	MaxPartitions = 256
	// pinIDHeader carries the id of the client a pinned consumer delivers to.
	pinIDHeader = "Nats-Pin-Id"
	// sourceHeader is set by the server on messages sourced from another
	// stream: "<stream> <seq> <filter> <transform> <original subject>".
	sourceHeader = "Nats-Stream-Source"
	unpinTimeout = 5 * time.Second
	// DefaultViewMaxAge bounds a view whose instances stopped consuming: a
	// message not handled within it expires unhandled (the sources keep it).
	DefaultViewMaxAge = 7 * 24 * time.Hour
)

// PartitionSource is one stream feeding a partitioned view.
type PartitionSource struct {
	Stream string
	// Subject selects the source's messages with `*` wildcards only (no
	// `>`), e.g. "sc.training.*.*.*".
	Subject string
	// Key lists the 1-based positions, among Subject's `*` wildcards, of the
	// tokens that choose the partition, e.g. {1, 2} for team and athlete.
	// Sources sharing a view must list the same tokens in the same order so
	// that a key lands in the same partition from every source.
	Key []int
}

// PartitionedConfig declares a partitioned view and its consumers.
type PartitionedConfig struct {
	// View names the view stream, e.g. "FATIGUE_PARTITIONS". Its lowercase
	// name is the first token of its subjects; the checkpoints are in the
	// bucket CheckpointBucket(View).
	View    string
	Sources []PartitionSource
	// Partitions is the number of partitions (1 to MaxPartitions). Changing
	// it only affects messages sourced afterwards: drain and delete the view
	// first (see k8s/README.md).
	Partitions int
	// Consumer shapes every partition's consumer. Its Stream and
	// FilterSubjects are set per partition, and its Durable is the prefix of
	// the partition durables (<Durable>-p<i>).
	Consumer ConsumerConfig
	// PinnedTTL is how long a partition stays with an instance that stopped
	// pulling (it died) before the server gives it to another; default twice
	// AckWait. It must exceed the longest handler call (a slower call loses
	// the pin while it runs). It also caps the wait before a failed batch is
	// retried at half of it, so the failing instance keeps its partitions.
	PinnedTTL time.Duration
	// Replicas of the view and its checkpoint bucket; 0 takes the Bus's.
	Replicas int
	// MaxAge is how long the view keeps a message that no instance handled;
	// 0 is DefaultViewMaxAge. Handled messages are purged long before.
	MaxAge time.Duration
	// OnAcquire, if set, runs before the first message of a partition this
	// instance was not holding (at start or after another instance held it):
	// it is where cached per-key state of the partition is dropped, since
	// another instance may have changed it. An error redelivers the messages.
	OnAcquire func(ctx context.Context, partition int) error
}

func (c PartitionedConfig) validate() error {
	switch {
	case !validName(c.View):
		return fmt.Errorf("partitioned view %q: not a valid stream name", c.View)
	case c.Partitions < 1 || c.Partitions > MaxPartitions:
		return fmt.Errorf("partitioned view %s: partitions %d must be between 1 and %d", c.View, c.Partitions, MaxPartitions)
	case len(c.Sources) == 0:
		return fmt.Errorf("partitioned view %s: no sources", c.View)
	case !validName(c.Consumer.Durable):
		return fmt.Errorf("partitioned view %s durable %q: not a valid consumer name", c.View, c.Consumer.Durable)
	case c.PinnedTTL < 0:
		return fmt.Errorf("partitioned view %s: pinned ttl must not be negative", c.View)
	case c.MaxAge < 0:
		return fmt.Errorf("partitioned view %s: max age must not be negative", c.View)
	}
	for _, s := range c.Sources {
		if _, err := s.destination(c.prefix(), c.Partitions); err != nil {
			return fmt.Errorf("partitioned view %s: %w", c.View, err)
		}
	}
	cc := c.Consumer
	cc.Stream = c.View
	cc.Durable = PartitionDurable(c.Consumer.Durable, c.Partitions-1)
	return cc.Validate()
}

func (c PartitionedConfig) prefix() string { return strings.ToLower(c.View) }

// destination is the transform target of the source: the view prefix, the
// partition token, then the original subject rebuilt from its wildcards.
func (s PartitionSource) destination(prefix string, partitions int) (string, error) {
	if !validName(s.Stream) {
		return "", fmt.Errorf("source stream %q: not a valid stream name", s.Stream)
	}
	toks := strings.Split(s.Subject, ".")
	wildcards := 0
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		switch {
		case t == "*":
			wildcards++
			out = append(out, "{{wildcard("+strconv.Itoa(wildcards)+")}}")
		case t == "" || t == ">" || strings.ContainsAny(t, "*> \t"):
			return "", fmt.Errorf("source %s subject %q: only literal tokens and * wildcards", s.Stream, s.Subject)
		default:
			out = append(out, t)
		}
	}
	if len(s.Key) == 0 {
		return "", fmt.Errorf("source %s: no key wildcards", s.Stream)
	}
	key := make([]string, len(s.Key))
	for i, k := range s.Key {
		if k < 1 || k > wildcards {
			return "", fmt.Errorf("source %s key %d: subject %q has %d wildcards", s.Stream, k, s.Subject, wildcards)
		}
		key[i] = strconv.Itoa(k)
	}
	part := "{{partition(" + strconv.Itoa(partitions) + "," + strings.Join(key, ",") + ")}}"
	return prefix + "." + part + "." + strings.Join(out, "."), nil
}

// PartitionDurable names the durable consumer of partition p.
func PartitionDurable(prefix string, p int) string { return prefix + "-p" + strconv.Itoa(p) }

// PartitionOf is the partition the server's {{partition(n, ...)}} mapping
// gives the key tokens: FNV-1a over the tokens concatenated, modulo n.
func PartitionOf(n int, keys ...string) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	for _, k := range keys {
		_, _ = h.Write([]byte(k))
	}
	return int(h.Sum32() % uint32(n))
}

// Origin is where a sourced message was first stored.
type Origin struct {
	Stream   string
	Sequence uint64
	Subject  string
}

// SourceOf reads the origin of a message sourced from another stream (a
// partitioned view's messages); ok is false for a message stored directly.
func SourceOf(m jetstream.Msg) (Origin, bool) {
	h := m.Headers()
	if h == nil {
		return Origin{}, false
	}
	fields := strings.Fields(h.Get(sourceHeader))
	if len(fields) < 5 {
		return Origin{}, false
	}
	seq, err := strconv.ParseUint(fields[1], 10, 64)
	if err != nil {
		return Origin{}, false
	}
	// The stream field can carry the source's domain as "<stream>:<hash>".
	stream, _, _ := strings.Cut(fields[0], ":")
	return Origin{Stream: stream, Sequence: seq, Subject: fields[4]}, true
}

// PartitionedConsumer runs one pinned durable consumer per partition of a
// view. Every instance of a service runs one with the same config; the
// server hands each partition to one of them at a time.
type PartitionedConsumer struct {
	bus       *Bus
	cfg       PartitionedConfig
	ttl       time.Duration
	log       *zap.Logger
	consumers []*Consumer
	// checkpoints is the bucket of the partitions' checkpoints; view is the
	// view stream, for purges.
	checkpoints jetstream.KeyValue
	view        jetstream.Stream

	mu sync.Mutex
	// pins[p] is the pin id this instance last received partition p under,
	// empty while it never held it.
	pins []string
}

// CheckpointBucket names the key-value bucket of a view's partition
// checkpoints; the key of partition p is PartitionDurable(durable, p).
func CheckpointBucket(view string) string { return view + "_checkpoints" }

// EnsurePartitionedView creates or updates the view stream of cfg and its
// checkpoint bucket. A view created as a work queue (before checkpoints) is
// deleted and created again, since the server cannot change a work queue's
// retention: it then sources its streams from the start, and every message
// is handled again from checkpoint 0, which handlers idempotent by source
// sequence skip.
func (b *Bus) EnsurePartitionedView(ctx context.Context, cfg PartitionedConfig) error {
	if err := cfg.validate(); err != nil {
		return err
	}
	if err := b.replaceWorkQueueView(ctx, cfg.View); err != nil {
		return err
	}
	if err := b.EnsureStreams(ctx, b.viewConfig(cfg)); err != nil {
		return err
	}
	_, err := b.KeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      CheckpointBucket(cfg.View),
		Description: "per partition: the view sequence up to which every message was handled",
		History:     1,
		Replicas:    cfg.Replicas,
	})
	return err
}

func (b *Bus) replaceWorkQueueView(ctx context.Context, view string) error {
	s, err := b.js.Stream(ctx, view)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("partitioned view %s: %w", view, err)
	}
	if s.CachedInfo().Config.Retention != jetstream.WorkQueuePolicy {
		return nil
	}
	b.log.Warn("replacing a work-queue partitioned view; its messages are sourced again", zap.String("view", view))
	if err := b.js.DeleteStream(ctx, view); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("replace work-queue view %s: %w", view, err)
	}
	return nil
}

func (b *Bus) viewConfig(cfg PartitionedConfig) jetstream.StreamConfig {
	replicas := cfg.Replicas
	if replicas == 0 {
		replicas = b.cfg.Replicas
	}
	maxAge := cfg.MaxAge
	if maxAge == 0 {
		maxAge = DefaultViewMaxAge
	}
	sources := make([]*jetstream.StreamSource, 0, len(cfg.Sources))
	for _, s := range cfg.Sources {
		dest, _ := s.destination(cfg.prefix(), cfg.Partitions) // validated
		sources = append(sources, &jetstream.StreamSource{
			Name:              s.Stream,
			SubjectTransforms: []jetstream.SubjectTransformConfig{{Source: s.Subject, Destination: dest}},
		})
	}
	return jetstream.StreamConfig{
		Name:        cfg.View,
		Description: fmt.Sprintf("%d partitions of %d sources, consumed by pinned instances", cfg.Partitions, len(cfg.Sources)),
		// Limits, not a work queue: an ack must not delete anything (see
		// the package comment); the instances purge what their checkpoints
		// cover, and the sources keep the history.
		Retention: jetstream.LimitsPolicy,
		Storage:   jetstream.FileStorage,
		Discard:   jetstream.DiscardOld,
		MaxAge:    maxAge,
		MaxMsgs:   -1,
		MaxBytes:  -1,
		Replicas:  replicas,
		Sources:   sources,
	}
}

// NewPartitionedBatchConsumer ensures the view and declares its partition
// consumers; handler gets messages of one partition per call, in the view's
// order. nil acks the batch, a *BatchError settles messages one by one,
// Poison dead-letters, and any other error (Retry included) has the
// partition delivered again from the message after its checkpoint after the
// BackOff step (at most half the pinned TTL); the MaxDeliver-th failure of a
// message dead-letters it. SourceOf(m) gives a message's original stream,
// sequence and subject.
func (b *Bus) NewPartitionedBatchConsumer(ctx context.Context, cfg PartitionedConfig, handler BatchHandler, log *zap.Logger) (*PartitionedConsumer, error) {
	if handler == nil {
		return nil, errors.New("new partitioned consumer: nil handler")
	}
	return b.newPartitioned(ctx, cfg, log, batchResults(handler), true)
}

// NewPartitionedConsumer is NewPartitionedBatchConsumer for a Handler of one
// message at a time: after a failure the partition's later messages wait for
// the failed one.
func (b *Bus) NewPartitionedConsumer(ctx context.Context, cfg PartitionedConfig, handler Handler, log *zap.Logger) (*PartitionedConsumer, error) {
	if handler == nil {
		return nil, errors.New("new partitioned consumer: nil handler")
	}
	return b.newPartitioned(ctx, cfg, log, oneByOneResults(handler), false)
}

func (b *Bus) newPartitioned(ctx context.Context, cfg PartitionedConfig, log *zap.Logger, handler partitionHandler, batchConsumer bool) (*PartitionedConsumer, error) {
	if err := b.EnsurePartitionedView(ctx, cfg); err != nil {
		return nil, err
	}
	if log == nil {
		log = b.log
	}
	base := cfg.Consumer.withDefaults(batchConsumer)
	ttl := cfg.PinnedTTL
	if ttl == 0 {
		ttl = 2 * base.AckWait
	}
	checkpoints, err := b.js.KeyValue(ctx, CheckpointBucket(cfg.View))
	if err != nil {
		return nil, fmt.Errorf("partitioned view %s checkpoints: %w", cfg.View, err)
	}
	view, err := b.js.Stream(ctx, cfg.View)
	if err != nil {
		return nil, fmt.Errorf("partitioned view %s: %w", cfg.View, err)
	}
	pc := &PartitionedConsumer{
		bus: b, cfg: cfg, ttl: ttl, log: log.With(zap.String("view", cfg.View)), pins: make([]string, cfg.Partitions),
		checkpoints: checkpoints, view: view,
	}
	for p := 0; p < cfg.Partitions; p++ {
		cc := cfg.Consumer
		cc.Stream = cfg.View
		cc.Durable = PartitionDurable(cfg.Consumer.Durable, p)
		cc.FilterSubjects = []string{cfg.prefix() + "." + strconv.Itoa(p) + ".>"}
		group := cc.Durable
		c, err := b.newConsumerWith(ctx, cc, batchConsumer, log, func(sc *jetstream.ConsumerConfig) {
			sc.PriorityPolicy = jetstream.PriorityPolicyPinned
			sc.PinnedTTL = ttl
			sc.PriorityGroups = []string{group}
		})
		if err != nil {
			return nil, err
		}
		c.group = group
		c.log = c.log.With(zap.Int("partition", p))
		r := &partitionRun{pc: pc, c: c, p: p, handler: handler, failures: map[uint64]int{}}
		c.run = r.run
		pc.consumers = append(pc.consumers, c)
	}
	return pc, nil
}

// Name identifies the consumer group in the lifecycle registry.
func (pc *PartitionedConsumer) Name() string {
	return fmt.Sprintf("partitioned consumer %s/%s x%d", pc.cfg.View, pc.cfg.Consumer.Durable, pc.cfg.Partitions)
}

// Consumers are the per-partition consumers, partition i at index i.
func (pc *PartitionedConsumer) Consumers() []*Consumer { return pc.consumers }

// Start runs every partition's consumer until ctx ends or Stop is called.
func (pc *PartitionedConsumer) Start(ctx context.Context) error {
	errs := make([]error, len(pc.consumers))
	var wg sync.WaitGroup
	for i, c := range pc.consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Start(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Stop stops every partition's consumer after its in-flight call and then
// unpins the partitions, so a waiting instance takes them over at once
// instead of after PinnedTTL. Unpinning a partition another instance holds
// only makes the server pick again among the instances still pulling.
func (pc *PartitionedConsumer) Stop(ctx context.Context) error {
	errs := make([]error, 0, len(pc.consumers))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, c := range pc.consumers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.Stop(ctx)
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if pc.bus.nc.IsClosed() {
		return nil
	}
	stream, err := pc.bus.js.Stream(ctx, pc.cfg.View)
	if err != nil {
		pc.log.Warn("unpin skipped: view unavailable; partitions move after the pinned ttl", zap.Error(err))
		return nil
	}
	for p, c := range pc.consumers {
		pc.mu.Lock()
		pin := pc.pins[p]
		pc.mu.Unlock()
		if pin == "" || !pc.pinnedTo(ctx, c, pin) {
			continue
		}
		uctx, cancel := context.WithTimeout(ctx, unpinTimeout)
		err := stream.UnpinConsumer(uctx, c.cfg.Durable, c.group)
		cancel()
		if err != nil {
			pc.log.Warn("unpin failed; the partition moves after the pinned ttl", zap.String(sclog.Consumer, c.cfg.Durable), zap.Error(err))
		}
	}
	return nil
}

// pinnedTo reports whether the server still pins c's group to pin: unpinning
// a partition another instance took over would disturb that instance.
func (pc *PartitionedConsumer) pinnedTo(ctx context.Context, c *Consumer, pin string) bool {
	info, err := c.Info(ctx)
	if err != nil {
		return false
	}
	for _, g := range info.PriorityGroups {
		if g.Group == c.group {
			return g.PinnedClientID == pin
		}
	}
	return false
}
