package domain

import (
	"math"
	"time"
)

// Outcome classifies one delivery attempt.
type Outcome int

// Attempt outcomes.
const (
	// Delivered: the receiver accepted it (2xx, SMTP accepted).
	Delivered Outcome = iota + 1
	// Transient: worth retrying (5xx, 429, timeout, network error).
	Transient
	// Permanent: retrying cannot help (other 4xx, a bad address).
	Permanent
)

func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Transient:
		return "transient"
	case Permanent:
		return "permanent"
	}
	return "unknown"
}

// ClassifyHTTP classifies a webhook answer; status 0 means no answer (timeout, network error).
// 408 and 429 are the receiver asking to try again later; every other 4xx is the request's
// fault and would fail the same way again.
func ClassifyHTTP(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return Delivered
	case status == 0, status == 408, status == 429, status >= 500:
		return Transient
	default:
		return Permanent
	}
}

// ClassifySMTP classifies an SMTP reply code; 0 means no answer. 4yz replies are transient by
// the protocol's definition, 5yz permanent.
func ClassifySMTP(code int) Outcome {
	switch {
	case code >= 200 && code < 400:
		return Delivered
	case code == 0, code >= 400 && code < 500:
		return Transient
	default:
		return Permanent
	}
}

// RetryPolicy is exponential backoff with jitter and a budget of attempts.
type RetryPolicy struct {
	// MaxAttempts includes the first attempt.
	MaxAttempts int
	// Base is the delay after the first failure; each further failure multiplies it by
	// Multiplier, up to Max.
	Base       time.Duration
	Max        time.Duration
	Multiplier float64
	// Jitter is the fraction of the delay that is randomised (0-1): with 0.2 the delay is
	// uniform in [0.8d, d]. Jitter spreads the retries of many alerts after a receiver outage so
	// they do not all hit it in the same second.
	Jitter float64
}

// DefaultRetryPolicy: 6 attempts, 1s, 2s, 4s, 8s, 16s between them (minus up to 20% jitter).
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 6, Base: time.Second, Max: 5 * time.Minute, Multiplier: 2, Jitter: 0.2}
}

// Backoff is the delay after the attempt-th failed attempt (1-based). random is a uniform
// number in [0, 1) supplied by the caller, so the policy stays deterministic under test.
func (p RetryPolicy) Backoff(attempt int, random float64) time.Duration {
	attempt = max(attempt, 1)
	d := float64(p.Base) * math.Pow(p.Multiplier, float64(attempt-1))
	if p.Max > 0 {
		d = math.Min(d, float64(p.Max))
	}
	jitter := math.Min(math.Max(p.Jitter, 0), 1)
	d -= d * jitter * random
	return time.Duration(d)
}

// ShouldRetry reports whether another attempt follows an attempt-th attempt with outcome o.
func (p RetryPolicy) ShouldRetry(o Outcome, attempt int) bool {
	return o == Transient && attempt < p.MaxAttempts
}
