package auth

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/supercomp/supercomp/pkg/bus"
	"github.com/supercomp/supercomp/pkg/bus/bustest"
)

// embeddedWithServiceUsers starts the embedded server with a NATS user per service, each with
// the given password (ServiceNATSUsers), stopped when the test ends.
func embeddedWithServiceUsers(t *testing.T, passwords map[string]string) *bus.Embedded {
	t.Helper()
	users, err := ServiceNATSUsers(passwords)
	if err != nil {
		t.Fatal(err)
	}
	e, err := bus.StartEmbedded(bus.EmbeddedConfig{StoreDir: t.TempDir(), Port: bus.RandomPort, Users: users}, bustest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Shutdown)
	return e
}

// TestServicePublishingOutsideItsSubjectsIsRefused runs the embedded server with per-service
// users: ingestion may publish training events, and NATS refuses its analysis event, which
// never reaches the ANALYSIS stream.
func TestServicePublishingOutsideItsSubjectsIsRefused(t *testing.T) {
	e := embeddedWithServiceUsers(t, map[string]string{"platform": "p-secret", "ingestion": "i-secret"})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	connect := func(ctx context.Context, user, password string) (*bus.Bus, error) {
		return bus.Connect(ctx, bus.Config{URL: e.ClientURL(), Name: user}, bustest.Logger(t),
			bus.WithNATSOptions(nats.UserInfo(user, password)))
	}
	// Connect retries until its context ends, so the refused attempt gets a short one.
	shortCtx, cancelShort := context.WithTimeout(ctx, time.Second)
	defer cancelShort()
	if _, err := connect(shortCtx, "ingestion", "wrong"); err == nil {
		t.Fatal("connected with a wrong password")
	}
	platform, err := connect(ctx, "platform", "p-secret")
	if err != nil {
		t.Fatal(err)
	}
	defer platform.Close()
	if err := platform.EnsureDefaultStreams(ctx); err != nil {
		t.Fatal(err)
	}
	ingestion, err := connect(ctx, "ingestion", "i-secret")
	if err != nil {
		t.Fatal(err)
	}
	defer ingestion.Close()

	if _, err := ingestion.Publish(ctx, "sc.training.t1.a1.set", "m1", []byte("x"), nil); err != nil {
		t.Fatalf("ingestion publishing a training event: %v", err)
	}
	pubCtx, cancelPub := context.WithTimeout(ctx, 2*time.Second)
	defer cancelPub()
	if _, err := ingestion.Publish(pubCtx, "sc.analysis.t1.a1.assessment", "m2", []byte("x"), nil); err == nil {
		t.Fatal("ingestion published an analysis event")
	}
	info, err := platform.JetStream().Stream(ctx, bus.StreamAnalysis)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 0 {
		t.Errorf("ANALYSIS has %d messages, want 0", n)
	}
	if _, err := ServiceNATSUsers(map[string]string{"billing": "x"}); err == nil {
		t.Error("unknown service got a NATS user")
	}
}
