//go:build windows

package hostfacts

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The live Windows host's services, from the service manager opened
// read-only.

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
