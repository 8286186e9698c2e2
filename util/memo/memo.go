// Package memo runs each fetch once per key for a run: several checks need
// the same directory facts or Graph answers. A shared fetch runs under the
// run's context (WithRun) with its own deadline, not under the context of
// the caller that happened to ask first: a caller with a short deadline, or
// one that gives up waiting, would otherwise spoil the facts every other
// caller waits for.
package memo

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Table holds a run's fetches by key. The zero value is ready.
type Table struct {
	mu    sync.Mutex
	calls map[string]*call
}

type call struct {
	done chan struct{}
	val  any
	err  error
}

// Do returns the value of fetch for key, fetching it once per table. The
// fetch runs in its own goroutine under the run's context and the deadline
// timeout (0: the run's only); a caller waits until it is done or its own
// ctx ends (then the zero value and ctx.Err(), and the fetch goes on for
// the others).
func Do[T any](ctx context.Context, t *Table, key string, timeout time.Duration, fetch func(context.Context) (T, error)) (T, error) {
	t.mu.Lock()
	if t.calls == nil {
		t.calls = map[string]*call{}
	}
	c, found := t.calls[key]
	if !found {
		c = &call{done: make(chan struct{})}
		t.calls[key] = c
		go c.run(runContext(ctx), timeout, func(ctx context.Context) (any, error) { return fetch(ctx) })
	}
	t.mu.Unlock()
	var zero T
	select {
	case <-c.done:
		if c.err != nil {
			return zero, c.err
		}
		return c.val.(T), nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// run fetches under ctx and the deadline; a panic becomes the fetch's error
// (it would otherwise end the process: the runner recovers only the checks'
// own goroutines).
func (c *call) run(ctx context.Context, timeout time.Duration, fetch func(context.Context) (any, error)) {
	defer close(c.done)
	defer func() {
		if r := recover(); r != nil {
			c.val, c.err = nil, fmt.Errorf("internal error: panic: %v", r)
		}
	}()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, timeout, sharedDeadline{timeout})
		defer cancel()
	}
	c.val, c.err = fetch(ctx)
}

type sharedDeadline struct{ d time.Duration }

func (s sharedDeadline) Error() string {
	return fmt.Sprintf("the deadline of %s for facts several checks share was exceeded", s.d)
}

type runContextKey struct{}

// WithRun marks ctx as the run's context: shared fetches started under any
// context derived from it run under it instead.
func WithRun(ctx context.Context) context.Context {
	return context.WithValue(ctx, runContextKey{}, ctx)
}

// runContext returns the run's context ctx derives from, or ctx itself
// outside a run (WithRun).
func runContext(ctx context.Context) context.Context {
	if r, ok := ctx.Value(runContextKey{}).(context.Context); ok {
		return r
	}
	return ctx
}
