package directory

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// Limits and timeouts.
const (
	// DefaultTimeout bounds a connect, a bind or one search page when the
	// caller's context has no deadline: no network step runs unbounded.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxResponseBytes bounds one LDAP operation's response.
	DefaultMaxResponseBytes = 32 << 20
	// MaxValueBytes bounds an attribute value this package keeps; longer
	// values are cut (and flagged where it matters).
	MaxValueBytes = 64 << 10
	// PageSize is the paged-results size of searches that may be large.
	PageSize = 500
	// closeTimeout bounds the unbind on Close.
	closeTimeout = 2 * time.Second
	// dialStagger delays DialFirst's attempt i by i*dialStagger.
	dialStagger = 150 * time.Millisecond
	// maxOps bounds Session.Ops.
	maxOps = 10000
)

// Op is one LDAP operation a Session sent.
type Op struct {
	Kind     string // "starttls", "bind", "search" or "unbind": nothing else is ever sent
	Object   string // bind identity or search base
	Filter   string // search filter, cut to 200 bytes
	Entries  int    // search entries received
	Duration time.Duration
	Err      error
}

// Attempt is one DC tried by DialFirst.
type Attempt struct {
	DC      DC
	Latency time.Duration // from the start of this attempt to bound or failed
	Err     error         // nil for the DC used; ErrAbandoned when another won
}

// Session is a bound LDAP connection to one DC. It is safe for use by one
// goroutine at a time (operations are serialised). It closes itself when
// the context it was dialled with ends; an operation whose own context ends
// closes it too (go-ldap cannot abandon a request otherwise).
type Session struct {
	DC             DC
	Addr           string // address connected to
	Security       Security
	GC             bool
	ConnectLatency time.Duration // TCP connect (+ TLS handshake for LDAPS)
	BindLatency    time.Duration // StartTLS (if any) excluded

	conn     *ldap.Conn
	raw      net.Conn
	bc       *boundedConn // counts the bytes on the wire
	guard    *guardConn   // checks each decrypted message before go-ldap parses it
	tls      *tls.Conn    // nil on plain LDAP
	aborted  atomic.Bool
	stopLife func() bool
	release  func()

	mu         sync.Mutex // serialises operations
	opsMu      sync.Mutex
	ops        []Op
	opsDropped int
	rootDSE    *RootDSE
	closeOnce  sync.Once
}

// Dial connects to dc and binds. The TLS server name is dc.Name, while the
// connection goes to dc.Addrs (tried in order) so the certificate is
// verified against the DC's host name. The session lives until Close or
// until ctx ends.
func Dial(ctx context.Context, dc DC, opts Options) (*Session, error) {
	return dial(ctx, dc, opts, nil)
}

func dial(ctx context.Context, dc DC, opts Options, release func()) (_ *Session, err error) {
	defer func() {
		if err != nil && release != nil {
			release()
		}
	}()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if dc.ResolveErr != nil {
		return nil, dc.ResolveErr
	}
	if dc.Name == "" {
		return nil, errors.New("dial: dc without a name")
	}
	if err := ctx.Err(); err != nil {
		return nil, &OpError{Op: "dial", Object: dc.String(), Err: err}
	}
	step := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		step, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	start := time.Now()
	raw, addr, err := dialTCP(step, dc, opts)
	if err != nil {
		return nil, err
	}
	maxResp := opts.MaxResponseBytes
	if maxResp <= 0 {
		maxResp = DefaultMaxResponseBytes
	}
	s := &Session{DC: dc, Addr: addr, Security: opts.Security, GC: opts.GC, raw: raw, release: release}
	s.bc = &boundedConn{Conn: raw, limit: maxResp, budget: opts.Budget}
	// The connection never outlives ctx: close it when ctx ends, and let
	// the kernel enforce ctx's deadline on every read and write as well.
	s.stopLife = context.AfterFunc(ctx, s.abort)
	if d, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(d)
	}
	defer func() {
		if err != nil {
			s.release = nil // already released by the outer defer
			s.Close()
		}
	}()
	stopStep := context.AfterFunc(step, s.abort)
	defer stopStep()
	if err := s.secure(step, opts, start); err != nil {
		return nil, err
	}
	if err := s.bind(step, opts.Bind); err != nil {
		return nil, err
	}
	return s, nil
}

// dialTCP connects to the DC's first address that answers.
func dialTCP(step context.Context, dc DC, opts Options) (net.Conn, string, error) {
	dialer := opts.Dialer
	if dialer == nil {
		dialer = &net.Dialer{}
	}
	port := strconv.Itoa(opts.port(dc))
	addrs := dc.Addrs
	if len(addrs) == 0 {
		addrs = []string{dc.Name}
	}
	var addr string
	var lastErr error
	for _, a := range addrs {
		addr = net.JoinHostPort(a, port)
		c, err := dialer.DialContext(step, "tcp", addr)
		if err == nil {
			return c, addr, nil
		}
		lastErr = &OpError{Op: "dial", Object: addr, Err: ctxCause(step, err)}
		if step.Err() != nil {
			break
		}
	}
	return nil, addr, lastErr
}

// secure sets up the session's encryption (LDAPS, StartTLS or none) and
// the guard go-ldap reads through.
func (s *Session) secure(step context.Context, opts Options, start time.Time) error {
	dc, addr := s.DC, s.Addr
	cfg := &tls.Config{
		ServerName:         dc.Name,
		RootCAs:            opts.RootCAs,
		InsecureSkipVerify: opts.InsecureSkipVerify, //nolint:gosec // only when the user asks
		MinVersion:         tls.VersionTLS12,
	}
	// go-ldap reads the connection it is given; it gets the guard over the
	// decrypted stream. For StartTLS this package sends the extended
	// operation itself, so that go-ldap never wraps a connection of its own
	// around the guard.
	switch opts.Security {
	case LDAPS:
		tc := tls.Client(s.bc, cfg)
		if err := tc.HandshakeContext(step); err != nil {
			return &OpError{Op: "tls handshake", Object: dc.Name + " (" + addr + ")", Err: s.cause(step, err)}
		}
		s.tls = tc
		s.guard = newGuard(tc)
		s.ConnectLatency = time.Since(start)
	case StartTLS:
		s.ConnectLatency = time.Since(start)
		if _, err := s.do(step, Op{Kind: "starttls", Object: dc.Name}, func() (int, error) {
			return 0, s.startTLS(step, cfg)
		}); err != nil {
			return err
		}
	default:
		s.guard = newGuard(s.bc)
		s.ConnectLatency = time.Since(start)
	}
	s.conn = ldap.NewConn(s.guard, s.tls != nil)
	s.conn.Start()
	return nil
}

// bind binds as b: anonymously, as the current user (Windows) or with a
// password.
func (s *Session) bind(step context.Context, b Bind) error {
	var err error
	s.BindLatency, err = s.do(step, Op{Kind: "bind", Object: b.identity()}, func() (int, error) {
		switch {
		case b.Anonymous:
			_, err := s.conn.SimpleBind(&ldap.SimpleBindRequest{AllowEmptyPassword: true})
			return 0, err
		case b.CurrentUser:
			return 0, bindCurrentUser(s.conn, s.DC.Name)
		}
		_, err := s.conn.SimpleBind(&ldap.SimpleBindRequest{Username: b.User, Password: b.Password})
		return 0, err
	})
	return err
}

// startTLS sends the StartTLS extended operation (RFC 4511 section 4.14)
// on the plain connection, reads its answer through a guard, and on success
// completes the TLS handshake; the guard then reads the TLS stream.
func (s *Session) startTLS(ctx context.Context, cfg *tls.Config) error {
	req := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAP Request")
	req.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(startTLSMessageID), "MessageID"))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationExtendedRequest, nil, "Start TLS")
	op.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, oidStartTLS, "TLS Extended Command"))
	req.AppendChild(op)
	if _, err := s.bc.Write(req.Bytes()); err != nil {
		return err
	}
	g := newGuard(s.bc)
	msg, err := g.next()
	if err != nil {
		return err
	}
	resp, err := ber.DecodePacketErr(msg)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformedMessage, err)
	}
	if len(resp.Children) < 2 || resp.Children[1].ClassType != ber.ClassApplication || resp.Children[1].Tag != ldap.ApplicationExtendedResponse {
		return fmt.Errorf("%w: the answer to starttls is not an extended response", ErrMalformedMessage)
	}
	if id, ok := resp.Children[0].Value.(int64); !ok || id != startTLSMessageID {
		return fmt.Errorf("%w: the answer to starttls has message id %v", ErrMalformedMessage, resp.Children[0].Value)
	}
	if err := ldap.GetLDAPError(resp); err != nil {
		return err
	}
	tc := tls.Client(s.bc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return ldap.NewError(ldap.ErrorNetwork, fmt.Errorf("TLS handshake failed (%v)", err))
	}
	s.tls = tc
	s.guard = newGuard(tc)
	return nil
}

const (
	oidStartTLS = "1.3.6.1.4.1.1466.20037"
	// startTLSMessageID numbers the StartTLS request, sent before go-ldap
	// numbers its own requests from 1; a message ID may be reused once its
	// operation is complete (RFC 4511 section 4.1.1.1).
	startTLSMessageID = 1
)

// DialFirst dials the DCs concurrently, attempt i starting i*150 ms after
// the first, and returns the session of the first DC that binds; the others
// are stopped or closed. Attempts (in dcs order) carry every DC's latency
// and error.
func DialFirst(ctx context.Context, dcs []DC, opts Options) (*Session, []Attempt, error) {
	if len(dcs) == 0 {
		return nil, nil, &OpError{Op: "dial", Err: ErrNoDomainControllers}
	}
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}
	type result struct {
		i   int
		s   *Session
		lat time.Duration
		err error
	}
	results := make(chan result, len(dcs))
	cancels := make([]context.CancelFunc, len(dcs))
	for i, dc := range dcs {
		actx, cancel := context.WithCancel(ctx)
		cancels[i] = cancel
		go func() {
			if i > 0 {
				t := time.NewTimer(time.Duration(i) * dialStagger)
				select {
				case <-t.C:
				case <-actx.Done():
					t.Stop()
					results <- result{i: i, err: &OpError{Op: "dial", Object: dc.String(), Err: actx.Err()}}
					return
				}
			}
			start := time.Now()
			s, err := dial(actx, dc, opts, cancel)
			results <- result{i: i, s: s, lat: time.Since(start), err: err}
		}()
	}
	attempts := make([]Attempt, len(dcs))
	var winner *Session
	for range dcs {
		r := <-results
		attempts[r.i] = Attempt{DC: dcs[r.i], Latency: r.lat, Err: r.err}
		switch {
		case r.err == nil && winner == nil:
			winner = r.s
			for j, c := range cancels {
				if j != r.i {
					c()
				}
			}
		case r.err == nil:
			r.s.Close()
			attempts[r.i].Err = ErrAbandoned
		case winner != nil && errors.Is(r.err, context.Canceled) && ctx.Err() == nil:
			attempts[r.i].Err = ErrAbandoned
		}
	}
	if winner != nil {
		return winner, attempts, nil
	}
	for _, c := range cancels {
		c()
	}
	return nil, attempts, fmt.Errorf("no domain controller bound (%d tried); first: %w", len(dcs), attempts[0].Err)
}

// abort closes the TCP connection under go-ldap, which unblocks every
// pending read, write and handshake; go-ldap then closes its Conn.
func (s *Session) abort() {
	s.aborted.Store(true)
	_ = s.raw.Close()
}

// do runs one LDAP operation under ctx: go-ldap's request timeout from the
// deadline, the connection closed if ctx ends first, the response budget
// reset, the operation recorded.
func (s *Session) do(ctx context.Context, op Op, f func() (int, error)) (time.Duration, error) {
	verb := op.Kind
	if verb == "bind" {
		verb = "bind as"
	}
	fail := func(err error) (time.Duration, error) {
		op.Err = err
		s.record(op)
		return op.Duration, &OpError{Op: verb, Object: op.Object, Err: err}
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if s.aborted.Load() || (s.conn != nil && s.conn.IsClosing()) {
		return fail(ErrConnClosed)
	}
	timeout := DefaultTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
		if timeout <= 0 {
			return fail(context.DeadlineExceeded)
		}
	}
	if s.conn != nil {
		s.conn.SetTimeout(timeout)
	}
	stop := context.AfterFunc(ctx, s.abort)
	defer stop()
	s.bc.reset()
	if s.guard != nil {
		s.guard.reset()
	}
	start := time.Now()
	n, err := f()
	op.Duration = time.Since(start)
	op.Entries = n
	if err != nil {
		err = s.cause(ctx, err)
		if IsTimeout(err) || IsCanceled(err) {
			// go-ldap's request timeout can fire a moment before ctx's
			// watcher: either way the request is still open on the DC
			// and cannot be abandoned, so the session ends here.
			s.abort()
		}
		return fail(err)
	}
	s.record(op)
	return op.Duration, nil
}

func (s *Session) record(op Op) {
	s.opsMu.Lock()
	defer s.opsMu.Unlock()
	if len(s.ops) >= maxOps {
		s.opsDropped++
		return
	}
	s.ops = append(s.ops, op)
}

// Ops returns the operations sent so far, in order (at most 10,000; the
// rest are counted in dropped).
func (s *Session) Ops() (ops []Op, dropped int) {
	s.opsMu.Lock()
	defer s.opsMu.Unlock()
	return append([]Op(nil), s.ops...), s.opsDropped
}

// TLSState returns the TLS connection state (LDAPS or after StartTLS).
func (s *Session) TLSState() (tls.ConnectionState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tls == nil {
		return tls.ConnectionState{}, false
	}
	return s.tls.ConnectionState(), true
}

// Close unbinds (bounded by 2 s) and closes the connection. It is safe to
// call more than once.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		if s.conn != nil && !s.aborted.Load() && !s.conn.IsClosing() {
			s.conn.SetTimeout(closeTimeout)
			_ = s.raw.SetDeadline(time.Now().Add(closeTimeout))
			start := time.Now()
			err := s.conn.Unbind()
			s.record(Op{Kind: "unbind", Duration: time.Since(start), Err: err})
		}
		if s.conn != nil {
			s.conn.Close()
		}
		_ = s.raw.Close()
		if s.stopLife != nil {
			s.stopLife()
		}
		if s.release != nil {
			s.release()
		}
	})
	return nil
}
