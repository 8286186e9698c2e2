//go:build windows

package hostfacts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// Live reads this Windows host, read-only: the service manager is opened
// with GENERIC_READ (mgr.Connect asks for full access, which needs an
// elevated token), services with SERVICE_QUERY_CONFIG|SERVICE_QUERY_STATUS,
// the registry with QUERY_VALUE / ENUMERATE_SUB_KEYS, the certificate store
// with CERT_STORE_READONLY_FLAG, files only for reading. Whatever cannot be
// read is recorded in Snapshot.Warnings, never dropped: the checks then say
// what they could not see.
func Live() Source { return windowsHost{} }

type windowsHost struct{}

func (windowsHost) Snapshot(ctx context.Context) (*Snapshot, error) {
	s := &Snapshot{
		SchemaVersion: SchemaVersion,
		CapturedAt:    time.Now().UTC().Format(time.RFC3339),
		Registry:      map[string]map[string]any{},
	}
	var err error
	if s.ComputerName, err = os.Hostname(); err != nil {
		s.Warn("computer name", err)
	}
	if s.Domain, err = computerName(windows.ComputerNameDnsDomain); err != nil {
		s.Warn("the computer's DNS domain", err)
	}
	s.OS = readOS(s)
	s.Services = readServices(s)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	s.UninstallEntries = readUninstallEntries(s)
	programFiles := os.Getenv("ProgramFiles")
	for _, p := range Paths {
		// The catalogue spells C:\Program Files; the host may keep it
		// elsewhere. The snapshot records the catalogue's spelling.
		_, err := os.Stat(localPath(p, programFiles))
		switch {
		case err == nil:
			s.Files = append(s.Files, p)
		case !errors.Is(err, fs.ErrNotExist):
			s.Warn("file "+p, fmt.Errorf("stat: %w", winErr(err)))
		}
	}
	for _, key := range RegistryKeys {
		if values, ok := readRegistryKey(s, key); ok {
			s.Registry[key] = values
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	s.WinHTTPProxy = readWinHTTPProxy(s)
	s.AgentProxy = readAgentProxy(s, programFiles)
	s.TrustedRoots = readTrustedRoots(s)
	s.AuthRootPolicy = readAuthRootPolicy(s)
	s.normalize()
	return s, nil
}

// localPath maps a catalogue path under C:\Program Files to %ProgramFiles%.
func localPath(p, programFiles string) string {
	const pf = `C:\Program Files`
	if programFiles == "" || !strings.HasPrefix(p, pf+`\`) {
		return p
	}
	return programFiles + strings.TrimPrefix(p, pf)
}

// winErr makes a Windows error read like the rest of ptacheck's errors:
// lower case, no final period, with its code ("access is denied (error
// 5)"). errors.Is still sees the Errno.
func winErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err
	}
	msg := strings.TrimRight(strings.TrimSpace(errno.Error()), ".")
	if msg != "" {
		msg = strings.ToLower(msg[:1]) + msg[1:]
	}
	return windowsError{msg: fmt.Sprintf("%s (error %d)", msg, uint32(errno)), errno: errno}
}

type windowsError struct {
	msg   string
	errno syscall.Errno
}

func (e windowsError) Error() string { return e.msg }
func (e windowsError) Unwrap() error { return e.errno }

func isNotExist(err error) bool {
	return errors.Is(err, registry.ErrNotExist) || errors.Is(err, fs.ErrNotExist)
}

func readOS(s *Snapshot) OSInfo {
	v := windows.RtlGetVersion()
	o := OSInfo{Build: int(v.BuildNumber)}
	const cv = `SOFTWARE\Microsoft\Windows NT\CurrentVersion`
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, cv, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if err != nil {
		s.Warn("os", fmt.Errorf("open HKLM\\%s: %w", cv, winErr(err)))
		return o
	}
	defer k.Close()
	str := func(name string) string {
		v, _, err := k.GetStringValue(name)
		if err != nil && !isNotExist(err) {
			s.Warn("os", fmt.Errorf("read HKLM\\%s\\%s: %w", cv, name, winErr(err)))
		}
		return v
	}
	o.ProductName = str("ProductName")
	o.InstallationType = str("InstallationType")
	o.EditionID = str("EditionID")
	if ubr, _, err := k.GetIntegerValue("UBR"); err == nil {
		o.UBR = int(ubr)
	} else if !isNotExist(err) {
		s.Warn("os", fmt.Errorf("read HKLM\\%s\\UBR: %w", cv, winErr(err)))
	}
	// ProductName still says "Windows 10" on Windows 11 clients; the build
	// and InstallationType are what the checks rely on.
	switch {
	case o.InstallationType != "":
	case v.ProductType == 1: // VER_NT_WORKSTATION
		o.InstallationType = "Client"
	default:
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
// about (Services by name, ProductPrefixes by display name). A service
// manager that cannot be enumerated is a warning about "service manager":
// the checks then cannot say a service is absent.
func readServices(s *Snapshot) []Service {
	h, err := windows.OpenSCManager(nil, nil, windows.GENERIC_READ)
	if err != nil {
		s.Warn("service manager", fmt.Errorf("open: %w", winErr(err)))
		return nil
	}
	defer windows.CloseServiceHandle(h)

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
		if !errors.Is(err, windows.ERROR_MORE_DATA) || needed <= uint32(len(buf)) || needed > 64<<20 {
			s.Warn("service manager", fmt.Errorf("enumerate services: %w", winErr(err)))
			return nil
		}
		buf = make([]byte, needed)
		resume = 0
	}
	if count == 0 {
		return nil
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
		if svc.State == "" {
			// Left out, so a check says the state is unknown.
			s.Warn("service "+name, fmt.Errorf("state %d is not one the service manager documents", e.ServiceStatusProcess.CurrentState))
		}
		readServiceConfig(s, h, e.ServiceName, &svc)
		out = append(out, svc)
	}
	return out
}

// readServiceConfig fills in the start type and binary path from the base
// configuration (QueryServiceConfig), and the delayed auto-start flag from
// the optional QueryServiceConfig2 level 3. mgr.Service.Config would ask
// more levels and fail as a whole when one of them does (Wine 8 has no
// levels 3 and 5), losing what the base level gave; here each failure is a
// warning about this service and the rest is kept.
func readServiceConfig(s *Snapshot, scm windows.Handle, name *uint16, svc *Service) {
	subject := "service " + svc.Name
	h, err := windows.OpenService(scm, name, windows.SERVICE_QUERY_CONFIG|windows.SERVICE_QUERY_STATUS)
	if err != nil {
		s.Warn(subject, fmt.Errorf("open: %w", winErr(err)))
		return
	}
	defer windows.CloseServiceHandle(h)

	var needed uint32
	buf := make([]byte, 1024)
	for {
		cfg := (*windows.QUERY_SERVICE_CONFIG)(unsafe.Pointer(&buf[0]))
		err := windows.QueryServiceConfig(h, cfg, uint32(len(buf)), &needed)
		if err == nil {
			svc.StartType = startTypes[cfg.StartType]
			if svc.StartType == "" {
				s.Warn(subject, fmt.Errorf("start type %d is not one the service manager documents", cfg.StartType))
			}
			svc.BinaryPath = windows.UTF16PtrToString(cfg.BinaryPathName)
			break
		}
		if !errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) || needed <= uint32(len(buf)) || needed > 1<<20 {
			s.Warn(subject, fmt.Errorf("QueryServiceConfig: %w", winErr(err)))
			return
		}
		buf = make([]byte, needed)
	}
	if svc.StartType != "auto" {
		return // delayed start applies to auto services only
	}
	var info windows.SERVICE_DELAYED_AUTO_START_INFO
	err = windows.QueryServiceConfig2(h, windows.SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
		(*byte)(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), &needed)
	if err != nil {
		s.Warn(subject, fmt.Errorf("QueryServiceConfig2 level 3 (delayed auto-start): %w", winErr(err)))
		return
	}
	svc.DelayedAutoStart = info.IsDelayedAutoStartUp != 0
}

// readUninstallEntries reads both registry views of the Uninstall key and
// keeps the entries whose DisplayName starts with a known product prefix.
func readUninstallEntries(s *Snapshot) []UninstallEntry {
	const path = `SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`
	prefixes := ProductPrefixes()
	var out []UninstallEntry
	for _, view := range []struct {
		flag uint32
		key  string
	}{{registry.WOW64_64KEY, `HKLM\` + path}, {registry.WOW64_32KEY, `HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall`}} {
		k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.ENUMERATE_SUB_KEYS|view.flag)
		if err != nil {
			if !isNotExist(err) {
				s.Warn("uninstall", fmt.Errorf("open %s: %w", view.key, winErr(err)))
			}
			continue
		}
		names, err := k.ReadSubKeyNames(-1)
		k.Close()
		if err != nil {
			s.Warn("uninstall", fmt.Errorf("list %s: %w", view.key, winErr(err)))
		}
		for _, n := range names {
			sk, err := registry.OpenKey(registry.LOCAL_MACHINE, path+`\`+n, registry.QUERY_VALUE|view.flag)
			if err != nil {
				if !isNotExist(err) { // removed meanwhile: nothing to see
					s.Warn("uninstall", fmt.Errorf("open %s\\%s: %w", view.key, n, winErr(err)))
				}
				continue
			}
			display, _, err := sk.GetStringValue("DisplayName")
			if err != nil && !isNotExist(err) && !errors.Is(err, registry.ErrUnexpectedType) {
				s.Warn("uninstall", fmt.Errorf("read %s\\%s\\DisplayName: %w", view.key, n, winErr(err)))
			}
			if HasPrefixFold(display, prefixes) {
				u := UninstallEntry{DisplayName: display, Key: view.key + `\` + n}
				u.DisplayVersion, _, _ = sk.GetStringValue("DisplayVersion")
				u.Publisher, _, _ = sk.GetStringValue("Publisher")
				out = append(out, u)
			}
			sk.Close()
		}
	}
	return out
}

// readRegistryKey reads every value of an "HKLM\..." key in the 64-bit
// view: false when the key does not exist or cannot be opened (the latter
// is a warning about "registry KEY"). Binary values are not recorded.
func readRegistryKey(s *Snapshot, key string) (map[string]any, bool) {
	subject := "registry " + key
	path := strings.TrimPrefix(key, `HKLM\`)
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if err != nil {
		if !isNotExist(err) {
			s.Warn(subject, fmt.Errorf("open: %w", winErr(err)))
		}
		return nil, false
	}
	defer k.Close()
	values := map[string]any{}
	names, err := k.ReadValueNames(-1)
	if err != nil {
		s.Warn(subject, fmt.Errorf("list values: %w", winErr(err)))
	}
	for _, n := range names {
		_, typ, err := k.GetValue(n, nil)
		if err != nil && !errors.Is(err, windows.ERROR_MORE_DATA) {
			s.Warn(subject, fmt.Errorf("read value %s: %w", n, winErr(err)))
			continue
		}
		switch typ {
		case registry.DWORD, registry.QWORD:
			var v uint64
			if v, _, err = k.GetIntegerValue(n); err == nil {
				values[n] = v
			}
		case registry.SZ, registry.EXPAND_SZ:
			var v string
			if v, _, err = k.GetStringValue(n); err == nil {
				values[n] = v
			}
		case registry.MULTI_SZ:
			var v []string
			if v, _, err = k.GetStringsValue(n); err == nil {
				values[n] = v
			}
		}
		if err != nil {
			s.Warn(subject, fmt.Errorf("read value %s: %w", n, winErr(err)))
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
func readWinHTTPProxy(s *Snapshot) *WinHTTPProxy {
	if err := procWinHTTPGetDefaultProxy.Find(); err != nil {
		s.Warn("winhttp proxy", err)
		return nil
	}
	var info winhttpProxyInfo
	r, _, callErr := procWinHTTPGetDefaultProxy.Call(uintptr(unsafe.Pointer(&info)))
	if r == 0 {
		s.Warn("winhttp proxy", fmt.Errorf("WinHttpGetDefaultProxyConfiguration: %w", winErr(callErr)))
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

// readAgentProxy reads the agent's .exe.config and the 64-bit .NET 4
// machine.config (bounded by MaxConfigSize) and resolves the agent's proxy.
func readAgentProxy(s *Snapshot, programFiles string) *AgentProxy {
	agentFile := localPath(AgentConfigPath, programFiles)
	machineFile := MachineConfigPath
	if dir, err := windows.GetSystemWindowsDirectory(); err == nil {
		machineFile = dir + strings.TrimPrefix(MachineConfigPath, `C:\Windows`)
	} else {
		s.Warn("agent proxy", fmt.Errorf("GetSystemWindowsDirectory: %w", winErr(err)))
	}
	read := func(file string) []byte {
		data, err := ReadConfigFile(file)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.Warn("agent proxy "+file, fmt.Errorf("read: %w", winErr(err)))
		}
		return data
	}
	p, warnings := ResolveAgentProxy(agentFile, read(agentFile), machineFile, read(machineFile))
	s.Warnings = append(s.Warnings, warnings...)
	return p
}

// readTrustedRoots looks for RootsOfInterest in LocalMachine\Root (the
// logical store: its registry, Group Policy, enterprise and third-party
// physical stores). nil, with a warning, when the store cannot be read.
func readTrustedRoots(s *Snapshot) []TrustedRoot {
	name, err := windows.UTF16PtrFromString("Root")
	if err != nil {
		s.Warn("trusted roots", err)
		return nil
	}
	store, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0,
		windows.CERT_SYSTEM_STORE_LOCAL_MACHINE|windows.CERT_STORE_READONLY_FLAG, uintptr(unsafe.Pointer(name)))
	if err != nil {
		s.Warn("trusted roots", fmt.Errorf("open LocalMachine\\Root: %w", winErr(err)))
		return nil
	}
	defer windows.CertCloseStore(store, 0)
	found := map[string]TrustedRoot{}
	var c *windows.CertContext
	for {
		c, err = windows.CertEnumCertificatesInStore(store, c)
		if c == nil {
			break
		}
		if r, ok := MatchRoot(unsafe.Slice(c.EncodedCert, c.Length)); ok {
			found[r.SHA1] = r
		}
	}
	if err != nil && !errors.Is(err, syscall.Errno(windows.CRYPT_E_NOT_FOUND)) {
		s.Warn("trusted roots", fmt.Errorf("enumerate LocalMachine\\Root: %w", winErr(err)))
		return nil
	}
	out := []TrustedRoot{}
	for _, k := range RootsOfInterest {
		if r, ok := found[k.SHA1]; ok {
			out = append(out, r)
		}
	}
	return out
}

// readAuthRootPolicy reads the Automatic Root Certificates Update policy
// (DisableRootAutoUpdate under RegAuthRootPolicy, 64-bit view). An absent
// key or value is the policy not configured; nil, with a warning about
// "authroot policy", when it cannot be read or is not a DWORD.
func readAuthRootPolicy(s *Snapshot) *AuthRootPolicy {
	const subject = "authroot policy"
	path := strings.TrimPrefix(RegAuthRootPolicy, `HKLM\`)
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if isNotExist(err) {
		return &AuthRootPolicy{}
	}
	if err != nil {
		s.Warn(subject, fmt.Errorf("open %s: %w", RegAuthRootPolicy, winErr(err)))
		return nil
	}
	defer k.Close()
	v, typ, err := k.GetIntegerValue("DisableRootAutoUpdate")
	switch {
	case isNotExist(err):
		return &AuthRootPolicy{}
	case errors.Is(err, registry.ErrUnexpectedType):
		s.Warn(subject, fmt.Errorf("%s\\DisableRootAutoUpdate is not a DWORD (type %d)", RegAuthRootPolicy, typ))
		return nil
	case err != nil:
		s.Warn(subject, fmt.Errorf("read %s\\DisableRootAutoUpdate: %w", RegAuthRootPolicy, winErr(err)))
		return nil
	}
	return &AuthRootPolicy{DisableRootAutoUpdate: &v}
}

// computerName reads one of the computer's names (GetComputerNameEx): the
// DNS domain of a domain-joined server, "" for a workgroup one.
func computerName(kind uint32) (string, error) {
	n := uint32(256)
	for range 3 {
		buf := make([]uint16, n)
		err := windows.GetComputerNameEx(kind, &buf[0], &n)
		if err == nil {
			return windows.UTF16ToString(buf[:n]), nil
		}
		if err != windows.ERROR_MORE_DATA {
			return "", err
		}
	}
	return "", windows.ERROR_MORE_DATA
}
