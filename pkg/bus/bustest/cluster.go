package bustest

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/supercomp/supercomp/pkg/bus"
)

// Cluster starts n embedded JetStream servers routed to each other on loopback ports (a real
// cluster: R3 streams, meta leader, failover) and returns them with their client URLs. They
// shut down when the test ends; a test may shut one down earlier to lose it.
func Cluster(t testing.TB, n int) ([]*bus.Embedded, []string) {
	t.Helper()
	clientPorts, routePorts := make([]int, n), make([]int, n)
	for i := range n {
		clientPorts[i], routePorts[i] = freePort(t), freePort(t)
	}
	servers := make([]*bus.Embedded, n)
	started := make(chan error, n)
	for i := range n {
		var routes []string
		for j := range n {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", routePorts[j]))
			}
		}
		// Concurrently: each server waits for its routes before it is ready.
		go func() {
			e, err := bus.StartEmbedded(bus.EmbeddedConfig{
				StoreDir: t.TempDir(), Port: clientPorts[i], ServerName: fmt.Sprintf("n%d", i+1),
				Cluster: &bus.EmbeddedCluster{Name: "sc-test", Port: routePorts[i], Routes: routes},
			}, Logger(t))
			servers[i] = e
			started <- err
		}()
	}
	var errs []error
	for range n {
		if err := <-started; err != nil {
			errs = append(errs, err)
		}
	}
	t.Cleanup(func() {
		for _, s := range servers {
			if s != nil {
				s.Shutdown()
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("start cluster: %v", err)
	}
	urls := make([]string, n)
	for i, p := range clientPorts {
		urls[i] = fmt.Sprintf("nats://127.0.0.1:%d", p)
	}
	return servers, urls
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
