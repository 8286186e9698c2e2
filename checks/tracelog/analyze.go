package tracelog

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Analysis limits (Options overrides them).
const (
	DefaultMaxFiles = 100_000
	maxRequestIDs   = 5        // per reason in a Summary
	sniffBytes      = 1 << 10  // read from a file without an agent's trace-log name to decide whether it is a trace log
	maxPassed       = 1000     // names of files passed over kept in a Summary
	rangeBytes      = 32 << 20 // largest part of a file scanned on its own
	minRangeBytes   = 1 << 20  // smallest part worth a scanner of its own
)

// Filter selects failures. Records are always all counted.
type Filter struct {
	Since     time.Time // failures at or after Since (zero: no lower bound)
	Until     time.Time // failures before Until (zero: no upper bound)
	RequestID string    // only this request id (case-insensitive); empty: all
}

// Summary is the result of Analyze.
//
// Records, Unparsed, Orphans, LongLines and Bytes describe everything that was
// read. Failures, Untimed and Reasons count failure records that pass the
// filter's request id; of those, a failure without a usable DateTime is
// counted in Untimed and, when Since or Until is set, left out of Failures and
// Reasons (its time cannot be placed in the window). Without a time bound,
// untimed failures are in Failures and Reasons too.
type Summary struct {
	Filter    Filter
	Files     []FileInfo // files and archive entries read or skipped, in input order
	Ignored   int        // files in folders and archives that are not trace logs (by name and content)
	Passed    []string   // the first 1,000 of them, in walk order
	Outside   int        // failures the filter left out (time outside the window, or another request id)
	Bytes     int64
	Records   int
	Failures  int
	Untimed   int
	Unparsed  int
	Orphans   int
	LongLines int
	Reasons   []Reason // by Count descending, then Code
}

// FileInfo describes one input file or archive entry.
type FileInfo struct {
	Path     string // archive entries: "<archive path>!/<entry name>"
	Bytes    int64  // size (archive entries: uncompressed)
	Records  int
	Failures int    // failures that pass the filter
	Skipped  string // non-empty: not read, or not to the end; why
}

// Reason aggregates the failures of one Reason code.
type Reason struct {
	Code       int
	Count      int
	First      time.Time // earliest DateTime among its timed failures (zero: none timed)
	Last       time.Time // latest
	RequestIDs []string  // up to five, the first ones in input order
}

// Analyze reads trace logs from files, folders (recursively) and .zip
// archives and counts failures by reason. Explicit file inputs are always
// read as trace logs (or as archives when they are zip files); inside folders
// and archives, only files that look like the agent's trace logs are read:
// an agent's trace-file name (AgentLogName), or the agent's record markers
// in the first KiB (LooksLikeTraceLog). Others are counted in Ignored and
// named in Passed; nested archives are listed as skipped.
// Symbolic links inside folders are not followed.
//
// A missing or unreadable input is an error; problems with single files
// found inside folders and archives are reported in Summary.Files and the
// analysis goes on. Results do not depend on Options.Workers.
func Analyze(ctx context.Context, inputs []string, f Filter) (*Summary, error) {
	return AnalyzeWith(ctx, inputs, f, Options{})
}

// DefaultRecentWindow is the window of RecentFailures when none is given.
const DefaultRecentWindow = 24 * time.Hour

// RecentFailures analyzes the failures logged in [now-window, now): the data
// of the logs.recent-failures check. now is injected so callers can test it;
// window <= 0 means DefaultRecentWindow.
func RecentFailures(ctx context.Context, inputs []string, now time.Time, window time.Duration) (*Summary, error) {
	if window <= 0 {
		window = DefaultRecentWindow
	}
	return Analyze(ctx, inputs, Filter{Since: now.Add(-window), Until: now})
}

// AnalyzeWith is Analyze with explicit options.
func AnalyzeWith(ctx context.Context, inputs []string, f Filter, opts Options) (*Summary, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	p := planner{opts: opts, workers: workers}
	for _, in := range inputs {
		if err := p.input(in); err != nil {
			return nil, err
		}
	}
	results := make([]unitResult, len(p.units))
	workers = min(workers, len(p.units))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(p.units) {
					return
				}
				results[i] = p.units[i].run(ctx, opts, f)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("analyze trace logs: %w", err)
	}
	return merge(f, p.ignored, p.passed, results), nil
}

func (u *unit) run(ctx context.Context, opts Options, f Filter) unitResult {
	switch u.kind {
	case unitFile:
		return u.runFile(ctx, opts, f)
	case unitArchive:
		return runArchive(ctx, u, opts, f)
	}
	return unitResult{files: []fileResult{{info: FileInfo{Path: u.path}, skipped: u.note}}}
}

// runFile scans the byte range [start, end) of a file, realigned to record
// boundaries: a range that does not start the file begins at the first
// header line that starts at or after start, and every range stops before
// the first header line that starts at or after end. Whether a line is a
// header depends only on its bytes, so two neighbouring ranges agree on the
// boundary and every record is read exactly once, by the range that holds
// its header; the footers that follow it are read by the same range even
// when they lie past end. That makes the merged result independent of how
// the file was split.
func (u *unit) runFile(ctx context.Context, opts Options, f Filter) unitResult {
	fr := fileResult{info: FileInfo{Path: u.path}, agg: newAggregator(f)}
	if u.start == 0 {
		fr.info.Bytes = u.size // counted once per file
	}
	fh, err := os.Open(u.path)
	if err != nil {
		fr.skipped = "open: " + errText(err)
	} else {
		defer fh.Close()
		if fi, err := fh.Stat(); err != nil || !os.SameFile(fi, u.info) {
			fr.skipped = "the file was replaced during the analysis"
		} else if err := scanRange(ctx, fh, u.start, u.end, u.size, opts, &fr); err != nil {
			fr.skipped = "read: " + errText(err)
		}
	}
	return unitResult{cont: u.start > 0, files: []fileResult{fr}}
}

// scanRange scans the records whose header starts in [start, end) of the
// first size bytes of r (see runFile for the realignment rule).
func scanRange(ctx context.Context, r io.ReaderAt, start, end, size int64, opts Options, fr *fileResult) error {
	from := start
	if start > 0 {
		from = start - 1 // to see whether start begins a line
	}
	lr := newLineReader(ctx, io.NewSectionReader(r, from, size-from), opts.maxLine(), from, size-from)
	defer lr.release()
	lr.skip = start > 0
	s := &scanner{agg: fr.agg}
	defer func() { s.finish(); fr.stats = s.stats }()
	seeking := start > 0
	// take is the per-line step; it reports false at the range's end.
	take := func(line []byte, off int64, long bool) bool {
		t := trimLeft(line)
		if seeking || off >= end {
			switch h := isHeader(t); {
			case h && off >= end:
				return false // the next range's record, even if this range found none of its own
			case h:
				seeking = false
			case seeking:
				return true // the previous range's record
			}
		}
		s.line(t, long)
		return true
	}
	maxLine := opts.maxLine()
	for {
		// Fast path: whole lines already in the buffer, split in a tight loop.
		if c, base := lr.chunk(); c != nil {
			for p := 0; p < len(c); {
				i := bytes.IndexByte(c[p:], '\n')
				line, off := c[p:p+i], base+int64(p)
				p += i + 1
				if n := len(line); n > 0 && line[n-1] == '\r' {
					line = line[:n-1]
				}
				long := len(line) > maxLine
				if long {
					line = line[:maxLine]
				}
				// Most lines are footers of a record that needs nothing more
				// (not a failure, or its time is known): count them here,
				// as s.line would, without the calls.
				if !seeking && s.in && (!s.fail || s.sawTime) {
					if k, _ := footer(trimLeft(line)); k != keyNone {
						s.stats.Lines++
						if long {
							s.stats.LongLines++
						}
						continue
					}
				}
				if !take(line, off, long) {
					return nil
				}
			}
			continue
		}
		line, off, long, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !take(line, off, long) {
			return nil
		}
	}
}

// scanStream reads one whole stream (an archive entry) of at most size bytes.
func scanStream(ctx context.Context, r io.Reader, size int64, opts Options, fr *fileResult) error {
	lr := newLineReader(ctx, r, opts.maxLine(), 0, size)
	defer lr.release()
	s := &scanner{agg: fr.agg}
	defer func() { s.finish(); fr.stats = s.stats; fr.info.Bytes = lr.off }()
	for {
		line, _, long, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		s.line(trimLeft(line), long)
	}
}

// aggregator counts the failures of one file (or range) that pass the filter.
type aggregator struct {
	since, until time.Time
	timed        bool
	requestID    []byte
	failures     int
	untimed      int
	outside      int
	reasons      map[int]*Reason
}

func newAggregator(f Filter) *aggregator {
	a := &aggregator{since: f.Since, until: f.Until, timed: !f.Since.IsZero() || !f.Until.IsZero(), reasons: map[int]*Reason{}}
	if f.RequestID != "" {
		a.requestID = []byte(f.RequestID)
	}
	return a
}

func (a *aggregator) failure(rid []byte, code int, t time.Time, hasTime bool) {
	if a.requestID != nil && !bytes.EqualFold(rid, a.requestID) {
		a.outside++
		return
	}
	if !hasTime {
		a.untimed++
		if a.timed {
			return
		}
	} else if !a.since.IsZero() && t.Before(a.since) || !a.until.IsZero() && !t.Before(a.until) {
		a.outside++
		return
	}
	a.failures++
	r := a.reasons[code]
	if r == nil {
		r = &Reason{Code: code}
		a.reasons[code] = r
	}
	r.Count++
	if len(r.RequestIDs) < maxRequestIDs && !containsFold(r.RequestIDs, rid) {
		r.RequestIDs = append(r.RequestIDs, string(rid))
	}
	if hasTime {
		if r.First.IsZero() || t.Before(r.First) {
			r.First = t
		}
		if t.After(r.Last) {
			r.Last = t
		}
	}
}

// merge folds unit results in unit order, which is input order: the same
// inputs give the same Summary whatever the number of workers.
func merge(f Filter, ignored int, passed []string, results []unitResult) *Summary {
	s := &Summary{Filter: f, Ignored: ignored, Passed: passed}
	byCode := map[int]*Reason{}
	var order []int
	for _, ur := range results {
		s.Ignored += ur.ignored
		for _, p := range ur.passed {
			if len(s.Passed) < maxPassed {
				s.Passed = append(s.Passed, p)
			}
		}
		for i, fr := range ur.files {
			if ur.cont && i == 0 && len(s.Files) > 0 {
				last := &s.Files[len(s.Files)-1]
				last.Records += fr.stats.Records
				if last.Skipped == "" {
					last.Skipped = fr.skipped
				}
			} else {
				s.Files = append(s.Files, FileInfo{Path: fr.info.Path, Bytes: fr.info.Bytes, Records: fr.stats.Records, Skipped: fr.skipped})
			}
			s.Bytes += fr.info.Bytes
			s.Records += fr.stats.Records
			s.Unparsed += fr.stats.Unparsed
			s.Orphans += fr.stats.Orphans
			s.LongLines += fr.stats.LongLines
			a := fr.agg
			if a == nil {
				continue
			}
			s.Files[len(s.Files)-1].Failures += a.failures
			s.Failures += a.failures
			s.Untimed += a.untimed
			s.Outside += a.outside
			// Reasons: the order inside one file result does not matter for
			// counts and times; request ids append in file order.
			codes := make([]int, 0, len(a.reasons))
			for c := range a.reasons {
				codes = append(codes, c)
			}
			slices.Sort(codes)
			for _, c := range codes {
				r := a.reasons[c]
				m := byCode[c]
				if m == nil {
					m = &Reason{Code: c}
					byCode[c] = m
					order = append(order, c)
				}
				m.Count += r.Count
				if !r.First.IsZero() && (m.First.IsZero() || r.First.Before(m.First)) {
					m.First = r.First
				}
				if r.Last.After(m.Last) {
					m.Last = r.Last
				}
				for _, id := range r.RequestIDs {
					if len(m.RequestIDs) < maxRequestIDs && !containsFold(m.RequestIDs, []byte(id)) {
						m.RequestIDs = append(m.RequestIDs, id)
					}
				}
			}
		}
	}
	for _, c := range order {
		s.Reasons = append(s.Reasons, *byCode[c])
	}
	slices.SortFunc(s.Reasons, func(a, b Reason) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return cmp.Compare(a.Code, b.Code)
	})
	return s
}

// containsFold: ids holds id, ignoring case (one request logged twice, or
// in two files, is one example).
func containsFold(ids []string, id []byte) bool {
	for _, x := range ids {
		if strings.EqualFold(x, string(id)) {
			return true
		}
	}
	return false
}

// errText is an error's text without the path that os errors repeat.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
