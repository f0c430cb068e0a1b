package app

import (
	"context"

	programmingv1 "github.com/supercomp/supercomp/pkg/gen/supercomp/programming/v1"
)

// Table is a revision-checked store of one kind of record (a JetStream key-value bucket in
// production). Keys are dot-separated tokens, team first, so a team's records list by prefix.
type Table[T any] interface {
	// Get returns the record and its revision, or a fault.NotFound error.
	Get(ctx context.Context, key string) (T, uint64, error)
	// Put stores v. expected nil writes unconditionally, 0 creates only, N updates only while
	// the stored revision is still N; a failed check is fault.FailedPrecondition and changes
	// nothing. It returns the new revision.
	Put(ctx context.Context, key string, v T, expected *uint64) (uint64, error)
	// List returns every record whose key starts with prefix + "." (every record for "").
	List(ctx context.Context, prefix string) ([]Versioned[T], error)
}

// Versioned is a record with its revision.
type Versioned[T any] struct {
	Key      string
	Value    T
	Revision uint64
}

// Tables are the programming service's stores.
type Tables struct {
	// Profiles by team.athlete.
	Profiles Table[*programmingv1.AthleteProfile]
	// Programs by team.program.
	Programs Table[*programmingv1.Program]
	// Assignments by team.athlete (one active program per athlete).
	Assignments Table[*programmingv1.ProgramAssignment]
	// Deloads by team.deload (a deload is addressed by team and id; the athlete is inside).
	Deloads Table[*programmingv1.Deload]
	// Policies by team.
	Policies Table[*programmingv1.ProgrammingPolicy]
	// Plateaus by team.athlete.plateau: what was done about each PlateauDetected.
	Plateaus Table[*PlateauRecord]
}

// Key joins key tokens.
func Key(tokens ...string) string {
	out := ""
	for i, t := range tokens {
		if i > 0 {
			out += "."
		}
		out += t
	}
	return out
}
