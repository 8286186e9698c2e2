// Package jsonstrict decodes the JSON files ptacheck reads as input (host
// snapshots, endpoints files, fixture files, configuration): one object,
// no unknown fields, no duplicate keys, nothing after it, a bounded size,
// and one-line errors that give a line and column but never a Go type name.
package jsonstrict

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
)

// ErrTooLarge is returned when an input is bigger than its limit.
var ErrTooLarge = errors.New("file too large")

// ReadFile reads at most limit bytes of path as ReadText does (a byte order
// mark and UTF-16 are understood); a larger file is an error that names the
// limit, so /dev/zero or a huge file never fills memory.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, pathError(err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	return ReadText(f, limit)
}

// ReadText reads r like ReadAll, as a text a Windows tool may have written:
// Windows PowerShell 5.1 writes UTF-8 with a byte order mark
// (Set-Content -Encoding UTF8, Out-File -Encoding utf8) and UTF-16 LE with
// one (the > operator, Out-File). A UTF-8 BOM is dropped; UTF-16 LE or BE
// with a BOM is transcoded to UTF-8; nothing else is changed (no BOM: the
// bytes as they are). limit caps the text in UTF-8 bytes; a UTF-16 file may
// take up to twice as many bytes on disk.
func ReadText(r io.Reader, limit int64) ([]byte, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(3)
	var enc encoding.Encoding
	raw := limit + 3 // a UTF-8 BOM does not count
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		enc, raw = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), 2*limit+2
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		enc, raw = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), 2*limit+2
	}
	data, err := readAtMost(br, raw+1, sizeHint(r))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > raw {
		return nil, fmt.Errorf("%w: more than %s", ErrTooLarge, Size(limit))
	}
	switch {
	case enc != nil:
		if data, err = enc.NewDecoder().Bytes(data); err != nil {
			return nil, fmt.Errorf("not valid UTF-16: %v", err)
		}
	default:
		data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %s", ErrTooLarge, Size(limit))
	}
	return data, nil
}

// sizeHint is the size of a regular file r, 0 when unknown.
func sizeHint(r io.Reader) int64 {
	f, ok := r.(interface{ Stat() (os.FileInfo, error) })
	if !ok {
		return 0
	}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		return st.Size()
	}
	return 0
}

// readAtMost reads up to n bytes of r into one buffer sized from hint (a
// regular file's size): io.ReadAll's doubling would leave twice the file in
// garbage, which a 32 MiB report turns into 100 MB of peak RSS.
func readAtMost(r io.Reader, n, hint int64) ([]byte, error) {
	buf := make([]byte, 0, min(max(hint+1, 512), n))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow as append does
		}
		m, err := r.Read(buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// ReadAll reads r up to limit bytes; more is ErrTooLarge.
func ReadAll(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %s", ErrTooLarge, Size(limit))
	}
	return data, nil
}

// Size renders a byte count for messages ("1 MiB").
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func pathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}

// Decode decodes data, which must hold exactly one JSON object, into v.
// Unknown fields and duplicate keys are rejected (a typo or a pasted-twice
// key must not silently change a verdict). With useNumber, numbers in
// interface values stay json.Number.
func Decode(data []byte, v any, useNumber bool) error {
	if err := checkDuplicates(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if useNumber {
		dec.UseNumber()
	}
	if err := dec.Decode(v); err != nil {
		return describe(data, err, v)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// Limits on the values of one input, checked by a token pass before the
// real decode: a file within its byte cap can still hold millions of tiny
// values ("{}," is 3 bytes), and decoding them into structs would take
// hundreds of bytes each. Real inputs hold a few thousand at most (an
// --endpoints-file at its 10,000 endpoints about 40,000).
const (
	// MaxContainers caps the objects and arrays of one input, as Graph
	// answers are capped.
	MaxContainers = 100_000
	// MaxValues caps every value of one input: objects, arrays, strings,
	// numbers, true, false and null (object keys are not counted).
	MaxValues = 1_000_000
)

// checkDuplicates walks the token stream and rejects an object that names
// a key twice, and an input with more values than MaxContainers or
// MaxValues allow (before anything is decoded, so memory stays bounded by
// objects, not only by bytes). Syntax errors are left to the real decoder,
// which words them.
func checkDuplicates(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	containers, values := 0, 0
	tooMany := func(what string, limit int) error {
		line, col := Position(data, dec.InputOffset())
		return fmt.Errorf("line %d column %d: more than %s %s in one file: at most %s are read", line, col, thousands(limit), what, thousands(limit))
	}
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // next string token in an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		_, isString := tok.(string)
		isKey := isString && top != nil && top.object && top.expect
		if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
			if containers++; containers > MaxContainers {
				return tooMany("JSON objects and arrays", MaxContainers)
			}
		}
		if d, ok := tok.(json.Delim); !isKey && (!ok || d == '{' || d == '[') {
			if values++; values > MaxValues {
				return tooMany("JSON values", MaxValues)
			}
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				if top != nil && top.object {
					top.expect = true
				}
				stack = append(stack, &frame{object: true, keys: map[string]bool{}, expect: true})
				continue
			case '[':
				if top != nil && top.object {
					top.expect = true
				}
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].expect = true
				}
				continue
			}
		case string:
			if top != nil && top.object && top.expect {
				if top.keys[t] {
					quoted, _ := json.Marshal(t)
					line, col := Position(data, dec.InputOffset()-int64(len(quoted)))
					return fmt.Errorf("line %d column %d: duplicate key %q", line, col, t)
				}
				top.keys[t] = true
				top.expect = false
				continue
			}
		}
		if top != nil && top.object {
			top.expect = true
		}
	}
}

// thousands renders n with comma separators ("100,000"), as the docs write
// limits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// describe turns a decoding error into one line with a position and without
// Go type names.
func describe(data []byte, err error, v any) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		line, col := Position(data, syn.Offset)
		if hint := encodingHint(data, syn.Offset); hint != "" {
			return fmt.Errorf("line %d column %d: %s", line, col, hint)
		}
		return fmt.Errorf("line %d column %d: %v", line, col, syn)
	case errors.As(err, &typ):
		line, col := Position(data, typ.Offset)
		want := jsonKind(typ.Type)
		if typ.Field == "" {
			if isTop(typ.Type, v) {
				return fmt.Errorf("line %d column %d: the file holds a JSON %s, want a JSON object", line, col, typ.Value)
			}
			return fmt.Errorf("line %d column %d: a JSON %s where %s is expected", line, col, typ.Value, want)
		}
		return fmt.Errorf("line %d column %d: field %q: a JSON %s where %s is expected", line, col, typ.Field, typ.Value, want)
	case errors.Is(err, io.EOF):
		return errors.New("empty file: expected a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("unexpected end of file: the JSON is cut short")
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s", f)
	}
	return errors.New(strings.TrimPrefix(msg, "json: "))
}

// encodingHint names what a syntax error at offset most likely is when it
// is an encoding rather than a typo: a byte order mark the reader did not
// drop (one inside the file: two files joined), or the NUL bytes of UTF-16
// written without a BOM. The JSON decoder reports the offset after the
// byte it choked on.
func encodingHint(data []byte, offset int64) string {
	at := min(max(offset-1, 0), int64(len(data)))
	rest := data[at:]
	switch {
	case bytes.HasPrefix(rest, []byte{0xEF, 0xBB, 0xBF}), bytes.HasPrefix(rest, []byte{0xFF, 0xFE}), bytes.HasPrefix(rest, []byte{0xFE, 0xFF}):
		return "a byte order mark inside the file (only one at its start is read): save it again as UTF-8"
	case bytes.IndexByte(data[:min(len(data), 64)], 0) >= 0:
		return "NUL bytes: UTF-16 without a byte order mark? Save it as UTF-8 (or UTF-16 with a BOM)"
	}
	return ""
}

func isTop(t reflect.Type, v any) bool {
	rt := reflect.TypeOf(v)
	for rt != nil && rt.Kind() == reflect.Pointer {
		rt = rt.Elem()
	}
	return rt == t
}

// jsonKind names the JSON shape a Go type wants.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another value"
}

// Position converts a byte offset into a 1-based line and column.
func Position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// NoDuplicates rejects JSON that names a key twice in an object, for
// documents decoded leniently (unknown fields allowed, as in reports that
// a newer ptacheck may extend).
func NoDuplicates(data []byte) error { return checkDuplicates(data) }
