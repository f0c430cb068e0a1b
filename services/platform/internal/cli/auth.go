package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/supercomp/supercomp/pkg/auth"
	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
)

func init() {
	subcommands = append(subcommands, newLoginCmd, newWhoAmICmd, newKeysCmd, newGrantsCmd, newTeamsCmd)
}

// callAuth dials and runs fn with the AuthService client under the call deadline, turning
// credential errors into one line that says what to do.
func (o *options) callAuth(cmd *cobra.Command, fn func(context.Context, authv1.AuthServiceClient) error) error {
	conn, ctx, done, err := o.connect(cmd)
	if err != nil {
		return err
	}
	defer done()
	return o.callFailed("", fn(ctx, authv1.NewAuthServiceClient(conn)))
}

func newLoginCmd(opts *options) *cobra.Command {
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Exchange your API key (--token, SC_TOKEN or the local platform's) for a token saved in the sc config file",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp *authv1.IssueTokenResponse
			var me *authv1.WhoAmIResponse
			err := opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				var err error
				if me, err = c.WhoAmI(ctx, &authv1.WhoAmIRequest{}); err != nil {
					return err
				}
				resp, err = c.IssueToken(ctx, &authv1.IssueTokenRequest{Ttl: durationpb.New(ttl)})
				return err
			})
			if err != nil {
				return err
			}
			path, err := configPath()
			if err != nil {
				return err
			}
			if err := writeConfig(path, config{addr: opts.addr, token: resp.GetToken()}); err != nil {
				return err
			}
			fmt.Fprintf(opts.out, "logged in to %s as %s (%s); token expires %s, saved in %s\n", opts.addr,
				me.GetPrincipal().GetSubject(), auth.RoleName(me.GetPrincipal().GetRole()), opts.when(resp.GetExpiresAt()), path)
			return nil
		},
	}
	cmd.Flags().DurationVar(&ttl, "ttl", auth.DefaultTokenTTL, "token lifetime (at most 168h)")
	cmd.Example = "  sc login --token sck_...   # then sc calls with the token until it expires"
	return covers(cmd, authv1.AuthService_WhoAmI_FullMethodName, authv1.AuthService_IssueToken_FullMethodName)
}

func newWhoAmICmd(opts *options) *cobra.Command {
	var output string
	cmd := covers(&cobra.Command{
		Use:     "whoami",
		Short:   "Show who sc calls the platform as: subject, role, teams and credential expiry",
		Example: "  sc whoami\n  sc whoami -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				me, err := c.WhoAmI(ctx, &authv1.WhoAmIRequest{})
				if err != nil {
					return err
				}
				if output != outputTable {
					return render(opts.out, output, me, nil)
				}
				p := me.GetPrincipal()
				_, source, _ := opts.credential()
				fmt.Fprintf(opts.out, "subject:    %s\nname:       %s\nrole:       %s\ngrants:     %s\ncredential: %s from %s\nexpires:    %s\n",
					p.GetSubject(), p.GetDisplayName(), auth.RoleName(p.GetRole()), grantsString(p.GetGrants()),
					me.GetCredentialKind(), source, opts.when(me.GetExpiresAt()))
				return nil
			})
		},
	}, authv1.AuthService_WhoAmI_FullMethodName)
	outputFlag(cmd, &output)
	return cmd
}

func newKeysCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Create, list and revoke API keys; rotate the token signing key (admin)"}
	var (
		name, role string
		teams      []string
		ttl        time.Duration
	)
	create := &cobra.Command{
		Use:         "create",
		Short:       "Create an API key; its secret is printed once",
		Annotations: map[string]string{annotationRPCs: authv1.AuthService_CreateApiKey_FullMethodName},
		Example: "  sc keys create --name 't1 force plates' --role device --team t1\n" +
			"  sc keys create --name 'Ana' --role athlete --team t1:ana",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, ok := auth.ParseRole(role)
			if !ok {
				return usagef("--role %q: want device, athlete, coach, staff or admin", role)
			}
			grants, err := parseGrants(teams)
			if err != nil {
				return err
			}
			req := &authv1.CreateApiKeyRequest{Name: name, Role: r, Grants: grants}
			if ttl > 0 {
				req.Ttl = durationpb.New(ttl)
			}
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err := c.CreateApiKey(ctx, req)
				if err != nil {
					return err
				}
				k := resp.GetKey()
				fmt.Fprintf(opts.out, "created key %s (%s, %s, grants %s, expires %s)\n", k.GetKeyId(), k.GetName(),
					auth.RoleName(k.GetRole()), grantsString(k.GetGrants()), opts.when(k.GetExpiresAt()))
				fmt.Fprintf(opts.out, "secret (shown only now): %s\n", resp.GetSecret())
				return nil
			})
		},
	}
	create.Flags().StringVar(&name, "name", "", "human name of the key")
	create.Flags().StringVar(&role, "role", "", "device, athlete, coach, staff or admin")
	create.Flags().StringArrayVar(&teams, "team", nil, "granted team, or team:athlete1,athlete2 for listed athletes only (repeatable)")
	create.Flags().DurationVar(&ttl, "ttl", 0, "lifetime; 0 means no expiry")

	var listTeam, listOutput string
	var all bool
	list := covers(&cobra.Command{
		Use:     "list",
		Short:   "List API keys (never their secrets)",
		Example: "  sc keys list --all\n  sc keys list --team t1 -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, listOutput); err != nil {
				return err
			}
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err := c.ListApiKeys(ctx, &authv1.ListApiKeysRequest{TeamId: listTeam, IncludeInactive: all})
				if err != nil {
					return err
				}
				return render(opts.out, listOutput, resp, func(tw io.Writer) error {
					fmt.Fprintf(tw, "KEY ID\tNAME\tROLE\tGRANTS\tCREATED (%[1]s)\tEXPIRES (%[1]s)\tREVOKED (%[1]s)\tLAST USED (%[1]s)\n", opts.location())
					for _, k := range resp.GetKeys() {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.GetKeyId(), k.GetName(), auth.RoleName(k.GetRole()),
							grantsString(k.GetGrants()), opts.when(k.GetCreatedAt()), opts.when(k.GetExpiresAt()), opts.timeText(k.GetRevokedAt()), opts.when(k.GetLastUsedAt()))
					}
					return nil
				})
			})
		},
	}, authv1.AuthService_ListApiKeys_FullMethodName)
	teamFlag(list, &listTeam, "only keys granted this team")
	list.Flags().BoolVar(&all, "all", false, "include revoked and expired keys")
	outputFlag(list, &listOutput)

	var reason string
	revoke := &cobra.Command{
		Use:   "revoke KEY_ID",
		Short: "Revoke an API key now; tokens issued from it stop working too",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err := c.RevokeApiKey(ctx, &authv1.RevokeApiKeyRequest{KeyId: args[0], Reason: reason})
				if err != nil {
					return err
				}
				fmt.Fprintf(opts.out, "revoked key %s (%s) at %s\n", resp.GetKey().GetKeyId(), resp.GetKey().GetName(), opts.when(resp.GetKey().GetRevokedAt()))
				return nil
			})
		},
	}
	revoke.Flags().StringVar(&reason, "reason", "", "why (recorded in the audit trail)")
	revoke.Example = "  sc keys revoke 3f2a9c0d1e2b4a5c --reason 'phone lost'"
	covers(revoke, authv1.AuthService_RevokeApiKey_FullMethodName)

	rotate := covers(&cobra.Command{
		Use:     "rotate-signing",
		Short:   "Rotate the key that signs login tokens; tokens signed by older keys stay valid until they expire",
		Example: "  sc keys rotate-signing",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err := c.RotateSigningKey(ctx, &authv1.RotateSigningKeyRequest{})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(opts.out, "new signing key %s; still accepted: %s\n", resp.GetSigningKeyId(), orText(strings.Join(resp.GetRetiredKeyIds(), ", ")))
				return err
			})
		},
	}, authv1.AuthService_RotateSigningKey_FullMethodName)
	cmd.AddCommand(create, list, revoke, rotate)
	return cmd
}

func newGrantsCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "grants", Short: "List and set the teams (and athletes) API keys may act on (admin)"}
	var team, output string
	list := covers(&cobra.Command{
		Use:     "list",
		Short:   "List active keys with their grants",
		Example: "  sc grants list --team t1\n  sc grants list -o yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err := c.ListGrants(ctx, &authv1.ListGrantsRequest{TeamId: team})
				if err != nil {
					return err
				}
				return render(opts.out, output, resp, func(tw io.Writer) error {
					fmt.Fprintln(tw, "KEY ID\tNAME\tROLE\tGRANTS")
					for _, k := range resp.GetKeys() {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.GetKeyId(), k.GetName(), auth.RoleName(k.GetRole()), grantsString(k.GetGrants()))
					}
					return nil
				})
			})
		},
	}, authv1.AuthService_ListGrants_FullMethodName)
	teamFlag(list, &team, "only grants on this team")
	outputFlag(list, &output)

	var teams []string
	var revision int64
	set := &cobra.Command{
		Use:     "set KEY_ID --team t1 [--team t2:a1,a2]",
		Short:   "Replace a key's grants",
		Example: "  sc grants set 3f2a9c0d1e2b4a5c --team t1 --team t2:ana,ben",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			grants, err := parseGrants(teams)
			if err != nil {
				return err
			}
			req := &authv1.SetGrantsRequest{KeyId: args[0], Grants: grants}
			if revision > 0 {
				rev := uint64(revision)
				req.ExpectedRevision = &rev
			}
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err := c.SetGrants(ctx, req)
				if err != nil {
					return err
				}
				fmt.Fprintf(opts.out, "key %s now has grants %s (revision %d)\n", resp.GetKey().GetKeyId(), grantsString(resp.GetKey().GetGrants()), resp.GetKey().GetRevision())
				return nil
			})
		},
	}
	set.Flags().StringArrayVar(&teams, "team", nil, "granted team, or team:athlete1,athlete2 (repeatable)")
	set.Flags().Int64Var(&revision, "revision", 0, "change only if the key is still at this revision (from sc keys list -o json)")
	covers(set, authv1.AuthService_SetGrants_FullMethodName)
	cmd.AddCommand(list, set)
	return cmd
}

func newTeamsCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "teams", Short: "Create and list teams and set their time zones (admin)"}
	create := &cobra.Command{
		Use:         "create TEAM_ID NAME",
		Short:       "Create a team; its days are counted in --tz (or SC_TZ; UTC without either)",
		Example:     "  sc teams create t1 'First team'\n  sc teams create u21 'Under 21' --tz Europe/London",
		Annotations: map[string]string{annotationRPCs: authv1.AuthService_CreateTeam_FullMethodName},
		Args:        cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err := c.CreateTeam(ctx, &authv1.CreateTeamRequest{Team: &authv1.Team{TeamId: args[0], Name: args[1], TimeZone: opts.tz}})
				if err != nil {
					return err
				}
				fmt.Fprintf(opts.out, "created team %s (%s, time zone %s)\n", resp.GetTeam().GetTeamId(), resp.GetTeam().GetName(), resp.GetTeam().GetTimeZone())
				return nil
			})
		},
	}
	setZone := covers(&cobra.Command{
		Use:     "set-zone TEAM_ID ZONE",
		Short:   "Set the IANA time zone of a team's days (console dates, check-in \"today\")",
		Example: "  sc teams set-zone t1 America/New_York",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err := c.SetTeamTimeZone(ctx, &authv1.SetTeamTimeZoneRequest{TeamId: args[0], TimeZone: args[1]})
				if err != nil {
					return err
				}
				fmt.Fprintf(opts.out, "team %s is now in %s\n", resp.GetTeam().GetTeamId(), resp.GetTeam().GetTimeZone())
				return nil
			})
		},
	}, authv1.AuthService_SetTeamTimeZone_FullMethodName)
	var output string
	list := covers(&cobra.Command{
		Use:     "list",
		Short:   "List teams",
		Example: "  sc teams list\n  sc teams list -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, output); err != nil {
				return err
			}
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err := c.ListTeams(ctx, &authv1.ListTeamsRequest{})
				if err != nil {
					return err
				}
				return render(opts.out, output, resp, func(tw io.Writer) error {
					fmt.Fprintf(tw, "TEAM\tNAME\tTIME ZONE\tCREATED (%s)\tBY\n", opts.location())
					for _, t := range resp.GetTeams() {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.GetTeamId(), t.GetName(), t.GetTimeZone(), opts.timeText(t.GetCreatedAt()), t.GetCreatedBy().GetSubject())
					}
					return nil
				})
			})
		},
	}, authv1.AuthService_ListTeams_FullMethodName)
	outputFlag(list, &output)
	cmd.AddCommand(create, list, setZone)
	return cmd
}

// parseGrants reads --team values: "t1" for the whole team, "t1:a1,a2" for listed athletes.
func parseGrants(values []string) ([]*authv1.TeamGrant, error) {
	var out []*authv1.TeamGrant
	for _, v := range values {
		team, athletes, hasAthletes := strings.Cut(v, ":")
		g := &authv1.TeamGrant{TeamId: strings.TrimSpace(team)}
		if g.TeamId == "" {
			return nil, usagef("--team %q: no team id", v)
		}
		if hasAthletes {
			for _, a := range strings.Split(athletes, ",") {
				if a = strings.TrimSpace(a); a != "" {
					g.AthleteIds = append(g.AthleteIds, a)
				}
			}
			if len(g.AthleteIds) == 0 {
				return nil, usagef("--team %q: no athletes after ':'", v)
			}
		}
		out = append(out, g)
	}
	return out, nil
}

func grantsString(grants []*authv1.TeamGrant) string {
	if len(grants) == 0 {
		return "-"
	}
	parts := make([]string, 0, len(grants))
	for _, g := range grants {
		if len(g.GetAthleteIds()) == 0 {
			parts = append(parts, g.GetTeamId())
		} else {
			parts = append(parts, g.GetTeamId()+":"+strings.Join(g.GetAthleteIds(), ","))
		}
	}
	return strings.Join(parts, " ")
}

// when prints a time of a key or token in the --tz zone, "never" when it has none.
func (o *options) when(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "never"
	}
	return o.timeText(ts)
}
