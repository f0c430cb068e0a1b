package log

import (
	"context"
	"sync"

	"go.uber.org/zap"
)

// CallFields collects fields about one request that inner layers learn and the
// outer request logger writes: authentication runs deep inside the interceptor
// chain, after the logging interceptor has already passed its context on, so
// the principal and team travel back through this holder.
type CallFields struct {
	mu     sync.Mutex
	fields []zap.Field
}

type callFieldsKey struct{}

// WithCallFields returns a context carrying an empty holder, and the holder.
func WithCallFields(ctx context.Context) (context.Context, *CallFields) {
	cf := &CallFields{}
	return context.WithValue(ctx, callFieldsKey{}, cf), cf
}

// AddCallFields adds fields to the request log line of the call ctx belongs to.
// Outside a call (no holder in ctx) it does nothing.
func AddCallFields(ctx context.Context, fields ...zap.Field) {
	cf, ok := ctx.Value(callFieldsKey{}).(*CallFields)
	if !ok {
		return
	}
	cf.mu.Lock()
	cf.fields = append(cf.fields, fields...)
	cf.mu.Unlock()
}

// Fields returns what was added, in order. A streaming call may add while the
// logger reads, hence the copy under the lock.
func (cf *CallFields) Fields() []zap.Field {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	return append([]zap.Field(nil), cf.fields...)
}
