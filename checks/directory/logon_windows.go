//go:build windows

package directory

import (
	"errors"
	"unsafe"

	"golang.org/x/sys/windows"
)

// LogonUserW's constants (winbase.h): the network logon the PTA agent asks
// for (logon type 3) with the default provider.
const (
	logon32LogonNetwork    = 3
	logon32ProviderDefault = 0
)

var procLogonUserW = windows.NewLazySystemDLL("advapi32.dll").NewProc("LogonUserW")

// logonUser calls LogonUserW with a UPN and no domain (the form LogonUser
// requires for a UPN) and closes the token it gets. It returns the Win32
// error of a failed logon as the reason, 0 on success. The UTF-16 copy of
// the password is cleared after the call.
func logonUser(user, password string) (Reason, error) {
	u, err := windows.UTF16FromString(user)
	if err != nil {
		return 0, err
	}
	p, err := windows.UTF16FromString(password)
	if err != nil {
		return 0, err
	}
	defer clear(p)
	var token windows.Handle
	r1, _, e1 := procLogonUserW.Call(
		uintptr(unsafe.Pointer(&u[0])), 0, uintptr(unsafe.Pointer(&p[0])),
		logon32LogonNetwork, logon32ProviderDefault, uintptr(unsafe.Pointer(&token)))
	if r1 != 0 {
		windows.CloseHandle(token)
		return 0, nil
	}
	var errno windows.Errno
	if errors.As(e1, &errno) && errno != 0 {
		return Reason(errno), nil
	}
	return 0, e1
}
