package secevents

import (
	"bytes"
	"context"
	"io"
	"sync"
)

// readRanges reads the UTF-8 event XML in [start, size) of r, in parallel
// byte ranges when it is large enough.
//
// Range 0 starts at start; a later range starts at the first Event start
// tag (by its bytes: '<', an optional prefix, "Event", then white space,
// '>' or '/') at or after its nominal start, inside the file's root element
// when it has one. Every range stops at the first top-level Event start
// tag at or after its nominal end, which it finds while parsing with the
// true state. Merging checks that each range stopped exactly where the next
// one started, with no namespace declaration in scope and the same open
// root; then every range started in the state a single reader would have
// had there, and the result equals a single reader's. Where that check
// fails (an Event start tag inside a comment or CDATA section, events at
// mixed depths, a root that declares namespaces) the file is read again in
// one piece.
func readRanges(ctx context.Context, r io.ReaderAt, start, size int64, head []byte, f Filter, m *matcher, workers int, split int64) rangeResult {
	whole := func() rangeResult {
		return readStream(ctx, io.NewSectionReader(r, start, size-start), start, size-start, -1, nil, false, f, m)
	}
	n := size - start
	if split <= 0 {
		// 16 ranges a worker: the workers finish close together even when
		// one of them shares its core with other work.
		split = min(max(n/int64(16*workers), minRangeBytes), rangeBytes)
	}
	root, ok := rootOf(head)
	if !ok || n <= split || workers < 1 {
		return whole()
	}
	var bounds []int64
	for s := start; s < size; s += split {
		bounds = append(bounds, s)
	}
	bounds = append(bounds, size)
	w := &rangeWork{r: r, bounds: bounds, size: size, root: root, f: f, m: m, count: len(bounds) - 1}
	w.results = make([]rangeResult, w.count)
	w.done = make([]chan struct{}, w.count)
	for i := range w.done {
		w.done[i] = make(chan struct{})
	}
	// At most 2*workers ranges are read or waiting to be merged at once.
	w.tokens = make(chan struct{}, 2*workers)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range min(workers, w.count) {
		wg.Go(func() { w.read(rctx) })
	}
	total, consistent, interrupted := w.merge(ctx, start)
	cancel()
	wg.Wait()
	switch {
	case interrupted:
		return total
	case !consistent:
		return whole()
	case total.err == nil && total.stopped < size:
		// Cannot happen: the last range reads to the end.
		return whole()
	}
	return total
}

// rangeWork is the ranges of one file read concurrently and merged in
// order.
type rangeWork struct {
	r       io.ReaderAt
	bounds  []int64
	size    int64
	root    []byte
	f       Filter
	m       *matcher
	count   int
	results []rangeResult
	done    []chan struct{}
	tokens  chan struct{}
	mu      sync.Mutex
	next    int
}

// read reads the next ranges until none is left or ctx ends.
func (w *rangeWork) read(ctx context.Context) {
	for {
		select {
		case w.tokens <- struct{}{}:
		case <-ctx.Done():
			return
		}
		w.mu.Lock()
		i := w.next
		w.next++
		w.mu.Unlock()
		if i >= w.count {
			<-w.tokens
			return
		}
		w.results[i] = readRange(ctx, w.r, i, w.bounds, w.size, w.root, w.f, w.m)
		close(w.done[i])
	}
}

// merge merges the ranges in order as they are done; consistent is false
// when a range did not start where the one before stopped (the file is read
// whole instead). When ctx ends it returns what was merged with ctx's error.
func (w *rangeWork) merge(ctx context.Context, start int64) (total rangeResult, consistent, interrupted bool) {
	total = rangeResult{agg: newAgg(), begin: start}
	for i := range w.count {
		select {
		case <-w.done[i]:
		case <-ctx.Done():
			return rangeResult{agg: total.agg, err: ctx.Err()}, true, true
		}
		res := w.results[i]
		w.results[i] = rangeResult{}
		<-w.tokens
		if i > 0 {
			prev := total.stopped
			if prev != res.begin || prev < w.size && !total.ctxOK {
				return total, false, false
			}
		}
		total.agg.merge(res.agg)
		total.events += res.events
		total.stopped, total.ctxOK, total.err = res.stopped, res.ctxOK, res.err
		if total.stopped < 0 {
			total.stopped = w.size
		}
		if res.err != nil || total.stopped >= w.size {
			break // a single reader stops here too
		}
	}
	return total, true, false
}

// readRange reads range i of bounds.
func readRange(ctx context.Context, r io.ReaderAt, i int, bounds []int64, size int64, root []byte, f Filter, m *matcher) rangeResult {
	begin := bounds[0]
	if i > 0 {
		var err error
		begin, err = findEventStart(ctx, r, bounds[i], size)
		if err != nil {
			return rangeResult{agg: newAgg(), err: err, begin: bounds[i], stopped: -1}
		}
	}
	stopAt := bounds[i+1]
	if stopAt >= size {
		stopAt = -1
	}
	res := readStream(ctx, io.NewSectionReader(r, begin, size-begin), begin, size-begin, stopAt, root, i > 0, f, m)
	res.begin = begin
	if res.stopped < 0 && res.err == nil {
		res.stopped = size
	}
	return res
}

// findEventStart returns the offset of the first Event start tag candidate
// at or after from (by its bytes alone), or size when there is none.
func findEventStart(ctx context.Context, r io.ReaderAt, from, size int64) (int64, error) {
	const block = 64 << 10
	const keep = maxNameBytes + 8 // a candidate straddling two blocks is seen whole in the second
	buf := make([]byte, min(block+keep, max(size-from, 0)+1))
	off := from
	for off < size {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := r.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if n == 0 && err != nil {
			return 0, err
		}
		w := buf[:n]
		for k := 0; ; {
			j := bytes.Index(w[k:], []byte("Event"))
			if j < 0 {
				break
			}
			j += k
			k = j + 1
			if j+5 >= len(w) || !(isSpace(w[j+5]) || w[j+5] == '>' || w[j+5] == '/') {
				continue
			}
			s := j - 1
			if s >= 0 && w[s] == ':' {
				for s--; s >= 0 && isNameByte(w[s]) && w[s] != ':'; s-- {
				}
				if s+1 == j-1 { // empty prefix
					continue
				}
			}
			if s >= 0 && w[s] == '<' {
				return off + int64(s), nil
			}
		}
		if int64(n) < int64(len(buf)) || off+int64(n) >= size {
			break
		}
		off += int64(n - keep)
	}
	return size, nil
}

// rootOf finds the file's shape in its first bytes: events at the top
// (root nil) or under one root element without attributes that declare
// namespaces (its qualified name). ok is false when neither is clear.
func rootOf(head []byte) (root []byte, ok bool) {
	t := head
	for {
		t = bytes.TrimLeft(t, " \t\r\n")
		switch {
		case bytes.HasPrefix(t, []byte("<?")):
			i := bytes.Index(t, []byte("?>"))
			if i < 0 {
				return nil, false
			}
			t = t[i+2:]
			continue
		case bytes.HasPrefix(t, []byte("<!--")):
			i := bytes.Index(t[4:], []byte("-->"))
			if i < 0 {
				return nil, false
			}
			t = t[4+i+3:]
			continue
		}
		break
	}
	if len(t) < 2 || t[0] != '<' {
		return nil, false
	}
	n := name(t[1:])
	if n == 0 {
		return nil, false
	}
	q := t[1 : 1+n]
	if isEventName(q) {
		return nil, true
	}
	end := bytes.IndexByte(t, '>')
	if end < 0 || bytes.Contains(t[:end], []byte("xmlns")) || bytes.IndexByte(t[:end], '\'') >= 0 || bytes.IndexByte(t[:end], '"') >= 0 {
		return nil, false
	}
	if t[end-1] == '/' {
		return nil, false
	}
	return bytes.Clone(q), true
}
