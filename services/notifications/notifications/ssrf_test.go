package notifications

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	notificationsv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/notifications/v1"
)

// A coach key must not be able to point the platform at its own network: loopback (the
// ClickHouse HTTP port on the same host), link-local (the cloud metadata endpoint), private
// and special-purpose addresses are refused when subscribing, by address or by a name that
// resolves to one, for webhooks and Slack-style webhooks alike.
func TestSubscribeRefusesInternalAddresses(t *testing.T) {
	cfg := testConfig()
	cfg.Egress, _ = Egress("") // production: nothing internal allowed
	h := newHarness(t, cfg, harnessOpts{})
	for _, c := range []struct {
		name, url, why string
		slack          bool
	}{
		{"loopback ClickHouse", "http://127.0.0.1:8123/?query=DROP+TABLE+x", "loopback", false},
		{"metadata endpoint", "http://169.254.169.254/latest/meta-data/", "link-local", false},
		{"private network", "https://10.1.2.3/hook", "private", false},
		{"IPv6 loopback", "http://[::1]:9000/", "loopback", false},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]:8123/", "loopback", false},
		{"name resolving to loopback", "http://localhost:8123/", "loopback", false},
		{"unspecified", "http://0.0.0.0:8123/", "unspecified", false},
		{"carrier-grade NAT", "http://100.64.0.1/", "special-purpose", false},
		{"slack to a private address", "https://192.168.1.10/services/x", "private", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			target := webhookTarget(c.url, "")
			field := "subscription.channels[0].webhook.url"
			if c.slack {
				target = &notificationsv1.ChannelTarget{Target: &notificationsv1.ChannelTarget_SlackWebhook{
					SlackWebhook: &notificationsv1.SlackWebhookTarget{Url: c.url}}}
				field = "subscription.channels[0].slack_webhook.url"
			}
			_, err := h.client.Subscribe(h.ctx, &notificationsv1.SubscribeRequest{TeamId: team, Subscription: &notificationsv1.Subscription{
				Channels: []*notificationsv1.ChannelTarget{target}}})
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("subscribe %s: %v, want InvalidArgument", c.url, err)
			}
			if !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), c.why) {
				t.Errorf("error %q does not name %s as %s", err, field, c.why)
			}
		})
	}
}
