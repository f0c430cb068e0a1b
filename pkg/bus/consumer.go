package bus

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	sclog "github.com/supercomp/supercomp/pkg/log"
)

// Consumer defaults.
const (
	DefaultMaxDeliver = 5
	DefaultAckWait    = 30 * time.Second
	// DefaultBatch is how many messages a single-message consumer pulls
	// ahead. Pulled messages wait their turn while their AckWait runs, so
	// slow handlers want a smaller number.
	DefaultBatch = 100
	// DefaultBatchSize and DefaultMaxWait shape batch consumers: a batch
	// goes to the handler when it is full or has waited this long.
	DefaultBatchSize = 1000
	DefaultMaxWait   = time.Second
	// defaultMaxAckPending matches the server's own default.
	defaultMaxAckPending = 1000
	flushTimeout         = 5 * time.Second
	handBackWait         = time.Second
)

// DefaultBackOff is the wait before each redelivery after a handler error:
// after the first failure 1s, then 5s, 30s, and 2m after the fourth. It
// spreads a bounded consumer's MaxDeliver attempts over a few minutes before
// a message is dead-lettered.
func DefaultBackOff() []time.Duration {
	return []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
}

// OutageBackOff is the default of consumers that retry forever (MaxDeliver
// -1), whose failures are a dependency's outage rather than a bad message:
// exponential from 1s, capped at 8s. The cap is what bounds catch-up: once
// the dependency is back, the waiting work is retried within 8s (plus
// jitter), where a 2-minute step left dashboards minutes stale.
func OutageBackOff() []time.Duration {
	return []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
}

// backOffJitter spreads each delay by +-20%, so consumers that failed
// together (every instance during one outage) do not retry in lockstep.
const backOffJitter = 0.2

// ConsumerConfig declares a durable pull consumer.
//
// MaxDeliver and BackOff are enforced by this package, not by the server:
// the server consumer is created with unlimited deliveries and no BackOff.
// A server-side BackOff would replace AckWait with BackOff[0] (a handler
// slower than 1s would be redelivered while still running), and a
// server-side MaxDeliver silently stops delivering a message whose last
// attempt crashed. Here, a delivery past MaxDeliver goes to the DLQ instead.
type ConsumerConfig struct {
	Stream  string
	Durable string
	// FilterSubjects narrows the stream's subjects; empty takes them all.
	FilterSubjects []string
	// MaxDeliver is how many deliveries a message gets before it is moved to
	// the DLQ (default 5). -1 retries forever; use it where failures are
	// outages rather than bad messages (recorders), and Poison bad messages.
	MaxDeliver int
	// BackOff[n-1] is the delay before redelivery after the n-th failed
	// delivery; the last entry repeats. At most MaxDeliver entries.
	BackOff []time.Duration
	// AckWait is how long the server waits for a settlement before
	// redelivering (default 30s): it covers crashed processes. Handlers
	// running longer are kept alive with in-progress acks. It must stay
	// below the DLQ's duplicate window for DLQ moves to stay exactly-once.
	AckWait time.Duration
	// MaxAckPending caps delivered but unsettled messages (default 1000, and
	// at least twice Batch for batch consumers); -1 is unlimited.
	MaxAckPending int
	// Batch is how many messages are pulled at once (default 100), or for a
	// batch consumer the largest batch handed to the handler (default 1000).
	Batch int
	// MaxWait is how long a batch consumer waits to fill a batch before it
	// hands over what it has (default 1s). Unused by NewConsumer.
	MaxWait time.Duration
	// EarlyFlush, when positive, hands a batch of at least this many
	// messages to the handler as soon as the server has nothing more
	// pending and nothing arrives for a moment (50ms), instead of waiting
	// out MaxWait: the end of a bulk import is handled when it arrives,
	// while a trickle or a steady flow still gathers for MaxWait or a full
	// Batch (so a recorder's inserts stay few and large). Unused by
	// NewConsumer.
	EarlyFlush int
	// ReplayUnsettledFirst is for handlers whose effects depend on order across batches: per-key
	// state that skips what it has seen by stream sequence. A process that crashes leaves its
	// fetched messages unsettled; the server would redeliver them only after AckWait, while the
	// next process fetches newer ones first, and those newer messages would make the state skip
	// the older ones for good. With it set, a consumer found with messages beyond its ack floor
	// is recreated to start at the floor, so they come back first and in order. Only for a
	// durable one process consumes at a time.
	ReplayUnsettledFirst bool
	// Overlap gathers the next batch while the handler runs. Batches are
	// still handled one at a time and in order, but a failed batch's
	// redelivery comes after the batch gathered meanwhile: only for
	// handlers whose effects do not depend on order across batches, such
	// as a recorder keyed by event id. Unused by NewConsumer.
	Overlap bool
}

// Validate reports the first setting that cannot work.
func (c ConsumerConfig) Validate() error {
	switch {
	case !validName(c.Stream):
		return fmt.Errorf("consumer stream %q: not a valid stream name", c.Stream)
	case !validName(c.Durable):
		return fmt.Errorf("consumer durable %q: not a valid consumer name", c.Durable)
	case c.MaxDeliver < -1:
		return fmt.Errorf("consumer %s max deliver %d: must be -1 or positive", c.Durable, c.MaxDeliver)
	case c.MaxDeliver > 0 && len(c.BackOff) > c.MaxDeliver:
		return fmt.Errorf("consumer %s: %d backoff steps exceed max deliver %d", c.Durable, len(c.BackOff), c.MaxDeliver)
	case c.AckWait < 0 || c.MaxWait < 0:
		return fmt.Errorf("consumer %s: ack wait and max wait must not be negative", c.Durable)
	case c.MaxAckPending < -1:
		return fmt.Errorf("consumer %s max ack pending %d: must be -1 or positive", c.Durable, c.MaxAckPending)
	case c.Batch < 0 || c.EarlyFlush < 0:
		return fmt.Errorf("consumer %s batch %d, early flush %d: must not be negative", c.Durable, c.Batch, c.EarlyFlush)
	}
	for _, d := range c.BackOff {
		if d <= 0 {
			return fmt.Errorf("consumer %s backoff %s: must be positive", c.Durable, d)
		}
	}
	return nil
}

// validName rejects what the server rejects in stream and consumer names,
// because both also appear in API subjects.
func validName(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".*> \t\r\n/\\")
}

func (c ConsumerConfig) withDefaults(batchConsumer bool) ConsumerConfig {
	if c.MaxDeliver == 0 {
		c.MaxDeliver = DefaultMaxDeliver
	}
	if len(c.BackOff) == 0 {
		c.BackOff = DefaultBackOff()
		if c.MaxDeliver < 0 {
			c.BackOff = OutageBackOff()
		}
		if c.MaxDeliver > 0 && len(c.BackOff) > c.MaxDeliver {
			c.BackOff = c.BackOff[:c.MaxDeliver]
		}
	}
	if c.AckWait == 0 {
		c.AckWait = DefaultAckWait
	}
	if c.Batch == 0 {
		c.Batch = DefaultBatch
		if batchConsumer {
			c.Batch = DefaultBatchSize
		}
	}
	if c.MaxWait == 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.MaxAckPending == 0 {
		c.MaxAckPending = defaultMaxAckPending
		if batchConsumer {
			c.MaxAckPending = max(defaultMaxAckPending, 2*c.Batch)
		}
	}
	return c
}

func (c ConsumerConfig) server() jetstream.ConsumerConfig {
	sc := jetstream.ConsumerConfig{
		Durable:       c.Durable,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: c.MaxAckPending,
	}
	// A single filter goes in FilterSubject, which servers before 2.10
	// (Debian ships 2.9) also understand.
	if len(c.FilterSubjects) == 1 {
		sc.FilterSubject = c.FilterSubjects[0]
	} else {
		sc.FilterSubjects = c.FilterSubjects
	}
	return sc
}

// Handler processes one message. Returning nil acks it, so return only once
// the effect is durable. Retry(err, d) redelivers after d, Poison(err) moves
// the message to the DLQ at once, and any other error redelivers after the
// BackOff step; the MaxDeliver-th failure moves it to the DLQ.
type Handler func(ctx context.Context, m jetstream.Msg) error

// BatchHandler processes a batch of messages; nil acks them all. An error
// applies to every message as it would for a Handler, except a *BatchError,
// which settles messages one by one. The slice is only valid during the call.
type BatchHandler func(ctx context.Context, msgs []jetstream.Msg) error

// BatchError is returned by a BatchHandler that wants to settle messages
// individually: msgs[i] is settled with Errs[i], and messages without an
// entry are acked. A recorder uses it to Poison one undecodable message and
// still insert the rest.
type BatchError struct {
	Errs map[int]error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("%d messages of the batch failed", len(e.Errs))
}

type retryError struct {
	err   error
	delay time.Duration
}

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// Retry asks for redelivery after delay instead of the BackOff step, e.g. a
// downstream said when to come back. It still counts towards MaxDeliver.
func Retry(err error, delay time.Duration) error {
	if err == nil {
		err = errors.New("retry requested")
	}
	return &retryError{err: err, delay: delay}
}

type poisonError struct{ err error }

func (e *poisonError) Error() string { return e.err.Error() }
func (e *poisonError) Unwrap() error { return e.err }

// Poison marks err as permanent: the message can never succeed (it does not
// decode, it breaks an invariant), so it goes to the DLQ without retries.
func Poison(err error) error {
	if err == nil {
		err = errors.New("poison message")
	}
	return &poisonError{err: err}
}

// IsPoison reports whether err was marked with Poison.
func IsPoison(err error) bool {
	var p *poisonError
	return errors.As(err, &p)
}

// Consumer runs a handler over a durable pull consumer. It is long-running:
// Start blocks, Stop ends it after the in-flight handler call.
type Consumer struct {
	bus        *Bus
	cfg        ConsumerConfig
	log        *zap.Logger
	cons       jetstream.Consumer
	metrics    consumerMetrics
	dlqSubject string
	keeper     *keeper
	run        func(runCtx, handlerCtx context.Context) error

	mu             sync.Mutex
	started        bool
	stopped        bool
	stop           chan struct{}
	done           chan struct{}
	cancelHandlers context.CancelFunc

	// group is the priority group pulled from when the server consumer pins
	// one client at a time (partitioned consumers); empty otherwise.
	group string
}

// NewConsumer creates or updates the durable consumer and returns a Consumer
// that, once started, calls handler for one message at a time in stream
// order.
func (b *Bus) NewConsumer(ctx context.Context, cfg ConsumerConfig, handler Handler, log *zap.Logger) (*Consumer, error) {
	if handler == nil {
		return nil, errors.New("new consumer: nil handler")
	}
	c, err := b.newConsumer(ctx, cfg, false, log)
	if err != nil {
		return nil, err
	}
	c.run = func(runCtx, handlerCtx context.Context) error {
		return c.consumeOneByOne(runCtx, handlerCtx, handler)
	}
	return c, nil
}

// NewBatchConsumer is NewConsumer for handlers that work in bulk: it hands
// over up to cfg.Batch messages at a time, or what arrived within
// cfg.MaxWait, and settles them after the handler returns.
func (b *Bus) NewBatchConsumer(ctx context.Context, cfg ConsumerConfig, handler BatchHandler, log *zap.Logger) (*Consumer, error) {
	if handler == nil {
		return nil, errors.New("new batch consumer: nil handler")
	}
	c, err := b.newConsumer(ctx, cfg, true, log)
	if err != nil {
		return nil, err
	}
	c.run = func(runCtx, handlerCtx context.Context) error {
		return c.consumeBatches(runCtx, handlerCtx, handler)
	}
	return c, nil
}

func (b *Bus) newConsumer(ctx context.Context, cfg ConsumerConfig, batchConsumer bool, log *zap.Logger) (*Consumer, error) {
	return b.newConsumerWith(ctx, cfg, batchConsumer, log, nil)
}

// newConsumerWith is newConsumer with a last say on the server config
// (priority groups of partitioned consumers).
func (b *Bus) newConsumerWith(ctx context.Context, cfg ConsumerConfig, batchConsumer bool, log *zap.Logger,
	adjust func(*jetstream.ConsumerConfig)) (*Consumer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults(batchConsumer)
	sc := cfg.server()
	if adjust != nil {
		adjust(&sc)
	}
	if log == nil {
		log = b.log
	}
	if cfg.ReplayUnsettledFirst {
		if err := b.replayFromAckFloor(ctx, cfg, &sc, log); err != nil {
			return nil, err
		}
	}
	cons, err := b.js.CreateOrUpdateConsumer(ctx, cfg.Stream, sc)
	if err != nil {
		return nil, fmt.Errorf("create consumer %s on %s: %w", cfg.Durable, cfg.Stream, err)
	}
	return &Consumer{
		bus:        b,
		cfg:        cfg,
		log:        log.With(zap.String(sclog.Stream, cfg.Stream), zap.String(sclog.Consumer, cfg.Durable)),
		cons:       cons,
		metrics:    b.metrics.forConsumer(cfg.Stream, cfg.Durable),
		dlqSubject: DeadLetterSubject(cfg.Stream, cfg.Durable),
		keeper:     newKeeper(cfg.AckWait / 2),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}, nil
}

// replayFromAckFloor prepares sc for ReplayUnsettledFirst. An existing durable with messages
// delivered beyond its ack floor is deleted, and sc starts at the floor; one without keeps its
// start (a deliver policy cannot be updated), so a consumer recreated once stays valid.
func (b *Bus) replayFromAckFloor(ctx context.Context, cfg ConsumerConfig, sc *jetstream.ConsumerConfig, log *zap.Logger) error {
	existing, err := b.js.Consumer(ctx, cfg.Stream, cfg.Durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("consumer %s on %s: %w", cfg.Durable, cfg.Stream, err)
	}
	info := existing.CachedInfo()
	if info.Delivered.Stream <= info.AckFloor.Stream && info.NumAckPending == 0 {
		sc.DeliverPolicy, sc.OptStartSeq = info.Config.DeliverPolicy, info.Config.OptStartSeq
		return nil
	}
	if err := b.js.DeleteConsumer(ctx, cfg.Stream, cfg.Durable); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return fmt.Errorf("recreate consumer %s on %s at its ack floor: %w", cfg.Durable, cfg.Stream, err)
	}
	sc.DeliverPolicy, sc.OptStartSeq = jetstream.DeliverByStartSequencePolicy, info.AckFloor.Stream+1
	log.Warn("consumer had unsettled messages from a previous process: replaying from its ack floor",
		zap.String("stream", cfg.Stream), zap.String("consumer", cfg.Durable), zap.Uint64("ack_floor", info.AckFloor.Stream),
		zap.Uint64("delivered", info.Delivered.Stream), zap.Int("unsettled", info.NumAckPending))
	return nil
}

// Name identifies the consumer in the lifecycle registry.
func (c *Consumer) Name() string { return "consumer " + c.cfg.Stream + "/" + c.cfg.Durable }

// Config is the consumer's configuration with defaults applied.
func (c *Consumer) Config() ConsumerConfig { return c.cfg }

// Info asks the server for the consumer's state (pending, redelivered, ...).
func (c *Consumer) Info(ctx context.Context) (*jetstream.ConsumerInfo, error) {
	info, err := c.cons.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("consumer %s info: %w", c.cfg.Durable, err)
	}
	return info, nil
}

// Start consumes until ctx ends or Stop is called, then returns nil after the
// in-flight handler call has been settled. Handlers get a context that keeps
// ctx's values but is cancelled only when Stop gives up waiting, so a
// shutdown does not abort work that is about to be acked.
func (c *Consumer) Start(ctx context.Context) error {
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return fmt.Errorf("consumer %s: already started", c.cfg.Durable)
	}
	c.started = true
	if c.stopped {
		c.mu.Unlock()
		close(c.done)
		return nil
	}
	handlerCtx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	c.cancelHandlers = cancelHandlers
	c.mu.Unlock()
	defer close(c.done)
	defer cancelHandlers()

	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	go func() {
		select {
		case <-c.stop:
			stopRun()
		case <-runCtx.Done():
		}
	}()

	c.log.Info("consumer started")
	err := c.run(runCtx, handlerCtx)
	// Acks are buffered by the client: flush them so that once Stop returns
	// the server knows about every message this consumer settled.
	// Not handlerCtx: after a hard stop it is cancelled, and the acks of the
	// handlers that did finish still deserve to reach the server.
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(handlerCtx), flushTimeout)
	defer cancel()
	if ferr := c.bus.nc.FlushWithContext(flushCtx); ferr != nil && !c.bus.nc.IsClosed() {
		c.log.Warn("flush acks failed; unflushed messages will be redelivered", zap.Error(ferr))
	}
	c.log.Info("consumer stopped")
	return err
}

// Stop stops pulling and waits for the in-flight handler call to finish and
// be settled. If ctx ends first, the handler's context is cancelled and Stop
// returns ctx's error; what the handler had not finished is redelivered.
func (c *Consumer) Stop(ctx context.Context) error {
	c.mu.Lock()
	if !c.stopped {
		c.stopped = true
		close(c.stop)
	}
	started, cancelHandlers := c.started, c.cancelHandlers
	c.mu.Unlock()
	if !started {
		return nil
	}
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		if cancelHandlers != nil {
			cancelHandlers()
		}
		return fmt.Errorf("stop consumer %s: %w", c.cfg.Durable, ctx.Err())
	}
}

func (c *Consumer) consumeOneByOne(runCtx, handlerCtx context.Context, handler Handler) error {
	opts := []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(c.cfg.Batch)}
	if c.group != "" {
		opts = append(opts, jetstream.PullPriorityGroup(c.group))
	}
	it, err := c.cons.Messages(opts...)
	if err != nil {
		return fmt.Errorf("consume %s: %w", c.cfg.Durable, err)
	}
	defer it.Stop()
	// Next may still return a buffered message after runCtx ended (its
	// select picks at random), so the loop checks first.
	for runCtx.Err() == nil {
		m, err := it.Next(jetstream.NextContext(runCtx))
		if err != nil {
			if runCtx.Err() != nil {
				break
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return fmt.Errorf("consume %s: %w", c.cfg.Durable, err)
			}
			// Missed heartbeats while reconnecting and the like: the
			// iterator pulls again by itself.
			c.log.Warn("consume interrupted", zap.Error(err))
			continue
		}
		c.handleOne(handlerCtx, m, handler)
	}
	c.handBack(it, handlerCtx, handler)
	return nil
}

// handBack returns messages pulled but not yet handled to the server, so
// another instance gets them now rather than after AckWait. A message on its
// last allowed delivery is handled instead: handing it back would count as a
// failed attempt and send it to the DLQ untried.
func (c *Consumer) handBack(it jetstream.MessagesContext, handlerCtx context.Context, handler Handler) {
	it.Drain()
	for {
		m, err := it.Next(jetstream.NextMaxWait(handBackWait))
		if err != nil {
			return
		}
		meta, err := m.Metadata()
		if err == nil && c.lastDelivery(meta) {
			// After a hard stop the handler could only fail; leaving the
			// message to AckWait has it dead-lettered as not settled.
			if handlerCtx.Err() == nil {
				c.handleOne(handlerCtx, m, handler)
			}
			continue
		}
		if err := m.Nak(); err != nil {
			c.log.Warn("hand back failed; message will be redelivered after ack wait", zap.Error(err))
		}
	}
}

func (c *Consumer) handleOne(ctx context.Context, m jetstream.Msg, handler Handler) {
	meta, ok := c.metadata(ctx, m)
	if !ok {
		return
	}
	c.keeper.beginOne(m)
	start := time.Now()
	err := callHandler(ctx, c.log, handler, m)
	c.metrics.handler.Observe(time.Since(start).Seconds())
	c.keeper.end()
	if err != nil && !IsPoison(err) && !c.lastDelivery(meta) {
		c.log.Warn("handler failed, will redeliver", zap.String(sclog.Subject, m.Subject()),
			zap.Uint64("stream_seq", meta.Sequence.Stream), zap.Uint64("deliveries", meta.NumDelivered), zap.Error(err))
	}
	c.settle(ctx, m, meta, err)
}

// consumeBatches gathers batches over as many fetches as it takes. A fetch
// asks for only what the server said is pending (NumPending of the last
// message), so it completes at once instead of waiting MaxWait for a batch
// that cannot fill; an idle consumer asks for one message, whose metadata
// says how many follow. With EarlyFlush, a batch is handed over once the
// stream falls quiet, so the end of a burst is handled when it arrives.
func (c *Consumer) consumeBatches(runCtx, handlerCtx context.Context, handler BatchHandler) error {
	handle := func(msgs []jetstream.Msg) { c.handleBatch(handlerCtx, msgs, handler) }
	if c.cfg.Overlap {
		// One goroutine handles the batches in order while the next one is
		// gathered; handing over blocks while it is busy.
		batches := make(chan []jetstream.Msg)
		handled := make(chan struct{})
		go func() {
			defer close(handled)
			for msgs := range batches {
				c.handleBatch(handlerCtx, msgs, handler)
			}
		}()
		defer func() {
			close(batches)
			<-handled
		}()
		handle = func(msgs []jetstream.Msg) { batches <- msgs }
	}
	g := &gatherer{c: c}
	for runCtx.Err() == nil {
		if err := g.fetch(runCtx); err != nil {
			g.flush(handle)
			return err
		}
		if g.ready() {
			g.flush(handle)
		}
	}
	// Messages already delivered are handled rather than left to redeliver
	// after AckWait: gathering lasts at most MaxWait.
	g.flush(handle)
	return nil
}

// gatherer accumulates one batch of a batch consumer.
type gatherer struct {
	c       *Consumer
	msgs    []jetstream.Msg
	started time.Time // when the first message of the batch arrived
	pending uint64    // messages the server still had for us after the last one
	quiet   bool      // nothing arrived within quietPeriod with nothing pending
	failed  bool      // the last fetch failed: hand over what there is
}

const (
	// minFetchWait is the shortest wait worth a pull request; a batch
	// closer than this to MaxWait is handed over instead.
	minFetchWait = 5 * time.Millisecond
	// idleFetchWait bounds an idle consumer's pull request, whatever
	// MaxWait: it is also how long Stop may wait for that request.
	idleFetchWait = time.Second
	// quietPeriod is how long a stream with nothing pending must stay
	// silent before an EarlyFlush batch is handed over: short enough to
	// end a burst promptly, long enough that a steady flow still fills
	// whole batches instead of one insert per few messages.
	quietPeriod = 50 * time.Millisecond
)

func (g *gatherer) fetch(runCtx context.Context) error {
	c := g.c
	n := len(g.msgs)
	want, wait := c.cfg.Batch-n, c.cfg.MaxWait
	switch {
	case n == 0 && g.pending == 0:
		want, wait = 1, min(wait, idleFetchWait)
	case g.pending > 0:
		want = int(min(uint64(want), g.pending))
	}
	lingering := false
	if n > 0 {
		wait = time.Until(g.started.Add(c.cfg.MaxWait))
		if g.pending == 0 && c.cfg.EarlyFlush > 0 && n >= c.cfg.EarlyFlush && wait > quietPeriod {
			wait, lingering = quietPeriod, true
		}
		if wait < minFetchWait {
			return nil // ready: the batch's time is up
		}
	}
	fetchOpts := []jetstream.FetchOpt{jetstream.FetchMaxWait(wait)}
	if c.group != "" {
		fetchOpts = append(fetchOpts, jetstream.FetchPriorityGroup(c.group))
	}
	g.quiet, g.failed = false, false
	batch, err := c.cons.Fetch(want, fetchOpts...)
	if err != nil {
		if c.bus.nc.IsClosed() {
			return fmt.Errorf("consume %s: %w", c.cfg.Durable, err)
		}
		c.log.Warn("fetch failed", zap.Error(err))
		g.pending, g.failed = 0, true
		if n == 0 {
			sleep(runCtx, c.cfg.MaxWait)
		}
		return nil
	}
	// A fetch already sent is finished even when Stop arrives meanwhile: it
	// lasts at most MaxWait.
	got := 0
	for m := range batch.Messages() {
		if len(g.msgs) == 0 {
			g.started = time.Now()
		}
		g.msgs = append(g.msgs, m)
		got++
	}
	g.pending = 0
	if got == 0 {
		g.quiet = lingering
	} else if meta, err := g.msgs[len(g.msgs)-1].Metadata(); err == nil {
		// The last message's count is what is still pending after this fetch.
		g.pending = meta.NumPending
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
		switch {
		case errors.Is(err, jetstream.ErrConsumerDeleted) || c.bus.nc.IsClosed():
			return fmt.Errorf("consume %s: %w", c.cfg.Durable, err)
		case errors.Is(err, jetstream.ErrPinIDMismatch):
			// Another instance holds the partition now; the client
			// forgot its pin and the next fetch waits its turn.
			c.log.Info("partition pinned to another instance")
		default:
			c.log.Warn("fetch interrupted", zap.Error(err), zap.Int("received", got))
		}
		g.failed = true
	}
	return nil
}

// ready says whether the batch is handed over now: full, out of time,
// quiet (EarlyFlush), or after a failed fetch.
func (g *gatherer) ready() bool {
	n := len(g.msgs)
	if n == 0 {
		return false
	}
	timeUp := time.Since(g.started) >= g.c.cfg.MaxWait-minFetchWait
	return n >= g.c.cfg.Batch || timeUp || g.quiet || g.failed
}

func (g *gatherer) flush(handle func([]jetstream.Msg)) {
	if len(g.msgs) == 0 {
		return
	}
	handle(g.msgs)
	g.msgs = make([]jetstream.Msg, 0, g.c.cfg.Batch)
	g.quiet, g.failed = false, false
}

func (c *Consumer) handleBatch(ctx context.Context, fetched []jetstream.Msg, handler BatchHandler) {
	msgs, metas := c.deliverable(ctx, fetched)
	if len(msgs) == 0 {
		return
	}
	c.keeper.begin(msgs)
	start := time.Now()
	err := callHandler(ctx, c.log, handler, msgs)
	c.metrics.handler.Observe(time.Since(start).Seconds())
	c.keeper.end()

	var batchErr *BatchError
	switch {
	case err == nil:
		for i, m := range msgs {
			c.settle(ctx, m, metas[i], nil)
		}
	case errors.As(err, &batchErr):
		c.log.Warn("batch handler failed for some messages", zap.Int("failed", len(batchErr.Errs)), zap.Int("batch", len(msgs)))
		for i, m := range msgs {
			c.settle(ctx, m, metas[i], batchErr.Errs[i])
		}
	default:
		c.log.Warn("batch handler failed, will redeliver", zap.Int("batch", len(msgs)), zap.Error(err))
		for i, m := range msgs {
			c.settle(ctx, m, metas[i], err)
		}
	}
}

// deliverable keeps the fetched messages that are still to be handled, with
// their metadata (see metadata); it reuses fetched's array.
func (c *Consumer) deliverable(ctx context.Context, fetched []jetstream.Msg) ([]jetstream.Msg, []*jetstream.MsgMetadata) {
	msgs := fetched[:0]
	metas := make([]*jetstream.MsgMetadata, 0, len(fetched))
	for _, m := range fetched {
		if meta, ok := c.metadata(ctx, m); ok {
			msgs = append(msgs, m)
			metas = append(metas, meta)
		}
	}
	return msgs, metas
}

// metadata reads the delivery count and moves a message that already had all
// its deliveries to the DLQ: its last attempt ended without a settlement
// (crash, or a handler past AckWait), and a server-side MaxDeliver would have
// dropped it silently here.
func (c *Consumer) metadata(ctx context.Context, m jetstream.Msg) (*jetstream.MsgMetadata, bool) {
	meta, err := m.Metadata()
	if err != nil {
		// Only a message not delivered by JetStream lacks metadata; there is
		// nothing to redeliver.
		c.log.Error("message without jetstream metadata", zap.String(sclog.Subject, m.Subject()), zap.Error(err))
		return nil, false
	}
	if target := m.Headers().Get(HeaderRedriveConsumer); target != "" && target != c.cfg.Durable {
		// A redrive for another consumer: this one handled the original (it did not give up
		// on it), and handling it twice would count the event twice where effects are keyed
		// on the stream sequence.
		if err := m.Ack(); err != nil {
			c.log.Warn("ack of a redrive for another consumer failed; it will be redelivered", zap.String("subject", m.Subject()),
				zap.String("redrive_consumer", target), zap.Error(err))
		}
		return nil, false
	}
	if c.cfg.MaxDeliver > 0 && meta.NumDelivered > uint64(c.cfg.MaxDeliver) {
		c.deadLetter(ctx, m, meta, fmt.Errorf("not settled after %d deliveries: the consumer crashed or exceeded ack wait",
			meta.NumDelivered-1))
		return nil, false
	}
	return meta, true
}

func (c *Consumer) lastDelivery(meta *jetstream.MsgMetadata) bool {
	return c.cfg.MaxDeliver > 0 && meta.NumDelivered >= uint64(c.cfg.MaxDeliver)
}

// settle acks, naks or dead-letters one message according to its handler's
// result. A plain Ack (not a double ack) is deliberate: handlers' effects are
// idempotent by event id, so a lost ack costs one redelivery, while waiting
// for the server on every message would halve throughput.
func (c *Consumer) settle(ctx context.Context, m jetstream.Msg, meta *jetstream.MsgMetadata, err error) {
	if err == nil {
		if ackErr := m.Ack(); ackErr != nil {
			c.log.Warn("ack failed; message will be redelivered", zap.Uint64("stream_seq", meta.Sequence.Stream), zap.Error(ackErr))
			return
		}
		c.metrics.acked.Inc()
		return
	}
	if IsPoison(err) || c.lastDelivery(meta) {
		c.deadLetter(ctx, m, meta, err)
		return
	}
	delay := c.backOff(meta.NumDelivered)
	var retry *retryError
	if errors.As(err, &retry) && retry.delay > 0 {
		delay = retry.delay
	}
	// NakWithDelay rather than Nak: a plain Nak redelivers at once and
	// ignores any BackOff.
	if nakErr := m.NakWithDelay(delay); nakErr != nil {
		c.log.Warn("nak failed; message will be redelivered after ack wait", zap.Uint64("stream_seq", meta.Sequence.Stream), zap.Error(nakErr))
		return
	}
	c.metrics.nakked.Inc()
}

// backOff is the redelivery delay after the delivered-th failed delivery,
// jittered.
func (c *Consumer) backOff(delivered uint64) time.Duration {
	i := int(min(delivered, uint64(len(c.cfg.BackOff)))) - 1
	d := c.cfg.BackOff[max(i, 0)]
	return time.Duration(float64(d) * (1 - backOffJitter + 2*backOffJitter*rand.Float64()))
}

// callHandler turns a handler panic into an error so that one bad message
// is redelivered and eventually dead-lettered instead of crashing the
// service on every redelivery.
func callHandler[T any](ctx context.Context, log *zap.Logger, handler func(context.Context, T) error, arg T) (err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("handler panicked", zap.Any("panic", r), zap.Stack("stack"))
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return handler(ctx, arg)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// keeper sends in-progress acks for the messages a handler is working on,
// every half AckWait, so a slow handler is not redelivered to another
// instance while it runs. One timer per consumer is reused because handler
// calls of a consumer never overlap.
type keeper struct {
	every time.Duration
	mu    sync.Mutex
	one   [1]jetstream.Msg
	msgs  []jetstream.Msg
	timer *time.Timer
}

func newKeeper(every time.Duration) *keeper {
	k := &keeper{every: every}
	k.timer = time.AfterFunc(time.Hour, k.fire)
	k.timer.Stop()
	return k
}

func (k *keeper) begin(msgs []jetstream.Msg) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.msgs = msgs
	k.timer.Reset(k.every)
}

// beginOne is begin without allocating a slice per message.
func (k *keeper) beginOne(m jetstream.Msg) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.one[0] = m
	k.msgs = k.one[:]
	k.timer.Reset(k.every)
}

func (k *keeper) end() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.msgs = nil
	k.one[0] = nil
	k.timer.Stop()
}

func (k *keeper) fire() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.msgs == nil {
		return
	}
	for _, m := range k.msgs {
		// A failure here only risks a redelivery, which ids make harmless.
		_ = m.InProgress()
	}
	k.timer.Reset(k.every)
}
