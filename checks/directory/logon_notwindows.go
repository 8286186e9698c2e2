//go:build !windows

package directory

// logonUser: LogonUser exists only on Windows.
func logonUser(user, password string) (Reason, error) { return 0, ErrLogonNeedsWindows }
