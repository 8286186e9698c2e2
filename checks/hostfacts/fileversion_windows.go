//go:build windows

package hostfacts

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// FileVersion reads the version resource of an executable (the installer
// about to be run): "1.5.2482.0". It reads only the file's resources.
func FileVersion(path string) (string, error) {
	size, err := windows.GetFileVersionInfoSize(path, nil)
	if err != nil {
		return "", fmt.Errorf("%s: no version resource: %w", path, err)
	}
	if size == 0 || size > 1<<20 {
		return "", fmt.Errorf("%s: version resource of %d bytes", path, size)
	}
	buf := make([]byte, size)
	if err := windows.GetFileVersionInfo(path, 0, size, unsafe.Pointer(&buf[0])); err != nil {
		return "", fmt.Errorf("%s: read the version resource: %w", path, err)
	}
	var info *windows.VS_FIXEDFILEINFO
	var n uint32
	if err := windows.VerQueryValue(unsafe.Pointer(&buf[0]), `\`, unsafe.Pointer(&info), &n); err != nil {
		return "", fmt.Errorf("%s: query the version resource: %w", path, err)
	}
	if info == nil || n < uint32(unsafe.Sizeof(*info)) {
		return "", errors.New(path + ": the version resource has no fixed file info")
	}
	return fmt.Sprintf("%d.%d.%d.%d", info.FileVersionMS>>16, info.FileVersionMS&0xffff, info.FileVersionLS>>16, info.FileVersionLS&0xffff), nil
}
