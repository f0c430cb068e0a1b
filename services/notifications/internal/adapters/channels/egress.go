package channels

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrForbiddenAddress is returned for a webhook address the egress policy refuses.
var ErrForbiddenAddress = errors.New("address not allowed for webhooks")

// Egress is the network policy of outgoing webhook calls. A coach chooses webhook URLs, so
// without it a coach key could make the platform post into its own network: the ClickHouse HTTP
// port on the same host, a cloud metadata endpoint (169.254.169.254), or any internal service
// (server-side request forgery). Loopback, link-local, private, shared (CGNAT), multicast,
// unspecified and other special-purpose addresses are refused unless an operator allows their
// network (local development and tests).
//
// The policy is applied twice: to the resolved addresses when a subscription is saved, for a
// clear error, and to the address actually dialled by every attempt and every redirect, so a
// name that resolves to a public address at subscribe time and to an internal one later (DNS
// rebinding) is refused too.
type Egress struct {
	allowed []netip.Prefix
}

// blockedPrefixes are special-purpose ranges no webhook needs to reach (RFC 6890 and its IPv6
// counterpart), beyond what netip's own predicates cover.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (carrier-grade NAT)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64 can reach IPv4 internals
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
}

// ParseEgress reads a comma-separated list of networks (CIDR, or single addresses) that
// webhooks may reach despite being internal, e.g. "127.0.0.0/8,::1/128". Empty allows none.
func ParseEgress(list string) (Egress, error) {
	var e Egress
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return Egress{}, fmt.Errorf("allowed webhook network %q: not a CIDR prefix or an address", f)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		e.allowed = append(e.allowed, p.Masked())
	}
	return e, nil
}

// Check refuses an internal or special-purpose address outside the allowed networks.
func (e Egress) Check(a netip.Addr) error {
	a = a.Unmap()
	for _, p := range e.allowed {
		if p.Contains(a) {
			return nil
		}
	}
	kind := ""
	switch {
	case !a.IsValid():
		kind = "invalid"
	case a.IsLoopback():
		kind = "loopback"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		kind = "link-local"
	case a.IsPrivate():
		kind = "private"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		kind = "multicast"
	case a.IsUnspecified():
		kind = "unspecified"
	default:
		for _, p := range blockedPrefixes {
			if p.Contains(a) {
				kind = "special-purpose"
			}
		}
	}
	if kind == "" {
		return nil
	}
	return fmt.Errorf("%w: %s is a %s address", ErrForbiddenAddress, a, kind)
}

// CheckURL resolves the URL's host and refuses it when any of its addresses is refused.
func (e Egress) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		return e.Check(a)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("host %q does not resolve", host)
	}
	for _, a := range addrs {
		if err := e.Check(a); err != nil {
			return fmt.Errorf("%s resolves to %w", host, err)
		}
	}
	return nil
}

// maxRedirects bounds the redirects a webhook call follows; each one is dialled under the
// policy like the first request.
const maxRedirects = 3

// Client returns an HTTP client whose every connection (redirects included) is checked against
// the policy at dial time, after name resolution. It ignores proxy environment variables: a
// proxy would dial on our behalf and bypass the check.
func (e Egress) Client(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{
		Timeout: timeout,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			a, err := netip.ParseAddr(host)
			if err != nil {
				return fmt.Errorf("%w: %q is not an address", ErrForbiddenAddress, host)
			}
			return e.Check(a)
		},
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: transport,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return nil
		},
	}
}
