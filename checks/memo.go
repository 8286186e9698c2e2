package checks

import (
	"context"
	"sync"
)

// memoTable runs each fetch once per key for a run: several checks need
// the same directory facts or Graph answers. The zero value is ready.
type memoTable struct {
	mu    sync.Mutex
	calls map[string]*memoCall
}

type memoCall struct {
	done chan struct{}
	val  any
	err  error
}

// memo runs fetch once per key of t; a caller waiting for another's fetch
// gives up when its ctx ends (the zero value and ctx.Err()).
func memo[T any](ctx context.Context, t *memoTable, key string, fetch func(context.Context) (T, error)) (T, error) {
	t.mu.Lock()
	if t.calls == nil {
		t.calls = map[string]*memoCall{}
	}
	call, found := t.calls[key]
	if !found {
		call = &memoCall{done: make(chan struct{})}
		t.calls[key] = call
	}
	t.mu.Unlock()
	if !found {
		v, err := fetch(ctx)
		call.val, call.err = v, err
		close(call.done)
		return v, err
	}
	var zero T
	select {
	case <-call.done:
		if call.err != nil {
			return zero, call.err
		}
		return call.val.(T), nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}
