package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ptacheck/ptacheck/checks/tracelog"
)

// copyProgress shows collect copying trace logs on stderr: on a terminal a
// status line with the bytes done, rewritten at most five times a second;
// with --verbose a line per file; nothing otherwise. Its readers also end
// a copy early when ctx ends (a signal), so a partial bundle is written at
// once whatever the size of the file being copied.
type copyProgress struct {
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

func newCopyProgress(w io.Writer, verbose bool, files []tracelog.LogFile) *copyProgress {
	p := &copyProgress{w: w, tty: isTerminal(w), verbose: verbose, nfiles: len(files), start: time.Now()}
	for _, f := range files {
		p.total += f.Size
	}
	return p
}

// add counts n bytes read and updates the status line when it is due.
func (p *copyProgress) add(n int) {
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

// fileDone records that a file is copied.
func (p *copyProgress) fileDone(f tracelog.LogFile) {
	p.files++
	if p.verbose {
		fmt.Fprintf(p.w, "ptacheck: collect: copied %s (%s) at %s in all, %s\n", f.Path, mib(f.Size), mib(p.read.Load()), time.Since(p.start).Round(time.Millisecond))
	}
}

func (p *copyProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// reader counts what is read from f and reports EOF once ctx ends.
func (p *copyProgress) reader(ctx context.Context, _ tracelog.LogFile, f *os.File) io.Reader {
	return &progressReader{ctx: ctx, r: f, p: p}
}

type progressReader struct {
	ctx context.Context
	r   io.Reader
	p   *copyProgress
}

func (r *progressReader) Read(b []byte) (int, error) {
	if r.ctx.Err() != nil {
		return 0, io.EOF // cut short: collect says so in the manifest
	}
	n, err := r.r.Read(b)
	r.p.add(n)
	return n, err
}

// readerAt counts what an archive reader reads.
func (p *copyProgress) readerAt(f *os.File) io.ReaderAt { return &progressReaderAt{r: f, p: p} }

type progressReaderAt struct {
	r *os.File
	p *copyProgress
}

func (r *progressReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := r.r.ReadAt(b, off)
	r.p.add(n)
	return n, err
}
