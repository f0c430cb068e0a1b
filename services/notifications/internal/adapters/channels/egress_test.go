package channels

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestEgressCheck(t *testing.T) {
	local, err := ParseEgress("127.0.0.1/32, ::1")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr    string
		policy  Egress
		allowed bool
	}{
		{"93.184.216.34", Egress{}, true},
		{"2606:2800:220:1:248:1893:25c8:1946", Egress{}, true},
		{"127.0.0.1", Egress{}, false},
		{"127.0.0.1", local, true},
		{"127.0.0.2", local, false},
		{"::1", local, true},
		{"::ffff:127.0.0.1", Egress{}, false},
		{"169.254.169.254", Egress{}, false},
		{"fe80::1", Egress{}, false},
		{"10.0.0.1", Egress{}, false},
		{"172.16.5.4", Egress{}, false},
		{"192.168.0.1", Egress{}, false},
		{"fd00::1", Egress{}, false},
		{"100.64.1.1", Egress{}, false},
		{"224.0.0.1", Egress{}, false},
		{"ff02::1", Egress{}, false},
		{"0.0.0.0", Egress{}, false},
		{"255.255.255.255", Egress{}, false},
	} {
		err := c.policy.Check(netip.MustParseAddr(c.addr))
		if (err == nil) != c.allowed {
			t.Errorf("%s: err %v, want allowed %v", c.addr, err, c.allowed)
		}
		if err != nil && !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("%s: %v is not ErrForbiddenAddress", c.addr, err)
		}
	}
	if _, err := ParseEgress("127.0.0.0/8,not-a-net"); err == nil || !strings.Contains(err.Error(), "not-a-net") {
		t.Errorf("bad network list: %v", err)
	}
}

// counting is a server on addr that counts the requests reaching it.
func counting(t *testing.T, addr string, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n
}

// The policy holds at connect time, after name resolution and on every redirect: a webhook that
// was public when it was saved cannot be turned against an internal address later.
func TestEgressClientChecksEveryConnection(t *testing.T) {
	onlyFirst, _ := ParseEgress("127.0.0.1/32")
	client := onlyFirst.Client(2 * time.Second)
	ok := func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }
	internal, internalHits := counting(t, "127.0.0.2:0", ok)
	allowed, _ := counting(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/stolen", http.StatusTemporaryRedirect)
	})

	post := func(url string) error {
		resp, err := client.Post(url, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := post(internal.URL); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("direct post to %s: %v, want refused", internal.URL, err)
	}
	if err := post(allowed.URL); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("redirect to %s: %v, want refused", internal.URL, err)
	}
	// A name is checked by the address it resolves to when dialled, not by its spelling.
	_, port, _ := net.SplitHostPort(internal.Listener.Addr().String())
	resp, err := Egress{}.Client(2 * time.Second).Get("http://localhost:" + port + "/")
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("localhost: %v, want refused", err)
	}
	if n := internalHits.Load(); n != 0 {
		t.Errorf("the internal server got %d requests", n)
	}
}
