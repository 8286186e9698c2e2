package secevents

import (
	"bytes"
	"errors"
	"io"
	"os"
	"unicode/utf16"
)

// Kind is what a file looks like from its first bytes.
type Kind int

const (
	KindOther Kind = iota // neither
	KindXML               // exported event XML (wevtutil qe /f:xml, Event Viewer's Save as XML)
	KindEVTX              // a binary event log file (.evtx): not read
)

// SniffBytes is how much of a file Sniff needs.
const SniffBytes = 1 << 10

// evtxMagic starts every .evtx file (the file header's signature).
var evtxMagic = []byte("ElfFile\x00")

// Sniff tells event XML and .evtx files from other files by their first
// bytes (SniffBytes of them are enough): event XML is UTF-8 or UTF-16 text
// whose first element is an Event or an Events root, with the event
// namespace or a System element in sight.
func Sniff(head []byte) Kind {
	if bytes.HasPrefix(head, evtxMagic) {
		return KindEVTX
	}
	head = head[:min(len(head), SniffBytes)]
	enc, skip := detectEncoding(head)
	text := head[skip:]
	if enc != encUTF8 {
		text = utf16ToUTF8(text, enc)
	}
	first := firstElement(text)
	if first != "Event" && first != "Events" {
		return KindOther
	}
	if bytes.Contains(text, []byte(EventNS)) || bytes.Contains(text, []byte("<System")) {
		return KindXML
	}
	return KindOther
}

// SniffFile reads the start of a file and sniffs it.
func SniffFile(path string) (Kind, error) {
	f, err := os.Open(path)
	if err != nil {
		return KindOther, err
	}
	defer f.Close()
	buf := make([]byte, SniffBytes)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return KindOther, err
	}
	return Sniff(buf[:n]), nil
}

type encoding int

const (
	encUTF8 encoding = iota
	encUTF16LE
	encUTF16BE
)

// detectEncoding reads a byte order mark, or the zero bytes around the
// first '<' of UTF-16 text without one (XML 1.0 appendix F); skip is the
// length of the mark.
func detectEncoding(b []byte) (encoding, int) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return encUTF8, 3
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return encUTF16LE, 2
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return encUTF16BE, 2
	case bytes.HasPrefix(b, []byte{'<', 0}):
		return encUTF16LE, 0
	case bytes.HasPrefix(b, []byte{0, '<'}):
		return encUTF16BE, 0
	}
	return encUTF8, 0
}

// utf16ToUTF8 converts a prefix of UTF-16 text (an odd last byte or a cut
// surrogate pair is dropped or replaced).
func utf16ToUTF8(b []byte, enc encoding) []byte {
	u := make([]uint16, len(b)/2)
	for i := range u {
		if enc == encUTF16LE {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		} else {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
	}
	return []byte(string(utf16.Decode(u)))
}

// firstElement is the local name of the first element in text, after
// white space, the XML declaration, processing instructions and comments;
// "" when there is none in sight.
func firstElement(t []byte) string {
	for {
		t = bytes.TrimLeft(t, " \t\r\n")
		switch {
		case bytes.HasPrefix(t, []byte("<?")):
			i := bytes.Index(t, []byte("?>"))
			if i < 0 {
				return ""
			}
			t = t[i+2:]
		case bytes.HasPrefix(t, []byte("<!--")):
			i := bytes.Index(t[4:], []byte("-->"))
			if i < 0 {
				return ""
			}
			t = t[4+i+3:]
		case len(t) > 1 && t[0] == '<':
			n := name(t[1:])
			q := t[1 : 1+n]
			if i := bytes.LastIndexByte(q, ':'); i >= 0 {
				q = q[i+1:]
			}
			return string(q)
		default:
			return ""
		}
	}
}
