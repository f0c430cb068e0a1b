// Package servertest runs a server.Server for the length of a test.
package servertest

import (
	"context"
	"testing"
	"time"

	"github.com/supercomp/supercomp/pkg/server"
)

// Serve listens on srv's configured address, serves in the background and stops the server
// when the test ends. It returns the address the server listens on.
func Serve(t testing.TB, srv *server.Server) string {
	t.Helper()
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Start(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
	})
	return srv.Addr().String()
}
