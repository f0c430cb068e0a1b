package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	deadletterv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/deadletter/v1"
)

func init() { subcommands = append(subcommands, newDLQCmd) }

const (
	// maxDLQPage is the largest page ListDeadLetters answers.
	maxDLQPage = 500
	// maxDLQBatch is the most sequences one RedriveDeadLetters or PurgeDeadLetters call takes.
	maxDLQBatch = 1000
	// dlqReasonWidth keeps a list row on one screen line; show has the whole reason.
	dlqReasonWidth = 60
)

// dlqFilter is the filter flags list, redrive and purge share.
type dlqFilter struct {
	stream, subject, consumer, reason, olderThan, newerThan string
}

func (f *dlqFilter) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.stream, "stream", "", "only dead letters from this stream, e.g. TRAINING")
	fl.StringVar(&f.subject, "subject", "", "only those first sent on this subject; NATS wildcards allowed (sc.training.t1.>)")
	fl.StringVar(&f.consumer, "consumer", "", "only those this durable consumer gave up on, e.g. ingestion-recorder")
	fl.StringVar(&f.reason, "reason", "", "only those whose reason contains this text (any case)")
	fl.StringVar(&f.olderThan, "older-than", "", "only those dead-lettered at least this long ago (90m, 12h, 7d)")
	fl.StringVar(&f.newerThan, "newer-than", "", "only those dead-lettered at most this long ago (90m, 12h, 7d)")
}

func (f *dlqFilter) empty() bool { return *f == dlqFilter{} }

func (f *dlqFilter) proto() (*deadletterv1.DeadLetterFilter, error) {
	out := &deadletterv1.DeadLetterFilter{Stream: f.stream, Subject: f.subject, Consumer: f.consumer, Reason: f.reason}
	for _, age := range []struct {
		flag, value string
		dst         **durationpb.Duration
	}{{"--older-than", f.olderThan, &out.MinAge}, {"--newer-than", f.newerThan, &out.MaxAge}} {
		if age.value == "" {
			continue
		}
		d, err := parseAge(age.value)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", age.flag, age.value, err)
		}
		*age.dst = durationpb.New(d)
	}
	return out, nil
}

// parseAge reads a Go duration, or a whole number of days ("7d"), the unit a DLQ is looked at in.
func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, errors.New("want a duration such as 90m, 12h or 7d")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errors.New("want a duration such as 90m, 12h or 7d")
	}
	return d, nil
}

// callDeadLetters dials and runs fn with the DeadLetterService client under the call deadline.
func (o *options) callDeadLetters(cmd *cobra.Command, fn func(context.Context, deadletterv1.DeadLetterServiceClient) error) error {
	conn, ctx, done, err := o.connect(cmd)
	if err != nil {
		return err
	}
	defer done()
	err = fn(ctx, deadletterv1.NewDeadLetterServiceClient(conn))
	if st, ok := status.FromError(err); ok && (st.Code() == codes.Unimplemented ||
		(st.Code() == codes.PermissionDenied && strings.Contains(st.Message(), "no access rule"))) {
		// A service process other than ingestion: it has no DeadLetterService, and its guard
		// does not even know the method.
		return fmt.Errorf("%s does not serve dead letters: call the all-in-one or the ingestion service (127.0.0.1:7401 under make run-services)", o.addr)
	}
	return o.callFailed("dead letters", err)
}

func newDLQCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dlq",
		Short: "Inspect, redrive or purge dead letters: messages a consumer gave up on (admins)",
		Long: "Dead letters are messages a consumer gave up on, kept on the DLQ stream with the reason.\n" +
			"Fix the cause, then redrive them to their original subject (under their original message id,\n" +
			"so nothing is stored twice) or purge them. Every redrive and purge is audited.\n" +
			"The all-in-one serves this on its address; separate services on ingestion's (127.0.0.1:7401).",
	}
	cmd.AddCommand(
		covers(newDLQListCmd(opts), deadletterv1.DeadLetterService_ListDeadLetters_FullMethodName),
		covers(newDLQShowCmd(opts), deadletterv1.DeadLetterService_GetDeadLetter_FullMethodName),
		covers(newDLQRedriveCmd(opts), deadletterv1.DeadLetterService_RedriveDeadLetters_FullMethodName),
		covers(newDLQPurgeCmd(opts), deadletterv1.DeadLetterService_PurgeDeadLetters_FullMethodName),
	)
	return cmd
}

func newDLQListCmd(opts *options) *cobra.Command {
	var (
		filter            dlqFilter
		pageToken, output string
		limit             int
	)
	cmd := &cobra.Command{
		Use:   "list [--stream S] [--subject P] [--consumer C] [--reason TEXT] [--older-than D] [--newer-than D] [-o table|json]",
		Short: "List dead letters, oldest first",
		Example: "  sc dlq list --stream TRAINING --newer-than 1d\n" +
			"  sc dlq list --reason 'cannot decode' -o json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("-o %q: one of table, json", output)
			}
			if limit < 0 {
				return fmt.Errorf("--limit %d: 0 (all) or more", limit)
			}
			f, err := filter.proto()
			if err != nil {
				return err
			}
			var resp *deadletterv1.ListDeadLettersResponse
			err = opts.callDeadLetters(cmd, func(ctx context.Context, c deadletterv1.DeadLetterServiceClient) error {
				resp, err = listDeadLetters(ctx, c, &deadletterv1.ListDeadLettersRequest{Filter: f, PageToken: pageToken}, limit)
				return err
			})
			if err != nil {
				return err
			}
			if output == "json" {
				return writeDLQJSON(opts.out, resp)
			}
			if err := writeDeadLetterTable(opts.out, resp.GetDeadLetters(), time.Now()); err != nil {
				return err
			}
			if next := resp.GetNextPageToken(); next != "" {
				fmt.Fprintf(opts.out, "more dead letters: add --page-token %s (or raise --limit)\n", next)
			}
			return nil
		},
	}
	filter.register(cmd)
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many dead letters; 0 for all")
	cmd.Flags().StringVar(&pageToken, "page-token", "", "continue after a previous list (the token it printed), with the same filters")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "table or json")
	return cmd
}

// listDeadLetters reads pages until limit dead letters (0: all) or the end of the DLQ.
func listDeadLetters(ctx context.Context, c deadletterv1.DeadLetterServiceClient, req *deadletterv1.ListDeadLettersRequest, limit int) (*deadletterv1.ListDeadLettersResponse, error) {
	out := &deadletterv1.ListDeadLettersResponse{}
	for {
		size := maxDLQPage
		if limit > 0 {
			size = min(size, limit-len(out.DeadLetters))
		}
		req.PageSize = uint32(size)
		resp, err := c.ListDeadLetters(ctx, req)
		if err != nil {
			return nil, err
		}
		out.DeadLetters = append(out.DeadLetters, resp.GetDeadLetters()...)
		out.NextPageToken = resp.GetNextPageToken()
		if out.NextPageToken == "" || (limit > 0 && len(out.DeadLetters) >= limit) {
			return out, nil
		}
		req.PageToken = out.NextPageToken
	}
}

func writeDeadLetterTable(out io.Writer, dls []*deadletterv1.DeadLetter, now time.Time) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tDEAD-LETTERED (UTC)\tAGE\tSTREAM\tSUBJECT\tCONSUMER\tTRIES\tREASON")
	for _, dl := range dls {
		at := dl.GetDeadLetteredAt().AsTime()
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", dl.GetSequence(), at.UTC().Format(time.DateTime), roughAge(now.Sub(at)),
			dl.GetStream(), dl.GetSubject(), dl.GetConsumer(), dl.GetDeliveries(), oneLine(dl.GetReason(), dlqReasonWidth))
	}
	if len(dls) == 0 {
		fmt.Fprintln(tw, "(no dead letters)")
	}
	return tw.Flush()
}

// roughAge is a rough, short duration for a table: 45s, 12m, 5h, 3d.
func roughAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(0, int(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func newDLQShowCmd(opts *options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "show SEQ [-o text|json]",
		Short: "Show one dead letter: why, where from, its headers and its event",
		Example: "  sc dlq show 12\n" +
			"  sc dlq show 12 -o json",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "text" && output != "json" {
				return fmt.Errorf("-o %q: one of text, json", output)
			}
			seqs, err := parseDLQSequences(args)
			if err != nil {
				return err
			}
			var resp *deadletterv1.GetDeadLetterResponse
			err = opts.callDeadLetters(cmd, func(ctx context.Context, c deadletterv1.DeadLetterServiceClient) error {
				resp, err = c.GetDeadLetter(ctx, &deadletterv1.GetDeadLetterRequest{Sequence: seqs[0]})
				return err
			})
			if err != nil {
				return err
			}
			if output == "json" {
				return writeDLQJSON(opts.out, resp)
			}
			return writeDeadLetter(opts.out, resp)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

func writeDeadLetter(out io.Writer, resp *deadletterv1.GetDeadLetterResponse) error {
	dl := resp.GetDeadLetter()
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "sequence:\t%d\n", dl.GetSequence())
	fmt.Fprintf(tw, "dead-lettered:\t%s UTC\n", dl.GetDeadLetteredAt().AsTime().UTC().Format(time.DateTime))
	fmt.Fprintf(tw, "from:\t%s sequence %d, subject %s\n", dl.GetStream(), dl.GetStreamSequence(), dl.GetSubject())
	fmt.Fprintf(tw, "message id:\t%s\n", dl.GetMessageId())
	fmt.Fprintf(tw, "given up by:\t%s after %d deliveries\n", dl.GetConsumer(), dl.GetDeliveries())
	fmt.Fprintf(tw, "reason:\t%s\n", dl.GetReason())
	fmt.Fprintf(tw, "size:\t%d bytes\n", dl.GetSize())
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "headers:")
	for _, h := range dl.GetHeaders() {
		fmt.Fprintf(out, "  %s: %s\n", h.GetName(), h.GetValue())
	}
	if resp.GetEvent() == nil {
		fmt.Fprintf(out, "payload is not an event (%s): %q\n", resp.GetDecodeError(), dl.GetData())
		return nil
	}
	b, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(resp.GetEvent())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "event:\n%s\n", b)
	return err
}

// dlqSelection is how redrive and purge pick dead letters: sequences, or every dead letter the
// filter flags match (--all when there are none, so a bare command never touches the whole DLQ).
type dlqSelection struct {
	filter dlqFilter
	all    bool
}

func (s *dlqSelection) register(cmd *cobra.Command, verb string) {
	s.filter.register(cmd)
	cmd.Flags().BoolVar(&s.all, "all", false, "with no SEQ and no filter: "+verb+" every dead letter")
}

// sequences resolves the selection to DLQ sequences, listing the DLQ when it is a filter.
func (s *dlqSelection) sequences(ctx context.Context, c deadletterv1.DeadLetterServiceClient, args []string) ([]uint64, error) {
	if len(args) > 0 {
		if !s.filter.empty() || s.all {
			return nil, errors.New("name dead letters by SEQ or by filter flags, not both")
		}
		return parseDLQSequences(args)
	}
	if s.filter.empty() && !s.all {
		return nil, errors.New("name dead letters by SEQ, by filter flags, or pass --all for every one")
	}
	f, err := s.filter.proto()
	if err != nil {
		return nil, err
	}
	resp, err := listDeadLetters(ctx, c, &deadletterv1.ListDeadLettersRequest{Filter: f}, 0)
	if err != nil {
		return nil, err
	}
	seqs := make([]uint64, 0, len(resp.GetDeadLetters()))
	for _, dl := range resp.GetDeadLetters() {
		seqs = append(seqs, dl.GetSequence())
	}
	return seqs, nil
}

func parseDLQSequences(args []string) ([]uint64, error) {
	seqs := make([]uint64, 0, len(args))
	for _, a := range args {
		seq, err := strconv.ParseUint(a, 10, 64)
		if err != nil || seq == 0 {
			return nil, fmt.Errorf("%q is not a dead letter's SEQ (a positive number from sc dlq list)", a)
		}
		seqs = append(seqs, seq)
	}
	return seqs, nil
}

// inDLQBatches calls fn with at most maxDLQBatch sequences at a time.
func inDLQBatches(seqs []uint64, fn func([]uint64) error) error {
	for len(seqs) > 0 {
		n := min(len(seqs), maxDLQBatch)
		if err := fn(seqs[:n]); err != nil {
			return err
		}
		seqs = seqs[n:]
	}
	return nil
}

func newDLQRedriveCmd(opts *options) *cobra.Command {
	var sel dlqSelection
	cmd := &cobra.Command{
		Use:   "redrive [SEQ...] [--stream S] [--subject P] [--consumer C] [--reason TEXT] [--older-than D] [--newer-than D] [--all]",
		Short: "Republish dead letters to their original subject under their original message id, then remove them from the DLQ",
		Long: "Redrive republishes each dead letter to the subject it was first sent on, with its original\n" +
			"message id: a stream that already holds that id within its duplicate window stores nothing new.\n" +
			"A dead letter younger than the window is kept (TOO_SOON) and can be redriven after the time shown.",
		Example: "  sc dlq redrive 12 13\n" +
			"  sc dlq redrive --stream TRAINING --reason 'clickhouse'",
		RunE: func(cmd *cobra.Command, args []string) error {
			var results []*deadletterv1.RedriveResult
			err := opts.callDeadLetters(cmd, func(ctx context.Context, c deadletterv1.DeadLetterServiceClient) error {
				seqs, err := sel.sequences(ctx, c, args)
				if err != nil {
					return err
				}
				return inDLQBatches(seqs, func(batch []uint64) error {
					resp, err := c.RedriveDeadLetters(ctx, &deadletterv1.RedriveDeadLettersRequest{Sequences: batch})
					results = append(results, resp.GetResults()...)
					return err
				})
			})
			if werr := writeRedriveResults(opts.out, results); werr != nil && err == nil {
				err = werr
			}
			return err
		},
	}
	sel.register(cmd, "redrive")
	return cmd
}

// writeRedriveResults prints one line per dead letter and a summary, and fails when any failed.
func writeRedriveResults(out io.Writer, results []*deadletterv1.RedriveResult) error {
	if len(results) == 0 {
		fmt.Fprintln(out, "no dead letters to redrive")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tOUTCOME\tSUBJECT\tSTREAM SEQ\tNOTE")
	counts := map[deadletterv1.RedriveOutcome]int{}
	for _, r := range results {
		counts[r.GetOutcome()]++
		note := r.GetDetail()
		if r.GetOutcome() == deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_TOO_SOON && r.GetRetryAfter() != nil {
			note = "kept; redrive after " + r.GetRetryAfter().AsTime().UTC().Format(time.DateTime) + " UTC"
		}
		streamSeq := "-"
		if r.GetStreamSequence() != 0 {
			streamSeq = strconv.FormatUint(r.GetStreamSequence(), 10)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.GetSequence(), outcomeName(r.GetOutcome()), r.GetSubject(), streamSeq, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "redriven %d, already present %d, too soon %d, not found %d, failed %d\n",
		counts[deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_REDRIVEN], counts[deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_ALREADY_PRESENT],
		counts[deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_TOO_SOON], counts[deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_NOT_FOUND],
		counts[deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_FAILED])
	if n := counts[deadletterv1.RedriveOutcome_REDRIVE_OUTCOME_FAILED]; n > 0 {
		return fmt.Errorf("%d dead letters could not be redriven; they stay in the DLQ", n)
	}
	return nil
}

// outcomeName is the outcome without its enum prefix: REDRIVEN, TOO_SOON...
func outcomeName(o deadletterv1.RedriveOutcome) string {
	return strings.TrimPrefix(o.String(), "REDRIVE_OUTCOME_")
}

func newDLQPurgeCmd(opts *options) *cobra.Command {
	var sel dlqSelection
	cmd := &cobra.Command{
		Use:   "purge [SEQ...] [--stream S] [--subject P] [--consumer C] [--reason TEXT] [--older-than D] [--newer-than D] [--all]",
		Short: "Delete dead letters without replaying them",
		Example: "  sc dlq purge 12\n" +
			"  sc dlq purge --consumer audit-recorder --older-than 30d",
		RunE: func(cmd *cobra.Command, args []string) error {
			var purged, notFound []uint64
			err := opts.callDeadLetters(cmd, func(ctx context.Context, c deadletterv1.DeadLetterServiceClient) error {
				seqs, err := sel.sequences(ctx, c, args)
				if err != nil {
					return err
				}
				return inDLQBatches(seqs, func(batch []uint64) error {
					resp, err := c.PurgeDeadLetters(ctx, &deadletterv1.PurgeDeadLettersRequest{Sequences: batch})
					purged, notFound = append(purged, resp.GetPurged()...), append(notFound, resp.GetNotFound()...)
					return err
				})
			})
			fmt.Fprintf(opts.out, "purged %d dead letters%s\n", len(purged), dlqSequenceList(purged))
			if len(notFound) > 0 {
				fmt.Fprintf(opts.out, "not found (already purged or redriven): %d%s\n", len(notFound), dlqSequenceList(notFound))
			}
			return err
		},
	}
	sel.register(cmd, "purge")
	return cmd
}

// dlqSequenceList is ": 1, 2, 3" for a short list, nothing for an empty or long one.
func dlqSequenceList(seqs []uint64) string {
	if len(seqs) == 0 || len(seqs) > 20 {
		return ""
	}
	parts := make([]string, len(seqs))
	for i, s := range seqs {
		parts[i] = strconv.FormatUint(s, 10)
	}
	return ": " + strings.Join(parts, ", ")
}

func writeDLQJSON(out io.Writer, m proto.Message) error {
	b, err := protojson.MarshalOptions{Multiline: true, UseProtoNames: true}.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}
