package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
	"sigs.k8s.io/yaml"

	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

// Output formats of -o. json is the protobuf JSON mapping of the response with the field
// names of the .proto files (what `sc audit list -o json` has always printed), so a script
// reads the same names as the API reference; yaml is that document in YAML.
const (
	outputTable = "table"
	outputJSON  = "json"
	outputYAML  = "yaml"
)

// outputFlag registers -o/--output on cmd; extra lists formats the command has besides the
// three every listing or showing command has (trends also writes csv).
func outputFlag(cmd *cobra.Command, format *string, extra ...string) {
	formats := append([]string{outputTable, outputJSON, outputYAML}, extra...)
	cmd.Flags().StringVarP(format, "output", "o", outputTable, strings.Join(formats, ", "))
	cmd.Annotations = withAnnotation(cmd.Annotations, annotationOutput, strings.Join(formats, ","))
}

// checkOutput rejects an -o value cmd does not write.
func checkOutput(cmd *cobra.Command, format string) error {
	for _, f := range strings.Split(cmd.Annotations[annotationOutput], ",") {
		if f == format {
			return nil
		}
	}
	return usagef("-o %q: one of %s", format, strings.ReplaceAll(cmd.Annotations[annotationOutput], ",", ", "))
}

// protoJSON is the marshaling of -o json and -o yaml. Unset fields are written too (zero,
// empty list, null), so every record of a list has the same keys: a script or a data frame
// gets the same columns whatever the values.
var protoJSON = protojson.MarshalOptions{Multiline: true, UseProtoNames: true, EmitUnpopulated: true}

// render prints resp as format: the message itself for json and yaml, or what table draws.
func render(out io.Writer, format string, resp proto.Message, table func(io.Writer) error) error {
	switch format {
	case outputJSON, outputYAML:
		b, err := protoJSON.Marshal(resp)
		if err != nil {
			return err
		}
		if format == outputYAML {
			if b, err = yaml.JSONToYAML(b); err != nil {
				return err
			}
			_, err = out.Write(b)
			return err
		}
		_, err = fmt.Fprintln(out, string(b))
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	if err := table(tw); err != nil {
		return err
	}
	return tw.Flush()
}

// noteMore says that a list stopped before its end. In a table the note follows the rows; in
// json and yaml the token is already in the document (next_page_token), so the note goes to
// stderr where it cannot break a parser, and --quiet drops it.
func (o *options) noteMore(format, token, things string) {
	if token == "" {
		return
	}
	msg := fmt.Sprintf("more %s: add --page-token %s (or raise --limit; --limit 0 reads all)", things, token)
	if format == outputTable {
		fmt.Fprintln(o.out, msg)
		return
	}
	if !o.quiet {
		fmt.Fprintln(o.errOut, "sc: "+msg)
	}
}

// pageFlags are --limit and --page-token of a command whose RPC pages.
type pageFlags struct {
	limit int
	token string
}

func (p *pageFlags) register(cmd *cobra.Command, defaultLimit int) {
	cmd.Flags().IntVar(&p.limit, "limit", defaultLimit, "at most this many; 0 for all (sc follows the pages)")
	cmd.Flags().StringVar(&p.token, "page-token", "", "continue after a previous list (the token it printed), with the same filters")
}

func (p *pageFlags) check() error {
	if p.limit < 0 {
		return usagef("--limit %d: 0 (all) or more", p.limit)
	}
	return nil
}

// collectPages calls fetch with page sizes up to max until limit items (0: all) or the last
// page; fetch returns how many items the page had and the next token. It returns the token
// to continue with, empty at the end.
func collectPages(p pageFlags, max int, fetch func(token string, size uint32) (got int, next string, err error)) (string, error) {
	token, total := p.token, 0
	for {
		size := max
		if p.limit > 0 {
			size = min(size, p.limit-total)
		}
		got, next, err := fetch(token, uint32(size))
		if err != nil {
			return "", err
		}
		total += got
		if next == "" || (p.limit > 0 && total >= p.limit) {
			return next, nil
		}
		token = next
	}
}

// teamFlag adds --team with SC_TEAM as its default, the one way every command names a team.
func teamFlag(cmd *cobra.Command, team *string, usage string) {
	if usage == "" {
		usage = "team id"
	}
	cmd.Flags().StringVar(team, "team", os.Getenv("SC_TEAM"), usage+" (env SC_TEAM)")
}

// needTeam is the check of a command that cannot run without a team.
func needTeam(team string) error {
	if team == "" {
		return usagef("--team is required (or set SC_TEAM)")
	}
	return nil
}

// timeText prints ts in the --tz zone; minutes are enough for a person reading a table.
func (o *options) timeText(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().In(o.location()).Format("2006-01-02 15:04")
}

// location is the --tz zone (checked when the command starts), UTC when none is given.
func (o *options) location() *time.Location {
	if o.loc == nil {
		return time.UTC
	}
	return o.loc
}

// athleteNames maps athlete ids of team to display names from their programming profiles.
// Names decorate tables only, so a caller that may not read profiles still gets its table,
// with ids alone.
func athleteNames(ctx context.Context, conn grpc.ClientConnInterface, team string) map[string]string {
	resp, err := programmingv1.NewProgrammingServiceClient(conn).ListAthleteProfiles(ctx,
		&programmingv1.ListAthleteProfilesRequest{TeamId: team, IncludeInactive: true})
	if err != nil {
		return nil
	}
	names := make(map[string]string, len(resp.GetProfiles()))
	for _, p := range resp.GetProfiles() {
		if p.GetDisplayName() != "" {
			names[p.GetAthleteId()] = p.GetDisplayName()
		}
	}
	return names
}

// nameOf is the display name of an athlete for a NAME column, "-" when there is none.
func nameOf(names map[string]string, athlete string) string {
	if n := names[athlete]; n != "" {
		return n
	}
	return "-"
}

// isTerminal reports whether w is a character device, so progress bars are drawn for a
// person and never into a file or pipe a script reads.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// newTable is the tab writer of sc's tables.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }
