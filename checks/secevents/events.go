package secevents

import (
	"bytes"
	"fmt"
)

// What the parser keeps of an event: the elements and attributes of the
// Security event schema that matter, by namespace.

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
	if vs-t > maxMarkupBytes {
		return 0, false // the general path reports the tag as too long
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
