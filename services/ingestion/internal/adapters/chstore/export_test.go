package chstore

import "github.com/supercomp/supercomp/pkg/store"

// NewWithSpanLimit is New with a small span limit, so tests reach Stored's id-list query.
func NewWithSpanLimit(st store.Store, limit int) *Tables { return &Tables{st: st, spanLimit: limit} }
