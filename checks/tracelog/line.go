package tracelog

import (
	"bytes"
	"time"

	"github.com/ptacheck/ptacheck/util/fastdate"
)

// Line classification. Everything here works on one line without its line
// end, allocates nothing, and depends only on the bytes of that line: the
// parallel scanner relies on that to find the same record boundaries from
// either side of a split (analyze.go).

// header is the parsed first line of a record:
// `<source> <Level>: <id> : <message>`, the layout written by .NET's
// TraceListener.WriteHeader (pta-facts.md 3.2), matched like the documented
// regular expression
//
//	^\s*(\S+)\s+(Critical|Error|...|Transfer):\s+(-?\d+)\s+:\s?(.*)$
//
// with white space meaning space or tab (TraceListener writes spaces; a
// carriage return or form feed inside a line is an ordinary character). The
// source is one token: any exe name without white space.
type header struct {
	srcEnd, idStart, idEnd, msgStart int // offsets in the line rather than slices: cheaper to fill on the hot path
	level                            string
}

func (h *header) source(t []byte) []byte  { return t[:h.srcEnd] }
func (h *header) id(t []byte) []byte      { return t[h.idStart:h.idEnd] }
func (h *header) message(t []byte) []byte { return t[h.msgStart:] }

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// trimLeft drops leading white space. Indexing, not re-slicing per byte:
// every line goes through here, most with four spaces of indentation.
func trimLeft(b []byte) []byte {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return b[i:]
}

func skipSpace(t []byte, i int) int {
	for i < len(t) && isSpace(t[i]) {
		i++
	}
	return i
}

// matchLevel matches a TraceEventType name and its colon at the start of
// t, and returns the name and the length matched. Literal comparisons of up
// to 16 bytes compile to a few integer loads, which matters here: this runs
// for every line that is not a footer.
func matchLevel(t []byte) (string, int) {
	if len(t) < 5 {
		return "", 0
	}
	switch t[0] {
	case 'E':
		if len(t) >= 6 && string(t[:6]) == "Error:" {
			return "Error", 6
		}
	case 'I':
		if len(t) >= 12 && string(t[:12]) == "Information:" {
			return "Information", 12
		}
	case 'W':
		if len(t) >= 8 && string(t[:8]) == "Warning:" {
			return "Warning", 8
		}
	case 'V':
		if len(t) >= 8 && string(t[:8]) == "Verbose:" {
			return "Verbose", 8
		}
	case 'C':
		if len(t) >= 9 && string(t[:9]) == "Critical:" {
			return "Critical", 9
		}
	case 'S':
		switch {
		case len(t) >= 6 && string(t[:6]) == "Start:":
			return "Start", 6
		case string(t[:5]) == "Stop:":
			return "Stop", 5
		case len(t) >= 8 && string(t[:8]) == "Suspend:":
			return "Suspend", 8
		}
	case 'R':
		if len(t) >= 7 && string(t[:7]) == "Resume:" {
			return "Resume", 7
		}
	case 'T':
		if len(t) >= 9 && string(t[:9]) == "Transfer:" {
			return "Transfer", 9
		}
	}
	return "", 0
}

// parseHeader reports whether t, a line without leading white space, is a
// record header. Lines that start with a footer key are footers, never
// headers: callers test footer first (see isHeader).
func parseHeader(t []byte) (h header, ok bool) {
	ok = parseHeaderAfter(t, sourceEnd(t), &h)
	return h, ok
}

// sourceEnd is the index of the first white space in t, or len(t).
// IndexByte is vectorised, which matters because this runs for every line
// that is not a footer.
func sourceEnd(t []byte) int {
	i := bytes.IndexByte(t, ' ')
	if i < 0 {
		i = len(t)
	}
	if j := bytes.IndexByte(t[:i], '\t'); j >= 0 {
		i = j
	}
	return i
}

// parseHeaderAfter is parseHeader with the source's end already known;
// it fills h (in place: the hot path avoids copying the result).
func parseHeaderAfter(t []byte, i int, h *header) bool {
	if i == 0 || i == len(t) {
		return false
	}
	h.srcEnd = i
	i = skipSpace(t, i)
	lv, n := matchLevel(t[i:])
	if n == 0 {
		return false
	}
	h.level = lv
	i += n
	if i == len(t) || !isSpace(t[i]) {
		return false
	}
	i = skipSpace(t, i)
	j := i
	if j < len(t) && t[j] == '-' {
		j++
	}
	d := j
	for j < len(t) && t[j] >= '0' && t[j] <= '9' {
		j++
	}
	if j == d || j == len(t) || !isSpace(t[j]) {
		return false
	}
	h.idStart, h.idEnd = i, j
	j = skipSpace(t, j)
	if j == len(t) || t[j] != ':' {
		return false
	}
	j++
	if j < len(t) && isSpace(t[j]) {
		j++
	}
	h.msgStart = j
	return true
}

// isHeader classifies a line (leading white space allowed) like the
// scanner does: not a footer, and a header.
func isHeader(line []byte) bool {
	t := trimLeft(line)
	if k, _ := footer(t); k != keyNone {
		return false
	}
	_, ok := parseHeader(t)
	return ok
}

// Footer keys: the TraceOutputOptions that TraceListener.WriteFooter writes,
// one per line, in this order.
const (
	keyNone = iota
	keyProcessID
	keyLogicalOperationStack
	keyThreadID
	keyDateTime
	keyTimestamp
	keyCallstack
)

// footer recognises `Key=value` (t without leading white space). A line
// that starts with a footer key is a footer, never a header: the check is a
// prefix comparison, and it spares the header parse for most lines.
func footer(t []byte) (key int, value []byte) {
	if len(t) < 9 {
		return keyNone, nil
	}
	switch t[0] {
	case 'D':
		if string(t[:9]) == "DateTime=" {
			return keyDateTime, t[9:]
		}
	case 'T':
		if string(t[:9]) == "ThreadId=" {
			return keyThreadID, t[9:]
		}
		if len(t) >= 10 && string(t[:10]) == "Timestamp=" {
			return keyTimestamp, t[10:]
		}
	case 'P':
		if len(t) >= 10 && string(t[:10]) == "ProcessId=" {
			return keyProcessID, t[10:]
		}
	case 'C':
		if len(t) >= 10 && string(t[:10]) == "Callstack=" {
			return keyCallstack, t[10:]
		}
	case 'L':
		if len(t) >= 22 && string(t[:22]) == "LogicalOperationStack=" {
			return keyLogicalOperationStack, t[22:]
		}
	}
	return keyNone, nil
}

func trimRight(b []byte) []byte {
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// The documented failure line (TS; pta-facts.md 3.2):
//
//	Passthrough Authentication request failed. RequestId: '<guid>'. Reason: '<-?digits>'.
const (
	failureMarker = "request failed"
	failurePrefix = "Passthrough Authentication request failed. RequestId: '"
	reasonInfix   = "'. Reason: '"
)

// failure finds the documented failure text in a header message. mention
// reports that the message contains "request failed" at all, so that lines
// which look like failures but do not match are counted, not lost.
func failure(msg []byte) (requestID []byte, reason int, ok, mention bool) {
	if len(msg) > 0 && msg[0] == 'P' && bytes.HasPrefix(msg, []byte(failurePrefix)) { // the documented line: the message is the failure text
		if id, n, ok := failureTail(msg[len(failurePrefix):]); ok {
			return id, n, true, true
		}
	}
	for i := indexRequestFailed(msg, 0); i >= 0; i = indexRequestFailed(msg, i+1) {
		mention = true
		start := i - len("Passthrough Authentication ")
		if start < 0 || !bytes.HasPrefix(msg[start:], []byte(failurePrefix)) {
			continue
		}
		if id, n, ok := failureTail(msg[start+len(failurePrefix):]); ok {
			return id, n, true, true
		}
	}
	return nil, 0, false, mention
}

// failureTail parses `<guid>'. Reason: '<-?digits>'.` after the prefix.
func failureTail(rest []byte) (id []byte, reason int, ok bool) {
	if len(rest) < 36+len(reasonInfix) || !isGUID(rest[:36]) || string(rest[36:36+len(reasonInfix)]) != reasonInfix {
		return nil, 0, false
	}
	id = rest[:36]
	rest = rest[36+len(reasonInfix):]
	n, l, ok := parseInt32(rest)
	if !ok || len(rest) < l+2 || rest[l] != '\'' || rest[l+1] != '.' {
		return nil, 0, false
	}
	return id, n, true
}

// indexRequestFailed finds "request failed" in b at or after from. It
// looks for the rare byte 'q' with the vectorised IndexByte and compares
// around it: cheaper than bytes.Index for a marker searched in every header.
func indexRequestFailed(b []byte, from int) int {
	const q = 2 // index of 'q' in the marker
	for i := from + q; i < len(b); {
		k := bytes.IndexByte(b[i:], 'q')
		if k < 0 {
			return -1
		}
		i += k
		if s := i - q; s+len(failureMarker) <= len(b) && string(b[s:s+len(failureMarker)]) == failureMarker {
			return s
		}
		i++
	}
	return -1
}

// isGUID matches [0-9a-fA-F-]{36}, as the documented regex does.
func isGUID(b []byte) bool {
	for _, c := range b {
		if !guidByte[c] {
			return false
		}
	}
	return true
}

var guidByte = func() (t [256]bool) {
	for _, c := range []byte("0123456789abcdefABCDEF-") {
		t[c] = true
	}
	return t
}()

// parseInt32 reads -?\d+ at the start of b as a signed 32-bit value (a .NET
// Int32, which is what the agent logs); n is the number of bytes used.
func parseInt32(b []byte) (v int, n int, ok bool) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg = true
		n = 1
	}
	d := n
	var x int64
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		x = x*10 + int64(b[n]-'0')
		if x > 1<<31 {
			return 0, 0, false
		}
		n++
	}
	if n == d {
		return 0, 0, false
	}
	if neg {
		x = -x
	}
	if x < -1<<31 || x > 1<<31-1 {
		return 0, 0, false
	}
	return int(x), n, true
}

// parseTime reads a DateTime footer value: DateTime.ToString("o") of a UTC
// time, e.g. 2016-11-30T21:13:29.5003217Z. The common shape is parsed by
// hand (it runs once per failure in the hot path); anything else goes to
// time.Parse with RFC 3339, which also accepts offsets and other precisions.
func parseTime(v []byte) (time.Time, bool) {
	v = trimRight(v)
	if len(v) == 28 && v[4] == '-' && v[7] == '-' && v[10] == 'T' && v[13] == ':' && v[16] == ':' && v[19] == '.' && v[27] == 'Z' {
		year, ok1 := fastdate.Digits(v[0:4])
		month, ok2 := fastdate.Digits(v[5:7])
		day, ok3 := fastdate.Digits(v[8:10])
		hour, ok4 := fastdate.Digits(v[11:13])
		minute, ok5 := fastdate.Digits(v[14:16])
		sec, ok6 := fastdate.Digits(v[17:19])
		frac, ok7 := fastdate.Digits(v[20:27])
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 &&
			month >= 1 && month <= 12 && day >= 1 && day <= fastdate.DaysIn(month, year) && hour < 24 && minute < 60 && sec < 60 {
			return time.Date(year, time.Month(month), day, hour, minute, sec, frac*100, time.UTC), true
		}
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(v))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}
