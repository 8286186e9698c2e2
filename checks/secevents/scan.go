package secevents

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"time"
	"unicode/utf8"
)

// Limits of one stream. Every read in this package is bounded by them: the
// parser holds one read block, the names of the open elements, and a few
// short values of the current event; text is streamed, never held.
const (
	readBlockBytes = 1 << 20  // read block
	maxMarkupBytes = 64 << 10 // longest tag, comment, CDATA section or processing instruction
	maxNameBytes   = 256      // longest element or attribute name
	maxDepth       = 64       // deepest element nesting
	maxAttrs       = 64       // attributes of one element
	maxData        = 256      // Data items of one event
	maxValueBytes  = 2048     // longest value kept (ProcessName, Status, account names); longer ones are cut and never match
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
	slow     bool // no shortcut for children (flat, text-only elements): the reference the fuzz test compares with

	inEvent bool
	ev      event
	sink    func(*event)
	events  int // Event elements started
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
	p.buf = make([]byte, n)
	for _, v := range []*value{&p.ev.provider, &p.ev.id, &p.ev.systemTime, &p.ev.process, &p.ev.status, &p.ev.subStatus, &p.ev.user, &p.ev.domain} {
		v.b = make([]byte, 0, 64)
	}
	return p
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
		for _, c := range t {
			if !isSpace(c) {
				return p.syntax("text outside an element")
			}
		}
	}
	return nil
}

func isSpace(c byte) bool { return spaceByte[c] }

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

func isNameByte(c byte) bool { return nameByte[c] }

// indexQuoteLT finds the first q or '<' in w (an attribute value's end, or
// the '<' it may not hold), eight bytes at a time; -1 for neither.
func indexQuoteLT(w []byte, q byte) int {
	const lo, hi, lt = 0x0101010101010101, 0x8080808080808080, 0x3C3C3C3C3C3C3C3C
	qq := uint64(q) * lo
	i := 0
	for ; i+8 <= len(w); i += 8 {
		v := binary.LittleEndian.Uint64(w[i:])
		x, y := v^lt, v^qq
		if m := ((x-lo)&^x | (y-lo)&^y) & hi; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(w); i++ {
		if w[i] == q || w[i] == '<' {
			return i
		}
	}
	return -1
}

// indexLT is bytes.IndexByte(w, '<'), eight bytes at a time over the
// first 64: in event XML the next '<' is usually a few bytes away, where
// IndexByte's set-up costs more than the search.
func indexLT(w []byte) int {
	const lo, hi, lt = 0x0101010101010101, 0x8080808080808080, 0x3C3C3C3C3C3C3C3C
	i := 0
	for ; i+8 <= len(w) && i < 64; i += 8 {
		x := binary.LittleEndian.Uint64(w[i:]) ^ lt // a zero byte where w holds '<'
		if m := (x - lo) &^ x & hi; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if i < 64 {
		for ; i < len(w); i++ {
			if w[i] == '<' {
				return i
			}
		}
		return -1
	}
	if k := bytes.IndexByte(w[i:], '<'); k >= 0 {
		return i + k
	}
	return -1
}

// name reads an XML name at the start of w; n is its length, 0 for none.
func name(w []byte) int {
	i := 0
	for i < len(w) && nameByte[w[i]] {
		i++
	}
	return i
}

func skipSpace(w []byte, i int) int {
	for i < len(w) && isSpace(w[i]) {
		i++
	}
	return i
}

func (p *parser) endTag(w []byte) (int, error) {
	n := name(w[2:])
	i := skipSpace(w, 2+n)
	if i == len(w) {
		return 0, nil
	}
	if n == 0 || w[i] != '>' {
		return 0, p.syntax("malformed end tag")
	}
	depth := len(p.nameEnds)
	if depth == 0 {
		return 0, p.syntax("end tag </%s> without a start tag", w[2:2+n])
	}
	from := 0
	if depth > 1 {
		from = p.nameEnds[depth-2]
	}
	if !bytes.Equal(p.names[from:p.nameEnds[depth-1]], w[2:2+n]) {
		return 0, p.syntax("end tag </%s> does not match <%s>", w[2:2+n], p.names[from:p.nameEnds[depth-1]])
	}
	p.pop()
	return i + 1, nil
}

// pop closes the innermost element.
func (p *parser) pop() {
	depth := len(p.nameEnds) - 1
	p.nameEnds = p.nameEnds[:depth]
	if depth == 0 {
		p.names = p.names[:0]
	} else {
		p.names = p.names[:p.nameEnds[depth-1]]
	}
	for len(p.ns) > 0 && p.ns[len(p.ns)-1].depth > depth {
		p.ns = p.ns[:len(p.ns)-1]
	}
	if !p.inEvent {
		return
	}
	e := &p.ev
	switch {
	case depth == e.depth:
		p.inEvent = false
		p.sink(e)
	case depth == e.capDepth && e.capture != nil:
		if e.capture == &e.id && e.section == sectionSystem && e.notLogonID() {
			p.skip, p.skipNest = true, 0
		}
		e.capture = nil
	case depth == e.depth+1:
		// Once System shows the event does not matter, or EventData is
		// read, the rest of the event can be skipped.
		switch e.section {
		case sectionSystem:
			p.skip, p.skipNest = !e.logon(), 0
		case sectionData:
			p.skip, p.skipNest = true, 0
		}
		e.section = sectionNone
	}
}

// notLogonID reports whether the EventID read so far settles that the
// event is not a logon, whatever System holds after it: four or more
// digits that are not 4624 or 4625 (more text appended to them, from a
// repeated EventID, cannot make 4624 or 4625 either).
func (e *event) notLogonID() bool {
	b := bytes.TrimSpace(e.id.b)
	if e.id.cut || len(b) < 4 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return string(b) != "4624" && string(b) != "4625"
}

// logon reports whether the event is a 4624 or 4625 of the Security
// provider, as far as System showed.
func (e *event) logon() bool {
	id, ok := parseEventID(e.id.b)
	return ok && !e.id.cut && (id == EventLogonFailure || id == EventLogonSuccess) && equalFold(e.provider.b, securityProvider)
}

// closeSkipped closes what was open inside the event when skipping began
// (System, when its EventID already settled it), leaving the Event
// element itself open for its end tag.
func (p *parser) closeSkipped() {
	d := p.ev.depth + 1
	if len(p.nameEnds) > d {
		p.nameEnds = p.nameEnds[:d]
		p.names = p.names[:p.nameEnds[d-1]]
		p.ns = trimBindings(p.ns, d)
	}
	p.ev.section, p.ev.capture = sectionNone, nil
}

// skipStep skips the rest of the current event up to its end tag, as far
// as the buffer goes: once System shows the event is not a logon, or once
// EventData is read, nothing after it is counted. It looks only at markup
// starts: comments, CDATA sections and processing instructions are passed
// whole (they may hold anything), start and end tags named like the event
// are counted so a nested one cannot end it early; other markup is not
// checked for well-formedness (malformed markup there is passed over
// rather than stopping the file). It depends only on the bytes, never on
// where a read block ends: it consumes what it has decided and asks for
// more. It returns the bytes consumed and whether the event's end tag is
// next (at p.pos + n).
func (p *parser) skipStep() (int, bool, error) {
	if !p.inEvent || len(p.nameEnds) < p.ev.depth+1 {
		return 0, true, nil // not where skipping applies: read on as usual
	}
	from := 0
	if p.ev.depth > 0 {
		from = p.nameEnds[p.ev.depth-1]
	}
	q := p.names[from:p.nameEnds[p.ev.depth]]
	w := p.buf[p.pos:p.end]
	final := p.rerr != nil // nothing more will come
	i := 0
	for {
		k := indexLT(w[i:])
		if k < 0 {
			return len(w), false, nil
		}
		t := i + k
		rest := w[t:]
		// Enough bytes to tell the markup apart (or the end of the stream).
		if len(rest) < len(q)+12 && !final {
			return t, false, nil
		}
		terminated := func(open, close string) (int, bool, error) {
			e := bytes.Index(rest[len(open):], []byte(close))
			if e < 0 {
				if len(rest) >= maxMarkupBytes {
					p.pos += t
					return 0, false, p.syntax("markup longer than %d bytes", maxMarkupBytes)
				}
				return -1, false, nil
			}
			return len(open) + e + len(close), true, nil
		}
		var n int
		var ok bool
		var err error
		c1 := byte(0)
		if len(rest) > 1 {
			c1 = rest[1]
		}
		switch {
		case c1 == '!' && bytes.HasPrefix(rest, []byte("<!--")):
			n, ok, err = terminated("<!--", "-->")
		case c1 == '!' && bytes.HasPrefix(rest, []byte("<![CDATA[")):
			n, ok, err = terminated("<![CDATA[", "]]>")
		case c1 == '?':
			n, ok, err = terminated("<?", "?>")
		case c1 == '/':
			if m := 2 + len(q); len(rest) >= m && rest[2] == q[0] && string(rest[2:m]) == string(q) {
				j := skipSpace(rest, m)
				if j == len(rest) && !final {
					return t, false, nil
				}
				if j < len(rest) && rest[j] == '>' {
					if p.skipNest == 0 {
						p.closeSkipped()
						return t, true, nil
					}
					p.skipNest--
				}
			}
			n, ok = 1, true
		case c1 == q[0]:
			if m := 1 + len(q); len(rest) > m && string(rest[1:m]) == string(q) && (isSpace(rest[m]) || rest[m] == '>' || rest[m] == '/') {
				gt := bytes.IndexByte(rest, '>')
				if gt < 0 {
					if len(rest) >= maxMarkupBytes {
						p.pos += t
						return 0, false, p.syntax("markup longer than %d bytes", maxMarkupBytes)
					}
					if !final {
						return t, false, nil
					}
					return len(w), false, nil
				}
				if rest[gt-1] != '/' {
					p.skipNest++
				}
				n, ok = gt+1, true
			} else {
				n, ok = 1, true
			}
		default:
			n, ok = 1, true
		}
		if err != nil {
			return 0, false, err
		}
		if !ok {
			if final {
				return len(w), false, nil
			}
			return t, false, nil
		}
		i = t + n
	}
}

func (p *parser) startTag(w []byte) (int, error) {
	n := name(w[1:])
	if n == 0 {
		return 0, p.syntax("malformed start tag")
	}
	if n > maxNameBytes {
		return 0, p.syntax("element name longer than %d bytes", maxNameBytes)
	}
	qname := w[1 : 1+n]
	i, selfClose, err := p.parseAttrs(w, 1+n, qname)
	if i == 0 || err != nil {
		return 0, err
	}
	if i > maxMarkupBytes {
		return 0, p.syntax("markup longer than %d bytes", maxMarkupBytes)
	}
	if len(p.nameEnds) == maxDepth {
		return 0, p.syntax("elements nested deeper than %d", maxDepth)
	}
	depth := len(p.nameEnds)
	// A byte range stops before the first top-level event at or after its
	// end (see analyze.go).
	if p.stopAt > 0 && !p.inEvent && depth <= 1 && p.base+int64(p.pos) >= p.stopAt && isEventName(qname) {
		p.stopped = p.base + int64(p.pos)
		return 0, nil
	}
	// Namespace declarations of this element are in scope for its own name.
	for _, a := range p.attrs {
		if an := p.attrName(a); bytes.HasPrefix(an, []byte("xmlns")) {
			switch {
			case len(an) == 5:
				p.ns = append(p.ns, binding{depth + 1, "", nsOf(p.attrVal(a))})
			case an[5] == ':':
				p.ns = append(p.ns, binding{depth + 1, string(an[6:]), nsOf(p.attrVal(a))})
			}
		}
	}
	ns, local, ok := p.resolve(qname)
	if !ok {
		p.ns = trimBindings(p.ns, depth)
		return 0, p.syntax("undeclared namespace prefix in <%s>", qname)
	}
	p.names = append(p.names, qname...)
	p.nameEnds = append(p.nameEnds, len(p.names))
	p.element(depth, ns, local)
	if selfClose {
		p.pop()
		return i, nil
	}
	if p.slow {
		return i, nil
	}
	if p.inEvent && depth == p.ev.depth+1 && p.ev.section != sectionNone {
		return p.flat(w, i), nil
	}
	// Most elements of event XML hold only text: take the text and the end
	// tag right away when both are in the buffer.
	if k := indexLT(w[i:]); k >= 0 {
		e := i + k
		if end := e + 2 + len(qname); end < len(w) && w[e+1] == '/' && w[end] == '>' && string(w[e+2:end]) == string(qname) {
			if k > 0 {
				if err := p.text(w[i:e]); err != nil {
					return 0, err
				}
			}
			p.pop()
			return end + 1, nil
		}
	}
	return i, nil
}

// parseAttrs reads the attributes of the start tag in w (whose name ends
// at i) into p.attrs. It returns the length of the tag and whether it
// closes itself; 0 when the tag is not complete in w.
func (p *parser) parseAttrs(w []byte, i int, qname []byte) (int, bool, error) {
	p.attrs, p.tag = p.attrs[:0], w
	for {
		j := skipSpace(w, i)
		if j == len(w) {
			return 0, false, nil
		}
		if w[j] == '>' {
			return j + 1, false, nil
		}
		if w[j] == '/' {
			if j+1 == len(w) {
				return 0, false, nil
			}
			if w[j+1] != '>' {
				return 0, false, p.syntax("malformed start tag <%s>", qname)
			}
			return j + 2, true, nil
		}
		if j == i {
			return 0, false, p.syntax("no space before an attribute in <%s>", qname)
		}
		an := name(w[j:])
		if an == 0 || an > maxNameBytes {
			return 0, false, p.syntax("malformed attribute in <%s>", qname)
		}
		k := skipSpace(w, j+an)
		if k == len(w) {
			return 0, false, nil
		}
		if w[k] != '=' {
			return 0, false, p.syntax("attribute without a value in <%s>", qname)
		}
		k = skipSpace(w, k+1)
		if k == len(w) {
			return 0, false, nil
		}
		q := w[k]
		if q != '"' && q != '\'' {
			return 0, false, p.syntax("unquoted attribute value in <%s>", qname)
		}
		// The value ends at the quote; '<' may not come before it. Values
		// are short: a loop beats IndexByte's set-up.
		e := indexQuoteLT(w[k+1:], q)
		if e < 0 {
			return 0, false, nil
		}
		e += k + 1
		if w[e] == '<' {
			return 0, false, p.syntax("'<' in an attribute value of <%s>", qname)
		}
		if len(p.attrs) == maxAttrs {
			return 0, false, p.syntax("more than %d attributes in <%s>", maxAttrs, qname)
		}
		for _, a := range p.attrs {
			if string(w[a.ns:a.ne]) == string(w[j:j+an]) {
				return 0, false, p.syntax("attribute %s repeated in <%s>", w[j:j+an], qname)
			}
		}
		p.attrs = append(p.attrs, attr{int32(j), int32(j + an), int32(k + 1), int32(e)})
		i = e + 1
	}
}

// flat reads the children of System or EventData (just opened, at the end
// of w's first i bytes) while they are what the Event schema puts there:
// unprefixed elements holding only text (or empty), whose attributes
// declare no namespace, each complete in w. It does what the general path
// (startTag, text, endTag) would do for them, without the element stack;
// anything else ends it, and the general path reads on from there. It
// returns where it stopped.
func (p *parser) flat(w []byte, i int) int {
	depth := len(p.nameEnds)
	if depth == maxDepth {
		return i
	}
	ns := nsNone
	for k := len(p.ns) - 1; k >= 0; k-- {
		if p.ns[k].prefix == "" {
			ns = p.ns[k].ns
			break
		}
	}
	// The Data fast path applies where element() would take Data items.
	data := p.ev.section == sectionData && ns == p.ev.ns && depth == p.ev.depth+2
	for {
		t := i
		if t < len(w) && w[t] != '<' {
			k := indexLT(w[i:])
			if k < 0 {
				return i
			}
			t += k
		}
		if t == len(w) {
			return t
		}
		if t+1 == len(w) {
			return t
		}
		switch w[t+1] {
		case '/', '!', '?':
			return t
		}
		if data && len(w)-t > 20 && string(w[t:t+11]) == "<Data Name=" {
			// The Data item of every event: <Data Name='X'>value</Data>.
			if next, ok := p.dataItem(w, t); ok {
				i = next
				continue
			}
		}
		n := ncName(w[t+1:])
		if n == 0 || n > maxNameBytes || t+1+n < len(w) && w[t+1+n] == ':' {
			return t
		}
		qname := w[t+1 : t+1+n]
		var end int
		selfClose := false
		if a := t + 1 + n; a < len(w) && w[a] == '>' {
			p.attrs, end = p.attrs[:0], a+1
		} else {
			m, sc, err := p.parseAttrs(w[t:], 1+n, qname)
			if m == 0 || err != nil || m > maxMarkupBytes {
				return t // incomplete, or an error the general path reports
			}
			for _, a := range p.attrs {
				if bytes.HasPrefix(p.attrName(a), []byte("xmlns")) {
					return t
				}
			}
			end, selfClose = t+m, sc
		}
		if selfClose {
			p.element(depth, ns, qname)
			p.ev.capture = nil
			i = end
			continue
		}
		v := indexLT(w[end:])
		if v < 0 {
			return t
		}
		c := end + v // the end tag must follow the text
		after := c + 2 + n
		if after >= len(w) || w[c+1] != '/' || w[after] != '>' || string(w[c+2:after]) != string(qname) {
			return t
		}
		p.element(depth, ns, qname)
		if v := p.ev.capture; v != nil {
			v.add(w[end:c])
			p.ev.capture = nil
			if v == &p.ev.id && p.ev.section == sectionSystem && p.ev.notLogonID() {
				p.skip, p.skipNest = true, 0
				return after + 1
			}
		}
		i = after + 1
	}
}

// dataItem reads <Data Name='X'>value</Data> (or with double quotes, or
// empty: <Data Name='X'/>) at w[t:], as flat and element() would, when it
// is exactly that and complete in w; ok is false otherwise (nothing is
// changed then).
func (p *parser) dataItem(w []byte, t int) (next int, ok bool) {
	q := w[t+11]
	if q != '\'' && q != '"' {
		return 0, false
	}
	e := indexQuoteLT(w[t+12:], q)
	if e < 0 {
		return 0, false
	}
	e += t + 12
	if w[e] != q || e+2 >= len(w) {
		return 0, false // '<' in the value: the general path reports it
	}
	nameAttr := w[t+12 : e]
	var vs, ve, end int
	switch {
	case w[e+1] == '>':
		vs = e + 2
		k := indexLT(w[vs:])
		if k < 0 {
			return 0, false
		}
		ve = vs + k
		end = ve + 7
		if end > len(w) || string(w[ve:end]) != "</Data>" {
			return 0, false
		}
	case w[e+1] == '/' && w[e+2] == '>':
		vs, ve, end = e+3, e+3, e+3
	default:
		return 0, false
	}
	e2 := &p.ev
	e2.data++
	if e2.data > maxData && e2.bad == "" {
		e2.bad = fmt.Sprintf("more than %d Data items", maxData)
	}
	if v := e2.dataField(nameAttr); v != nil {
		if v.set && e2.bad == "" {
			e2.bad = "Data " + string(nameAttr) + " repeated"
		}
		v.set = true
		v.add(w[vs:ve])
	}
	return end, true
}

// ncName is name without ':' (a name's length up to its first colon).
func ncName(w []byte) int {
	i := 0
	for i < len(w) && ncNameByte[w[i]] {
		i++
	}
	return i
}

func trimBindings(b []binding, depth int) []binding {
	for len(b) > 0 && b[len(b)-1].depth > depth {
		b = b[:len(b)-1]
	}
	return b
}

// isEventName: the qualified name's local part is Event.
func isEventName(q []byte) bool {
	if i := bytes.LastIndexByte(q, ':'); i >= 0 {
		q = q[i+1:]
	}
	return string(q) == "Event"
}

func nsOf(uri []byte) nsKind {
	switch string(uri) {
	case "":
		return nsNone
	case EventNS:
		return nsEvent
	}
	return nsOther
}

// resolve splits a qualified name and finds its namespace.
func (p *parser) resolve(q []byte) (nsKind, []byte, bool) {
	prefix, local := []byte(nil), q
	if i := bytes.IndexByte(q, ':'); i >= 0 {
		prefix, local = q[:i], q[i+1:]
		if len(prefix) == 0 || len(local) == 0 || bytes.IndexByte(local, ':') >= 0 {
			return 0, nil, false
		}
	}
	for k := len(p.ns) - 1; k >= 0; k-- {
		if p.ns[k].prefix == string(prefix) {
			return p.ns[k].ns, local, true
		}
	}
	return nsNone, local, prefix == nil
}

// element notes a start tag (already pushed at depth) that matters for the
// event being read, or starts an event.
func (p *parser) element(depth int, ns nsKind, local []byte) {
	if !p.inEvent {
		if depth <= 1 && string(local) == "Event" && ns != nsOther {
			p.inEvent = true
			p.events++
			p.ev.reset(p.base+int64(p.pos), ns, depth)
		}
		return
	}
	e := &p.ev
	if ns != e.ns {
		return
	}
	switch depth - e.depth {
	case 1:
		switch string(local) {
		case "System":
			e.section = sectionSystem
		case "EventData":
			e.section = sectionData
		}
	case 2:
		switch {
		case e.section == sectionSystem:
			switch string(local) {
			case "Provider":
				p.attrValue(&e.provider, "Name")
			case "EventID":
				p.capture(&e.id, depth)
			case "TimeCreated":
				p.attrValue(&e.systemTime, "SystemTime")
			}
		case e.section == sectionData && string(local) == "Data":
			e.data++
			if e.data > maxData && e.bad == "" {
				e.bad = fmt.Sprintf("more than %d Data items", maxData)
			}
			var nameAttr []byte
			for _, a := range p.attrs {
				if string(p.attrName(a)) == "Name" {
					nameAttr = p.attrVal(a)
				}
			}
			if v := e.dataField(nameAttr); v != nil {
				if v.set && e.bad == "" {
					e.bad = "Data " + string(nameAttr) + " repeated"
				}
				p.capture(v, depth)
			}
		}
	}
}

// dataField is where a Data item's value goes, nil when it does not matter.
func (e *event) dataField(n []byte) *value {
	switch string(n) {
	case "ProcessName":
		return &e.process
	case "Status":
		return &e.status
	case "SubStatus":
		return &e.subStatus
	case "TargetUserName":
		return &e.user
	case "TargetDomainName":
		return &e.domain
	}
	return nil
}

func (p *parser) capture(v *value, depth int) {
	v.set = true // an empty element is an empty value
	p.ev.capture, p.ev.capDepth = v, depth
}

func (p *parser) attrValue(v *value, attrName string) {
	for _, a := range p.attrs {
		if string(p.attrName(a)) == attrName {
			v.reset()
			v.add(p.attrVal(a))
			return
		}
	}
}

// decoded returns the value with its character references resolved; ok
// is false for an unknown or malformed reference (and for a value that
// was cut).
func decoded(v *value, scratch []byte) ([]byte, bool) {
	if v.cut {
		return nil, false
	}
	if bytes.IndexByte(v.b, '&') < 0 {
		return v.b, true
	}
	out := scratch[:0]
	b := v.b
	for len(b) > 0 {
		i := bytes.IndexByte(b, '&')
		if i < 0 {
			out = append(out, b...)
			break
		}
		out = append(out, b[:i]...)
		b = b[i:]
		j := bytes.IndexByte(b, ';')
		if j < 0 {
			return nil, false
		}
		ref := b[1:j]
		b = b[j+1:]
		switch string(ref) {
		case "amp":
			out = append(out, '&')
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			if len(ref) < 2 || ref[0] != '#' {
				return nil, false
			}
			var r uint64
			var err error
			if ref[1] == 'x' {
				r, err = strconv.ParseUint(string(ref[2:]), 16, 32)
			} else {
				r, err = strconv.ParseUint(string(ref[1:]), 10, 32)
			}
			if err != nil || r == 0 || r > 0x10FFFF || r >= 0xD800 && r < 0xE000 {
				return nil, false
			}
			out = appendRune(out, rune(r))
		}
	}
	return out, true
}

func appendRune(b []byte, r rune) []byte { return utf8.AppendRune(b, r) }

type escaper struct{}

// AppendBytes appends b with & and < escaped.
func (escaper) AppendBytes(dst, b []byte) []byte {
	for _, c := range b {
		switch c {
		case '&':
			dst = append(dst, "&amp;"...)
		case '<':
			dst = append(dst, "&lt;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

var cdataEscaper escaper

// parseHex32 reads 0x-prefixed hexadecimal (a HexInt32 field such as
// Status), surrounding white space allowed.
func parseHex32(b []byte) (uint32, bool) {
	b = bytes.TrimSpace(b)
	if len(b) < 3 || b[0] != '0' || b[1] != 'x' && b[1] != 'X' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[2:]), 16, 32)
	return uint32(v), err == nil
}

// parseEventID reads the EventID element's text.
func parseEventID(b []byte) (int, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) > 5 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n <= 65535
}

// parseSystemTime reads TimeCreated/@SystemTime: an ISO 8601 UTC time,
// 2015-09-08T22:54:54.962511700Z in the documented samples. The common
// shape (fraction of 1 to 9 digits, Z) is read by hand; others go to
// time.Parse (RFC 3339).
func parseSystemTime(b []byte) (time.Time, bool) {
	b = bytes.TrimSpace(b)
	if len(b) >= 21 && len(b) <= 30 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[19] == '.' && b[len(b)-1] == 'Z' {
		year, ok1 := digits(b[0:4])
		month, ok2 := digits(b[5:7])
		day, ok3 := digits(b[8:10])
		hour, ok4 := digits(b[11:13])
		minute, ok5 := digits(b[14:16])
		sec, ok6 := digits(b[17:19])
		frac := b[20 : len(b)-1]
		ns, ok7 := digits(frac)
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && month >= 1 && month <= 12 && day >= 1 &&
			day <= daysIn(month, year) && hour < 24 && minute < 60 && sec < 60 {
			for range 9 - len(frac) {
				ns *= 10
			}
			return time.Date(year, time.Month(month), day, hour, minute, sec, ns, time.UTC), true
		}
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
