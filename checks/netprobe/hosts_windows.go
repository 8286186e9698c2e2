//go:build windows

package netprobe

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/windows/registry"
)

// systemSearchList: on Windows the DNS Client applies the suffix search
// list itself; a failed short name is diagnosed as given.
func systemSearchList() []string { return nil }

// systemHostsPath is the hosts file the DNS Client reads: the DataBasePath
// of the TCP/IP parameters (%SystemRoot%\System32\drivers\etc by default)
// plus "hosts".
func systemHostsPath() string {
	dir := ""
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Services\Tcpip\Parameters`, registry.QUERY_VALUE); err == nil {
		if v, _, err := k.GetStringValue("DataBasePath"); err == nil {
			if x, err := registry.ExpandString(v); err == nil {
				dir = x
			}
		}
		k.Close()
	}
	if dir == "" {
		root := os.Getenv("SystemRoot")
		if root == "" {
			root = `C:\Windows`
		}
		dir = filepath.Join(root, "System32", "drivers", "etc")
	}
	return filepath.Join(dir, "hosts")
}
