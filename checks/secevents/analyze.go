// Package secevents reads exported Windows Security events and counts the
// agent's logons: events 4625 (an account failed to log on) and 4624 (an
// account was successfully logged on) whose ProcessName is one of the
// agent's executables, by status, with the first and last time and the
// number of distinct accounts.
//
// # Input
//
// The XML that `wevtutil qe Security /q:"..." /f:xml` writes (Event
// elements one after another, no root element; with /e:Events, under an
// Events root) and the XML of Event Viewer's "Save All Events As... > XML"
// (an Events root), in UTF-8 or UTF-16 (with or without a byte order
// mark), CRLF or LF, with or without the event namespace, under any
// namespace prefix. Elements are read by the Event schema
// (https://learn.microsoft.com/en-us/windows/win32/wes/eventschema-schema):
// System/Provider/@Name, System/EventID, System/TimeCreated/@SystemTime and
// EventData/Data[@Name] (ProcessName, Status, SubStatus, TargetUserName,
// TargetDomainName), as the event-4624 and event-4625 pages of the Windows
// security auditing reference show them. Binary .evtx files are not read
// (no maintained Go library parses them; see Sniff and the docs for how to
// export XML).
//
// # Counting
//
// An event counts when its provider is Microsoft-Windows-Security-Auditing,
// its EventID 4624 or 4625, and its ProcessName one of Options.Processes
// (compared case-insensitively, as Windows paths are). A failure's status
// is SubStatus when that is present and not 0x0 (the specific reason under
// a generic Status such as 0xC000006D), else Status. Other processes'
// logon events are counted as such and otherwise ignored; so are other
// events.
//
// # Limits
//
// The reader streams: it holds one read block, the names of the open
// elements (at most 64 deep, names of at most 256 bytes), the attributes of
// one tag (at most 64, a tag at most 64 KiB) and a few values of the
// current event (at most 2 KiB each; at most 256 Data items per event).
// Distinct accounts are counted by a 64-bit hash of domain\user, at most
// 262,144 of them; past that the count is a lower bound. Large UTF-8 files
// are read in parallel byte ranges that realign on Event start tags; the
// result does not depend on how a file was split (a range whose start the
// previous range does not confirm makes the file be read again in one
// piece). Cancellation is checked once per 256 KiB read block.
//
// What is not read: once an event's EventID shows it is not a logon, or
// once its EventData is read, the rest of it is skipped up to its end tag
// by markup starts alone (comments, CDATA sections and processing
// instructions are passed whole, nested Event elements counted); malformed
// markup there is passed over rather than stopping the file.
//
// # Fast path
//
// Events exactly as wevtutil and Event Viewer write them (an Event start
// tag declaring the event namespace, System, Provider, then EventID, no
// white space between elements, plain attributes) are read without the
// tokenizer (fast.go): an event that is not a 4624 or 4625 is passed whole
// once its end tag is found with bytes.Index-class scans, a logon's System
// children and Data items are read by a loop that knows their shape. The
// fast path takes an event only when it is sure the full parser would find
// the same (the whole event in the read block, no comment, CDATA section,
// processing instruction or nested Event element, no prefix or namespace
// declaration inside, no EventID attribute, no repeated System value, no
// tag the full parser would refuse); otherwise the full parser reads it.
// FuzzFastPath compares the two on any input.
package secevents

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding/unicode"
)

// Analysis limits (Options overrides some).
const (
	DefaultMaxFiles = 100_000
	maxAccounts     = 1 << 18  // distinct account hashes kept by one aggregator
	maxCodes        = 1024     // distinct failure statuses listed
	rangeBytes      = 32 << 20 // largest part of a file read on its own
	minRangeBytes   = 1 << 20  // smallest part worth a reader of its own
)

// Filter selects the agent's events by time. Events are always all counted.
type Filter struct {
	Since time.Time // at or after (zero: no lower bound)
	Until time.Time // before (zero: no upper bound)
}

func (f Filter) timed() bool { return !f.Since.IsZero() || !f.Until.IsZero() }

// Options tunes the analysis.
type Options struct {
	Processes []string // the agent's executables (full paths); required
	Workers   int      // byte ranges read at once; 0: GOMAXPROCS
	MaxFiles  int      // files taken from folders; 0: DefaultMaxFiles

	splitBytes int64 // size of the parts of a large file; 0: automatic (tests set it)
}

// Summary is the result of Analyze.
type Summary struct {
	Filter    Filter
	Processes []string
	Files     []FileInfo // files read or passed over with a reason, in input order
	Ignored   int        // files in folders that are not event XML
	Bytes     int64

	Events       int // Event elements read
	Logons       int // 4624 and 4625 of the Security-Auditing provider
	OtherProcess int // logons of other processes (ignored)
	NoProcess    int // logons without a ProcessName item (whose they are is unknown)
	Malformed    int // logons over a limit or with a repeated Data item (not counted)
	Untimed      int // the agent's logons without a usable SystemTime
	Outside      int // the agent's logons outside Since/Until
	Truncated    int // events cut off by the end of a file

	Failures  int      // the agent's failures (4625) in the window: Reasons plus NoStatus plus Unlisted
	NoStatus  int      // of those, without a usable Status
	Unlisted  int      // of those, with statuses beyond the first 1024 distinct ones
	Reasons   []Reason // by Count descending, then Code
	Successes Tally    // the agent's successes (4624) in the window
}

// Tally counts events of one kind.
type Tally struct {
	Count           int
	First, Last     time.Time // zero when none had a time
	Accounts        int       // distinct TargetDomainName\TargetUserName
	AccountsAtLeast bool      // Accounts is a lower bound (too many to count)
}

// Reason is the agent's failures with one status (an NTSTATUS).
type Reason struct {
	Code uint32
	Tally
}

// FileInfo describes one input file.
type FileInfo struct {
	Path      string
	Bytes     int64
	Events    int
	Logons    int    // the agent's logons in the window
	Truncated bool   // ends inside an event or before its root element closes
	Skipped   string // non-empty: not read, or not to the end; why
}

// EVTXHint says how to turn an .evtx file into XML that Analyze reads.
const EVTXHint = `a binary event log (.evtx) is not read: export its events as XML on Windows, e.g. wevtutil qe FILE.evtx /lf:true /f:xml /e:Events > security.xml (add /q:"$(ptacheck security-query --format xpath)" for the agent's logons only)`

// ErrNoProcesses: Options.Processes is empty.
var ErrNoProcesses = errors.New("analyze security events: no agent executable to match")

// Analyze reads exported Security events from files and folders
// (recursively; symbolic links inside folders are not followed). Explicit
// files are read as event XML (an .evtx is listed as skipped with
// EVTXHint); in folders, files that Sniff calls event XML are read, .evtx
// files are listed as skipped, and others are counted in Ignored. A
// missing input is an error; problems with single files are reported in
// Files and the analysis goes on.
func Analyze(ctx context.Context, inputs []string, f Filter, opts Options) (*Summary, error) {
	if len(opts.Processes) == 0 {
		return nil, ErrNoProcesses
	}
	files, ignored, err := planFiles(ctx, inputs, cmp.Or(opts.MaxFiles, DefaultMaxFiles))
	if err != nil {
		return nil, fmt.Errorf("analyze security events: %w", err)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	m := newMatcher(opts.Processes)
	total := newAgg()
	s := &Summary{Filter: f, Processes: slices.Clone(opts.Processes), Ignored: ignored}
	for _, pf := range files {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("analyze security events: %w", err)
		}
		fi := FileInfo{Path: pf.path, Skipped: pf.note}
		if pf.note == "" {
			var a *agg
			a, fi = readFile(ctx, pf, f, m, workers, opts.splitBytes)
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("analyze security events: %w", err)
			}
			if a != nil {
				total.merge(a)
			}
		}
		s.Bytes += fi.Bytes
		s.Files = append(s.Files, fi)
	}
	total.fill(s)
	return s, nil
}

// planFiles lists the files to read: the files named, and in the folders
// named the files that look like exported Security events (at most
// maxFiles a folder); ignored counts the others.
func planFiles(ctx context.Context, inputs []string, maxFiles int) ([]plannedFile, int, error) {
	var files []plannedFile
	ignored := 0
	for _, in := range inputs {
		fi, err := os.Stat(in)
		if err != nil {
			return nil, 0, err
		}
		if !fi.IsDir() {
			files = append(files, plannedFile{path: in, info: fi, explicit: true})
			continue
		}
		taken := 0
		err = filepath.WalkDir(in, func(path string, d fs.DirEntry, err error) error {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if err != nil {
				if path == in {
					return err
				}
				files = append(files, plannedFile{path: path, note: "read folder: " + errText(err)})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if !d.Type().IsRegular() {
				ignored++
				return nil
			}
			if taken >= maxFiles {
				files = append(files, plannedFile{path: in, note: fmt.Sprintf("stopped after %d files (limit)", maxFiles)})
				return fs.SkipAll
			}
			pf, ok := planFolderFile(path, d)
			if !ok {
				ignored++
				return nil
			}
			files = append(files, pf)
			if pf.note == "" {
				taken++
			}
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	return files, ignored, nil
}

// planFolderFile decides what a file of a folder is: exported events to
// read, a file that could not be looked at (a note), or none of them.
func planFolderFile(path string, d fs.DirEntry) (plannedFile, bool) {
	kind, err := SniffFile(path)
	switch {
	case err != nil:
		return plannedFile{path: path, note: "read: " + errText(err)}, true
	case kind == KindEVTX:
		return plannedFile{path: path, note: EVTXHint}, true
	case kind == KindXML:
		fi, err := d.Info()
		if err != nil {
			return plannedFile{path: path, note: "stat: " + errText(err)}, true
		}
		return plannedFile{path: path, info: fi}, true
	}
	return plannedFile{}, false
}

type plannedFile struct {
	path     string
	info     os.FileInfo
	explicit bool
	note     string
}

// readFile reads one file, in parallel byte ranges when it is large UTF-8.
func readFile(ctx context.Context, pf plannedFile, f Filter, m *matcher, workers int, split int64) (*agg, FileInfo) {
	fi := FileInfo{Path: pf.path}
	fh, err := os.Open(pf.path)
	if err != nil {
		fi.Skipped = "open: " + errText(err)
		return nil, fi
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil || pf.info != nil && !os.SameFile(st, pf.info) {
		fi.Skipped = "the file was replaced during the analysis"
		return nil, fi
	}
	size := st.Size()
	fi.Bytes = size
	head := make([]byte, SniffBytes)
	n, err := fh.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		fi.Skipped = "read: " + errText(err)
		return nil, fi
	}
	head = head[:n]
	if Sniff(head) == KindEVTX {
		fi.Skipped = EVTXHint
		return nil, fi
	}
	enc, bom := detectEncoding(head)
	var res rangeResult
	if enc == encUTF8 {
		res = readRanges(ctx, fh, int64(bom), size, head[bom:], f, m, workers, split)
	} else {
		order := unicode.LittleEndian
		if enc == encUTF16BE {
			order = unicode.BigEndian
		}
		r := unicode.UTF16(order, unicode.IgnoreBOM).NewDecoder().Reader(io.NewSectionReader(fh, int64(bom), size-int64(bom)))
		res = readStream(ctx, r, 0, -1, -1, nil, false, f, m)
	}
	fi.Events = res.events
	fi.Logons = res.agg.agentLogons
	switch {
	case errors.Is(res.err, errTruncated):
		fi.Truncated = true
	case res.err != nil:
		var se *syntaxError
		if errors.As(res.err, &se) && enc != encUTF8 {
			// offsets are of the decoded text
			fi.Skipped = "read stopped: " + strings.Replace(se.Error(), "at byte", "at UTF-8 byte", 1)
		} else if errors.As(res.err, &se) {
			fi.Skipped = "read stopped: " + se.Error()
		} else {
			fi.Skipped = "read: " + errText(res.err)
		}
	}
	return res.agg, fi
}

// rangeResult is what reading (part of) a stream found.
type rangeResult struct {
	agg     *agg
	events  int
	fast    int // events the fast path read
	err     error
	begin   int64 // offset of the first byte parsed
	stopped int64 // offset where the range stopped (the next range's begin), or the size at the end
	ctxOK   bool  // stopped in the context the next range assumes
}

// readStream parses r, which starts at offset base of its file; with
// stopAt > 0 it stops at the first top-level Event start tag at or after
// stopAt. root is the file's root element (nil: events at the top); inside
// says that the stream starts inside it (a later byte range of the file).
//
// size, when not negative, is how many bytes r holds at most.
func readStream(ctx context.Context, r io.Reader, base, size, stopAt int64, root []byte, inside bool, f Filter, m *matcher) rangeResult {
	return readStreamWith(ctx, r, base, size, stopAt, root, inside, f, m, false)
}

func readStreamWith(ctx context.Context, r io.Reader, base, size, stopAt int64, root []byte, inside bool, f Filter, m *matcher, slow bool) rangeResult {
	a := newAgg()
	c := classifier{f: f, m: m, a: a}
	p := newParser(ctx, r, base, size, c.event)
	p.slow = slow
	p.stopAt = stopAt
	if inside && root != nil {
		p.names = append(p.names, root...)
		p.nameEnds = append(p.nameEnds, len(p.names))
	}
	err := p.run()
	defer p.release()
	if errors.Is(err, errTruncated) && p.inEvent {
		a.truncated++
	}
	res := rangeResult{agg: a, events: p.events, fast: p.fast, err: err, begin: base, stopped: p.stopped}
	if p.stopped >= 0 {
		// The next range starts with no namespace binding in scope and
		// either no open element or the one root element.
		res.ctxOK = len(p.ns) == 0 && (len(p.nameEnds) == 0 && root == nil || len(p.nameEnds) == 1 && string(p.names) == string(root))
	}
	return res
}

// matcher compares ProcessName values with the agent's executables.
type matcher struct{ paths [][]byte }

func newMatcher(paths []string) *matcher {
	m := &matcher{}
	for _, p := range paths {
		m.paths = append(m.paths, []byte(p))
	}
	return m
}

func (m *matcher) match(b []byte) bool {
	for _, p := range m.paths {
		if len(p) == len(b) && (bytes.Equal(p, b) || bytes.EqualFold(p, b)) { // exact first: the usual case, and cheaper
			return true
		}
	}
	return false
}

// equalFold is bytes.EqualFold, trying the exact match first.
func equalFold(a, b []byte) bool { return bytes.Equal(a, b) || bytes.EqualFold(a, b) }

// errText is an error's text without the path that os errors repeat.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
