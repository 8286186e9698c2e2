// Package bufconn is a net.Conn whose reads go through a bufio.Reader that
// already holds some of the connection's bytes (after peeking at a TLS
// record, or reading a proxy's answer), so none of them are lost.
package bufconn

import (
	"bufio"
	"net"
)

// Conn reads from R and writes to the embedded connection.
type Conn struct {
	net.Conn
	R *bufio.Reader
}

func (c *Conn) Read(p []byte) (int, error) { return c.R.Read(p) }
