// Package deadletter implements supercomp.deadletter.v1.DeadLetterService: an operator's view of
// the DLQ stream (what consumers gave up on, and why) and the two ways out of it, a redrive to the
// original subject under the original message id, and a purge. Any host with a NATS connection
// can serve it; the ingestion service does, so both the all-in-one and the separate processes
// have it. Access is the guard's (admins only, see deadletter.proto); every redrive and purge is
// audited on the AUDIT stream before the dead letter leaves the DLQ.
package deadletter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/auth"
	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/events"
	"github.com/supercomp/supercomp/pkg/fault"
	deadletterv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/deadletter/v1"
)

const (
	defaultPageSize = 50
	maxPageSize     = 500
	// maxSequences bounds one redrive or purge call, so one call's audit records and NATS
	// round trips stay within a normal deadline; the CLI sends larger selections in parts.
	maxSequences = 1000
	// maxScanned bounds how many dead letters one list call reads to fill a page; a filter
	// that matches little in a large DLQ then answers a short page with a token to go on,
	// rather than holding the call open.
	maxScanned = 20000
	// fetchBatch is how many dead letters one pull asks for while listing.
	fetchBatch = 256
	// fetchWait bounds one pull; the scan knows how many messages to expect, so it only waits
	// this long when messages vanish (purged) while it reads.
	fetchWait = 2 * time.Second
	// publishTimeout bounds one redrive's publish.
	publishTimeout = 5 * time.Second
)

// Audit actions recorded by this service.
const (
	ActionRedrive = "dlq.redrive"
	ActionPurge   = "dlq.purge"
)

// Service is the DeadLetterService server.
type Service struct {
	deadletterv1.UnimplementedDeadLetterServiceServer
	bus *bus.Bus
	now func() time.Time
}

// New returns the service over b's DLQ stream.
func New(b *bus.Bus) *Service { return &Service{bus: b, now: time.Now} }

// Register adds DeadLetterService to srv.
func (s *Service) Register(srv *grpc.Server) { deadletterv1.RegisterDeadLetterServiceServer(srv, s) }

// ServiceName is the gRPC service name, reported by health.
const ServiceName = "supercomp.deadletter.v1.DeadLetterService"

func caller(ctx context.Context) (*auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		// Fails closed on a host without the guard: nobody may redrive or purge anonymously.
		return nil, fault.Unauthenticated("no authenticated principal (is the auth interceptor installed?)")
	}
	return p, nil
}

// ListDeadLetters pages through the DLQ oldest first.
func (s *Service) ListDeadLetters(ctx context.Context, req *deadletterv1.ListDeadLettersRequest) (*deadletterv1.ListDeadLettersResponse, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	var inv fault.Invalid
	f := parseFilter(req.GetFilter(), s.now(), &inv)
	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = defaultPageSize
	case size > maxPageSize:
		inv.Add("page_size", "at most %d", maxPageSize)
	}
	var after uint64
	if tok := req.GetPageToken(); tok != "" {
		var err error
		if after, err = strconv.ParseUint(tok, 10, 64); err != nil {
			inv.Add("page_token", "%q is not a token this service returned", tok)
		}
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	resp := &deadletterv1.ListDeadLettersResponse{}
	last, more, err := s.scan(ctx, f, after, func(m jetstream.Msg, meta *jetstream.MsgMetadata) bool {
		if f.matches(meta.Timestamp, m.Headers()) {
			resp.DeadLetters = append(resp.DeadLetters, summary(meta.Sequence.Stream, meta.Timestamp, m.Headers(), headerSize(m)))
		}
		return len(resp.DeadLetters) < size
	})
	if err != nil {
		return nil, err
	}
	if more {
		resp.NextPageToken = strconv.FormatUint(last, 10)
	}
	return resp, nil
}

// scan reads the DLQ from after+1 (or from the filter's oldest time) through an ephemeral pull
// consumer, calling visit until it returns false. It returns the last sequence visited and
// whether dead letters remain after it.
func (s *Service) scan(ctx context.Context, f filter, after uint64, visit func(jetstream.Msg, *jetstream.MsgMetadata) bool) (uint64, bool, error) {
	cfg := jetstream.ConsumerConfig{
		AckPolicy:         jetstream.AckNonePolicy,
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       after + 1,
		InactiveThreshold: 30 * time.Second,
		// A listing needs the Sc-Dlq-* headers, not the payloads; the server adds
		// Nats-Msg-Size so the size is still known.
		HeadersOnly:   true,
		MemoryStorage: true,
		Replicas:      1,
	}
	if after == 0 && !f.since.IsZero() {
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, 0, &f.since
	}
	cons, err := s.bus.JetStream().CreateConsumer(ctx, bus.StreamDLQ, cfg)
	if err != nil {
		return 0, false, fault.Unavailable("read the DLQ: %w", err)
	}
	defer func() {
		// An abandoned consumer is removed by the server after InactiveThreshold anyway.
		delCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = s.bus.JetStream().DeleteConsumer(delCtx, bus.StreamDLQ, cons.CachedInfo().Name)
	}()
	pending, last, scanned := cons.CachedInfo().NumPending, after, 0
	for pending > 0 {
		more, done, err := s.scanBatch(ctx, cons, f, &pending, &last, &scanned, visit)
		if err != nil || done {
			return last, more, err
		}
	}
	return last, false, nil
}

// scanBatch pulls the next batch of a scan and visits it; done says the scan is over, more
// whether dead letters remain after last.
func (s *Service) scanBatch(ctx context.Context, cons jetstream.Consumer, f filter, pending, last *uint64, scanned *int,
	visit func(jetstream.Msg, *jetstream.MsgMetadata) bool) (more, done bool, err error) {
	// The call's deadline, but never longer than fetchWait per pull; cancelling ends the pull
	// when the scan stops in the middle of a batch.
	fetchCtx, cancel := context.WithTimeout(ctx, fetchWait)
	defer cancel()
	batch, err := cons.Fetch(int(min(*pending, fetchBatch)), jetstream.FetchContext(fetchCtx))
	if err != nil {
		return false, true, fault.Unavailable("read the DLQ: %w", err)
	}
	got := 0
	for m := range batch.Messages() {
		got++
		meta, err := m.Metadata()
		if err != nil {
			continue
		}
		*pending = meta.NumPending
		if !f.until.IsZero() && meta.Timestamp.After(f.until) {
			// Dead letters are stored in time order: the rest are younger still.
			return false, true, nil
		}
		*last = meta.Sequence.Stream
		*scanned++
		if !visit(m, meta) || *scanned >= maxScanned {
			return *pending > 0, true, nil
		}
	}
	if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		return false, true, fault.Unavailable("read the DLQ: %w", err)
	}
	// Nothing arrived: what was pending is gone (purged meanwhile).
	return false, got == 0, nil
}

// GetDeadLetter returns one dead letter whole.
func (s *Service) GetDeadLetter(ctx context.Context, req *deadletterv1.GetDeadLetterRequest) (*deadletterv1.GetDeadLetterResponse, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	if req.GetSequence() == 0 {
		return nil, fault.InvalidField("sequence", "is required (the SEQ column of sc dlq list)")
	}
	raw, err := s.get(ctx, req.GetSequence())
	if err != nil {
		return nil, err
	}
	dl := summary(raw.Sequence, raw.Time, raw.Header, len(raw.Data))
	for name, values := range raw.Header {
		for _, v := range values {
			dl.Headers = append(dl.Headers, &deadletterv1.Header{Name: name, Value: v})
		}
	}
	sortHeaders(dl.Headers)
	dl.Data = raw.Data
	resp := &deadletterv1.GetDeadLetterResponse{DeadLetter: dl}
	if ev, err := events.Decode(raw.Data); err != nil {
		resp.DecodeError = err.Error()
	} else {
		resp.Event = ev
	}
	return resp, nil
}

// get reads one dead letter, NotFound when the DLQ has none at seq.
func (s *Service) get(ctx context.Context, seq uint64) (*jetstream.RawStreamMsg, error) {
	stream, err := s.bus.JetStream().Stream(ctx, bus.StreamDLQ)
	if err != nil {
		return nil, fault.Unavailable("open the DLQ: %w", err)
	}
	raw, err := stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fault.NotFound("no dead letter %d (purged or redriven already?)", seq)
	}
	if err != nil {
		return nil, fault.Unavailable("read dead letter %d: %w", seq, err)
	}
	return raw, nil
}

// RedriveDeadLetters republishes dead letters to their original subjects.
func (s *Service) RedriveDeadLetters(ctx context.Context, req *deadletterv1.RedriveDeadLettersRequest) (*deadletterv1.RedriveDeadLettersResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validSequences(req.GetSequences()); err != nil {
		return nil, err
	}
	resp := &deadletterv1.RedriveDeadLettersResponse{}
	for _, seq := range req.GetSequences() {
		res, err := s.redrive(ctx, p, seq)
		if err != nil {
			return nil, err
		}
		resp.Results = append(resp.Results, res)
	}
	return resp, nil
}

// redrive handles one dead letter. Its error is for what must stop the whole call (an audit
// that cannot be written); what concerns only this dead letter is in the result.
func (s *Service) redrive(ctx context.Context, p *auth.Principal, seq uint64) (*deadletterv1.RedriveResult, error) {
	res := &deadletterv1.RedriveResult{Sequence: seq}
	raw, err := s.get(ctx, seq)
	if errors.Is(err, fault.ErrNotFound) {
		res.Outcome = deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_NOT_FOUND
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	origin := originOf(raw.Header)
	res.Subject = origin.subject
	msg, err := republished(raw, origin)
	if err != nil {
		res.Outcome, res.Detail = deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_FAILED, err.Error()
		return res, nil
	}
	var opts []jetstream.PublishOpt
	if origin.stream != "" {
		// Fails rather than landing in another stream if the subjects were reassigned since.
		opts = append(opts, jetstream.WithExpectStream(origin.stream))
	}
	// A publish NATS refuses (the host's user may not publish on that stream's subjects) gets no
	// answer; the bound turns it into this dead letter's failure rather than the whole call's.
	pubCtx, cancel := context.WithTimeout(ctx, publishTimeout)
	ack, err := s.bus.JetStream().PublishMsg(pubCtx, msg, opts...)
	cancel()
	if err != nil {
		res.Outcome, res.Detail = deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_FAILED, "publish to "+origin.subject+": "+err.Error()
		return res, nil
	}
	res.StreamSequence = ack.Sequence
	if ack.Duplicate && ack.Stream == origin.stream && ack.Sequence == origin.sequence {
		// The id still points at the very message that was given up on: the republish was
		// dropped as its duplicate and no consumer will see it. Keep the dead letter.
		res.Outcome = deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_TOO_SOON
		if at, ok := s.dedupeExpiry(ctx, origin); ok {
			res.RetryAfter = timestamppb.New(at)
		}
		return res, nil
	}
	res.Outcome = deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_REDRIVEN
	detail := fmt.Sprintf("republished to %s as %s sequence %d", origin.subject, ack.Stream, ack.Sequence)
	if ack.Duplicate {
		res.Outcome = deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_ALREADY_PRESENT
		detail = fmt.Sprintf("%s already holds it as sequence %d (message id %s); nothing republished", ack.Stream, ack.Sequence, origin.msgID)
	}
	// Audited before the dead letter is removed: nothing leaves the DLQ without a record, and a
	// retry after a failed audit finds the copy already present instead of publishing twice.
	if err := s.audit(ctx, p, ActionRedrive, seq, origin, deadletterv1.DeadLetterService_RedriveDeadLetters_FullMethodName, detail); err != nil {
		return nil, err
	}
	if err := s.remove(ctx, seq); err != nil {
		res.Outcome, res.Detail = deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_FAILED, detail+", but not removed from the DLQ: "+err.Error()
	}
	return res, nil
}

// dedupeExpiry is when origin's stream forgets the message id of the message given up on.
func (s *Service) dedupeExpiry(ctx context.Context, origin origin) (time.Time, bool) {
	stream, err := s.bus.JetStream().Stream(ctx, origin.stream)
	if err != nil {
		return time.Time{}, false
	}
	raw, err := stream.GetMsg(ctx, origin.sequence)
	if err != nil {
		return time.Time{}, false
	}
	return raw.Time.Add(stream.CachedInfo().Config.Duplicates), true
}

// PurgeDeadLetters deletes dead letters.
func (s *Service) PurgeDeadLetters(ctx context.Context, req *deadletterv1.PurgeDeadLettersRequest) (*deadletterv1.PurgeDeadLettersResponse, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := validSequences(req.GetSequences()); err != nil {
		return nil, err
	}
	resp := &deadletterv1.PurgeDeadLettersResponse{}
	for _, seq := range req.GetSequences() {
		raw, err := s.get(ctx, seq)
		if errors.Is(err, fault.ErrNotFound) {
			resp.NotFound = append(resp.NotFound, seq)
			continue
		}
		if err != nil {
			return nil, err
		}
		origin := originOf(raw.Header)
		detail := fmt.Sprintf("deleted unreplayed: %s sequence %d on %s, given up by %s: %s",
			origin.stream, origin.sequence, origin.subject, raw.Header.Get(bus.HeaderDLQConsumer), raw.Header.Get(bus.HeaderDLQReason))
		if err := s.audit(ctx, p, ActionPurge, seq, origin, deadletterv1.DeadLetterService_PurgeDeadLetters_FullMethodName, detail); err != nil {
			return nil, err
		}
		if err := s.remove(ctx, seq); err != nil {
			return nil, fault.Unavailable("purge dead letter %d: %w", seq, err)
		}
		resp.Purged = append(resp.Purged, seq)
	}
	return resp, nil
}

// remove deletes one dead letter; one that is already gone (a concurrent redrive or purge)
// counts as removed.
func (s *Service) remove(ctx context.Context, seq uint64) error {
	stream, err := s.bus.JetStream().Stream(ctx, bus.StreamDLQ)
	if err != nil {
		return err
	}
	if err := stream.DeleteMsg(ctx, seq); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
		return err
	}
	return nil
}

// audit records one act on one dead letter under the team its original subject names, so the
// team's own trail shows what happened to its data; other subjects go to the platform trail.
func (s *Service) audit(ctx context.Context, p *auth.Principal, action string, seq uint64, origin origin, rpc, detail string) error {
	a := auth.Audit{Actor: p.Actor(), Action: action, ResourceType: "dead_letter", ResourceID: strconv.FormatUint(seq, 10),
		RPC: rpc, Detail: detail}
	if team := origin.team(); team != "" {
		a.Teams = []string{team}
	}
	if err := auth.RecordAudit(ctx, s.bus, a); err != nil {
		return fault.Unavailable("dead letter %d not touched, its audit record could not be written: %w", seq, err)
	}
	return nil
}

func validSequences(seqs []uint64) error {
	var inv fault.Invalid
	if len(seqs) == 0 || len(seqs) > maxSequences {
		inv.Add("sequences", "name 1 to %d dead letters, got %d", maxSequences, len(seqs))
	}
	for i, seq := range seqs {
		if seq == 0 {
			inv.Add(fault.Field("sequences", i), "0 is not a DLQ sequence")
		}
	}
	return inv.Err()
}

// origin is where a dead letter came from, read from its Sc-Dlq-* headers.
type origin struct {
	stream, subject, msgID, consumer string
	sequence                         uint64
}

func originOf(h nats.Header) origin {
	seq, _ := strconv.ParseUint(h.Get(bus.HeaderDLQSequence), 10, 64)
	return origin{stream: h.Get(bus.HeaderDLQStream), subject: h.Get(bus.HeaderDLQSubject), msgID: h.Get(bus.HeaderDLQMsgID),
		consumer: h.Get(bus.HeaderDLQConsumer), sequence: seq}
}

// team is the team token of an event subject (sc.<stream>.<team>.<athlete>.<kind>), or "".
func (o origin) team() string {
	parts := strings.Split(o.subject, ".")
	if len(parts) < 5 || parts[0] != "sc" || !bus.ValidToken(parts[2]) {
		return ""
	}
	return parts[2]
}

// republished rebuilds the message as it was first published (its subject, payload, headers
// without the DLQ's own, and its original Nats-Msg-Id), addressed to the consumer that gave up.
func republished(raw *jetstream.RawStreamMsg, o origin) (*nats.Msg, error) {
	if o.subject == "" {
		return nil, fmt.Errorf("no %s header: not a dead letter this platform wrote", bus.HeaderDLQSubject)
	}
	if strings.HasPrefix(o.subject, strings.TrimSuffix(bus.SubjectsDLQ, ">")) {
		return nil, fmt.Errorf("original subject %s is on the DLQ itself", o.subject)
	}
	hdr := nats.Header{}
	for name, values := range raw.Header {
		// The DLQ copy's Nats-Msg-Id is its own (dlq.<stream>.<durable>.<seq>); the original
		// is restored below. Other Nats-* headers were already dropped when it was dead-lettered.
		if strings.HasPrefix(name, "Sc-Dlq-") || strings.HasPrefix(name, "Nats-") {
			continue
		}
		hdr[name] = values
	}
	if o.msgID != "" {
		hdr.Set(jetstream.MsgIDHeader, o.msgID)
	}
	if o.consumer != "" {
		// Only the consumer that gave up handles it again; the others had the original.
		hdr.Set(bus.HeaderRedriveConsumer, o.consumer)
	}
	return &nats.Msg{Subject: o.subject, Header: hdr, Data: raw.Data}, nil
}

func summary(seq uint64, at time.Time, h nats.Header, size int) *deadletterv1.DeadLetter {
	o := originOf(h)
	deliveries, _ := strconv.ParseUint(h.Get(bus.HeaderDLQDeliveries), 10, 64)
	return &deadletterv1.DeadLetter{
		Sequence: seq, DeadLetteredAt: timestamppb.New(at), Stream: o.stream, Subject: o.subject, StreamSequence: o.sequence,
		Consumer: h.Get(bus.HeaderDLQConsumer), Reason: h.Get(bus.HeaderDLQReason), Deliveries: deliveries, MessageId: o.msgID,
		Size: uint32(min(size, int(^uint32(0)))),
	}
}

// headerSize is the payload size of a headers-only delivery.
func headerSize(m jetstream.Msg) int {
	n, _ := strconv.Atoi(m.Headers().Get(nats.MsgSize))
	return n
}
