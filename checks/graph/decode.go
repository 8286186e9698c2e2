package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Bounds on what one Graph answer may hold beyond its size in bytes: a page
// of 8 MiB can carry 2.8 million empty objects, which decoded at once cost
// gigabytes. Collections are decoded as a stream, item by item, and every
// answer is walked token by token before it is decoded, so memory follows
// the objects kept, not the objects sent.
const (
	// DefaultMaxPageItems bounds the "value" array of one page. Graph's
	// largest page size ($top) is 999 for directory objects; 5000 leaves
	// room for APIs with larger pages.
	DefaultMaxPageItems = 5000
	// DefaultMaxItems bounds a collection over all its pages.
	DefaultMaxItems = 50000
	// DefaultMaxCollectionBytes bounds the bytes of a collection over all
	// its pages (each page is also bounded by MaxBodyBytes).
	DefaultMaxCollectionBytes = 32 << 20
	// MaxContainers bounds the JSON objects and arrays of one answer (a
	// page or an entity), wherever they are nested.
	MaxContainers = 100000
	// MaxDepth bounds the nesting of one answer.
	MaxDepth = 64
	// ctxEvery is how many tokens or items the decoder handles between
	// two looks at its context, so a cancel stops a decode within
	// microseconds of work.
	ctxEvery = 256
)

// Errors of the strict decoder (they also match ErrMalformed).
var (
	ErrTooManyItems = errors.New("too many items")
	ErrTooComplex   = errors.New("too many or too deeply nested JSON objects")
	ErrDuplicateKey = errors.New("duplicate key")
	ErrMissingField = errors.New("a field the checks read is missing")
)

// field is a member a model needs in every answer: a verdict reads it, so
// an answer without it is not evidence. Null is accepted only when the
// model gives null a meaning (onPremisesSyncEnabled: never synchronised).
type field struct {
	name     string
	nullable bool
}

// requirer is implemented by models with fields a verdict reads.
type requirer interface{ requiredFields() []field }

// walker reads the outer structure of a page token by token, looking at
// the context as it goes; the values inside (items, other members) are
// taken whole and checked by checkDocument / scanValid: no key twice in
// one object (also not in another case: encoding/json matches keys
// ignoring case, so {"status":"inactive","Status":"active"} would read
// active), at most MaxContainers objects and arrays in the answer and
// MaxDepth levels.
type walker struct {
	ctx   context.Context
	dec   *json.Decoder
	steps int
}

func newWalker(ctx context.Context, r io.Reader) *walker {
	return &walker{ctx: ctx, dec: json.NewDecoder(newSqueezer(r, 16<<10))}
}

// tick counts one unit of work and looks at the context every ctxEvery.
func (w *walker) tick() error {
	w.steps++
	if w.steps%ctxEvery == 0 {
		return w.ctx.Err()
	}
	return nil
}

func (w *walker) token() (json.Token, error) {
	if err := w.tick(); err != nil {
		return nil, err
	}
	t, err := w.dec.Token()
	if err != nil {
		return nil, classify(err)
	}
	return t, nil
}

// classify turns a decoder error into ErrMalformed unless it is the
// body's own (too large, cut off by the context, a read error).
func classify(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn), errors.As(err, &typ):
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%w: the JSON is cut short", ErrMalformed)
	}
	return err
}

// foldKey approximates the simple case folding encoding/json uses to match
// keys (it maps U+017F and U+212A to s and k, as ToUpper then ToLower does).
func foldKey(k string) string { return strings.ToLower(strings.ToUpper(k)) }

// checkDocument checks raw, which must hold exactly one JSON value, and
// returns the members of its outermost object (name -> not null).
// encoding/json validates it first; a byte scanner then looks for
// duplicate keys and counts objects and arrays: the Decoder's Token walk
// allocates for every token and costs tens of microseconds per item, ten
// times the scan.
func checkDocument(ctx context.Context, raw []byte, budget *int) (map[string]bool, error) {
	if !json.Valid(raw) {
		var v any
		return nil, classify(json.Unmarshal(raw, &v))
	}
	return scanValid(ctx, raw, budget)
}

// strictJSON checks a small answer that is decoded leniently afterwards
// (the sign-in's token and error documents, Graph's error document): no
// duplicate keys, bounded objects. Syntax errors are left to the decoder.
func strictJSON(body []byte) error {
	if !json.Valid(body) {
		return nil
	}
	budget := MaxContainers
	_, err := scanValid(context.Background(), body, &budget)
	return err
}

// decodeDocument decodes one answer (an entity) into v after checking it:
// strict JSON (no duplicate keys, bounded objects) and, for models with
// required fields, each of them present.
func decodeDocument(ctx context.Context, raw []byte, v any) error {
	budget := MaxContainers
	return decodeValue(ctx, raw, v, &budget)
}

func decodeValue(ctx context.Context, raw []byte, v any, budget *int) error {
	members, err := checkDocument(ctx, raw, budget)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return classify(err)
	}
	if r, ok := v.(requirer); ok {
		return checkFields(members, r.requiredFields())
	}
	return nil
}

// checkFields reports the first required field the answer lacks (or sends
// as null when null means nothing). Names are matched exactly, as Graph
// sends them.
func checkFields(members map[string]bool, fields []field) error {
	if members == nil {
		return fmt.Errorf("%w: %w: the answer is not a JSON object", ErrMalformed, ErrMissingField)
	}
	for _, f := range fields {
		notNull, ok := members[f.name]
		switch {
		case !ok:
			return fmt.Errorf("%w: %w: %s is not in the answer", ErrMalformed, ErrMissingField, f.name)
		case !notNull && !f.nullable:
			return fmt.Errorf("%w: %w: %s is null", ErrMalformed, ErrMissingField, f.name)
		}
	}
	return nil
}

// pageLimits bound one collection read (List).
type pageLimits struct {
	pageItems int  // items in one page
	items     int  // items over all pages
	seen      *int // items decoded so far over all pages
}

// decodePage decodes one page of a collection from r as a stream: the
// "value" array item by item (each checked and decoded on its own, so no
// more than one item's JSON is held at a time) and @odata.nextLink. Every
// item is passed to emit. Other members are walked and dropped.
func decodePage[T any](ctx context.Context, r io.Reader, lim pageLimits, emit func(T) error) (next string, err error) {
	budget := MaxContainers
	w := newWalker(ctx, r)
	t, err := w.token()
	if err != nil {
		return "", err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return "", fmt.Errorf("%w: the answer is not a JSON object", ErrMalformed)
	}
	budget--
	keys := map[string]string{}
	gotValue := false
	for w.dec.More() {
		kt, err := w.token()
		if err != nil {
			return "", err
		}
		key, _ := kt.(string)
		f := foldKey(key)
		if prev, dup := keys[f]; dup {
			return "", fmt.Errorf("%w: %w %q (also sent as %q)", ErrMalformed, ErrDuplicateKey, key, prev)
		}
		keys[f] = key
		switch key {
		case "value":
			gotValue = true
			if err := decodeItems(ctx, w, lim, &budget, emit); err != nil {
				return "", err
			}
		case "@odata.nextLink":
			if next, err = nextLink(w); err != nil {
				return "", err
			}
		default:
			// Another member (@odata.context, @odata.count, or junk):
			// checked like an item, then dropped.
			var raw json.RawMessage
			if err := w.dec.Decode(&raw); err != nil {
				return "", classify(err)
			}
			if _, err := scanValid(ctx, raw, &budget); err != nil {
				return "", err
			}
		}
	}
	if _, err := w.token(); err != nil { // }
		return "", err
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return "", fmt.Errorf("%w: unexpected data after the JSON object", ErrMalformed)
	}
	if !gotValue {
		return "", fmt.Errorf("%w: no \"value\" array", ErrMalformed)
	}
	return next, nil
}

// decodeItems decodes the "value" array of a page, item by item, within
// the page's and the collection's limits.
func decodeItems[T any](ctx context.Context, w *walker, lim pageLimits, budget *int, emit func(T) error) error {
	vt, err := w.token()
	if err != nil {
		return err
	}
	if d, ok := vt.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("%w: \"value\" is not an array", ErrMalformed)
	}
	if *budget--; *budget < 0 {
		return fmt.Errorf("%w: %w: more than %d objects and arrays in one answer", ErrMalformed, ErrTooComplex, MaxContainers)
	}
	n := 0
	for w.dec.More() {
		if err := w.tick(); err != nil {
			return err
		}
		if n++; n > lim.pageItems {
			return fmt.Errorf("%w: %w: more than %d in one page", ErrMalformed, ErrTooManyItems, lim.pageItems)
		}
		if *lim.seen++; *lim.seen > lim.items {
			return fmt.Errorf("%w: %w: more than %d in the collection", ErrMalformed, ErrTooManyItems, lim.items)
		}
		var raw json.RawMessage
		if err := w.dec.Decode(&raw); err != nil {
			return classify(err)
		}
		var item T
		if err := decodeValue(ctx, raw, &item, budget); err != nil {
			return fmt.Errorf("item %d: %w", n, err)
		}
		if err := emit(item); err != nil {
			return err
		}
	}
	_, err = w.token() // ]
	return err
}

// nextLink reads @odata.nextLink: a string, or null.
func nextLink(w *walker) (string, error) {
	vt, err := w.token()
	if err != nil {
		return "", err
	}
	switch s := vt.(type) {
	case string:
		return s, nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("%w: @odata.nextLink is not a string", ErrMalformed)
}

// capReader passes at most limit bytes of r; more is ErrBodyTooLarge
// (with what in the message: "one answer", "the collection").
type capReader struct {
	r     io.Reader
	left  int64
	limit int64
	what  string
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: %s is more than %d bytes", ErrBodyTooLarge, c.what, c.limit)
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// squeezer collapses every run of JSON whitespace outside strings into one
// space. encoding/json's Decoder rescans a run of whitespace from its
// start on every read, so a body of megabytes of spaces would cost
// quadratic time (seconds for 8 MiB); whitespace between tokens means
// nothing, and one space keeps tokens apart ("1 2" stays two values).
type squeezer struct {
	r        io.Reader
	in, out  []byte
	rest     []byte // squeezed bytes not yet returned
	err      error
	inString bool
	escaped  bool
	pending  bool // a run of whitespace was dropped; write one space first
}

// newSqueezer reads r in pieces of size bytes.
func newSqueezer(r io.Reader, size int) *squeezer {
	return &squeezer{r: r, in: make([]byte, size), out: make([]byte, 2*size)}
}

func (s *squeezer) Read(p []byte) (int, error) {
	for len(s.rest) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		n, err := s.r.Read(s.in)
		s.err = err
		out := s.out[:0]
		for _, c := range s.in[:n] {
			switch {
			case s.inString:
				switch {
				case s.escaped:
					s.escaped = false
				case c == '\\':
					s.escaped = true
				case c == '"':
					s.inString = false
				}
			case c == ' ' || c == '\t' || c == '\n' || c == '\r':
				s.pending = true
				continue
			case c == '"':
				s.inString = true
			}
			if s.pending {
				out = append(out, ' ')
				s.pending = false
			}
			out = append(out, c)
		}
		s.rest = out
	}
	n := copy(p, s.rest)
	s.rest = s.rest[n:]
	return n, nil
}
