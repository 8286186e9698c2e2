// Package tracelog reads the trace logs of the PTA Authentication Agent (and
// of the older App Proxy connector based agents): a streaming parser for the
// .NET TraceListener text format, and an analyzer that counts sign-in
// failures by reason over files, folders and .zip archives.
//
// # Format
//
// A record is a header line `<source> <Level>: <id> : <message>` followed by
// indented footer lines, one per enabled TraceOutputOptions key (ProcessId=,
// LogicalOperationStack=, ThreadId=, DateTime=, Timestamp=, Callstack=);
// pta-facts.md 3.2. Parsing rules:
//
//   - Lines end in CRLF or LF; leading white space is ignored on every line
//     (pasted logs are indented throughout).
//   - A header line starts a record; any source token (exe name) is accepted.
//   - Footer lines and other lines (continuations of a multi-line message,
//     call stacks) belong to the current record. Lines before the first
//     header of a file are orphans: counted in Stats.Orphans, attached to
//     nothing (a pasted log often starts with the previous record's footer).
//   - A record without DateTime is valid; its time is unknown. When a record
//     has several DateTime lines the first one counts, whether or not it
//     parses (a truncated value leaves the record untimed).
//   - The last record may be cut anywhere (a file being written).
//   - Bytes are not decoded: non-UTF-8 bytes pass through (Record strings are
//     made valid UTF-8 with U+FFFD).
//   - A line longer than Options.MaxLineBytes is cut: its first MaxLineBytes
//     bytes are classified like any line (so an over-long header still starts
//     a record, with Record.Truncated set) and the rest is skipped without
//     being held; such lines are counted in Stats.LongLines.
//
// A failure is a header whose message contains the documented text
// `Passthrough Authentication request failed. RequestId: '<36 hex digits or
// dashes>'. Reason: '<-?digits>'.`, the reason being a signed 32-bit number
// (a Win32 code, or an HRESULT such as -2146892994). A header that mentions
// "request failed" without matching it is counted in Stats.Unparsed, so a
// change of the agent's wording shows up instead of silently reading as zero.
package tracelog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits. Every read in this package is bounded by them.
const (
	DefaultMaxLineBytes = 64 << 10 // longer lines are cut and counted
	readBufBytes        = 1 << 20  // read block of one scanner
	minMaxLineBytes     = 64       // smallest accepted Options.MaxLineBytes
)

// Options tunes parsing and analysis; the zero value uses the defaults.
type Options struct {
	MaxLineBytes int // longest line kept; 0: DefaultMaxLineBytes

	// Analyze only.
	Workers          int   // files or parts of files scanned at once; 0: GOMAXPROCS
	MaxFiles         int   // files taken from folders (walk order); 0: DefaultMaxFiles
	MaxZipEntries    int   // archives with more entries are skipped; 0: DefaultMaxZipEntries
	MaxZipEntryBytes int64 // larger entries (uncompressed) are skipped; 0: DefaultMaxZipEntryBytes
	MaxZipBytes      int64 // uncompressed bytes read from one archive; 0: DefaultMaxZipBytes

	splitBytes int64 // size of the parts of a large file; 0: rangeBytes (tests set it)
}

func (o Options) maxLine() int {
	switch {
	case o.MaxLineBytes <= 0:
		return DefaultMaxLineBytes
	case o.MaxLineBytes < minMaxLineBytes:
		return minMaxLineBytes
	}
	return o.MaxLineBytes
}

// Record is one trace record.
type Record struct {
	Line      int64  // 1-based line number of the header
	Source    string // exe name, e.g. AzureADConnectAuthenticationAgentService.exe
	Level     string // Critical, Error, Warning, Information, Verbose, Start, Stop, Suspend, Resume, Transfer
	ID        int    // event id (0 for Trace.TraceError and friends); out-of-range values read as 0
	Message   string // the header's message (first line only)
	Truncated bool   // the header line was longer than MaxLineBytes and Message is cut

	Failure   bool   // the documented failure text was found
	RequestID string // failures: the request id as written
	Reason    int    // failures: the Reason value (Win32 code or HRESULT, may be negative)

	ThreadID string    // ThreadId= footer, as written
	Time     time.Time // DateTime= footer (UTC), valid when HasTime
	HasTime  bool
}

// Stats counts what one parse saw.
type Stats struct {
	Bytes     int64 // bytes read
	Lines     int64
	Records   int // header lines
	Failures  int // failure records (no filter)
	Untimed   int // failure records without a usable DateTime
	Unparsed  int // headers that mention "request failed" but are not the documented failure text
	Orphans   int // lines before the first header
	LongLines int // lines cut at MaxLineBytes
}

// Parse reads a trace log from r and calls fn for every record, in order.
// An error from fn stops parsing and is returned unchanged; a read error is
// returned wrapped, together with the counts so far.
func Parse(r io.Reader, opts Options, fn func(Record) error) (Stats, error) {
	lr := newLineReader(context.Background(), r, opts.maxLine(), 0, 0)
	defer lr.release()
	s := &scanner{emit: fn}
	for {
		line, _, long, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.stats.Bytes = lr.off
			return s.stats, fmt.Errorf("read trace log: %w", err)
		}
		if err := s.line(trimLeft(line), long); err != nil {
			return s.stats, err
		}
	}
	s.stats.Bytes = lr.off
	return s.stats, s.finish()
}

// lineReader splits a stream into lines holding at most one read block.
type lineReader struct {
	ctx        context.Context
	r          io.Reader
	buf        []byte
	start, end int   // unread bytes: buf[start:end]
	off        int64 // stream offset of buf[start]
	max        int
	err        error // io.EOF or a read error: the buffer is drained first
	skip       bool  // discard through the next '\n' (rest of a cut line, or realignment)
}

// newLineReader reads r, which starts at offset off of its file; size, when
// positive, is how much r holds at most and spares a full block for small
// inputs.
func newLineReader(ctx context.Context, r io.Reader, maxLine int, off, size int64) *lineReader {
	n := readBufBytes
	if size > 0 && size < int64(n) {
		n = int(size) + 1 // room to see the end in one read
	}
	n = max(n, 2*maxLine+2)
	var buf []byte
	if n == readBufBytes {
		buf = *blocks.Get().(*[]byte)
	} else {
		buf = make([]byte, n)
	}
	return &lineReader{ctx: ctx, r: r, buf: buf, max: maxLine, off: off}
}

// blocks recycles full-size read blocks: a large file is read in many
// parts, and fresh blocks would cost zeroing, page faults and GC each time.
var blocks = sync.Pool{New: func() any {
	b := make([]byte, readBufBytes)
	return &b
}}

// release hands the read block back; the reader is unusable afterwards.
func (lr *lineReader) release() {
	if len(lr.buf) == readBufBytes {
		b := lr.buf
		blocks.Put(&b)
	}
	lr.buf = nil
}

// next returns the next line without its line end (LF, or CRLF), the stream
// offset where it starts, and whether it was longer than max and cut. The
// line is valid until the next call. At the end it returns io.EOF; after a
// read error it first returns the lines read before it (the last one
// possibly incomplete, like a truncated file), then the error.
func (lr *lineReader) next() (line []byte, off int64, long bool, err error) {
	for {
		window := lr.buf[lr.start:lr.end]
		if lr.skip {
			if i := bytes.IndexByte(window, '\n'); i >= 0 {
				lr.start += i + 1
				lr.off += int64(i + 1)
				lr.skip = false
				continue
			}
			lr.off += int64(len(window))
			lr.start, lr.end = 0, 0
		} else if i := bytes.IndexByte(window, '\n'); i >= 0 {
			line, off = window[:i], lr.off
			lr.start += i + 1
			lr.off += int64(i + 1)
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			if len(line) > lr.max {
				line, long = line[:lr.max], true
			}
			return line, off, long, nil
		} else if len(window) > lr.max+1 {
			// Longer than max even if the next byte ends it: cut, skip the rest.
			line, off = window[:lr.max], lr.off
			lr.start += lr.max
			lr.off += int64(lr.max)
			lr.skip = true
			return line, off, true, nil
		} else if lr.err != nil {
			if len(window) == 0 {
				return nil, lr.off, false, lr.err
			}
			line, off = window, lr.off
			lr.start = lr.end
			lr.off += int64(len(window))
			if n := len(line); line[n-1] == '\r' {
				line = line[:n-1]
			}
			if len(line) > lr.max {
				line, long = line[:lr.max], true
			}
			return line, off, long, nil
		}
		if lr.err != nil {
			return nil, lr.off, false, lr.err
		}
		lr.fill()
	}
}

// chunk returns the complete lines at the front of the buffer, up to and
// including the last '\n' read so far, with the stream offset of the
// first, and consumes them; nil when the next line needs next (a line
// still being read, the rest of a cut line, the end). Lines in a chunk may
// be longer than max: the caller cuts them as next would.
func (lr *lineReader) chunk() ([]byte, int64) {
	if lr.skip {
		return nil, 0
	}
	window := lr.buf[lr.start:lr.end]
	i := bytes.LastIndexByte(window, '\n')
	if i < 0 {
		return nil, 0
	}
	off := lr.off
	lr.start += i + 1
	lr.off += int64(i + 1)
	return window[:i+1], off
}

// fill moves the unread bytes to the front and reads more; an error (or
// the end) is kept in lr.err. Cancellation is checked once per block.
func (lr *lineReader) fill() {
	if err := lr.ctx.Err(); err != nil {
		lr.err = err
		return
	}
	if lr.start > 0 {
		lr.end = copy(lr.buf, lr.buf[lr.start:lr.end])
		lr.start = 0
	}
	for range 100 { // io.Reader allows (0, nil); do not spin on it forever
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if err != nil {
			lr.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	lr.err = io.ErrNoProgress
}

// scanner is the record state machine shared by Parse (emit set: builds
// every Record) and Analyze (agg set: looks only at failures).
type scanner struct {
	emit func(Record) error
	agg  *aggregator

	stats Stats
	in    bool // a record is open

	// the open record
	fail    bool
	sawTime bool
	hasTime bool
	time    time.Time
	reason  int
	rid     [36]byte
	ridLen  int
	rec     Record // Parse only

	source []byte // the last header's source
}

// line takes one line with leading white space removed.
func (s *scanner) line(t []byte, long bool) error {
	s.stats.Lines++
	if long {
		s.stats.LongLines++
	}
	if k, v := footer(t); k != keyNone {
		switch {
		case !s.in:
			s.stats.Orphans++
		case k == keyDateTime:
			// Analyze needs the time of failures only.
			if !s.sawTime && (s.fail || s.emit != nil) {
				s.sawTime = true
				s.time, s.hasTime = parseTime(v)
			}
		case k == keyThreadID:
			if s.emit != nil && s.rec.ThreadID == "" {
				s.rec.ThreadID = validString(trimRight(v))
			}
		}
		return nil
	}
	var h header
	end, same := s.sourceEnd(t)
	if parseHeaderAfter(t, end, &h) {
		if err := s.finish(); err != nil {
			return err
		}
		if !same {
			s.source = append(s.source[:0], h.source(t)...) // no white space in it, so the shortcut is exact
		}
		s.header(t, &h, long)
		return nil
	}
	if !s.in {
		s.stats.Orphans++
	}
	return nil
}

// header opens the record whose header line t has the parts h.
func (s *scanner) header(t []byte, h *header, long bool) {
	s.in = true
	s.stats.Records++
	s.sawTime, s.hasTime, s.time = false, false, time.Time{}
	rid, reason, ok, mention := failure(h.message(t))
	s.fail = ok
	if ok {
		s.reason = reason
		s.ridLen = copy(s.rid[:], rid)
	} else if mention {
		s.stats.Unparsed++
	}
	if s.emit != nil {
		id, _ := strconv.Atoi(string(h.id(t)))
		s.rec = Record{
			Line:      s.stats.Lines,
			Source:    validString(h.source(t)),
			Level:     h.level,
			ID:        id,
			Message:   validString(h.message(t)),
			Truncated: long,
			Failure:   ok,
		}
		if ok {
			s.rec.RequestID = string(rid)
			s.rec.Reason = reason
		}
	}
}

// sourceEnd is sourceEnd(t), faster when t starts with the previous
// header's source, which nearly every header of a file shares; same
// reports that case.
func (s *scanner) sourceEnd(t []byte) (end int, same bool) {
	if n := len(s.source); n > 0 && len(t) > n && isSpace(t[n]) && string(t[:n]) == string(s.source) {
		return n, true
	}
	return sourceEnd(t), false
}

// finish closes the open record.
func (s *scanner) finish() error {
	if !s.in {
		return nil
	}
	s.in = false
	if s.fail {
		s.stats.Failures++
		if !s.hasTime {
			s.stats.Untimed++
		}
		if s.agg != nil {
			s.agg.failure(s.rid[:s.ridLen], s.reason, s.time, s.hasTime)
		}
	}
	if s.emit != nil {
		s.rec.Time, s.rec.HasTime = s.time, s.hasTime
		return s.emit(s.rec)
	}
	return nil
}

func validString(b []byte) string { return strings.ToValidUTF8(string(b), "\uFFFD") }
