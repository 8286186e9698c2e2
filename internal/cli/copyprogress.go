package cli

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// CopyProgress shows collect copying trace logs on stderr: on a terminal a
// status line with the bytes done, rewritten at most five times a second;
// with --verbose a line per file; nothing otherwise. Its readers also end
// a copy early when ctx ends (a signal), so a partial bundle is written at
// once whatever the size of the file being copied.
type CopyProgress struct {
	w       io.Writer
	tty     bool
	verbose bool
	total   int64 // bytes of all files
	nfiles  int
	read    atomic.Int64 // bytes read so far
	files   int
	start   time.Time
	mu      sync.Mutex
	last    time.Time
	shown   bool
}

// NewCopyProgress starts the progress of copying nfiles files of total
// bytes in all.
func NewCopyProgress(w io.Writer, verbose bool, nfiles int, total int64) *CopyProgress {
	return &CopyProgress{w: w, tty: IsTerminal(w), verbose: verbose, nfiles: nfiles, total: total, start: time.Now()}
}

// add counts n bytes read and updates the status line when it is due.
func (p *CopyProgress) add(n int) {
	done := p.read.Add(int64(n))
	if !p.tty || p.verbose {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond {
		p.last, p.shown = now, true
		fmt.Fprintf(p.w, "\r\x1b[Kcollect: trace logs %s of %s (file %d of %d)", mib(done), mib(p.total), min(p.files+1, p.nfiles), p.nfiles)
	}
}

// FileDone records that a file of size bytes at path is copied.
func (p *CopyProgress) FileDone(path string, size int64) {
	p.files++
	if p.verbose {
		fmt.Fprintf(p.w, "ptacheck: collect: copied %s (%s) at %s in all, %s\n", path, mib(size), mib(p.read.Load()), time.Since(p.start).Round(time.Millisecond))
	}
}

// Finish clears the status line.
func (p *CopyProgress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// Reader counts what is read from r and reports EOF once ctx ends.
func (p *CopyProgress) Reader(ctx context.Context, r io.Reader) io.Reader {
	return &progressReader{ctx: ctx, r: r, p: p}
}

type progressReader struct {
	ctx context.Context
	r   io.Reader
	p   *CopyProgress
}

func (r *progressReader) Read(b []byte) (int, error) {
	if r.ctx.Err() != nil {
		return 0, io.EOF // cut short: collect says so in the manifest
	}
	n, err := r.r.Read(b)
	r.p.add(n)
	return n, err
}

// ReaderAt counts what an archive reader reads.
func (p *CopyProgress) ReaderAt(r io.ReaderAt) io.ReaderAt { return &progressReaderAt{r: r, p: p} }

type progressReaderAt struct {
	r io.ReaderAt
	p *CopyProgress
}

func (r *progressReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(b, off)
	r.p.add(n)
	return n, err
}
