package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/checks"
	"github.com/ptacheck/ptacheck/fixtures"
	"github.com/ptacheck/ptacheck/report"
)

// options are the parsed flags of every command; each command's FlagSet
// registers only the groups it uses.
type options struct {
	// common
	configFile string
	output     string
	noColor    bool
	verbose    bool
	// a checklist run
	reportFile   string
	reportFormat string
	skip         []string
	only         []string
	ignore       []string
	strict       bool
	retryTimeout time.Duration
	sleep        time.Duration
	timeout      time.Duration
	fixture      string
	hostSnapshot string
	// network
	probeTimeout  time.Duration
	cloud         string
	cloudSet      bool // --cloud was given (a fixture's cloud applies otherwise)
	tenantID      string
	dnsServers    []string
	proxy         string
	legacy        bool
	endpointsFile string
	// the agent
	agentVersion string
	installer    string
	// directory
	domain          string
	dcs             []string
	upnSuffixes     []string
	ldapUser        string
	ldapPassFile    string
	ldapSecurity    string
	caFile          string
	ldapInsecureTLS bool
	// tenant
	tokenFile          string
	deviceCode         bool
	adminUPN           string
	adminPassFile      string
	requireGlobalAdmin bool
	machineName        string
	loginURL           string
	graphURL           string
	clientID           string
	// signin, operate
	users            []string
	usersFile        string
	passwordFile     string // signin: the one user's password (user.password)
	logPaths         []string
	failureThreshold int
	failureWindow    time.Duration
	// logs, dc-query
	since, until, requestID string
	format                  string
	agentPath               string
	// list
	endpoints bool
	// collect
	bundleOut     string
	collectPhases []string
	maxLogBytes   int64
}

// flag groups

func addCommon(fs *pflag.FlagSet, o *options, formats string) {
	fs.StringVarP(&o.output, "output", "o", "text", "output format: "+formats)
	fs.BoolVar(&o.noColor, "no-color", false, "no colours in text output (NO_COLOR is honoured too)")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "progress and the probe log on stderr, durations in text output")
	fs.StringVar(&o.configFile, "config", "", "read flag defaults from this JSON `FILE` ({\"tenant-id\": \"...\", \"ignore-failures\": [...]}; or PTACHECK_CONFIG). Every flag also defaults from PTACHECK_<FLAG> (PTACHECK_TENANT_ID); flags win, then the environment, then the file")
}

func addRun(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.reportFile, "report-file", "", "also write the report to `FILE` (\"-\": stdout); written atomically, a symlink is replaced, not followed")
	fs.StringVar(&o.reportFormat, "report-format", "", "format of --report-file: "+strings.Join(report.Names(), ", ")+" (default: the --output format)")
	addSelection(fs, o)
	fs.BoolVar(&o.strict, "strict", false, "warnings fail the run (exit 1); demoted failures do not")
	fs.DurationVar(&o.retryTimeout, "retry-timeout", 0, "re-run the checks that do not pass until they do or this `DURATION` has passed since the start (e.g. 10m: wait for a firewall change); 0: one run")
	fs.DurationVar(&o.sleep, "sleep", 10*time.Second, "with --retry-timeout: the pause between attempts")
}

// addSelection are the flags that choose and shape the checks of a run.
func addSelection(fs *pflag.FlagSet, o *options) {
	fs.StringSliceVar(&o.skip, "skip", nil, "do not run these check `IDs` (reported as skip)")
	fs.StringSliceVar(&o.only, "only", nil, "run only these check `IDs`")
	fs.StringSliceVar(&o.ignore, "ignore-failures", nil, "demote failures of these check `IDs` (or all) to warnings")
	fs.DurationVar(&o.timeout, "timeout", checks.DefaultRunTimeout, "deadline for the whole run")
	fs.StringVar(&o.fixture, "fixture", "", "run against an emulated environment: an embedded `NAME` ("+strings.Join(fixtures.Names(), ", ")+") or a directory")
	fs.StringVar(&o.hostSnapshot, "host-snapshot", "", "evaluate the host facts in this `FILE` (from 'ptacheck snapshot') instead of the live host")
}

func addAgent(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.agentVersion, "agent-version", "", "the `VERSION` of the PTA agent about to be installed (e.g. 1.5.2482.0): 1.5.193.0 and later may share a server with an App Proxy connector; a newer one upgrades an installed agent")
	fs.StringVar(&o.installer, "installer", "", "(Windows) read the agent version from this installer `PATH` (AADConnectAuthAgentSetup.exe)")
}

func addDirectory(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.domain, "domain", "", "the AD `DOMAIN` of this server and its users (default: this server's domain on Windows, or the fixture's)")
	fs.StringArrayVar(&o.dcs, "dc", nil, "use this domain controller `HOST[:PORT]` instead of the DC locator (repeatable)")
	fs.StringArrayVar(&o.upnSuffixes, "upn-suffix", nil, "a UPN `SUFFIX` users sign in with, which this server's forest must serve (repeatable)")
	fs.StringVar(&o.ldapUser, "ldap-user", "", "bind to the DC as this `USER` (user@domain or a DN); the password comes from PTACHECK_LDAP_PASSWORD or --ldap-password-file. Default: the current user on Windows")
	fs.StringVar(&o.ldapPassFile, "ldap-password-file", "", "read the LDAP bind password from this `FILE` (never from a flag)")
	fs.StringVar(&o.ldapSecurity, "ldap-security", "ldaps", "how to reach the DC: ldaps (636), starttls (389), or plain (389, unencrypted: only to see whether the DC refuses it)")
	fs.StringVar(&o.caFile, "ca-file", "", "also trust the CA certificates in this PEM `FILE` for the DC's LDAPS certificate")
	fs.BoolVar(&o.ldapInsecureTLS, "ldap-insecure-skip-verify", false, "do not verify the DC's certificate (insecure; warned)")
}

func addTenant(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.tokenFile, "token-file", "", "read a Microsoft Graph access token from this `FILE` (or set PTACHECK_GRAPH_TOKEN); without either, a device-code sign-in on a terminal")
	fs.BoolVar(&o.deviceCode, "device-code", false, "sign in with a device code even when stderr is not a terminal (the prompt goes to stderr)")
	fs.StringVar(&o.adminUPN, "admin-upn", "", "the admin `UPN` who installs, registers or enables (default: the signed-in user)")
	fs.StringVar(&o.adminPassFile, "admin-password-file", "", "try a password sign-in as the admin with the password in this `FILE` (or PTACHECK_ADMIN_PASSWORD): an MFA answer fails tenant.admin-account")
	fs.BoolVar(&o.requireGlobalAdmin, "require-global-admin", false, "tenant.admin-account: the 2017 rule, only a Global Administrator passes (a Hybrid Identity Administrator without it fails)")
	fs.StringVar(&o.machineName, "machine-name", "", "this server's `NAME` as its agent registered it (default: its FQDN): tenant.other-agents leaves it out")
	fs.StringVar(&o.loginURL, "login-url", "", "sign-in authority root `URL` (default: the --cloud's, e.g. https://login.microsoftonline.com)")
	fs.StringVar(&o.graphURL, "graph-url", "", "Microsoft Graph root `URL` (default: the --cloud's, e.g. https://graph.microsoft.com)")
	fs.StringVar(&o.clientID, "client-id", "", "public client `ID` for the device-code and password sign-ins (default: Microsoft Graph Command Line Tools)")
}

func addCatalogue(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.cloud, "cloud", "public", "endpoint set: public or usgov")
	fs.StringVar(&o.tenantID, "tenant-id", "", "directory (tenant) `GUID`: also probe the tenant-specific hosts")
	fs.BoolVar(&o.legacy, "legacy", false, "also probe the legacy ports of pre-2018 agents (5671, 9090, 9091, 9350, 9352, 10100-10120)")
	fs.StringVar(&o.endpointsFile, "endpoints-file", "", "add the endpoints of this JSON `FILE` to the catalogue")
}

func addProbe(fs *pflag.FlagSet, o *options) {
	fs.DurationVar(&o.probeTimeout, "probe-timeout", checks.DefaultProbeTimeout, "deadline for one network probe (DNS + TCP + TLS of one endpoint)")
	fs.StringArrayVar(&o.dnsServers, "dns-server", nil, "resolve through this `HOST[:PORT]` instead of the system resolvers (repeatable, or comma-separated)")
	fs.StringVar(&o.proxy, "proxy", "", "probe through this proxy: an http:// `URL`, \"winhttp\" (the host's WinHTTP setting) or \"none\"; default: HTTPS_PROXY/HTTP_PROXY/NO_PROXY")
}

func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetInterspersed(true)
	fs.SortFlags = false
	fs.Usage = func() {}
	fs.SetOutput(discard{})
	return fs
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// usageError is a one-line usage or input error: exit 2. Other errors that
// stop a run before a report exists (a fixture that cannot start, stdout
// closed) exit 2 as well: no verdict was reached.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// validateOutput checks -o against the formats a command offers.
func validateOutput(o *options, allowed ...string) error {
	for _, a := range allowed {
		if o.output == a {
			return nil
		}
	}
	return usagef("--output %q: want %s", o.output, orList(allowed))
}

func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
