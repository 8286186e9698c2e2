package secevents

import (
	"bytes"
)

// The fast path: most of an export is events that cannot count (not 4624
// or 4625) and parts of events that are skipped anyway (what follows
// EventData, Event Viewer's RenderingInfo). Where the bytes are exactly as
// the exporters write them, these are found with bytes.Index-class scans
// instead of the tokenizer; wherever the fast path is not sure that the
// full parser would do exactly the same (a comment, CDATA section or
// processing instruction, a nested Event element, an end tag with white
// space, attributes or white space the exporters do not write, a
// namespace prefix, an EventID with a Qualifiers attribute, an event that
// does not end in the read block), it leaves the bytes to the full parser.
// Parser.slow turns it off: the reference FuzzParse and FuzzFastPath
// compare it with.

// skipFast finds the end tag </q> of an element being skipped (skipStep)
// in w, when skipStep would find it there too: no '!' or '?' before it (no
// comment, CDATA section or processing instruction), and no start or end
// tag named q before it (no nesting, no end tag with white space). It
// returns the offset of the end tag's '<', or -1 when it is not sure.
func skipFast(w, q []byte) int {
	end := -1
	for i := 0; end < 0; {
		k := bytes.Index(w[i:], q)
		if k < 0 {
			return -1
		}
		k += i
		i = k + len(q)
		if i >= len(w) {
			return -1
		}
		switch {
		case k >= 2 && w[k-1] == '/' && w[k-2] == '<': // an end tag
			if w[i] == '>' {
				end = k - 2
			} else if !nameByte[w[i]] {
				return -1 // white space before '>', or malformed: skipStep decides
			}
		case k >= 1 && w[k-1] == '<' && !nameByte[w[i]]: // a nested start tag
			return -1
		}
	}
	if bytes.IndexByte(w[:end], '!') >= 0 || bytes.IndexByte(w[:end], '?') >= 0 {
		return -1
	}
	return end
}

var eventName = []byte("Event")

// eventFast reads an event whole when w (at an Event start tag, outside any
// event, at depth 0 or 1) holds it as the exporters write it:
// <Event xmlns='EventNS'><System>, a Provider element with plain
// attributes, <EventID>N</EventID>, and then either (N four or more digits
// other than 4624 and 4625) the rest up to </Event> as skipFast accepts
// it, or what logonFast accepts. It does what the full parser would do
// with such an event (find its values, skip what the full parser skips,
// hand it to the sink) and returns the bytes it took; 0: not sure, the
// full parser reads the event.
func (p *parser) eventFast(w []byte) int {
	i := eventHeader(w)
	if i == 0 || !bytes.HasPrefix(w[i:], []byte("<Provider")) {
		return 0
	}
	e := &p.ev
	e.reset(p.base+int64(p.pos), nsEvent, len(p.nameEnds))
	if n := securityProviderTag(w[i:]); n > 0 {
		e.provider.add(securityProvider) // what plainAttrs would find, compared at once
		i += n
	} else {
		end, self := plainAttrs(w, i+len("<Provider"), "Name", &e.provider)
		if end == 0 || !self || end-i > maxMarkupBytes {
			return 0
		}
		i = end
	}
	if !bytes.HasPrefix(w[i:], []byte("<EventID>")) {
		return 0
	}
	vs := i + len("<EventID>")
	k := indexLT(w[vs:])
	if k < 0 {
		return 0
	}
	ve := vs + k
	after := ve + len("</EventID>")
	if after > len(w) || string(w[ve:after]) != "</EventID>" {
		return 0
	}
	e.id.add(w[vs:ve])
	end := -1
	switch id := w[vs:ve]; {
	case e.notLogonID():
		end = skipFast(w[after:], eventName)
	case string(id) == "4624" || string(id) == "4625":
		end = p.logonFast(w[after:])
	}
	if end < 0 {
		return 0
	}
	p.events++
	p.fast++
	p.sink(e)
	return after + end + len("</Event>")
}

// logonFast reads the rest of a logon event after its EventID, as the
// exporters write it: the other children of System (text-only or empty
// elements with plain attributes; Provider, EventID and TimeCreated not
// repeated), </System>, and unless System shows the event is not a logon,
// <EventData> holding only Data items as dataItem reads them, </EventData>;
// then the rest as skipFast accepts it. It returns the offset of the
// event's end tag in w, -1 when it is not sure.
func (p *parser) logonFast(w []byte) int {
	e := &p.ev
	i, timed := 0, false
	for {
		if i+2 > len(w) || w[i] != '<' {
			return -1
		}
		if w[i+1] == '/' {
			if !bytes.HasPrefix(w[i:], []byte("</System>")) {
				return -1
			}
			i += len("</System>")
			break
		}
		n := ncName(w[i+1:])
		name := w[i+1 : i+1+n]
		var v *value
		switch string(name) {
		case "Provider", "EventID":
			return -1 // repeated: the full parser decides
		case "TimeCreated":
			if timed {
				return -1
			}
			v, timed = &e.systemTime, true
		}
		if n == 0 || n > maxNameBytes {
			return -1
		}
		if start := i; i+1+n < len(w) && w[i+1+n] == '>' {
			i += 2 + n // no attributes: most children of System
		} else {
			end, self := plainAttrs(w, i+1+n, "SystemTime", v)
			if end == 0 || end-start > maxMarkupBytes {
				return -1 // (a tag too long: the full parser reports it)
			}
			if i = end; self {
				continue
			}
		}
		k := indexLT(w[i:])
		if k < 0 {
			return -1
		}
		c := i + k // the end tag must follow the text
		if after := c + 2 + n; after < len(w) && w[c+1] == '/' && w[after] == '>' && string(w[c+2:after]) == string(name) {
			i = after + 1
			continue
		}
		return -1
	}
	if e.logon() {
		end := p.dataFast(w[i:])
		if end < 0 {
			return -1
		}
		i += end
	}
	if end := skipFast(w[i:], eventName); end >= 0 {
		return i + end
	}
	return -1
}

// dataFast reads <EventData>, Data items as dataItem reads them, and
// </EventData> at the start of w; it returns where they end, -1 when w
// does not hold exactly that.
func (p *parser) dataFast(w []byte) int {
	if !bytes.HasPrefix(w, []byte("<EventData>")) {
		return -1
	}
	i := len("<EventData>")
	for len(w)-i > 20 && string(w[i:i+11]) == "<Data Name=" {
		next, ok := p.dataItem(w, i)
		if !ok {
			return -1
		}
		i = next
	}
	if !bytes.HasPrefix(w[i:], []byte("</EventData>")) {
		return -1
	}
	return i + len("</EventData>")
}

// The Provider element of every Security event, as the exporters write it.
const (
	providerTag  = "<Provider Name='" + SecurityProvider + "' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/>"
	providerTag2 = `<Provider Name="` + SecurityProvider + `" Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}"/>`
)

// securityProviderTag returns the length of the Provider element at the
// start of w when it is exactly that of Security events, else 0.
func securityProviderTag(w []byte) int {
	if len(w) >= len(providerTag) && (string(w[:len(providerTag)]) == providerTag || string(w[:len(providerTag)]) == providerTag2) {
		return len(providerTag)
	}
	return 0
}

// eventHeader checks that w starts with <Event xmlns='EventNS'><System>
// (either quote) and returns its length, 0 when it does not.
func eventHeader(w []byte) int {
	const open = "<Event xmlns="
	n := len(open) + len(EventNS) + 2
	if len(w) < n+len("><System>") || string(w[:len(open)]) != open {
		return 0
	}
	q := w[len(open)]
	if q != '\'' && q != '"' || w[n-1] != q || string(w[len(open)+1:n-1]) != EventNS || string(w[n:n+9]) != "><System>" {
		return 0
	}
	return n + 9
}

// maxPlainAttrs: the exporters write at most two attributes on an element
// of System; plainAttrs leaves tags with more to the full parser.
const maxPlainAttrs = 4

// plainAttrs reads the attributes of a start tag from w[i:] (after its
// name) when there are at most maxPlainAttrs and each is one space, a name without a prefix (not xmlns), '='
// and a quoted value without '<', no name repeated, and the tag ends in
// '>' or "/>". The value of the attribute named want goes to v (reset
// first), as the full parser's attrValue does. It returns where the tag
// ends and whether it closes itself; end 0 when the tag is not exactly
// that.
func plainAttrs(w []byte, i int, want string, v *value) (end int, self bool) {
	var names [maxPlainAttrs][2]int32 // where each name is in w
	for n := 0; ; n++ {
		if i+2 > len(w) {
			return 0, false
		}
		switch {
		case w[i] == '>':
			return i + 1, false
		case w[i] == '/' && w[i+1] == '>':
			return i + 2, true
		case w[i] != ' ' || n == maxPlainAttrs:
			return 0, false
		}
		a := ncName(w[i+1:])
		j := i + 1 + a
		if a == 0 || a > maxNameBytes || j+2 > len(w) || w[j] != '=' || bytes.HasPrefix(w[i+1:], []byte("xmlns")) {
			return 0, false
		}
		q := w[j+1]
		if q != '\'' && q != '"' {
			return 0, false
		}
		e := indexQuoteLT(w[j+2:], q)
		if e < 0 || w[j+2+e] != q {
			return 0, false
		}
		name := w[i+1 : j]
		for _, m := range names[:n] {
			if string(w[m[0]:m[1]]) == string(name) {
				return 0, false
			}
		}
		names[n] = [2]int32{int32(i + 1), int32(j)}
		if v != nil && string(name) == want {
			v.reset()
			v.add(w[j+2 : j+2+e])
		}
		i = j + 2 + e + 1
	}
}
