package secevents

import (
	"bytes"
)

// Tags: a start tag and its attributes (the flat fast path and the general
// one), an end tag, and the elements skipped whole.

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
	if !p.slow && p.skipNest == 0 {
		if end := skipFast(w, q); end >= 0 {
			p.closeSkipped()
			return end, true, nil
		}
	}
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
		n, act, err := p.skipMarkup(rest, q, t, final)
		switch {
		case err != nil:
			return 0, false, err
		case act == skipWait:
			return t, false, nil
		case act == skipClosed:
			return t, true, nil
		case act == skipToEnd:
			return len(w), false, nil
		}
		i = t + n
	}
}

// What skipMarkup found.
type skipAction int

const (
	skipPast   skipAction = iota // the markup is n bytes long: skip it
	skipWait                     // more bytes are needed to read it
	skipClosed                   // the skipped element's end tag: skipping is over
	skipToEnd                    // the stream ends inside it
)

// skipMarkup reads the markup at rest (at t in the window) while an element
// named q is skipped: comments, CDATA and processing instructions whole,
// nested elements of the same name counted, its end tag found.
func (p *parser) skipMarkup(rest, q []byte, t int, final bool) (int, skipAction, error) {
	unfinished := func() (int, skipAction, error) {
		if final {
			return 0, skipToEnd, nil
		}
		return 0, skipWait, nil
	}
	tooLong := func() (int, skipAction, error) {
		p.pos += t
		return 0, skipPast, p.syntax("markup longer than %d bytes", maxMarkupBytes)
	}
	terminated := func(open, close string) (int, skipAction, error) {
		e := bytes.Index(rest[len(open):], []byte(close))
		if e < 0 {
			if len(rest) >= maxMarkupBytes {
				return tooLong()
			}
			return unfinished()
		}
		return len(open) + e + len(close), skipPast, nil
	}
	c1 := byte(0)
	if len(rest) > 1 {
		c1 = rest[1]
	}
	switch {
	case c1 == '!' && bytes.HasPrefix(rest, []byte("<!--")):
		return terminated("<!--", "-->")
	case c1 == '!' && bytes.HasPrefix(rest, []byte("<![CDATA[")):
		return terminated("<![CDATA[", "]]>")
	case c1 == '?':
		return terminated("<?", "?>")
	case c1 == '/':
		if m := 2 + len(q); len(rest) >= m && rest[2] == q[0] && string(rest[2:m]) == string(q) {
			j := skipSpace(rest, m)
			if j == len(rest) && !final {
				return 0, skipWait, nil
			}
			if j < len(rest) && rest[j] == '>' {
				if p.skipNest == 0 {
					p.closeSkipped()
					return 0, skipClosed, nil
				}
				p.skipNest--
			}
		}
	case c1 == q[0]:
		if m := 1 + len(q); len(rest) > m && string(rest[1:m]) == string(q) && (isSpace(rest[m]) || rest[m] == '>' || rest[m] == '/') {
			gt := bytes.IndexByte(rest, '>')
			if gt < 0 {
				if len(rest) >= maxMarkupBytes {
					return tooLong()
				}
				return unfinished()
			}
			if rest[gt-1] != '/' {
				p.skipNest++
			}
			return gt + 1, skipPast, nil
		}
	}
	return 1, skipPast, nil
}

func (p *parser) startTag(w []byte) (int, error) {
	if !p.slow && !p.inEvent && len(p.nameEnds) <= 1 && (p.stopAt <= 0 || p.base+int64(p.pos) < p.stopAt) {
		if n := p.eventFast(w); n > 0 {
			return n, nil
		}
	}
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
		qname, end, selfClose, ok := p.flatTag(w, t)
		if !ok {
			return t
		}
		n := len(qname)
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

// flatTag reads the start tag at w[t] for flat: its name (without a
// prefix), where it ends, and whether it closes itself; ok is false where
// the general path must read it (a prefix, an xmlns attribute, an error or
// an incomplete tag).
func (p *parser) flatTag(w []byte, t int) (qname []byte, end int, selfClose, ok bool) {
	n := ncName(w[t+1:])
	if n == 0 || n > maxNameBytes || t+1+n < len(w) && w[t+1+n] == ':' {
		return nil, 0, false, false
	}
	qname = w[t+1 : t+1+n]
	if a := t + 1 + n; a < len(w) && w[a] == '>' {
		p.attrs = p.attrs[:0]
		return qname, a + 1, false, true
	}
	m, sc, err := p.parseAttrs(w[t:], 1+n, qname)
	if m == 0 || err != nil || m > maxMarkupBytes {
		return nil, 0, false, false // incomplete, or an error the general path reports
	}
	for _, a := range p.attrs {
		if bytes.HasPrefix(p.attrName(a), []byte("xmlns")) {
			return nil, 0, false, false
		}
	}
	return qname, t + m, sc, true
}
