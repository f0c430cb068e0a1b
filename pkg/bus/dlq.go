package bus

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	sclog "github.com/supercomp/supercomp/pkg/log"
)

// Headers a dead-lettered message carries besides its original ones.
const (
	HeaderDLQReason     = "Sc-Dlq-Reason"     // the handler's error text
	HeaderDLQStream     = "Sc-Dlq-Stream"     // stream the message came from
	HeaderDLQSubject    = "Sc-Dlq-Subject"    // its original subject
	HeaderDLQSequence   = "Sc-Dlq-Sequence"   // its sequence in that stream
	HeaderDLQDeliveries = "Sc-Dlq-Deliveries" // deliveries it had before giving up
	HeaderDLQConsumer   = "Sc-Dlq-Consumer"   // the durable that gave up
	HeaderDLQMsgID      = "Sc-Dlq-Msg-Id"     // its original Nats-Msg-Id, if any
)

// HeaderRedriveConsumer names the durable a redriven message is meant for: the one that gave up
// on it. The stream's other consumers handled the original already and ack it unhandled.
const HeaderRedriveConsumer = "Sc-Redrive-Consumer"

const (
	dlqPublishTimeout = 5 * time.Second
	maxReasonLen      = 1024
)

// dlqRetryWaits are the pauses between attempts to publish to the DLQ before
// the message is handed back for a later redelivery.
var dlqRetryWaits = []time.Duration{100 * time.Millisecond, 500 * time.Millisecond}

// DeadLetterSubject is where a consumer's dead letters go:
// sc.dlq.<stream>.<durable>.
func DeadLetterSubject(stream, durable string) string {
	return "sc.dlq." + strings.ToLower(stream) + "." + durable
}

// deadLetterMsgID names a DLQ copy after the original's stream position and
// the consumer, so that a crash between the DLQ publish and the Term
// (the message comes back, is dead-lettered again) stores it once. The
// consumer is part of it because two services can give up on one message.
func deadLetterMsgID(stream, durable string, seq uint64) string {
	return "dlq." + stream + "." + durable + "." + strconv.FormatUint(seq, 10)
}

// deadLetter copies m to the DLQ and, only once the DLQ acknowledged it,
// terminates the original. If the DLQ cannot be reached the original is
// nakked, so it is never lost; it comes back and is dead-lettered then.
func (c *Consumer) deadLetter(ctx context.Context, m jetstream.Msg, meta *jetstream.MsgMetadata, reason error) {
	msg := c.deadLetterMsg(m, meta, reason)
	fields := []zap.Field{
		zap.String(sclog.Subject, m.Subject()),
		zap.Uint64("stream_seq", meta.Sequence.Stream),
		zap.Uint64("deliveries", meta.NumDelivered),
		zap.String("dlq_subject", c.dlqSubject),
		zap.NamedError("reason", reason),
	}
	for attempt := 0; ; attempt++ {
		pubCtx, cancel := context.WithTimeout(ctx, dlqPublishTimeout)
		_, err := c.bus.js.PublishMsg(pubCtx, msg)
		cancel()
		if err == nil {
			break
		}
		if attempt == len(dlqRetryWaits) || ctx.Err() != nil {
			// The reason is in this log line only: the redelivery will be
			// dead-lettered as "not settled" if the DLQ stays unreachable.
			c.log.Error("dead-letter publish failed, message will be redelivered", append(fields, zap.Error(err))...)
			if nakErr := m.NakWithDelay(c.backOff(meta.NumDelivered)); nakErr != nil {
				c.log.Warn("nak failed; message will be redelivered after ack wait", zap.Error(nakErr))
			}
			c.metrics.nakked.Inc()
			return
		}
		sleep(ctx, dlqRetryWaits[attempt])
	}
	if err := m.TermWithReason("moved to " + c.dlqSubject); err != nil {
		// The redelivery is dead-lettered again and deduplicated by id.
		c.log.Warn("term after dead-letter failed", append(fields, zap.Error(err))...)
	}
	c.metrics.deadLettered.Inc()
	c.log.Error("message moved to DLQ", fields...)
}

func (c *Consumer) deadLetterMsg(m jetstream.Msg, meta *jetstream.MsgMetadata, reason error) *nats.Msg {
	orig := m.Headers()
	hdr := make(nats.Header, len(orig)+8)
	for k, v := range orig {
		// Nats-* headers steer the server (Nats-Expected-Last-Sequence,
		// Nats-Rollup, Nats-TTL, Nats-Msg-Id) and would make the DLQ
		// publish fail or behave differently; the id is kept below.
		if strings.HasPrefix(k, "Nats-") {
			continue
		}
		hdr[k] = v
	}
	if id := orig.Get(jetstream.MsgIDHeader); id != "" {
		hdr.Set(HeaderDLQMsgID, id)
	}
	hdr.Set(HeaderDLQReason, headerValue(reason.Error()))
	// A message sourced into a partitioned view is recorded under its
	// origin, so that replaying it republishes the subject it was sent to.
	stream, subject, seq := meta.Stream, m.Subject(), meta.Sequence.Stream
	if o, ok := SourceOf(m); ok {
		stream, subject, seq = o.Stream, o.Subject, o.Sequence
	}
	hdr.Set(HeaderDLQStream, stream)
	hdr.Set(HeaderDLQSubject, subject)
	hdr.Set(HeaderDLQSequence, strconv.FormatUint(seq, 10))
	hdr.Set(HeaderDLQDeliveries, strconv.FormatUint(meta.NumDelivered, 10))
	hdr.Set(HeaderDLQConsumer, c.cfg.Durable)
	hdr.Set(jetstream.MsgIDHeader, deadLetterMsgID(meta.Stream, c.cfg.Durable, meta.Sequence.Stream))
	return &nats.Msg{Subject: c.dlqSubject, Data: m.Data(), Header: hdr}
}

// headerValue makes an error text safe for a header line: no line breaks,
// bounded length.
func headerValue(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
	if len(s) > maxReasonLen {
		s = strings.ToValidUTF8(s[:maxReasonLen], "")
	}
	return s
}
