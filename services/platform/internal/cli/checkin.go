package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/types/known/durationpb"
	"rsc.io/qr"

	authv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/auth/v1"
	commonv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/common/v1"
)

func init() {
	subcommands = append(subcommands, newCheckinCmd)
}

// checkinLinkPath is the console's page that signs an athlete in from their personal link
// (services/console, checkin.go).
const checkinLinkPath = "/checkin/link"

func newCheckinCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{Use: "checkin", Short: "Athlete check-in: personal links to the daily questionnaire (admin)"}
	var (
		team, athlete, name, consoleURL string
		expires                         time.Duration
		showQR                          bool
	)
	link := &cobra.Command{
		Use:   "link",
		Short: "Create an athlete's personal check-in link (and print it as a QR code)",
		Long: "Creates an API key with the athlete role, bound to one athlete of one team, and prints the\n" +
			"check-in link that carries it, with a QR code for the coach to hand out. The link can be opened\n" +
			"again whenever the athlete's session has ended (a new phone, a week later). The key can only\n" +
			"report and read that athlete's own wellness and sessions. It is listed by `sc keys list`;\n" +
			"`sc keys revoke KEY_ID` stops the link and every session it started at once.",
		Example: "  sc checkin link --team t1 --athlete a7\n" +
			"  sc checkin link --team t1 --athlete a7 --name 'Sam (U19)' --url https://console.example.com",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if team == "" || athlete == "" {
				return usagef("--team and --athlete are required: a check-in link belongs to one athlete of one team")
			}
			base, err := url.Parse(strings.TrimRight(consoleURL, "/"))
			if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
				return usagef("--url %q: want the console's address, e.g. %s", consoleURL, DefaultConsoleURL)
			}
			req := &authv1.CreateApiKeyRequest{
				Name:   cmp.Or(name, fmt.Sprintf("check-in: %s of %s", athlete, team)),
				Role:   commonv1.Role_ROLE_ATHLETE,
				Grants: []*authv1.TeamGrant{{TeamId: team, AthleteIds: []string{athlete}}},
			}
			if expires > 0 {
				req.Ttl = durationpb.New(expires)
			}
			return opts.callAuth(cmd, func(ctx context.Context, c authv1.AuthServiceClient) error {
				resp, err := c.CreateApiKey(ctx, req)
				if err != nil {
					return err
				}
				k := resp.GetKey()
				u := *base
				u.Path += checkinLinkPath
				u.RawQuery = url.Values{"key": {resp.GetSecret()}}.Encode()
				fmt.Fprintf(opts.out, "check-in link for %s (athlete %s of team %s, expires %s):\n%s\n",
					k.GetName(), athlete, team, opts.when(k.GetExpiresAt()), u.String())
				if showQR {
					if err := writeQR(opts.out, u.String()); err != nil {
						return err
					}
				}
				fmt.Fprintf(opts.out, "the link is a credential: hand it to the athlete only; `sc keys revoke %s` stops it at once\n", k.GetKeyId())
				return nil
			})
		},
	}
	f := link.Flags()
	teamFlag(link, &team, "the athlete's team (required)")
	f.StringVar(&athlete, "athlete", "", "the athlete (required)")
	f.StringVar(&name, "name", "", "who the link is for, shown in `sc keys list` and the audit log")
	f.DurationVar(&expires, "expires", 0, "when the link stops working on its own (0: only when revoked)")
	f.BoolVar(&showQR, "qr", true, "also print the link as a QR code")
	f.StringVar(&consoleURL, "url", cmp.Or(os.Getenv("SC_CONSOLE_URL"), DefaultConsoleURL), "the console's address (env SC_CONSOLE_URL)")
	covers(link, authv1.AuthService_CreateApiKey_FullMethodName)
	cmd.AddCommand(link)
	return cmd
}

// qrQuietZone is the light margin scanners need around a code, in modules (the standard's 4).
const qrQuietZone = 4

// writeQR prints text as a QR code in the terminal, two modules per character cell with half
// blocks. Light modules are drawn (dark ones left blank) because most terminals are dark: the
// code then reads as dark on light, the way phone cameras expect it.
func writeQR(w io.Writer, text string) error {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return fmt.Errorf("qr code: %w", err)
	}
	light := func(x, y int) bool {
		if x < 0 || y < 0 || x >= code.Size || y >= code.Size {
			return true
		}
		return !code.Black(x, y)
	}
	var b strings.Builder
	for y := -qrQuietZone; y < code.Size+qrQuietZone; y += 2 {
		for x := -qrQuietZone; x < code.Size+qrQuietZone; x++ {
			top, bottom := light(x, y), light(x, y+1)
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteRune(' ')
			}
		}
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}
