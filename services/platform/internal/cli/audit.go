package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/auth"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
)

func init() { subcommands = append(subcommands, newAuditCmd) }

// maxAuditPage is the largest page AuthService.ListAuditRecords answers.
const maxAuditPage = 500

// auditDetailWidth keeps a table row on one screen line; -o json has the whole detail.
const auditDetailWidth = 72

func newAuditCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read the audit trail: who created and revoked keys, changed grants, decided deloads (admins; coaches their team)"}
	var (
		team, actor, resource, since, until, pageToken, output string
		actions                                                []string
		limit                                                  int
	)
	list := &cobra.Command{
		Use:   "list [--team T] [--since 2026-01-01] [--action apikey.create,...] [-o table|json|yaml]",
		Short: "List audit records, newest first",
		Example: "  sc audit list --team t1 --since 2026-01-01\n" +
			"  sc audit list --action apikey.create --action apikey.revoke -o json\n" +
			"  sc audit list --team _platform --limit 0   # every platform-wide record",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			if limit < 0 {
				return usagef("--limit %d: 0 (all) or more", limit)
			}
			req := &authv1.ListAuditRecordsRequest{TeamId: team, ActorSubject: actor, Actions: actions, ResourceId: resource, PageToken: pageToken}
			var err error
			if req.Since, err = auditTime("--since", since, false); err != nil {
				return err
			}
			if req.Until, err = auditTime("--until", until, true); err != nil {
				return err
			}
			var resp *authv1.ListAuditRecordsResponse
			err = opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err = listAuditRecords(ctx, c, req, limit)
				return err
			})
			if err != nil {
				return err
			}
			if err := render(opts.out, output, resp, func(w io.Writer) error { return writeAuditTable(w, opts, resp.GetRecords()) }); err != nil {
				return err
			}
			opts.noteMore(output, resp.GetNextPageToken(), "records")
			return nil
		},
	}
	covers(list, authv1.AuthService_ListAuditRecords_FullMethodName)
	f := list.Flags()
	teamFlag(list, &team, "only this team's records (\"_platform\" for platform-wide ones)")
	f.StringVar(&actor, "actor", "", "only actions of this subject (API key id, token subject or service name)")
	f.StringSliceVar(&actions, "action", nil, "only these actions, e.g. apikey.create,apikey.revoke,grant.update,deload.decide (repeatable)")
	f.StringVar(&resource, "resource", "", "only actions on this resource, e.g. a key id")
	f.StringVar(&since, "since", "", "from this day (YYYY-MM-DD, UTC) or time (RFC 3339) on")
	f.StringVar(&until, "until", "", "up to this day (YYYY-MM-DD, UTC, the day included) or before this time (RFC 3339)")
	f.IntVar(&limit, "limit", 50, "at most this many records; 0 for all")
	f.StringVar(&pageToken, "page-token", "", "continue after a previous list (the token it printed), with the same filters")
	outputFlag(list, &output)
	cmd.AddCommand(list)
	return cmd
}

// auditTime reads a --since or --until value. A bare day means its start for --since and the
// start of the next day for --until (whose bound is exclusive), so `--until 2026-01-31`
// includes the 31st.
func auditTime(flag, v string, endOfDay bool) (*timestamppb.Timestamp, error) {
	if v == "" {
		return nil, nil
	}
	if day, err := time.Parse(time.DateOnly, v); err == nil {
		if endOfDay {
			day = day.AddDate(0, 0, 1)
		}
		return timestamppb.New(day), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, usagef("%s %q: want a day (2026-01-31) or a time (2026-01-31T18:00:00Z)", flag, v)
	}
	return timestamppb.New(t), nil
}

// listAuditRecords reads pages until limit records (0: all) or the end of the trail. The
// answer's next_page_token continues where it stopped.
func listAuditRecords(ctx context.Context, c authv1.AuthServiceClient, req *authv1.ListAuditRecordsRequest, limit int) (*authv1.ListAuditRecordsResponse, error) {
	out := &authv1.ListAuditRecordsResponse{}
	for {
		size := maxAuditPage
		if limit > 0 {
			size = min(size, limit-len(out.Records))
		}
		req.PageSize = uint32(size)
		resp, err := c.ListAuditRecords(ctx, req)
		if err != nil {
			return nil, err
		}
		out.Records = append(out.Records, resp.GetRecords()...)
		out.NextPageToken = resp.GetNextPageToken()
		if out.NextPageToken == "" || (limit > 0 && len(out.Records) >= limit) {
			return out, nil
		}
		req.PageToken = out.NextPageToken
	}
}

func writeAuditTable(tw io.Writer, opts *options, records []*authv1.AuditRecord) error {
	fmt.Fprintf(tw, "TIME (%s)\tTEAM\tACTOR\tROLE\tACTION\tRESOURCE\tDETAIL\n", opts.location())
	for _, r := range records {
		role := "-"
		if r.GetActor().GetRole() != 0 {
			role = auth.RoleName(r.GetActor().GetRole())
		}
		resource := r.GetResourceType()
		if id := r.GetResourceId(); id != "" {
			resource += " " + id
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.GetOccurredAt().AsTime().In(opts.location()).Format(time.DateTime), r.GetTeamId(),
			r.GetActor().GetSubject(), role, r.GetAction(), strings.TrimSpace(resource), oneLine(r.GetDetail(), auditDetailWidth))
	}
	if len(records) == 0 {
		fmt.Fprintln(tw, "(no records)")
	}
	return nil
}

// oneLine shortens s to at most n runes on one line, marking a cut with "…".
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
