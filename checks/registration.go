package checks

// The verify phase: did the installer and the registration work? Three
// checks, also part of operate: the agent's services run and start with
// Windows (host.agent-running), the agent's registry key names an agent ID
// and the intended tenant (host.agent-registered), and the tenant's agent
// list shows this server active (tenant.this-agent-active). They answer
// the question of Microsoft's docs issue "How to confirm agent is
// registered with Azure AD" (MicrosoftDocs/azure-docs#42907) with what the
// quick start's "Step 3: Test the feature" and the troubleshooting page's
// "Check status of the feature and Authentication Agents" look at in the
// admin center.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/go-multierror"

	"github.com/ptacheck/ptacheck/checks/graph"
	"github.com/ptacheck/ptacheck/checks/hostfacts"
)

const docAgentID = docFAQ + "#how-do-i-capture-the-pta-agent-id-from-microsoft-entra-sign-in-logs-and-the-pta-server-to-validate-which-pta-server-was-used-for-a-sign-in-event"

// AgentRunningCheck wants the agent's service installed, running and set to
// start automatically, and its Agent Updater likewise (the Updater only
// warns: sign-ins do not depend on it, updates do).
type AgentRunningCheck struct{}

func (AgentRunningCheck) Meta() Meta {
	return Meta{
		ID:    "host.agent-running",
		Title: "PTA agent service running",
		Description: "the agent service (" + hostfacts.SvcPTAAgent + ") is installed, running and starts automatically; its Agent Updater (" +
			hostfacts.SvcPTAUpdater + ") too (a missing or stopped Updater warns)",
		Remediation: "Start the agent and set it to start with Windows (services.msc, or Set-Service " + hostfacts.SvcPTAAgent +
			" -StartupType Automatic; Start-Service " + hostfacts.SvcPTAAgent + "); if it stops again, read its Admin log " +
			"(Applications and Services Logs\\Microsoft\\AzureAdConnect\\AuthenticationAgent\\Admin). A missing service means the agent is not installed: " +
			"run AADConnectAuthAgentSetup.exe.",
		DocURL: docTroubleshoot,
	}
}

// agentRunningDetails is the evidence of host.agent-running.
type agentRunningDetails struct {
	Agent    *hostfacts.Service `json:"agent_service"`
	Updater  *hostfacts.Service `json:"updater_service"`
	Warnings []string           `json:"warnings"`
}

func (AgentRunningCheck) Needs() Needs { return Needs{Host: true} }

func (AgentRunningCheck) Run(_ context.Context, env *Env) Outcome {
	s := env.Met.Host
	if missing := unrecordedLists(s, hostfacts.EvidenceServices); len(missing) > 0 {
		return Errored(errors.New(missing[0]), nil)
	}
	return decideAgentRunning(s, detectAgent(s))
}

// serviceVerdict is what one service's state and start type say.
type serviceVerdict struct {
	problems []error  // not running, or not starting with Windows
	unknown  []string // a fact the verdict needs that the host facts lack
}

// judgeService decides a service's state and start type. A field the host
// facts do not carry is unknown, never taken as fine: with the host
// reader's warning about the service when it has one.
func judgeService(s *hostfacts.Snapshot, svc hostfacts.Service) serviceVerdict {
	var v serviceVerdict
	why := s.WarningsAbout("service " + svc.Name)
	unknown := func(field string) {
		if len(why) > 0 {
			v.unknown = append(v.unknown, why...)
			why = nil // said once
			return
		}
		v.unknown = append(v.unknown, fmt.Sprintf("the host facts carry no services[].%s for %s", field, svc.Name))
	}
	switch svc.State {
	case "running":
	case "":
		unknown("state")
	default:
		v.problems = append(v.problems, fmt.Errorf("service %s is %s, not running", svc.Name, svc.State))
	}
	switch svc.StartType {
	case "auto":
	case "":
		unknown("start_type")
	case "manual":
		v.problems = append(v.problems, fmt.Errorf("service %s starts manually: it does not start again after a reboot", svc.Name))
	case "disabled":
		v.problems = append(v.problems, fmt.Errorf("service %s is disabled: it cannot start", svc.Name))
	default:
		v.problems = append(v.problems, fmt.Errorf("service %s has start type %s, not automatic", svc.Name, svc.StartType))
	}
	return v
}

func describeService(svc hostfacts.Service) string {
	start := svc.StartType
	if start == "auto" {
		start = "starts automatically"
		if svc.DelayedAutoStart {
			start += " (delayed)"
		}
	}
	return fmt.Sprintf("%s %s, %s", svc.Name, svc.State, start)
}

// decideAgentRunning decides host.agent-running on the host facts.
func decideAgentRunning(s *hostfacts.Snapshot, a agentInfo) Outcome {
	d := agentRunningDetails{Agent: a.Service, Updater: a.UpdaterService, Warnings: s.WarningsAbout("service manager")}
	if a.Service == nil {
		if len(d.Warnings) > 0 {
			// The service manager could not be read: absent is unknown.
			return Outcome{Unevaluated: d.Warnings, Details: d}
		}
		err := fmt.Errorf("the PTA agent service %s is not installed", hostfacts.SvcPTAAgent)
		if len(a.UninstallEntries) > 0 {
			err = fmt.Errorf("the PTA agent service %s is not installed, though the program %q is: repair or reinstall the agent", hostfacts.SvcPTAAgent, a.UninstallEntries[0].DisplayName)
		}
		return Outcome{Fail: err, Details: d}
	}
	var fail, warn *multierror.Error
	var unknown []string
	agent := judgeService(s, *a.Service)
	fail = multierror.Append(fail, agent.problems...)
	unknown = append(unknown, agent.unknown...)
	if a.UpdaterService == nil {
		warn = multierror.Append(warn, fmt.Errorf("the Agent Updater service (%s) is not installed: the agent is not updated automatically", hostfacts.SvcPTAUpdater))
	} else {
		updater := judgeService(s, *a.UpdaterService)
		for _, p := range updater.problems {
			warn = multierror.Append(warn, fmt.Errorf("%w; the agent is not updated automatically", p))
		}
		unknown = append(unknown, updater.unknown...)
	}
	d.Warnings = append(d.Warnings, s.WarningsAbout("service "+a.Service.Name)...)
	if a.UpdaterService != nil {
		d.Warnings = append(d.Warnings, s.WarningsAbout("service "+a.UpdaterService.Name)...)
	}
	out := Outcome{Fail: fail.ErrorOrNil(), Warn: warn.ErrorOrNil(), Unevaluated: unknown, Details: d}
	switch {
	case out.Fail != nil || len(unknown) > 0:
	case out.Warn != nil:
		out.Remediation = "Start the Agent Updater and set it to start automatically (services.msc, or Set-Service " + hostfacts.SvcPTAUpdater +
			" -StartupType Automatic; Start-Service " + hostfacts.SvcPTAUpdater + "); the FAQ calls it healthy when it runs and its Admin log " +
			"(Applications and Services Logs\\Microsoft\\AzureADConnect-Agent\\Updater\\Admin) has no errors. A missing Updater comes back when the agent is reinstalled."
	default:
		out.Summary = describeService(*a.Service) + "; " + describeService(*a.UpdaterService)
	}
	return out
}

// AgentRegisteredCheck wants the agent's registry key to hold an agent ID
// (the value(s) the FAQ reads with Select *Instance*) and the tenant it
// registered to (TenantID, a value name known from unofficial sources),
// and that tenant to be the intended one when it is known.
type AgentRegisteredCheck struct {
	// TenantID is the tenant the agent should serve (--tenant-id, or the
	// fixture's); "" asks the run's Graph token (its tid claim), if any.
	TenantID string
	// TenantFrom says where TenantID came from ("" --tenant-id).
	TenantFrom string
}

func (AgentRegisteredCheck) Meta() Meta {
	return Meta{
		ID:    "host.agent-registered",
		Title: "PTA agent registered to this tenant",
		Description: "the agent's registry key (" + hostfacts.RegAgent + ") holds an agent ID (*Instance*) and a TenantID, and that tenant is --tenant-id " +
			"(or the Graph token's tid) when one is known",
		Remediation: "Register the installed agent as a Hybrid Identity Administrator of the intended tenant: in C:\\Program Files\\Microsoft Azure AD Connect Authentication Agent run " +
			registerCommand + " (the quick start's unattended deployment).",
		DocURL: docAgentID,
	}
}

// agentRegisteredDetails is the evidence of host.agent-registered.
type agentRegisteredDetails struct {
	RegistryKey string `json:"registry_key"`
	KeyPresent  bool   `json:"key_present"`
	AgentID     string `json:"agent_id"`
	TenantID    string `json:"tenant_id"`
	// Expected is the tenant compared with, and ExpectedFrom where it
	// came from ("--tenant-id", "the Graph token's tid"); empty when none
	// is known.
	Expected     string   `json:"expected_tenant,omitempty"`
	ExpectedFrom string   `json:"expected_from,omitempty"`
	Warnings     []string `json:"warnings"`
}

// Needs: the host facts. The token's tenant is read when a Graph client
// exists (another check of the run asked for the sign-in), never as a need
// of its own: without --tenant-id and without Graph, the check passes on
// the registration alone and says the tenant was not compared.
func (AgentRegisteredCheck) Needs() Needs { return Needs{Host: true} }

func (c AgentRegisteredCheck) Run(ctx context.Context, env *Env) Outcome {
	s := env.Met.Host
	if missing := unrecordedLists(s, hostfacts.EvidenceRegistry); len(missing) > 0 {
		return Errored(errors.New(missing[0]), nil)
	}
	expected := expectedTenant{id: c.TenantID, from: c.TenantFrom}
	if expected.from == "" {
		expected.from = "--tenant-id"
	}
	if expected.id == "" && env.Tenant != nil {
		expected = tokenTenant(ctx, env.Tenant)
	}
	return decideAgentRegistered(s, detectAgent(s), expected)
}

// expectedTenant is the tenant the agent should be registered to.
type expectedTenant struct {
	id, from string
	// unknown says why the token's tenant could not be read (cut off); a
	// check cannot pass without it.
	unknown string
	// note says why there is nothing to compare with.
	note string
}

// tokenTenant reads the tenant of the run's Graph token.
func tokenTenant(ctx context.Context, t *graph.Tenant) expectedTenant {
	id, err := t.TokenTenant(ctx)
	switch {
	case err == nil:
		return expectedTenant{id: id, from: "the Graph token's tid"}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return expectedTenant{unknown: "the tenant of the Graph token (cut off)"}
	}
	return expectedTenant{note: "the Graph token names no tenant (" + err.Error() + ")"}
}

// decideAgentRegistered decides host.agent-registered on the host facts.
func decideAgentRegistered(s *hostfacts.Snapshot, a agentInfo, want expectedTenant) Outcome {
	d := agentRegisteredDetails{
		RegistryKey: hostfacts.RegAgent, KeyPresent: a.RegistryKey != "", AgentID: a.AgentID, TenantID: a.TenantID,
		Expected: want.id, ExpectedFrom: want.from, Warnings: s.WarningsAbout("registry " + hostfacts.RegAgent),
	}
	unread := d.Warnings
	if len(unread) == 0 {
		unread = nil
	}
	notRegistered := "Register the installed agent as a Hybrid Identity Administrator of the intended tenant: in C:\\Program Files\\Microsoft Azure AD Connect Authentication Agent run " +
		registerCommand + "; a registration that fails names its cause in the agent's Admin log and in %ProgramData%\\Microsoft\\Azure AD Connect Authentication Agent\\Trace."
	switch {
	case !d.KeyPresent && unread != nil:
		return Outcome{Unevaluated: unread, Details: d}
	case !d.KeyPresent && !a.Installed && len(a.unrecorded) == 0:
		return Outcome{
			Fail:        fmt.Errorf("no PTA agent is installed and the agent's registry key %s does not exist", hostfacts.RegAgent),
			Remediation: "Install the agent (AADConnectAuthAgentSetup.exe REGISTERCONNECTOR=\"false\" /q), then register it (" + registerCommand + ").",
			Details:     d,
		}
	case !d.KeyPresent:
		return Outcome{Fail: fmt.Errorf("the agent's registry key %s does not exist: the agent is not registered", hostfacts.RegAgent), Remediation: notRegistered, Details: d}
	case d.AgentID == "" && unread != nil:
		return Outcome{Unevaluated: unread, Details: d}
	case d.AgentID == "":
		return Outcome{
			Fail:        errors.New("the agent's registry key holds no agent ID (no value whose name contains \"Instance\", which the FAQ reads with Select *Instance*): the registration did not complete"),
			Remediation: notRegistered,
			Details:     d,
		}
	}
	var warn error
	if !guidRE.MatchString(strings.Trim(d.AgentID, "{}")) {
		warn = fmt.Errorf("the agent ID %q is not a GUID, the form the FAQ shows", d.AgentID)
	}
	var unknown []string
	switch {
	case d.TenantID == "" && unread != nil:
		return Outcome{Warn: warn, Unevaluated: unread, Details: d}
	case d.TenantID == "":
		// TenantID is the name AADInternals writes and reads (unofficial):
		// without it, the tenant is unknown, not wrong.
		return Outcome{
			Warn: warn, Details: d,
			Unevaluated: []string{"the tenant the agent registered to: the agent's registry key has no TenantID value (a value name known only from unofficial sources); " +
				"tenant.this-agent-active tells whether this tenant lists the agent"},
		}
	case !guidRE.MatchString(strings.Trim(d.TenantID, "{}")):
		return Outcome{Fail: fmt.Errorf("the agent's registry value TenantID %q is not a tenant ID (GUID): the registration is damaged", d.TenantID), Warn: warn, Remediation: notRegistered, Details: d}
	}
	registered := strings.ToLower(strings.Trim(d.TenantID, "{}"))
	if want.unknown != "" {
		unknown = append(unknown, want.unknown)
	}
	if want.id != "" && !strings.EqualFold(registered, want.id) {
		return Outcome{
			Fail: fmt.Errorf("the agent (agent ID %s) is registered to tenant %s, not to %s (%s): this tenant's sign-ins never reach it", d.AgentID, registered, want.id, want.from),
			Warn: warn,
			Remediation: "Register the agent again with a Hybrid Identity Administrator whose home tenant is " + want.id + " (" + registerCommand +
				"); if tenant " + registered + " is the intended one, check with --tenant-id " + registered + ".",
			Unevaluated: unknown,
			Details:     d,
		}
	}
	summary := fmt.Sprintf("registered: agent ID %s, tenant %s", d.AgentID, registered)
	switch {
	case want.id != "":
		summary += " (" + want.from + ")"
	case want.note != "":
		summary += "; not compared with the intended tenant: " + want.note + "; pass --tenant-id"
	default:
		summary += "; not compared with the intended tenant: pass --tenant-id"
	}
	if warn != nil || len(unknown) > 0 {
		summary = "" // the findings say it
	}
	return Outcome{Summary: summary, Warn: warn, Unevaluated: unknown, Details: d}
}
