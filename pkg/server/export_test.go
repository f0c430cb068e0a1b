package server

import "time"

// WithClock makes the server's rate limits and log sampling read time from now, so tests
// decide when buckets refill instead of sleeping.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}
