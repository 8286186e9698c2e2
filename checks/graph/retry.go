package graph

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retries of throttled and failed reads: the backoff, Graph's pacing of a
// throttled tenant, and its Retry-After header.

func (c *Client) backoff(attempt int) time.Duration {
	b, m := c.BackoffBase, c.MaxBackoff
	if b <= 0 {
		b = DefaultBackoffBase
	}
	if m <= 0 {
		m = DefaultMaxBackoff
	}
	w := b << min(attempt, 30)
	if w <= 0 || w > m {
		w = m
	}
	return w
}

// isPaced reports whether path addresses a resource Graph throttles to 1
// request per second per tenant.
func isPaced(path string) bool {
	p := strings.ToLower(pathOnly(path))
	for _, prefix := range []string{"/v1.0/identity/conditionalaccess/", "/beta/identity/conditionalaccess/", "/v1.0/identityprotection/", "/beta/identityprotection/"} {
		if strings.HasPrefix(p+"/", prefix) {
			return true
		}
	}
	return false
}

// pace waits until this client may send the next paced request.
func (c *Client) pace(ctx context.Context, path string) error {
	c.mu.Lock()
	now := time.Now()
	at := c.nextPaced
	if at.Before(now) {
		at = now
	}
	c.nextPaced = at.Add(ThrottledInterval)
	c.mu.Unlock()
	wait := time.Until(at)
	if wait <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return fmt.Errorf("graph GET %s: %w: pacing to 1 request/s needs %s", pathOnly(path), ErrRetryBudget, wait.Round(time.Millisecond))
	}
	return sleep(ctx, wait)
}

// pacedAnswered: Graph counts a request when it arrives, so the next paced
// request must not arrive within ThrottledInterval of this one. A schedule of
// send times does not ensure it (a send delayed by a busy machine arrives
// close to the next); counting the interval from this answer, which came
// after the request arrived, does, whatever the delays on the way.
func (c *Client) pacedAnswered() {
	c.mu.Lock()
	if next := time.Now().Add(ThrottledInterval); next.After(c.nextPaced) {
		c.nextPaced = next
	}
	c.mu.Unlock()
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// parseRetryAfter reads Retry-After as (possibly fractional) seconds, e.g.
// "2.128", or as an HTTP date. It returns 0 when absent or unusable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f <= 0 || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0
		}
		if f > float64(math.MaxInt64/int64(time.Second)) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(f * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
