package secevents

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Limits of one stream. Every read in this package is bounded by them: the
// parser holds one read block, the names of the open elements, and a few
// short values of the current event; text is streamed, never held.
const (
	readBlockBytes = 256 << 10 // read block: a few times the longest markup, small enough to stay in a core's cache
	maxMarkupBytes = 64 << 10  // longest tag, comment, CDATA section or processing instruction
	maxNameBytes   = 256       // longest element or attribute name
	maxDepth       = 64        // deepest element nesting
	maxAttrs       = 64        // attributes of one element
	maxData        = 256       // Data items of one event
	maxValueBytes  = 2048      // longest value kept (ProcessName, Status, account names); longer ones are cut and never match
)

// EventNS is the namespace of Windows event XML (the Event schema,
// https://learn.microsoft.com/en-us/windows/win32/wes/eventschema-schema).
const EventNS = "http://schemas.microsoft.com/win/2004/08/events/event"

// SecurityProvider is the provider of the Security log's logon events.
const SecurityProvider = "Microsoft-Windows-Security-Auditing"

var securityProvider = []byte(SecurityProvider)

// Event IDs counted (event-4624 and event-4625 pages of the Windows security
// auditing reference).
const (
	EventLogonSuccess = 4624
	EventLogonFailure = 4625
)

type nsKind uint8

const (
	nsNone  nsKind = iota // no namespace
	nsEvent               // EventNS
	nsOther
)

type binding struct {
	depth  int
	prefix string
	ns     nsKind
}

// value is one captured text or attribute value, cut at maxValueBytes.
type value struct {
	b   []byte
	set bool
	cut bool
}

func (v *value) reset() { v.b, v.set, v.cut = v.b[:0], false, false }

func (v *value) add(p []byte) {
	v.set = true
	if room := maxValueBytes - len(v.b); len(p) > room {
		p, v.cut = p[:room], true
	}
	v.b = append(v.b, p...)
}

// event is what the parser keeps of the event being read.
type event struct {
	start      int64 // stream offset of its start tag
	ns         nsKind
	depth      int // depth of the Event element
	section    int // sectionNone, sectionSystem, sectionData (the open child of Event)
	data       int // Data items so far
	bad        string
	provider   value
	id         value
	systemTime value
	process    value
	status     value
	subStatus  value
	user       value
	domain     value
	capture    *value // the value the open element's text goes to
	capDepth   int
}

const (
	sectionNone = iota
	sectionSystem
	sectionData
)

func (e *event) reset(start int64, ns nsKind, depth int) {
	e.start, e.ns, e.depth, e.section, e.data, e.bad, e.capture = start, ns, depth, sectionNone, 0, "", nil
	for _, v := range []*value{&e.provider, &e.id, &e.systemTime, &e.process, &e.status, &e.subStatus, &e.user, &e.domain} {
		v.reset()
	}
}

// errTruncated: the stream ended inside an event or before its root
// element closed (a file still being written, or cut).
var errTruncated = errors.New("truncated")

// syntaxError is malformed XML at a stream offset: reading stops there.
type syntaxError struct {
	off int64
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("not event XML at byte %d: %s", e.off, e.msg)
}

// parser reads one stream of event XML (UTF-8) and hands each complete
// Event element to sink.
type parser struct {
	ctx      context.Context
	r        io.Reader
	buf      []byte
	pos, end int
	base     int64 // stream offset of buf[0]
	rerr     error // io.EOF or a read error; the buffer is drained first

	// open elements: their qualified names, end to end in names
	names    []byte
	nameEnds []int
	ns       []binding
	attrs    []attr
	tag      []byte // the tag p.attrs point into
	cdata    []byte
	skip     bool // skipping the rest of the current event (see skipStep)
	skipNest int  // elements named like the event opened while skipping
	slow     bool // no shortcut (flat, text-only elements, the fast path of fast.go): the reference the fuzz tests compare with

	inEvent bool
	ev      event
	sink    func(*event)
	events  int // Event elements started
	fast    int // of those, read whole by the fast path (fast.go)
	// stopAt, when positive, ends the stream at the first top-level Event
	// start tag at or after this offset (a byte range of a file); stopped
	// records where.
	stopAt  int64
	stopped int64
}

// attr is one attribute of the tag being read, as offsets into it (no
// pointers: cheaper to collect than slices).
type attr struct{ ns, ne, vs, ve int32 }

func (p *parser) attrName(a attr) []byte { return p.tag[a.ns:a.ne] }
func (p *parser) attrVal(a attr) []byte  { return p.tag[a.vs:a.ve] }

// newParser reads r, which starts at offset base of its file; size, when
// not negative, is how much r holds at most and spares a full block for
// small inputs.
func newParser(ctx context.Context, r io.Reader, base, size int64, sink func(*event)) *parser {
	p := &parser{ctx: ctx, r: r, base: base, sink: sink, stopped: -1}
	n := int64(readBlockBytes)
	if size >= 0 && size < n {
		n = size + 1 // room to see the end in one read
	}
	if n == readBlockBytes {
		p.buf = *blocks.Get().(*[]byte)
	} else {
		p.buf = make([]byte, n)
	}
	for _, v := range []*value{&p.ev.provider, &p.ev.id, &p.ev.systemTime, &p.ev.process, &p.ev.status, &p.ev.subStatus, &p.ev.user, &p.ev.domain} {
		v.b = make([]byte, 0, 64)
	}
	return p
}

// blocks are read blocks for reuse: a large file is read in many byte
// ranges, each by a parser of its own, and a fresh block each would be
// zeroed memory from the system (page faults) and garbage to collect.
var blocks = sync.Pool{New: func() any { b := make([]byte, readBlockBytes); return &b }}

// release gives the read block back for reuse; the parser is not used
// after it (nothing it handed out points into the block: values are
// copied).
func (p *parser) release() {
	if len(p.buf) == readBlockBytes {
		b := p.buf
		p.buf, p.tag = nil, nil
		blocks.Put(&b)
	}
}

// fill moves the unread bytes to the front and reads more. It reports
// false when nothing more can come (the end, or a read error in p.rerr).
// Cancellation is checked once per block.
func (p *parser) fill() bool {
	if p.rerr != nil {
		return false
	}
	if err := p.ctx.Err(); err != nil {
		p.rerr = err
		return false
	}
	if p.pos > 0 {
		n := copy(p.buf, p.buf[p.pos:p.end])
		p.base += int64(p.pos)
		p.pos, p.end = 0, n
	}
	if p.end == len(p.buf) {
		return false // a token longer than the buffer: callers bound tokens below that
	}
	n, err := io.ReadAtLeast(p.r, p.buf[p.end:], 1)
	p.end += n
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		p.rerr = err
	}
	return n > 0
}

func (p *parser) syntax(format string, args ...any) error {
	return &syntaxError{off: p.base + int64(p.pos), msg: fmt.Sprintf(format, args...)}
}

// run parses to the end of the stream. It returns nil at a clean end,
// errTruncated when the stream ends inside markup, an event or the root
// element, a *syntaxError, or a read (or context) error.
func (p *parser) run() error {
	for {
		if p.pos == p.end && !p.fill() {
			return p.finish()
		}
		if p.skip {
			n, done, err := p.skipStep()
			if err != nil {
				return err
			}
			p.pos += n
			if done {
				p.skip = false
				continue
			}
			if p.rerr != nil { // skipStep saw the end of the stream
				if p.rerr == io.EOF {
					return errTruncated
				}
				return p.finish()
			}
			if !p.fill() && p.rerr == nil {
				return p.syntax("markup longer than the read block") // cannot happen: skipStep keeps less than maxMarkupBytes
			}
			continue
		}
		window := p.buf[p.pos:p.end]
		i := bytes.IndexByte(window, '<')
		if i != 0 {
			text := window
			if i > 0 {
				text = window[:i]
			}
			if err := p.text(text); err != nil {
				return err
			}
			p.pos += len(text)
			continue
		}
		n, err := p.markup()
		if err != nil {
			return err
		}
		if n > maxMarkupBytes && p.buf[p.pos+1] != '/' && (p.buf[p.pos+1] == '!' || p.buf[p.pos+1] == '?') {
			return p.syntax("markup longer than %d bytes", maxMarkupBytes)
		}
		if p.stopped >= 0 {
			return nil
		}
		if n == 0 { // incomplete: read more
			if p.end-p.pos >= maxMarkupBytes {
				return p.syntax("markup longer than %d bytes", maxMarkupBytes)
			}
			if !p.fill() {
				if p.rerr == io.EOF {
					return errTruncated
				}
				return p.finish()
			}
			continue
		}
		p.pos += n
	}
}

func (p *parser) finish() error {
	if p.rerr != nil && p.rerr != io.EOF {
		return p.rerr
	}
	if len(p.nameEnds) > 0 {
		return errTruncated
	}
	return nil
}

// text handles character data between markup.
func (p *parser) text(t []byte) error {
	if p.inEvent && p.ev.capture != nil {
		p.ev.capture.add(t)
		return nil
	}
	if len(p.nameEnds) == 0 {
		for k, c := range t {
			if !isSpace(c) { // at its byte, wherever a read block ended
				return &syntaxError{off: p.base + int64(p.pos+k), msg: "text outside an element"}
			}
		}
	}
	return nil
}

// Byte classes, as tables: these run for every byte of every tag.
var nameByte, ncNameByte, spaceByte = func() (n, nc, s [256]bool) {
	for c := range 256 {
		b := byte(c)
		nc[c] = b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-' || b == '.' || b >= 0x80
		n[c] = nc[c] || b == ':'
		s[c] = b == ' ' || b == '\t' || b == '\r' || b == '\n'
	}
	return
}()

// markup handles the markup at p.pos (which holds '<'). It returns the
// number of bytes it took, or 0 when the markup is not complete in the
// buffer.
func (p *parser) markup() (int, error) {
	w := p.buf[p.pos:p.end]
	if len(w) < 2 {
		return 0, nil
	}
	switch w[1] {
	case '/':
		return p.endTag(w)
	case '?':
		i := bytes.Index(w[2:], []byte("?>"))
		if i < 0 {
			return 0, nil
		}
		return i + 4, nil
	case '!':
		switch {
		case bytes.HasPrefix(w, []byte("<!--")):
			i := bytes.Index(w[4:], []byte("-->"))
			if i < 0 {
				return 0, nil
			}
			return i + 7, nil
		case bytes.HasPrefix(w, []byte("<![CDATA[")):
			i := bytes.Index(w[9:], []byte("]]>"))
			if i < 0 {
				return 0, nil
			}
			if len(p.nameEnds) == 0 {
				return 0, p.syntax("CDATA outside an element")
			}
			if p.inEvent && p.ev.capture != nil {
				// Escaped, so that the value decodes like text.
				p.cdata = cdataEscaper.AppendBytes(p.cdata[:0], w[9:9+i])
				p.ev.capture.add(p.cdata)
			}
			return i + 12, nil
		case len(w) < 9:
			return 0, nil
		case bytes.HasPrefix(w, []byte("<!DOCTYPE")):
			return 0, p.syntax("a DOCTYPE is not accepted in event XML")
		}
		return 0, p.syntax("unknown markup <!")
	}
	return p.startTag(w)
}

var cdataEscaper escaper
