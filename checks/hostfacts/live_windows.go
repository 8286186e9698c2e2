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
