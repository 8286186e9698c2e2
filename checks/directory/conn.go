package directory

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Why an operation ended (the caller's deadline, a signal, the DC) and the
// connection that bounds what one operation may read.

// cause turns what go-ldap or crypto/tls returned into an error the
// classifiers understand: the context's error when it ended, timeouts as
// os.ErrDeadlineExceeded, closed connections as ErrConnClosed, LDAP result
// codes in this package's wording.
func (s *Session) cause(ctx context.Context, err error) error {
	if s.bc.overBudget.Load() {
		return fmt.Errorf("%w (%d bytes)", ErrRunBudget, s.bc.budget.limit)
	}
	if s.bc.exceeded.Load() {
		return fmt.Errorf("%w (over %d bytes)", ErrResponseTooLarge, s.bc.limit)
	}
	if s.guard != nil {
		if gerr := s.guard.failure(); gerr != nil {
			return gerr
		}
	}
	if cerr := ctxCause(ctx, nil); cerr != nil {
		return cerr
	}
	var le *ldap.Error
	if errors.As(err, &le) {
		if le.ResultCode != ldap.ErrorNetwork {
			return &ldapCause{err: le}
		}
		msg := ""
		if le.Err != nil {
			msg = le.Err.Error()
		}
		if strings.Contains(msg, "timed out") {
			return fmt.Errorf("%w: no answer in time", os.ErrDeadlineExceeded)
		}
		if strings.Contains(msg, "TLS handshake failed") {
			return fmt.Errorf("tls handshake: %s", clipLong(strings.TrimPrefix(msg, "TLS handshake failed ")))
		}
		if s.aborted.Load() {
			return ErrConnClosed
		}
		if s.conn == nil {
			return fmt.Errorf("%w: %s", ErrConnClosed, clipLong(strings.TrimPrefix(msg, "ldap: ")))
		}
		if last := s.conn.GetLastError(); last != nil && !strings.Contains(msg, last.Error()) {
			msg += " (" + last.Error() + ")"
		}
		return fmt.Errorf("%w: %s", ErrConnClosed, clipLong(strings.TrimPrefix(msg, "ldap: ")))
	}
	if s.aborted.Load() && errors.Is(err, net.ErrClosed) {
		return ErrConnClosed
	}
	err = ctxCause(ctx, err)
	// go-ldap reports a failed read as text ("unable to read LDAP response
	// packet: ..."), without the error chain.
	if msg := err.Error(); strings.HasPrefix(msg, "unable to read LDAP response packet") {
		if strings.Contains(msg, "i/o timeout") {
			return fmt.Errorf("%w: no answer in time", os.ErrDeadlineExceeded)
		}
		return fmt.Errorf("%w: %s", ErrConnClosed, clipLong(msg))
	}
	return err
}

// ctxCause prefers the context's error (deadline vs cancellation) over the
// I/O error it caused. The kernel's deadline on the socket can fire a hair
// before the context's timer: a passed deadline counts as the context's.
func ctxCause(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return err
}

// boundedConn counts the bytes read per operation and fails the read that
// crosses the limit, so a DC (or something posing as one) cannot make the
// client buffer without bound; go-ldap frames messages but accepts up to
// 2 GiB each.
type boundedConn struct {
	net.Conn
	limit      int64
	budget     *Budget // the run's, shared with other sessions; may be nil
	n          atomic.Int64
	exceeded   atomic.Bool
	overBudget atomic.Bool
}

func (c *boundedConn) Read(b []byte) (int, error) {
	if c.overBudget.Load() {
		return 0, ErrRunBudget
	}
	// The read that crosses a bound returns no bytes: a reader that got
	// what it asked for along with the error (io.ReadFull) would drop the
	// error.
	n, err := c.Conn.Read(b)
	if !c.budget.take(n) {
		c.overBudget.Store(true)
		return 0, ErrRunBudget
	}
	if c.n.Add(int64(n)) > c.limit {
		c.exceeded.Store(true)
		return 0, ErrResponseTooLarge
	}
	return n, err
}

func (c *boundedConn) reset() { c.n.Store(0) }
