package directory

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// silentServer accepts connections and never answers (a hung DC, or a
// firewall that lets the SYN through and eats the rest).
func silentServer(t *testing.T) int {
	t.Helper()
	return fakeLDAP(t, func(*ber.Packet) []*ber.Packet { return nil }, true)
}

// fakeLDAP serves a scripted LDAP responder on 127.0.0.1. handle gets each
// request and returns the response packets; silent drops everything.
func fakeLDAP(t *testing.T, handle func(req *ber.Packet) []*ber.Packet, silent bool) int {
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
				for {
					if silent {
						if _, err := r.ReadByte(); err != nil {
							return
						}
						continue
					}
					p, err := ber.ReadPacket(r)
					if err != nil {
						return
					}
					for _, resp := range handle(p) {
						if _, err := c.Write(resp.Bytes()); err != nil {
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

func envelope(id int64, op *ber.Packet) *ber.Packet {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	p.AppendChild(op)
	return p
}

func result(id int64, app ber.Tag, code int, diag string) *ber.Packet {
	r := ber.Encode(ber.ClassApplication, ber.TypeConstructed, app, nil, "")
	r.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, code, ""))
	r.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
	r.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, diag, ""))
	return envelope(id, r)
}

// bindOnly answers binds with code and never answers searches.
func bindOnly(code int, diag string) func(*ber.Packet) []*ber.Packet {
	return func(p *ber.Packet) []*ber.Packet {
		id := p.Children[0].Value.(int64)
		if p.Children[1].Tag == ldap.ApplicationBindRequest {
			return []*ber.Packet{result(id, ldap.ApplicationBindResponse, code, diag)}
		}
		return nil
	}
}

func loopDC(port int) DC {
	return DC{Name: "dc1.corp.contoso.test", Addrs: []string{"127.0.0.1"}, Port: port}
}

var anon = Options{Security: Plain, Bind: Bind{Anonymous: true}}

func TestDialClosedPort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := Dial(ctx, loopDC(closedPort(t)), anon)
	if !IsRefused(err) || IsTimeout(err) || !strings.HasPrefix(err.Error(), "dial 127.0.0.1:") {
		t.Fatalf("Dial to a closed port: %v", err)
	}
}

func TestDialNeverAnswers(t *testing.T) {
	port := silentServer(t)
	for _, sec := range []Security{LDAPS, StartTLS, Plain} {
		t.Run(sec.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := Dial(ctx, loopDC(port), Options{Security: sec, Bind: Bind{Anonymous: true}})
			if d := time.Since(start); d > time.Second {
				t.Fatalf("Dial returned after %v", d)
			}
			if !IsTimeout(err) || IsCanceled(err) {
				t.Fatalf("Dial to a silent server: %v, want a timeout", err)
			}
		})
	}
}

func TestSearchNeverAnswers(t *testing.T) {
	port := fakeLDAP(t, bindOnly(0, ""), false)
	for _, mode := range []string{"deadline", "cancel"} {
		t.Run(mode, func(t *testing.T) {
			s, err := Dial(context.Background(), loopDC(port), anon)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var ctx context.Context
			var cancel context.CancelFunc
			if mode == "deadline" {
				ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
			} else {
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(200*time.Millisecond, cancel)
			}
			defer cancel()
			start := time.Now()
			_, err = s.RootDSE(ctx)
			if d := time.Since(start); d > time.Second || d < 150*time.Millisecond {
				t.Fatalf("RootDSE returned after %v", d)
			}
			if mode == "deadline" && (!IsTimeout(err) || IsCanceled(err)) {
				t.Fatalf("RootDSE: %v, want a timeout", err)
			}
			if mode == "cancel" && (!IsCanceled(err) || IsTimeout(err)) {
				t.Fatalf("RootDSE: %v, want cancellation", err)
			}
			// The session is gone: go-ldap cannot abandon the request.
			if _, err := s.RootDSE(context.Background()); !IsConnClosed(err) {
				t.Fatalf("RootDSE after the abort: %v, want connection closed", err)
			}
			ops, _ := s.Ops()
			if len(ops) != 3 || ops[0].Kind != "bind" || ops[1].Kind != "search" || ops[1].Err == nil {
				t.Fatalf("ops %+v", ops)
			}
		})
	}
}

func TestSessionEndsWithDialContext(t *testing.T) {
	port := fakeLDAP(t, bindOnly(0, ""), false)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Dial(ctx, loopDC(port), anon)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cancel()
	deadline := time.Now().Add(time.Second)
	for !s.conn.IsClosing() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := s.RootDSE(context.Background()); !IsConnClosed(err) {
		t.Fatalf("RootDSE after the dial context ended: %v", err)
	}
}

func TestBindErrors(t *testing.T) {
	for _, c := range []struct {
		code  int
		diag  string
		check func(error) bool
		text  string
	}{
		{8, "BindSimple: Transport encryption required.", IsStrongAuthRequired, "bind as cn=probe,dc=x: strong auth required (ldap result 8): BindSimple: Transport encryption required. (the dc refuses simple binds without transport encryption: use ldaps (636) or starttls (389))"},
		{49, "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1", IsInvalidCredentials, "bind as cn=probe,dc=x: invalid credentials (ldap result 49): 80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data 52e, v1db1"},
		{10, "", IsReferral, "bind as cn=probe,dc=x: referral (ldap result 10)"},
	} {
		port := fakeLDAP(t, bindOnly(c.code, c.diag), false)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		o := Options{Security: Plain, AllowCleartextPassword: true, Bind: Bind{User: "cn=probe,dc=x", Password: "s3cret-Pa55"}}
		_, err := Dial(ctx, loopDC(port), o)
		cancel()
		if !c.check(err) || err.Error() != c.text || Advice(err) == "" {
			t.Errorf("code %d: %q (advice %q)\nwant %q", c.code, err, Advice(err), c.text)
		}
		if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, o), "s3cret-Pa55") {
			t.Errorf("password printed")
		}
	}
}

// failDialer fails the test if anything is dialled.
type failDialer struct{ t *testing.T }

func (f failDialer) DialContext(context.Context, string, string) (net.Conn, error) {
	f.t.Error("dialled although the options are invalid")
	return nil, errors.New("no")
}

func TestOptionsValidate(t *testing.T) {
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{}, "bind: no identity"},
		{Options{Bind: Bind{User: "u", Password: "p", Anonymous: true}}, "bind: choose one"},
		{Options{Bind: Bind{User: "u"}}, "bind as u: empty password"},
		{Options{Security: Plain, Bind: Bind{User: "u", Password: "p"}}, "bind as u: refusing to send a password over plain ldap"},
		{Options{Security: 7, Bind: Bind{Anonymous: true}}, "options: unknown security"},
	} {
		c.o.Dialer = failDialer{t}
		_, err := Dial(context.Background(), loopDC(1), c.o)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.want)
		}
	}
	o := Options{Bind: Bind{User: "u", Password: "p", CurrentUser: false}}
	o.Bind.CurrentUser = true
	if _, err := Dial(context.Background(), loopDC(1), Options{Dialer: failDialer{t}, Bind: Bind{User: "a", Password: "b", CurrentUser: true}}); err == nil {
		t.Error("two bind modes accepted")
	}
}

func TestCurrentUserNeedsWindows(t *testing.T) {
	port := fakeLDAP(t, bindOnly(0, ""), false)
	_, err := Dial(context.Background(), loopDC(port), Options{Security: Plain, Bind: Bind{CurrentUser: true}})
	if !errors.Is(err, ErrNeedsWindows) {
		t.Fatalf("CurrentUser bind: %v", err)
	}
}

func TestResponseTooLarge(t *testing.T) {
	big := strings.Repeat("x", 64<<10)
	port := fakeLDAP(t, func(p *ber.Packet) []*ber.Packet {
		id := p.Children[0].Value.(int64)
		switch p.Children[1].Tag {
		case ldap.ApplicationBindRequest:
			return []*ber.Packet{result(id, ldap.ApplicationBindResponse, 0, "")}
		case ldap.ApplicationSearchRequest:
			e := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultEntry, nil, "")
			e.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "", ""))
			attrs := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
			a := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
			a.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, "vendorName", ""))
			vals := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "")
			vals.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, big, ""))
			a.AppendChild(vals)
			attrs.AppendChild(a)
			e.AppendChild(attrs)
			return []*ber.Packet{envelope(id, e), result(id, ldap.ApplicationSearchResultDone, 0, "")}
		}
		return nil
	}, false)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	o := anon
	o.MaxResponseBytes = 16 << 10
	s, err := Dial(ctx, loopDC(port), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.RootDSE(ctx); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("RootDSE with a 64 KiB answer and a 16 KiB budget: %v", err)
	}
	// Within budget it works and values are kept whole up to MaxValueBytes.
	s2, err := Dial(ctx, loopDC(port), anon)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	r, err := s2.RootDSE(ctx)
	if err != nil || len(r.VendorName) != MaxValueBytes {
		t.Fatalf("RootDSE: %d bytes, %v", len(r.VendorName), err)
	}
}

func TestDialFirst(t *testing.T) {
	silent := silentServer(t)
	live := fakeLDAP(t, bindOnly(0, ""), false)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	dcs := []DC{loopDC(silent), loopDC(closedPort(t)), loopDC(live)}
	s, attempts, err := DialFirst(ctx, dcs, anon)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.DC.Port != live || len(attempts) != 3 {
		t.Fatalf("used %v, attempts %+v", s.DC, attempts)
	}
	if !errors.Is(attempts[0].Err, ErrAbandoned) || !IsRefused(attempts[1].Err) || attempts[2].Err != nil || attempts[2].Latency <= 0 {
		t.Fatalf("attempts %+v", attempts)
	}
	// The winner outlives the losers' cancellation.
	time.Sleep(50 * time.Millisecond)
	if s.aborted.Load() || s.conn.IsClosing() {
		t.Fatal("the winning session was closed")
	}

	_, attempts, err = DialFirst(ctx, []DC{loopDC(closedPort(t)), loopDC(closedPort(t))}, anon)
	if err == nil || !IsRefused(err) || len(attempts) != 2 || !IsRefused(attempts[1].Err) {
		t.Fatalf("DialFirst with no live DC: %v, %+v", err, attempts)
	}
	if _, _, err := DialFirst(ctx, nil, anon); !errors.Is(err, ErrNoDomainControllers) {
		t.Fatalf("DialFirst(nil): %v", err)
	}
}

func TestOnlyReadOperations(t *testing.T) {
	// The package's API sends nothing but these; TestFixtureRecordsOnlyReads
	// checks the wire.
	port := fakeLDAP(t, bindOnly(0, ""), false)
	s, err := Dial(context.Background(), loopDC(port), anon)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ops, _ := s.Ops()
	if len(ops) != 2 || ops[0].Kind != "bind" || ops[1].Kind != "unbind" {
		t.Fatalf("ops %+v", ops)
	}
}
