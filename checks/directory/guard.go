package directory

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// Bounds on what a DC may send. go-ldap parses each message with
// go-asn1-ber, which accepts messages up to 2 GiB and allocates a packet of
// about 250 bytes for every element: 8 MiB of empty attribute values (two
// bytes each) became 4 million packets and almost 1 GB. The guard below sees
// every message before go-ldap does and refuses one that crosses a bound,
// so no such message is ever parsed.
const (
	// MaxMessageBytes bounds one LDAP message (one search entry, one
	// result). ptacheck's largest legitimate answers (a user with its
	// attributes, the Partitions object with its UPN suffixes, a trust with
	// its forest information) are a few KiB to a few hundred KiB.
	MaxMessageBytes = 4 << 20
	// MaxMessageElements bounds the BER elements of one message.
	MaxMessageElements = 100_000
	// MaxChildren bounds the elements directly inside one constructed
	// element: the values of one attribute, the attributes of one entry.
	// AD hands out at most MaxValRange values (1,500 by default, 5,000 at
	// most in practice) before range retrieval.
	MaxChildren = 10_000
	// MaxDepth bounds the nesting of a message: an LDAP response nests six
	// deep (message, entry, attribute list, attribute, value set, value).
	MaxDepth = 16
	// MaxOperationMessages bounds the messages of one operation (one page
	// of a search: PageSize entries plus references and the result).
	MaxOperationMessages = 10_000
	// MaxOperationElements bounds the BER elements of one operation.
	MaxOperationElements = 250_000
	// DefaultRunBudgetBytes bounds what one Budget (one run) reads from
	// every DC together. ptacheck's largest legitimate read, the accounts
	// of 100,000 users (the most a signin run takes), is about 70 MiB.
	DefaultRunBudgetBytes = 256 << 20
)

// Errors of the bounds (wrapped, test with errors.Is).
var (
	// ErrTooManyObjects: a message or operation held more elements,
	// values or entries than the bounds above.
	ErrTooManyObjects = errors.New("too many objects in the answer")
	// ErrMalformedMessage: a message is not definite-length BER as LDAP
	// requires (RFC 4511 section 5.1).
	ErrMalformedMessage = errors.New("malformed ldap message")
	// ErrRunBudget: the run's read budget (Budget) is spent.
	ErrRunBudget = errors.New("the run's directory read budget is spent")
)

// Budget is a read budget shared by every session of one run (every DC,
// every operation): a DC that answers each operation within its bounds
// cannot make a run read without end. The zero value is unusable; use
// NewBudget. A nil *Budget is no budget.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a budget of limit bytes (<= 0: DefaultRunBudgetBytes).
func NewBudget(limit int64) *Budget {
	if limit <= 0 {
		limit = DefaultRunBudgetBytes
	}
	return &Budget{limit: limit}
}

// take counts n bytes read; false once the budget is spent.
func (b *Budget) take(n int) bool {
	if b == nil {
		return true
	}
	return b.used.Add(int64(n)) <= b.limit
}

// Used returns the bytes read so far.
func (b *Budget) Used() int64 {
	if b == nil {
		return 0
	}
	return b.used.Load()
}

// guardConn sits between the (decrypted) connection and go-ldap: it reads
// one whole LDAP message, checks its framing and counts its elements without
// allocating per element, and only then hands the bytes on. A message that
// crosses a bound fails the read, so go-ldap's reader stops and closes the
// connection; the operation waiting for it returns, and Session.cause
// reports the guard's error.
type guardConn struct {
	net.Conn

	mu      sync.Mutex // the reader state below (one reader: go-ldap's)
	pending []byte     // the validated message not yet read
	hdr     []byte

	messages atomic.Int64 // in the current operation
	elements atomic.Int64
	errMu    sync.Mutex
	err      error // the first bound crossed
}

func newGuard(c net.Conn) *guardConn { return &guardConn{Conn: c, hdr: make([]byte, 0, 6)} }

// reset starts the counts of a new operation.
func (g *guardConn) reset() {
	g.messages.Store(0)
	g.elements.Store(0)
}

// failure returns the bound crossed, or nil.
func (g *guardConn) failure() error {
	g.errMu.Lock()
	defer g.errMu.Unlock()
	return g.err
}

func (g *guardConn) fail(err error) error {
	g.errMu.Lock()
	defer g.errMu.Unlock()
	if g.err == nil {
		g.err = err
	}
	return g.err
}

func (g *guardConn) Read(b []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.failure(); err != nil {
		return 0, err
	}
	if len(g.pending) == 0 {
		msg, err := g.next()
		if err != nil {
			return 0, err
		}
		g.pending = msg
	}
	n := copy(b, g.pending)
	g.pending = g.pending[n:]
	if len(g.pending) == 0 {
		g.pending = nil // let the message go
	}
	return n, nil
}

// next reads and checks one message.
func (g *guardConn) next() ([]byte, error) {
	// The header: identifier and length, at most 1 + 1 + 4 bytes.
	g.hdr = g.hdr[:0]
	var one [1]byte
	readByte := func() (byte, error) {
		if _, err := io.ReadFull(g.Conn, one[:]); err != nil {
			return 0, err
		}
		g.hdr = append(g.hdr, one[0])
		return one[0], nil
	}
	tag, err := readByte()
	if err != nil {
		return nil, err
	}
	if tag != 0x30 { // universal, constructed, SEQUENCE
		return nil, g.fail(fmt.Errorf("%w: message starts with 0x%02x, not a sequence", ErrMalformedMessage, tag))
	}
	l, err := readByte()
	if err != nil {
		return nil, err
	}
	size := int(l)
	if l&0x80 != 0 {
		n := int(l & 0x7f)
		if n == 0 || n > 4 {
			return nil, g.fail(fmt.Errorf("%w: length of %d bytes (indefinite or over 4)", ErrMalformedMessage, n))
		}
		size = 0
		for range n {
			c, err := readByte()
			if err != nil {
				return nil, err
			}
			size = size<<8 | int(c)
		}
	}
	if size > MaxMessageBytes {
		return nil, g.fail(fmt.Errorf("%w: a message of %d bytes, more than %d", ErrResponseTooLarge, size, MaxMessageBytes))
	}
	msg := make([]byte, len(g.hdr)+size)
	copy(msg, g.hdr)
	if _, err := io.ReadFull(g.Conn, msg[len(g.hdr):]); err != nil {
		return nil, err
	}
	elements, err := walkBER(msg[len(g.hdr):])
	if err != nil {
		return nil, g.fail(err)
	}
	if m := g.messages.Add(1); m > MaxOperationMessages {
		return nil, g.fail(fmt.Errorf("%w: more than %d messages for one operation", ErrTooManyObjects, MaxOperationMessages))
	}
	if e := g.elements.Add(int64(elements)); e > MaxOperationElements {
		return nil, g.fail(fmt.Errorf("%w: more than %d elements for one operation", ErrTooManyObjects, MaxOperationElements))
	}
	return msg, nil
}

// walkBER checks the content of a message: every element's header and
// length fit its parent, lengths are definite, nesting and counts stay
// within the bounds. It returns the number of elements. It allocates
// nothing per element.
func walkBER(b []byte) (int, error) {
	type frame struct{ end, children int }
	var stack [MaxDepth + 1]frame
	depth := 0
	stack[0] = frame{end: len(b)}
	elements := 0
	pos := 0
	for {
		for depth > 0 && pos == stack[depth].end {
			depth--
		}
		if depth == 0 && pos == len(b) {
			return elements, nil
		}
		parent := &stack[depth]
		if pos >= parent.end {
			return elements, fmt.Errorf("%w: an element overruns its parent", ErrMalformedMessage)
		}
		parent.children++
		if parent.children > MaxChildren {
			return elements, fmt.Errorf("%w: more than %d values or elements in one list", ErrTooManyObjects, MaxChildren)
		}
		elements++
		if elements > MaxMessageElements {
			return elements, fmt.Errorf("%w: more than %d elements in one message", ErrTooManyObjects, MaxMessageElements)
		}
		id := b[pos]
		pos++
		if id&0x1f == 0x1f { // high tag number: base-128 digits
			n := 0
			for {
				if pos >= parent.end {
					return elements, fmt.Errorf("%w: truncated tag", ErrMalformedMessage)
				}
				c := b[pos]
				pos++
				n++
				if n > 4 {
					return elements, fmt.Errorf("%w: tag number too long", ErrMalformedMessage)
				}
				if c&0x80 == 0 {
					break
				}
			}
		}
		if pos >= parent.end {
			return elements, fmt.Errorf("%w: truncated length", ErrMalformedMessage)
		}
		l := int(b[pos])
		pos++
		if l&0x80 != 0 {
			n := l & 0x7f
			if n == 0 || n > 4 {
				return elements, fmt.Errorf("%w: length of %d bytes (indefinite or over 4)", ErrMalformedMessage, n)
			}
			if pos+n > parent.end {
				return elements, fmt.Errorf("%w: truncated length", ErrMalformedMessage)
			}
			l = 0
			for _, c := range b[pos : pos+n] {
				l = l<<8 | int(c)
			}
			pos += n
		}
		if l > parent.end-pos {
			return elements, fmt.Errorf("%w: an element of %d bytes overruns its parent", ErrMalformedMessage, l)
		}
		if id&0x20 == 0 || l == 0 { // primitive, or an empty constructed one
			pos += l
			continue
		}
		if depth == MaxDepth {
			return elements, fmt.Errorf("%w: nested deeper than %d", ErrMalformedMessage, MaxDepth)
		}
		depth++
		stack[depth] = frame{end: pos + l}
	}
}
