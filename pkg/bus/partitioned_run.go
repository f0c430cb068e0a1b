package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// Why partitions have their own fetch loop instead of the batch consumer's:
// the server (nats-server 2.15) does not keep redeliveries in stream order
// on a pinned consumer. When it takes a redelivery off the head of its
// redelivery queue and no waiting pull request may receive it (the pinned
// instance is between fetches or dead, the others wait unpinned), it puts
// the message back at the tail (consumer.go loopAndGatherMsgs). The queue
// rotates, so after a crash or a failed batch the owner of a partition got
// e.g. event 11 of an athlete before event 10. Waiting for AckWait does not
// help: the rotation happens while the redeliveries wait for the new pin.
//
// So this loop never relies on the server's redelivery order. Whenever the
// stream order may have been lost, i.e. when an instance is given a
// partition, after a failed batch, and after a gap in the deliveries, it
// drops what it fetched and resets the consumer to the message after the
// partition's checkpoint: the server forgets its pending and redelivery
// state and delivers again from there, in stream order. After every batch
// the checkpoint moves to the last message of the settled prefix, so what a
// reset delivers twice is at most the batch in flight when an instance died
// or a checkpoint write failed: handlers are idempotent by source sequence.

// resetTimeout bounds the reset request (a Raft proposal on a replicated
// consumer).
const resetTimeout = 10 * time.Second

// purgeInterval is how often an instance that is not caught up purges the
// settled messages of a partition from the view (a caught-up one purges
// after every batch).
const purgeInterval = 5 * time.Second

// leaderlessWait paces fetches that fail at once (no consumer leader).
const leaderlessWait = 250 * time.Millisecond

// errNotHandled marks messages of a one-by-one call that were not given to
// the handler because an earlier message failed: the reset delivers them
// again after it.
var errNotHandled = errors.New("not handled: an earlier message of the partition failed")

// partitionHandler handles a fetched batch of one partition and returns one
// result per message: nil acks it, a Poison error dead-letters it, any other
// error (errNotHandled included) has the batch delivered again from the
// partition's checkpoint.
type partitionHandler func(ctx context.Context, msgs []jetstream.Msg) []error

func batchResults(handler BatchHandler) partitionHandler {
	return func(ctx context.Context, msgs []jetstream.Msg) []error {
		errs := make([]error, len(msgs))
		err := handler(ctx, msgs)
		var batchErr *BatchError
		switch {
		case err == nil:
		case errors.As(err, &batchErr):
			for i, e := range batchErr.Errs {
				if i >= 0 && i < len(errs) {
					errs[i] = e
				}
			}
		default:
			for i := range errs {
				errs[i] = err
			}
		}
		return errs
	}
}

func oneByOneResults(handler Handler) partitionHandler {
	return func(ctx context.Context, msgs []jetstream.Msg) []error {
		errs := make([]error, len(msgs))
		for i, m := range msgs {
			errs[i] = handler(ctx, m)
			if errs[i] != nil && !IsPoison(errs[i]) {
				for j := i + 1; j < len(msgs); j++ {
					errs[j] = errNotHandled
				}
				break
			}
		}
		return errs
	}
}

// partitionRun is the state of one partition's fetch loop.
type partitionRun struct {
	pc      *PartitionedConsumer
	c       *Consumer
	p       int
	handler partitionHandler
	// held: this instance holds the partition under pin.
	held bool
	pin  string
	// failures counts the failed attempts per view sequence, for MaxDeliver:
	// the server's delivery count starts again at every reset.
	failures map[uint64]int
	// lastDelivery is the consumer sequence of the last message received
	// since the last reset (0: none yet).
	lastDelivery uint64
	// retryAfter is the longest delay a failed message asked for with Retry.
	retryAfter time.Duration
	// checkpoint is the partition's checkpoint as last read or written, and
	// checkpointRev its revision in the bucket (0: no checkpoint yet).
	checkpoint, checkpointRev uint64
	// purged is the checkpoint of the last purge, at purgedAt.
	purged   uint64
	purgedAt time.Time
}

func (r *partitionRun) run(runCtx, handlerCtx context.Context) error {
	c := r.c
	for runCtx.Err() == nil {
		batch, err := c.cons.Fetch(c.cfg.Batch, jetstream.FetchMaxWait(c.cfg.MaxWait), jetstream.FetchPriorityGroup(c.group))
		if err != nil {
			if c.bus.nc.IsClosed() {
				return fmt.Errorf("consume %s: %w", c.cfg.Durable, err)
			}
			c.log.Warn("fetch failed", zap.Error(err))
			sleep(runCtx, c.cfg.MaxWait)
			continue
		}
		msgs := make([]jetstream.Msg, 0, c.cfg.Batch)
		for m := range batch.Messages() {
			msgs = append(msgs, m)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			switch {
			case errors.Is(err, jetstream.ErrConsumerDeleted) || c.bus.nc.IsClosed():
				return fmt.Errorf("consume %s: %w", c.cfg.Durable, err)
			case errors.Is(err, jetstream.ErrPinIDMismatch):
				// Another instance holds the partition; the client forgot
				// its pin and the next fetch waits its turn.
			default:
				c.log.Warn("fetch interrupted", zap.Error(err), zap.Int("received", len(msgs)))
				if len(msgs) == 0 {
					// E.g. no responders while the consumer elects a
					// leader: fetching again at once only spins.
					sleep(runCtx, min(c.cfg.MaxWait, leaderlessWait))
				}
			}
		}
		if len(msgs) == 0 {
			if r.held && r.checkpoint > r.purged {
				// Idle after a full batch: nothing else would purge it.
				r.purge(handlerCtx)
			}
			continue
		}
		if pin := msgs[0].Headers().Get(pinIDHeader); !r.held || pin != r.pin {
			// What was fetched may be out of order: it is dropped and
			// delivered again after the reset.
			r.acquire(runCtx, handlerCtx, pin)
			continue
		}
		if !r.contiguous(msgs) {
			// A delivery went missing (it was sent to a fetch that had
			// already given up, or lost with a server connection): it
			// would come back only after AckWait, behind later messages.
			c.log.Warn("partition delivery gap; starting again from the checkpoint")
			if err := r.reset(handlerCtx); err != nil {
				c.log.Warn("reset after a delivery gap failed; retrying", zap.Error(err))
				r.held = false
				sleep(runCtx, c.cfg.MaxWait)
			}
			continue
		}
		settled, upTo := r.handle(handlerCtx, msgs)
		r.commit(handlerCtx, upTo, len(msgs) < c.cfg.Batch)
		if settled {
			continue
		}
		// Something failed: wait the backoff, then start again from the
		// checkpoint.
		sleep(runCtx, r.backOff())
		if runCtx.Err() != nil {
			// The next owner (or this instance's next start) resets anyway.
			break
		}
		if !r.pc.pinnedTo(handlerCtx, c, r.pin) {
			// Another instance holds the partition now (this one was too
			// slow, or the consumer's leader changed): resetting would
			// disturb its deliveries. It started from the checkpoint itself.
			r.held = false
			continue
		}
		if err := r.reset(handlerCtx); err != nil {
			c.log.Warn("reset after a failed batch failed; retrying on the next fetch", zap.Error(err))
			r.held = false
		}
	}
	return nil
}

// acquire resets the partition's consumer to its checkpoint and lets the
// service drop its cached state of the partition. On failure the partition
// stays not held, so the next fetch tries again.
func (r *partitionRun) acquire(runCtx, handlerCtx context.Context, pin string) {
	r.held = false
	if err := r.reset(handlerCtx); err != nil {
		r.c.log.Warn("partition acquired but its reset failed; retrying", zap.Error(err))
		sleep(runCtx, r.c.cfg.MaxWait)
		return
	}
	clear(r.failures)
	if f := r.pc.cfg.OnAcquire; f != nil {
		if err := f(handlerCtx, r.p); err != nil {
			r.c.log.Warn("partition acquired but its acquire hook failed; retrying", zap.Error(err))
			sleep(runCtx, r.c.cfg.MaxWait)
			return
		}
	}
	r.held, r.pin = true, pin
	r.pc.mu.Lock()
	r.pc.pins[r.p] = pin
	r.pc.mu.Unlock()
	r.c.log.Info("partition acquired")
}

// reset has the server forget the partition's pending and redelivery state
// and deliver again from the message after the partition's checkpoint, read
// from the bucket's leader. Deliveries then count again from consumer
// sequence 1.
//
// Not the consumer's ack floor: a consumer leader elected after a server
// loss can have lost the pending entries of the deliveries its predecessor
// made just before, and then counts them as acknowledged (its floor jumps to
// the last delivery), although the instance they went to may have crashed
// before handling them.
func (r *partitionRun) reset(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, resetTimeout)
	defer cancel()
	r.lastDelivery = 0
	checkpoint, rev, err := r.readCheckpoint(ctx)
	if err == nil {
		r.checkpoint, r.checkpointRev = checkpoint, rev
		_, err = r.c.bus.js.ResetConsumerToSequence(ctx, r.c.cfg.Stream, r.c.cfg.Durable, checkpoint+1)
	}
	if err != nil {
		// The next batch then fails the contiguity check unless the reset
		// did happen, and is reset again.
		r.lastDelivery = noDeliveryYet
		return fmt.Errorf("reset consumer %s: %w", r.c.cfg.Durable, err)
	}
	return nil
}

// readCheckpoint reads the partition's checkpoint from the bucket's leader
// (a lagging follower could return an older one, which only delivers more
// again, but the leader's is as cheap); 0 when none was written.
func (r *partitionRun) readCheckpoint(ctx context.Context) (seq, rev uint64, err error) {
	e, err := r.c.bus.LatestFromLeader(ctx, CheckpointBucket(r.pc.cfg.View), r.c.cfg.Durable)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint of %s: %w", r.c.cfg.Durable, err)
	}
	seq, err = strconv.ParseUint(string(e.Value), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint of %s: %q: %w", r.c.cfg.Durable, e.Value, err)
	}
	return seq, e.Revision, nil
}

// commit records that every message of the partition up to view sequence
// seq is settled, and purges them from the view when the partition caught
// up or the last purge is purgeInterval old. A failed write only leaves the
// checkpoint behind: the next reset delivers again what it covers, and
// handlers skip what they applied.
func (r *partitionRun) commit(ctx context.Context, seq uint64, caughtUp bool) {
	if seq <= r.checkpoint {
		return
	}
	if err := r.writeCheckpoint(ctx, seq); err != nil {
		r.c.log.Warn("partition checkpoint not written; a reset delivers again from the previous one",
			zap.Uint64("view_seq", seq), zap.Error(err))
		return
	}
	if caughtUp || time.Since(r.purgedAt) >= purgeInterval {
		r.purge(ctx)
	}
}

// writeCheckpoint moves the checkpoint forward to seq, never back: an
// instance that lost the partition while finishing a batch may write after
// the one that took it over, and both only write what they settled.
func (r *partitionRun) writeCheckpoint(ctx context.Context, seq uint64) error {
	kv, key := r.pc.checkpoints, r.c.cfg.Durable
	value := []byte(strconv.FormatUint(seq, 10))
	for attempt := 0; ; attempt++ {
		var rev uint64
		var err error
		if r.checkpointRev == 0 {
			rev, err = kv.Create(ctx, key, value)
		} else {
			rev, err = kv.Update(ctx, key, value, r.checkpointRev)
		}
		if err == nil {
			r.checkpoint, r.checkpointRev = seq, rev
			return nil
		}
		if !IsRevisionMismatch(err) || attempt == 1 {
			return fmt.Errorf("write checkpoint of %s: %w", key, err)
		}
		// Another instance wrote it meanwhile.
		stored, rev, err := r.readCheckpoint(ctx)
		if err != nil {
			return err
		}
		r.checkpoint, r.checkpointRev = stored, rev
		if stored >= seq {
			return nil
		}
	}
}

// purge removes the partition's messages up to its checkpoint from the
// view, so it holds about the backlog only.
func (r *partitionRun) purge(ctx context.Context) {
	r.purgedAt = time.Now()
	if r.checkpoint <= r.purged {
		return
	}
	err := r.pc.view.Purge(ctx, jetstream.WithPurgeSubject(r.c.cfg.FilterSubjects[0]), jetstream.WithPurgeSequence(r.checkpoint+1))
	if err != nil {
		r.c.log.Warn("purge of settled partition messages failed; retried later", zap.Error(err))
		return
	}
	r.purged = r.checkpoint
}

// noDeliveryYet makes the next batch pass contiguous whatever it starts at.
const noDeliveryYet = ^uint64(0)

// contiguous reports whether msgs continue the partition's deliveries
// without a gap. A pinned consumer delivers to one instance only, and every
// delivery (redeliveries too) takes the next consumer sequence, so a gap
// means a delivery this instance never got.
func (r *partitionRun) contiguous(msgs []jetstream.Msg) bool {
	for _, m := range msgs {
		meta, err := m.Metadata()
		if err != nil {
			return false
		}
		d := meta.Sequence.Consumer
		if r.lastDelivery != noDeliveryYet && d != r.lastDelivery+1 {
			return false
		}
		r.lastDelivery = d
	}
	return true
}

// handle runs the handler and settles the batch; it reports whether every
// message was settled (acked or dead-lettered), and the view sequence up to
// which the batch's messages were all settled (0: not even its first).
func (r *partitionRun) handle(ctx context.Context, fetched []jetstream.Msg) (settled bool, upTo uint64) {
	c := r.c
	var last uint64
	if meta, err := fetched[len(fetched)-1].Metadata(); err == nil {
		last = meta.Sequence.Stream
	}
	msgs, metas := c.deliverable(ctx, fetched)
	if len(msgs) == 0 {
		return true, last
	}
	c.keeper.begin(msgs)
	start := time.Now()
	var errs []error
	err := callHandler(ctx, c.log, func(ctx context.Context, msgs []jetstream.Msg) error {
		errs = r.handler(ctx, msgs)
		return nil
	}, msgs)
	c.metrics.handler.Observe(time.Since(start).Seconds())
	c.keeper.end()
	if err != nil { // a panic
		errs = make([]error, len(msgs))
		for i := range errs {
			errs[i] = err
		}
	}
	settled = true
	r.retryAfter = 0
	var firstErr error
	for i, m := range msgs {
		seq := metas[i].Sequence.Stream
		e := errs[i]
		switch {
		case e == nil:
			if ackErr := m.Ack(); ackErr != nil {
				// Redelivered after the next reset or AckWait; handlers are
				// idempotent by sequence or id.
				c.log.Warn("ack failed; message will be redelivered", zap.Uint64("stream_seq", seq), zap.Error(ackErr))
			} else {
				c.metrics.acked.Inc()
			}
			delete(r.failures, seq)
		case IsPoison(e):
			c.deadLetter(ctx, m, metas[i], e)
			delete(r.failures, seq)
		case errors.Is(e, errNotHandled):
			settled = false
		default:
			r.failures[seq]++
			if c.cfg.MaxDeliver > 0 && r.failures[seq] >= c.cfg.MaxDeliver {
				c.deadLetter(ctx, m, metas[i], e)
				delete(r.failures, seq)
				break
			}
			settled = false
			c.metrics.nakked.Inc()
			var retry *retryError
			if errors.As(e, &retry) && retry.delay > 0 {
				r.retryAfter = max(r.retryAfter, retry.delay)
			}
			if firstErr == nil {
				firstErr = e
			}
		}
		if settled {
			upTo = seq
		}
	}
	if firstErr != nil {
		c.log.Warn("partition handler failed, will redeliver from the checkpoint",
			zap.Int("batch", len(msgs)), zap.Error(firstErr))
	}
	if settled {
		upTo = max(upTo, last)
	}
	return settled, upTo
}

// backOff is the wait before a failed batch is delivered again: the
// consumer's BackOff step for the most failed message, but at most half the
// pinned TTL, since an instance that stops fetching for the TTL loses the
// partition.
func (r *partitionRun) backOff() time.Duration {
	n := 1
	for _, f := range r.failures {
		n = max(n, f)
	}
	d := r.c.backOff(uint64(n))
	if r.retryAfter > 0 {
		d = r.retryAfter
	}
	if ttl := r.pc.ttl; ttl > 0 {
		d = min(d, ttl/2)
	}
	return d
}
