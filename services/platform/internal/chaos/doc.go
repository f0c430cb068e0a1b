// Package chaos is the fault suite: it runs the four services as separate processes on one NATS
// server (natsd) and the ClickHouse server, streams known squads through gRPC ingestion while it
// kills and slows the parts they depend on, and checks that nothing is lost, nothing is doubled,
// every alert reaches the coach's webhook and the recommendations match a fault-free run.
//
// It takes about five minutes, so `make test` skips it; `make chaos` runs it (SC_CHAOS=1).
package chaos
