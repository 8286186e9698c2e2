//go:build windows

package hostfacts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc/mgr"
)

// Live reads this Windows host, read-only: the service manager is opened
// with GENERIC_READ (mgr.Connect asks for full access, which needs an
// elevated token), the registry with QUERY_VALUE / ENUMERATE_SUB_KEYS.
func Live() Source { return windowsHost{} }

type windowsHost struct{}

func (windowsHost) Snapshot(ctx context.Context) (*Snapshot, error) {
	s := &Snapshot{
		SchemaVersion: SchemaVersion,
		CapturedAt:    time.Now().UTC().Format(time.RFC3339),
		Registry:      map[string]map[string]any{},
	}
	s.ComputerName, _ = os.Hostname()
	s.OS = readOS()
	services, err := readServices()
	if err != nil {
		return nil, fmt.Errorf("service manager: %w", err)
	}
	s.Services = services
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	s.UninstallEntries = readUninstallEntries()
	for _, p := range Paths {
		// The catalogue spells C:\Program Files; the host may keep it
		// elsewhere. The snapshot records the catalogue's spelling.
		local := p
		if pf := os.Getenv("ProgramFiles"); pf != "" {
			local = pf + strings.TrimPrefix(p, `C:\Program Files`)
		}
		if _, err := os.Stat(local); err == nil {
			s.Files = append(s.Files, p)
		}
	}
	for _, key := range RegistryKeys {
		if values, ok := readRegistryKey(key); ok {
			s.Registry[key] = values
		}
	}
	s.WinHTTPProxy = readWinHTTPProxy()
	s.normalize()
	return s, nil
}

func readOS() OSInfo {
	v := windows.RtlGetVersion()
	o := OSInfo{Build: int(v.BuildNumber)}
	const cv = `SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, cv, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if err != nil {
		return o
	}
	defer k.Close()
	o.ProductName, _, _ = k.GetStringValue("ProductName")
	o.InstallationType, _, _ = k.GetStringValue("InstallationType")
	o.EditionID, _, _ = k.GetStringValue("EditionID")
	if ubr, _, err := k.GetIntegerValue("UBR"); err == nil {
		o.UBR = int(ubr)
	}
	// ProductName still says "Windows 10" on Windows 11 clients; the build
	// and InstallationType are what the checks rely on.
	if o.InstallationType == "" && v.ProductType != 1 { // VER_NT_WORKSTATION
		o.InstallationType = "Server"
	}
	return o
}

var serviceStates = map[uint32]string{
	windows.SERVICE_STOPPED:          "stopped",
	windows.SERVICE_START_PENDING:    "start-pending",
	windows.SERVICE_STOP_PENDING:     "stop-pending",
	windows.SERVICE_RUNNING:          "running",
	windows.SERVICE_CONTINUE_PENDING: "continue-pending",
	windows.SERVICE_PAUSE_PENDING:    "pause-pending",
	windows.SERVICE_PAUSED:           "paused",
}

var startTypes = map[uint32]string{
	windows.SERVICE_BOOT_START:   "boot",
	windows.SERVICE_SYSTEM_START: "system",
	windows.SERVICE_AUTO_START:   "auto",
	windows.SERVICE_DEMAND_START: "manual",
	windows.SERVICE_DISABLED:     "disabled",
}

// readServices enumerates Win32 services and keeps the ones ptacheck cares
// about (SnapshotServices by name, SnapshotProductPrefixes by display name).
func readServices() ([]Service, error) {
	h, err := windows.OpenSCManager(nil, nil, windows.GENERIC_READ)
	if err != nil {
		return nil, err
	}
	m := &mgr.Mgr{Handle: h}
	defer m.Disconnect()

	var needed, count, resume uint32
	var buf []byte
	for {
		var p *byte
		if len(buf) > 0 {
			p = &buf[0]
		}
		err := windows.EnumServicesStatusEx(h, windows.SC_ENUM_PROCESS_INFO, windows.SERVICE_WIN32, windows.SERVICE_STATE_ALL,
			p, uint32(len(buf)), &needed, &count, &resume, nil)
		if err == nil {
			break
		}
		if !errors.Is(err, windows.ERROR_MORE_DATA) {
			return nil, err
		}
		if needed <= uint32(len(buf)) {
			return nil, err
		}
		buf = make([]byte, needed)
		resume = 0
	}
	if count == 0 {
		return nil, nil
	}
	entries := unsafe.Slice((*windows.ENUM_SERVICE_STATUS_PROCESS)(unsafe.Pointer(&buf[0])), count)
	prefixes := ProductPrefixes()
	var out []Service
	for _, e := range entries {
		name := windows.UTF16PtrToString(e.ServiceName)
		display := windows.UTF16PtrToString(e.DisplayName)
		if !ContainsFold(Services, name) && !HasPrefixFold(display, prefixes) {
			continue
		}
		svc := Service{Name: name, DisplayName: display, State: serviceStates[e.ServiceStatusProcess.CurrentState]}
		if sh, err := windows.OpenService(h, e.ServiceName, windows.SERVICE_QUERY_CONFIG|windows.SERVICE_QUERY_STATUS); err == nil {
			s := &mgr.Service{Name: name, Handle: sh}
			if cfg, err := s.Config(); err == nil {
				svc.StartType = startTypes[cfg.StartType]
				svc.BinaryPath = cfg.BinaryPathName
			}
			s.Close()
		}
		out = append(out, svc)
	}
	return out, nil
}

// readUninstallEntries reads both registry views of the Uninstall key and
// keeps the entries whose DisplayName starts with a known product prefix.
func readUninstallEntries() []UninstallEntry {
	const path = `SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`
	prefixes := ProductPrefixes()
	var out []UninstallEntry
	for _, view := range []uint32{registry.WOW64_64KEY, registry.WOW64_32KEY} {
		k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.ENUMERATE_SUB_KEYS|view)
		if err != nil {
			continue
		}
		names, _ := k.ReadSubKeyNames(-1)
		k.Close()
		for _, n := range names {
			sk, err := registry.OpenKey(registry.LOCAL_MACHINE, path+`\`+n, registry.QUERY_VALUE|view)
			if err != nil {
				continue
			}
			display, _, _ := sk.GetStringValue("DisplayName")
			if HasPrefixFold(display, prefixes) {
				u := UninstallEntry{DisplayName: display, Key: `HKLM\` + path + `\` + n}
				u.DisplayVersion, _, _ = sk.GetStringValue("DisplayVersion")
				u.Publisher, _, _ = sk.GetStringValue("Publisher")
				if view == registry.WOW64_32KEY {
					u.Key = `HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\` + n
				}
				out = append(out, u)
			}
			sk.Close()
		}
	}
	return out
}

// readRegistryKey reads every value of an "HKLM\..." key in the 64-bit view.
func readRegistryKey(key string) (map[string]any, bool) {
	path := strings.TrimPrefix(key, `HKLM\`)
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if err != nil {
		return nil, false
	}
	defer k.Close()
	values := map[string]any{}
	names, _ := k.ReadValueNames(-1)
	for _, n := range names {
		_, typ, err := k.GetValue(n, nil)
		if err != nil {
			continue
		}
		switch typ {
		case registry.DWORD, registry.QWORD:
			if v, _, err := k.GetIntegerValue(n); err == nil {
				values[n] = v
			}
		case registry.SZ, registry.EXPAND_SZ:
			if v, _, err := k.GetStringValue(n); err == nil {
				values[n] = v
			}
		case registry.MULTI_SZ:
			if v, _, err := k.GetStringsValue(n); err == nil {
				values[n] = v
			}
		}
	}
	return values, true
}

// winhttpProxyInfo is WINHTTP_PROXY_INFO.
type winhttpProxyInfo struct {
	accessType  uint32
	proxy       *uint16
	proxyBypass *uint16
}

const winhttpAccessTypeNamedProxy = 3

var (
	procWinHTTPGetDefaultProxy = windows.NewLazySystemDLL("winhttp.dll").NewProc("WinHttpGetDefaultProxyConfiguration")
	procGlobalFree             = windows.NewLazySystemDLL("kernel32.dll").NewProc("GlobalFree")
)

// readWinHTTPProxy reads the machine's WinHTTP proxy (netsh winhttp show proxy).
func readWinHTTPProxy() *WinHTTPProxy {
	if procWinHTTPGetDefaultProxy.Find() != nil {
		return nil
	}
	var info winhttpProxyInfo
	r, _, _ := procWinHTTPGetDefaultProxy.Call(uintptr(unsafe.Pointer(&info)))
	if r == 0 {
		return nil
	}
	p := &WinHTTPProxy{Direct: info.accessType != winhttpAccessTypeNamedProxy}
	if info.proxy != nil {
		p.Proxy = windows.UTF16PtrToString(info.proxy)
		procGlobalFree.Call(uintptr(unsafe.Pointer(info.proxy)))
	}
	if info.proxyBypass != nil {
		p.Bypass = windows.UTF16PtrToString(info.proxyBypass)
		procGlobalFree.Call(uintptr(unsafe.Pointer(info.proxyBypass)))
	}
	return p
}
