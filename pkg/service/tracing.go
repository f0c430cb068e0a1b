package service

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/supercomp/supercomp/pkg/tracing"
)

// tracingFlushTimeout bounds the last export at shutdown: a collector that is down must not
// hold the process's exit.
const tracingFlushTimeout = 5 * time.Second

// StartTracing sets up tracing from the OTEL_* environment (tracing.Setup), says in the log
// whether spans are exported, and returns the function that flushes them at exit.
func StartTracing(ctx context.Context, name string, logger *zap.Logger) (stop func(), err error) {
	shutdown, enabled, err := tracing.Setup(ctx, name)
	if err != nil {
		return nil, err
	}
	logger.Info("tracing", zap.Bool("exporting", enabled))
	return func() {
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tracingFlushTimeout)
		defer cancel()
		if err := shutdown(flushCtx); err != nil {
			logger.Warn("flushing traces failed", zap.Error(err))
		}
	}, nil
}
