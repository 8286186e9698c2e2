package hostfacts

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// What a snapshot must be to be evidence: the checks Parse applies.

// readPresence notes what is absent or null (Decode cannot tell them from
// empty): the evidence lists not recorded, and a policy without its value.
func (s *Snapshot) readPresence(data []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return err
	}
	for _, f := range evidenceLists {
		if raw, ok := top[f]; !ok || isNull(raw) {
			s.unrecorded = append(s.unrecorded, f)
		}
	}
	if _, ok := top[EvidenceAgentProxy]; !ok {
		s.unrecorded = append(s.unrecorded, EvidenceAgentProxy)
	}
	if raw, ok := top["authroot_policy"]; ok && !isNull(raw) {
		var p map[string]json.RawMessage
		if err := json.Unmarshal(raw, &p); err != nil {
			return fmt.Errorf("authroot_policy: %v", err)
		}
		if _, ok := p["disable_root_auto_update"]; !ok {
			return errors.New("authroot_policy.disable_root_auto_update is missing (null when the value is not set)")
		}
	}
	return nil
}

// checkServices checks the services' names, states and start types.
func (s *Snapshot) checkServices() error {
	for i, svc := range s.Services {
		if strings.TrimSpace(svc.Name) == "" {
			return fmt.Errorf("services[%d]: name is empty", i)
		}
		// The words the reader writes, nothing else: a typo ("automatic")
		// must not read as "does not start automatically". An absent
		// value stays absent, and a check that needs it says so.
		if svc.State != "" && !slices.Contains(ServiceStates, svc.State) {
			return fmt.Errorf("services[%d] (%s): state %q: want one of %s", i, svc.Name, svc.State, strings.Join(ServiceStates, ", "))
		}
		if svc.StartType != "" && !slices.Contains(StartTypes, svc.StartType) {
			return fmt.Errorf("services[%d] (%s): start_type %q: want one of %s", i, svc.Name, svc.StartType, strings.Join(StartTypes, ", "))
		}
	}
	return nil
}

// checkRegistry checks the registry keys and the types of their values.
func (s *Snapshot) checkRegistry() error {
	for _, key := range slices.Sorted(maps.Keys(s.Registry)) {
		values := s.Registry[key]
		if !strings.HasPrefix(strings.ToUpper(key), `HKLM\`) {
			return fmt.Errorf("registry key %q: must start with HKLM\\", key)
		}
		for _, name := range slices.Sorted(maps.Keys(values)) {
			switch v := values[name].(type) {
			case json.Number, string:
			case []any:
				for _, e := range v {
					if _, ok := e.(string); !ok {
						return fmt.Errorf("registry %s\\%s: a multi-string value holds a non-string", key, name)
					}
				}
			default:
				return fmt.Errorf("registry %s\\%s: value must be a number, string or array of strings", key, name)
			}
		}
	}
	return nil
}

// checkRest checks the trusted roots, the agent's proxy and the warnings.
func (s *Snapshot) checkRest() error {
	for i, r := range s.TrustedRoots {
		if len(r.SHA1) != 40 || strings.Trim(strings.ToLower(r.SHA1), "0123456789abcdef") != "" {
			return fmt.Errorf("trusted_roots[%d]: sha1 %q is not 40 hex digits", i, r.SHA1)
		}
	}
	if p := s.AgentProxy; p != nil {
		if p.Source != ProxySourceAgentConfig && p.Source != ProxySourceMachineConfig {
			return fmt.Errorf("agent_proxy.source %q: want %q or %q", p.Source, ProxySourceAgentConfig, ProxySourceMachineConfig)
		}
		if strings.Contains(p.ProxyAddress, "@") {
			return errors.New("agent_proxy.proxy_address: credentials are never part of a snapshot")
		}
	}
	for i, w := range s.Warnings {
		if strings.TrimSpace(w) == "" {
			return fmt.Errorf("warnings[%d] is empty", i)
		}
	}
	return nil
}
