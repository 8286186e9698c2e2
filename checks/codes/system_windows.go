package codes

import (
	"strings"

	"golang.org/x/sys/windows"
)

// SystemMessage returns the host's text for a Win32 code or HRESULT, as
// `net helpmsg` prints it: FormatMessage with FORMAT_MESSAGE_FROM_SYSTEM and
// FORMAT_MESSAGE_IGNORE_INSERTS in the default language. Negative codes are
// HRESULTs (their 32-bit pattern is looked up).
func SystemMessage(code int) (string, bool) {
	buf := make([]uint16, 2048) // system messages are far shorter; longer ones fail, and the table answers
	n, err := windows.FormatMessage(windows.FORMAT_MESSAGE_FROM_SYSTEM|windows.FORMAT_MESSAGE_IGNORE_INSERTS,
		0, uint32(code), 0, buf, nil)
	if err != nil || n == 0 {
		return "", false
	}
	s := strings.TrimSpace(windows.UTF16ToString(buf[:n]))
	return s, s != ""
}
