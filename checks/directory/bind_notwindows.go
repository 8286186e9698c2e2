//go:build !windows

package directory

import "github.com/go-ldap/ldap/v3"

// bindCurrentUser needs Windows SSPI: elsewhere it fails with
// ErrNeedsWindows (a check maps that to skip, or asks for --bind-user).
func bindCurrentUser(_ *ldap.Conn, _ string) error { return ErrNeedsWindows }
