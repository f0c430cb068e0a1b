package cli

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/supercomp/supercomp/pkg/auth"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

func init() {
	subcommands = append(subcommands, newConsoleCmd)
}

// DefaultConsoleURL is where the all-in-one serves the web console.
const DefaultConsoleURL = "http://127.0.0.1:7480"

// consoleLinkPath is the console's page that redeems a sign-in link (services/console).
const consoleLinkPath = "/signin/link"

func newConsoleCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "console", Short: "The web console: one-time sign-in links (admin)"}
	var (
		team, role, name, consoleURL string
		within, session              time.Duration
	)
	link := &cobra.Command{
		Use:   "link",
		Short: "Create a one-time sign-in link to the web console for a coach, staff member or admin",
		Long: "Creates a one-time API key (it authenticates once, within --valid) and prints the console link\n" +
			"that carries it. Opening the link and pressing Sign in exchanges the key for a session that\n" +
			"lasts at most --session; the link never works again. It is listed by `sc keys list` and\n" +
			"revoking it (`sc keys revoke KEY_ID`) ends the session it started.",
		Example: "  sc console link --team t1 --role coach\n" +
			"  sc console link --team t1 --role staff --name 'Ana (physio)' --valid 1h --url https://console.example.com",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, ok := auth.ParseRole(role)
			if !ok || (r != commonv1.Role_ROLE_COACH && r != commonv1.Role_ROLE_STAFF && r != commonv1.Role_ROLE_ADMIN) {
				return usagef("--role %q: the console signs in coach, staff or admin", role)
			}
			if team == "" && r != commonv1.Role_ROLE_ADMIN {
				return usagef("--team is required for a %s", auth.RoleName(r))
			}
			base, err := url.Parse(strings.TrimRight(consoleURL, "/"))
			if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
				return usagef("--url %q: want the console's address, e.g. %s", consoleURL, DefaultConsoleURL)
			}
			req := &authv1.CreateApiKeyRequest{
				Name: cmp.Or(name, fmt.Sprintf("console link: %s of %s", auth.RoleName(r), cmp.Or(team, "every team"))),
				Role: r, Ttl: durationpb.New(session), SingleUseWithin: durationpb.New(within),
			}
			if team != "" {
				req.Grants = []*authv1.TeamGrant{{TeamId: team}}
			}
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err := c.CreateApiKey(ctx, req)
				if err != nil {
					return err
				}
				k := resp.GetKey()
				u := *base
				u.Path += consoleLinkPath
				u.RawQuery = url.Values{"key": {resp.GetSecret()}}.Encode()
				fmt.Fprintf(opts.out, "one-time sign-in link for %s (%s, grants %s); open it by %s, the session ends by %s:\n%s\n",
					k.GetName(), auth.RoleName(k.GetRole()), grantsString(k.GetGrants()), opts.when(k.GetUseBy()), opts.when(k.GetExpiresAt()), u.String())
				fmt.Fprintf(opts.out, "it works once; `sc keys revoke %s` cancels it or ends its session\n", k.GetKeyId())
				return nil
			})
		},
	}
	f := link.Flags()
	teamFlag(link, &team, "team the person may see (required except for admins)")
	f.StringVar(&role, "role", "coach", "coach, staff or admin")
	f.StringVar(&name, "name", "", "who the link is for, shown in `sc keys list` and the audit log")
	f.DurationVar(&within, "valid", 15*time.Minute, "how long the link can be opened (at most 24h)")
	f.DurationVar(&session, "session", auth.DefaultTokenTTL, "longest session the link gives (the console also signs out after idling)")
	f.StringVar(&consoleURL, "url", cmp.Or(os.Getenv("SC_CONSOLE_URL"), DefaultConsoleURL), "the console's address (env SC_CONSOLE_URL)")
	covers(link, authv1.AuthService_CreateApiKey_FullMethodName)
	cmd.AddCommand(link)
	return cmd
}
