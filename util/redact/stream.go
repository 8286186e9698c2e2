package redact

import (
	"bytes"
	"io"
	"slices"
)

// Stream sizes: text is redacted in pieces of about streamChunk bytes, cut
// at a line end when there is one; a piece never ends inside a registered
// secret or a URL's credentials (see safeCut). A whitespace-free run of
// more than streamMaxHold bytes that could still be a URL's credentials is
// cut all the same: a limit on memory, not a case that occurs in logs.
const (
	streamChunk   = 1 << 20
	streamMaxHold = 8 << 20
)

// Writer masks what String masks in a stream of any length, written in any
// pieces, and passes the result to the underlying writer: a secret that
// straddles two writes, or a line longer than any buffer, is masked all
// the same. Close flushes what is held back; it does not close the
// underlying writer.
//
// Text without a secret or a URL with credentials in it passes through
// as is (one bytes.Index per secret form and one for "://" per piece);
// only the stretches that hold one go through String (writeRedacted), so
// its rules apply unchanged. What String masks beyond registered secrets
// and scheme://userinfo@ would need a needle here too.
type Writer struct {
	w    io.Writer
	buf  []byte
	err  error
	wait int // no safe cut below this length: do not look again before
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write takes p; it writes whole pieces to the underlying writer.
func (s *Writer) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.buf = append(s.buf, p...)
	for len(s.buf) >= max(streamChunk, s.wait) && s.err == nil {
		if !s.flush(false) {
			// Look again when a good deal more has come, not at every
			// small write: the search is linear in what is held.
			s.wait = len(s.buf) + streamChunk/4
			break
		}
		s.wait = 0
	}
	return len(p), s.err
}

// Close redacts and writes what is held back.
func (s *Writer) Close() error {
	for len(s.buf) > 0 && s.err == nil {
		s.flush(true)
	}
	return s.err
}

// flush writes a safe prefix of buf (all of it when final) and keeps the
// rest. It returns false when nothing could be written yet.
func (s *Writer) flush(final bool) bool {
	forms, longest := streamNeedles()
	cut := len(s.buf)
	if !final {
		window := s.buf[:min(len(s.buf), streamChunk)]
		if nl := bytes.LastIndexByte(window, '\n'); nl >= 0 {
			cut = nl + 1
		} else {
			// Hold back what a secret, or a "://" just after the cut,
			// needs to be seen whole.
			cut = len(window) - max(longest-1, 3)
		}
		cut = safeCut(s.buf, cut, forms)
		if cut <= 0 {
			if len(s.buf) < streamMaxHold {
				return false // wait for more
			}
			cut = streamChunk // a limit on memory (see streamMaxHold)
		}
	}
	s.err = writeRedacted(s.w, s.buf[:cut], forms)
	s.buf = append(s.buf[:0], s.buf[cut:]...)
	return true
}

// streamNeedles returns the registered secret forms and the length of the
// longest.
func streamNeedles() (forms [][]byte, longest int) {
	mu.RLock()
	defer mu.RUnlock()
	for _, f := range secrets {
		forms = append(forms, []byte(f))
		longest = max(longest, len(f))
	}
	return forms, longest
}

// safeCut moves cut back until no registered secret and no URL's
// credentials (scheme://userinfo@) can span it, given that buf holds all
// that is known so far. 0 means no safe cut yet.
func safeCut(buf []byte, cut int, forms [][]byte) int {
	for range 64 {
		moved := false
		for _, f := range forms {
			// A whole occurrence across the cut, or the start of one at
			// the end of what is known.
			from := max(0, cut-len(f)+1)
			for i := from; i < cut; {
				j := bytes.IndexByte(buf[i:cut], f[0])
				if j < 0 {
					break
				}
				i += j
				rest := buf[i:]
				if bytes.HasPrefix(rest, f) && i+len(f) > cut || len(rest) < len(f) && bytes.HasPrefix(f, rest) {
					cut, moved = i, true
					break
				}
				i++
			}
		}
		// A URL's credentials: "://" followed only by userinfo characters
		// up to the cut may find its "@" after it; so may a "://" that
		// starts at the cut or spans it ("http:" | "//u:p@h").
		k := cut
		for k > 0 && isUserinfo(buf[k-1]) {
			k--
		}
		p := -1
		if k >= 3 && string(buf[k-3:k]) == "://" {
			p = k - 3
		} else if lo := max(0, cut-2); lo < len(buf) {
			if i := bytes.Index(buf[lo:min(len(buf), cut+3)], []byte("://")); i >= 0 && lo+i <= cut {
				p = lo + i
			}
		}
		if p >= 0 {
			start := p
			for start > 0 && isSchemeChar(buf[start-1]) {
				start--
			}
			if start < cut {
				cut, moved = start, true
			}
		}
		if !moved || cut <= 0 {
			return max(cut, 0)
		}
	}
	return cut
}

// isUserinfo: the characters schemeUserinfo allows between "://" and "@"
// ([^/?#\s"'<>@], where RE2's \s is [\t\n\f\r ]).
func isUserinfo(c byte) bool {
	switch c {
	case '/', '?', '#', ' ', '\t', '\n', '\r', '\f', '"', '\'', '<', '>', '@':
		return false
	}
	return true
}

func isSchemeChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '.' || c == '-'
}

// writeRedacted writes text with every stretch that holds a registered
// secret or a URL's credentials passed through String, the rest as is.
// A stretch is one match (a secret; "scheme://userinfo@" from the start of
// its scheme) or several that overlap or touch, merged, so String sees
// each whole and in the order it applies them; what String makes of the
// stretch is then what String of the whole text makes of it there. Only
// the stretches go through String's regular expression, however long the
// line around them.
func writeRedacted(w io.Writer, text []byte, forms [][]byte) error {
	type span struct{ start, end int }
	var spans []span
	for _, f := range forms {
		for i := 0; ; {
			j := bytes.Index(text[i:], f)
			if j < 0 {
				break
			}
			spans = append(spans, span{i + j, i + j + len(f)})
			i += j + len(f)
		}
	}
	for i := 0; ; {
		j := bytes.Index(text[i:], []byte("://"))
		if j < 0 {
			break
		}
		p := i + j
		k := p + 3
		for k < len(text) && isUserinfo(text[k]) {
			k++
		}
		if k < len(text) && text[k] == '@' {
			start := p
			for start > 0 && isSchemeChar(text[start-1]) {
				start--
			}
			spans = append(spans, span{start, k + 1})
		}
		i = p + 3
	}
	if len(spans) == 0 {
		_, err := w.Write(text)
		return err
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	done := 0 // text[:done] is written
	for i := 0; i < len(spans); {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].start <= cur.end; i++ {
			cur.end = max(cur.end, spans[i].end)
		}
		if _, err := w.Write(text[done:cur.start]); err != nil {
			return err
		}
		if _, err := w.Write(Bytes(text[cur.start:cur.end])); err != nil {
			return err
		}
		done = cur.end
	}
	_, err := w.Write(text[done:])
	return err
}
