// Package domain holds the programming rules as plain functions over plain values: when planned
// deloads fall, whether a reactive recommendation becomes a deload, how a deload week is derived
// from the normal week, how templates progress week to week, and which coach decisions are
// allowed. It imports neither gRPC nor NATS nor ClickHouse, so every rule is table-tested with
// hand-checked numbers (docs/sports-science.md "Planned deloads" and "The deload prescription").
//
// Calendar days are time.Time values at midnight UTC; a training week starts on Monday.
package domain
