package directory

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// berTLV encodes one element with a definite length (raw bytes: building
// millions of ber.Packets in a test would cost what the guard prevents).
func berTLV(tag byte, content ...[]byte) []byte {
	n := 0
	for _, c := range content {
		n += len(c)
	}
	var b bytes.Buffer
	b.WriteByte(tag)
	switch {
	case n < 0x80:
		b.WriteByte(byte(n))
	case n < 1<<8:
		b.Write([]byte{0x81, byte(n)})
	case n < 1<<16:
		b.Write([]byte{0x82, byte(n >> 8), byte(n)})
	case n < 1<<24:
		b.Write([]byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)})
	default:
		b.Write([]byte{0x84, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	}
	for _, c := range content {
		b.Write(c)
	}
	return b.Bytes()
}

// rawEntry is a search entry message with attributes name -> values.
func rawEntry(id byte, dn string, attrs ...[]byte) []byte {
	return berTLV(0x30, berTLV(0x02, []byte{id}), berTLV(0x64, berTLV(0x04, []byte(dn)), berTLV(0x30, attrs...)))
}

func rawAttr(name string, values int, value []byte) []byte {
	one := berTLV(0x04, value)
	return berTLV(0x30, berTLV(0x04, []byte(name)), berTLV(0x31, bytes.Repeat(one, values)))
}

func rawDone(id byte) []byte {
	return berTLV(0x30, berTLV(0x02, []byte{id}), berTLV(0x65, berTLV(0x0a, []byte{0}), berTLV(0x04), berTLV(0x04)))
}

// rawLDAP answers binds with success and each search with the bytes of
// search(n), n counting the searches of the connection from 1.
func rawLDAP(t *testing.T, search func(id byte, n int) [][]byte) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				r := bufio.NewReader(c)
				n := 0
				for {
					p, err := ber.ReadPacket(r)
					if err != nil {
						return
					}
					id := byte(p.Children[0].Value.(int64))
					var out [][]byte
					switch p.Children[1].Tag {
					case ldap.ApplicationBindRequest:
						out = [][]byte{result(int64(id), ldap.ApplicationBindResponse, 0, "").Bytes()}
					case ldap.ApplicationSearchRequest:
						n++
						out = search(id, n)
					default:
						return
					}
					for _, b := range out {
						if _, err := c.Write(b); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().(*net.TCPAddr).Port
}

func TestWalkBER(t *testing.T) {
	entry := rawEntry(1, "CN=x", rawAttr("a", 3, []byte("v")))
	for _, tc := range []struct {
		name string
		msg  []byte
		want error
	}{
		{"an entry", entry, nil},
		{"empty constructed elements", berTLV(0x30, berTLV(0x02, []byte{1}), berTLV(0x64, berTLV(0x04), berTLV(0x30))), nil},
		{"a high tag number", berTLV(0x30, []byte{0x1f, 0x81, 0x01, 0x00}), nil},
		{"indefinite length", berTLV(0x30, []byte{0x30, 0x80, 0x00, 0x00}), ErrMalformedMessage},
		{"an element overrunning its parent", berTLV(0x30, berTLV(0x30, []byte{0x04, 0x05, 'a'})), ErrMalformedMessage},
		{"a length of five bytes", berTLV(0x30, []byte{0x04, 0x85, 0, 0, 0, 0, 1}), ErrMalformedMessage},
		{"a truncated length", berTLV(0x30, []byte{0x04, 0x82, 0}), ErrMalformedMessage},
		{"a tag number too long", berTLV(0x30, []byte{0x1f, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00}), ErrMalformedMessage},
		{"nested too deep", func() []byte {
			b := berTLV(0x04)
			for range MaxDepth + 2 {
				b = berTLV(0x30, b)
			}
			return b
		}(), ErrMalformedMessage},
		{"too many values of one attribute", rawEntry(1, "", rawAttr("a", MaxChildren+1, nil)), ErrTooManyObjects},
		{"too many elements", rawEntry(1, "", func() [][]byte {
			var attrs [][]byte
			for range MaxMessageElements/MaxChildren + 1 {
				attrs = append(attrs, rawAttr("a", MaxChildren-1, nil))
			}
			return attrs
		}()...), ErrTooManyObjects},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// walkBER gets the content of the message.
			content := tc.msg[2:]
			if tc.msg[1]&0x80 != 0 {
				content = tc.msg[2+int(tc.msg[1]&0x7f):]
			}
			_, err := walkBER(content)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("walkBER: %v, want %v", err, tc.want)
			}
			if tc.want == nil {
				if _, err := ber.DecodePacketErr(tc.msg); err != nil {
					t.Fatalf("asn1-ber refuses what the guard let through: %v", err)
				}
			}
		})
	}
}

// Hostile answers end in an error naming the bound, quickly, and without
// the memory the parse would have taken: 8 MiB of empty values parsed by
// asn1-ber took 0.97 GB.
func TestGuardBombs(t *testing.T) {
	// The search is the second message of the session (after the bind).
	const id = 2
	empty := func(n int) [][]byte { return [][]byte{rawEntry(id, "", rawAttr("vendorName", n, nil)), rawDone(id)} }
	for _, tc := range []struct {
		name   string
		answer [][]byte
		want   error
		// maxAlloc bounds what the client may allocate: the bytes it
		// reads (twice: the guard's copy and go-ldap's) and what go-ldap
		// parses within the bounds (~300 bytes per element).
		maxAlloc uint64
	}{
		{"8 MiB of empty values in one message", empty(4 << 20), ErrResponseTooLarge, 8 << 20},
		{"16 MiB of empty values in one message", empty(8 << 20), ErrResponseTooLarge, 8 << 20},
		{"3 MiB of empty values in one message", empty(1_500_000), ErrTooManyObjects, 16 << 20},
		{"a flood of small entries", [][]byte{bytes.Repeat(rawEntry(id, ""), 2*MaxOperationMessages), rawDone(id)}, ErrTooManyObjects, 32 << 20},
		{"many entries of many values", [][]byte{bytes.Repeat(rawEntry(id, "", rawAttr("vendorName", MaxChildren-1, nil)), MaxOperationElements/MaxChildren+2), rawDone(id)},
			ErrTooManyObjects, MaxOperationElements * 400},
		{"indefinite lengths", [][]byte{{0x30, 0x80, 0x02, 0x01, id, 0x64, 0x80, 0x04, 0x00, 0x30, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}}, ErrMalformedMessage, 1 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := rawLDAP(t, func(got byte, _ int) [][]byte {
				if got != id {
					t.Errorf("search with message id %d, want %d", got, id)
				}
				return tc.answer
			})
			ctx, cancel := context.WithTimeout(context.Background(), slowBound(10*time.Second))
			defer cancel()
			o := anon
			o.MaxResponseBytes = 64 << 20
			s, err := Dial(ctx, loopDC(port), o)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err = s.RootDSE(ctx)
			took := time.Since(start)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tc.want) {
				t.Fatalf("RootDSE: %v, want %v", err, tc.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > allocBound(tc.maxAlloc) {
				t.Errorf("allocated %d MiB for a refused answer, want at most %d", alloc>>20, allocBound(tc.maxAlloc)>>20)
			}
			if took > slowBound(3*time.Second) {
				t.Errorf("took %s", took)
			}
			t.Logf("%v in %s, %d MiB allocated", err, took.Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>20)
		})
	}
}

// The run's budget spans sessions and DCs: answers that each pass every
// per-operation bound still end when the run has read its budget.
func TestRunBudget(t *testing.T) {
	value := bytes.Repeat([]byte("x"), 1000)
	port := rawLDAP(t, func(id byte, _ int) [][]byte {
		return [][]byte{rawEntry(id, "", rawAttr("vendorName", 300, value)), rawDone(id)}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o := anon
	o.Budget = NewBudget(1 << 20)
	var err error
	searches := 0
	for range 10 {
		var s *Session
		s, err = Dial(ctx, loopDC(port), o)
		if err != nil {
			break
		}
		_, err = s.RootDSE(ctx)
		s.Close()
		if err != nil {
			break
		}
		searches++
	}
	if !errors.Is(err, ErrRunBudget) || searches != 3 {
		t.Fatalf("after %d searches of 300 KB: %v, want %v after 3", searches, err, ErrRunBudget)
	}
	if o.Budget.Used() < 1<<20 {
		t.Fatalf("budget used %d", o.Budget.Used())
	}
}

// A paged search whose pages each pass the per-operation bounds is bounded
// by the values it keeps over all pages.
func TestSearchValuesBound(t *testing.T) {
	port := rawLDAP(t, func(id byte, n int) [][]byte {
		cookie := berTLV(0x30, berTLV(0x02, []byte{0}), berTLV(0x04, []byte{byte(n)}))
		control := berTLV(0x30, berTLV(0x04, []byte(ldap.ControlTypePaging)), berTLV(0x04, cookie))
		done := berTLV(0x30, berTLV(0x02, []byte{id}), berTLV(0x65, berTLV(0x0a, []byte{0}), berTLV(0x04), berTLV(0x04)), berTLV(0xa0, control))
		return [][]byte{rawEntry(id, "CN=x", rawAttr("uPNSuffixes", MaxChildren-1, []byte("x"))), done}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Dial(ctx, loopDC(port), anon)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, _, err = s.search(ctx, search{base: "CN=Partitions", scope: ldap.ScopeSingleLevel, filter: "(objectClass=*)", attrs: []string{"uPNSuffixes"}, paged: true, maxEntries: 5000})
	if !errors.Is(err, ErrTooManyObjects) {
		t.Fatalf("search: %v", err)
	}
	ops, _ := s.Ops()
	if searches := len(ops) - 1; searches != MaxSearchValues/(MaxChildren-1)+1 {
		t.Fatalf("%d pages read", searches)
	}
}

// The guard's walk never panics and never lets an element overrun its
// message, whatever the bytes.
func FuzzWalkBER(f *testing.F) {
	f.Add(rawEntry(1, "CN=x", rawAttr("a", 3, []byte("v")))[2:])
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	f.Add([]byte{0x1f, 0x81, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := walkBER(b)
		if err == nil && n > len(b)/2 {
			t.Fatalf("%d elements in %d bytes", n, len(b))
		}
	})
}
