package hostfacts

// What the live reader collects: the registry keys, services, programs and
// folders of the PTA agent and of the App Proxy / private network connector
// (pta-facts.md 2.1, 2.2). A snapshot carries exactly these facts, so it
// holds everything the checks need and nothing else.

// Registry keys the host checks read.
const (
	RegAgent         = `HKLM\SOFTWARE\Microsoft\Azure AD Connect Agents\Azure AD Connect Authentication Agent`
	RegNDP4          = `HKLM\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full`
	RegTLS12Client   = `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client`
	RegTLS12Server   = `HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Server`
	RegNetFx64       = `HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319`
	RegNetFx32       = `HKLM\SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319`
	RegAppProxyOld   = `HKLM\SOFTWARE\Microsoft\Microsoft AAD App Proxy Connector`
	RegAppProxyAzure = `HKLM\SOFTWARE\Microsoft\Microsoft Azure AD App Proxy Connector`
	RegAppProxyEntra = `HKLM\SOFTWARE\Microsoft\Microsoft Entra private network connector`
)

// RegistryKeys are the registry keys a snapshot captures.
var RegistryKeys = []string{
	RegAgent, RegNDP4, RegTLS12Client, RegTLS12Server, RegNetFx64, RegNetFx32,
	RegAppProxyOld, RegAppProxyAzure, RegAppProxyEntra,
}

// AppProxyRegistryKeys are the connector's keys.
var AppProxyRegistryKeys = []string{RegAppProxyOld, RegAppProxyAzure, RegAppProxyEntra}

// Known service names.
const (
	SvcPTAAgent        = "AzureADConnectAuthenticationAgent"
	SvcPTAUpdater      = "AzureADConnectAgentUpdater" // documented for cloud sync; UNVERIFIED for PTA
	SvcAppProxy        = "WAPCSvc"
	SvcAppProxyUpdater = "WAPCUpdaterSvc"
	// SvcADSync is Microsoft Entra Connect's synchronization service
	// ("Microsoft Azure AD Sync"). When PTA is enabled in Entra Connect, it
	// installs an agent on its own server.
	SvcADSync = "ADSync"
)

// Services are the service names a snapshot always looks for; the reader
// also keeps any service whose display name starts with one of
// ProductPrefixes.
var Services = []string{SvcPTAAgent, SvcPTAUpdater, SvcAppProxy, SvcAppProxyUpdater, SvcADSync}

// Product name prefixes, matched case-insensitively against uninstall
// DisplayNames and service display names. Exact post-rebrand names are
// UNVERIFIED, hence prefixes and both brands.
var (
	AppProxyProductPrefixes = []string{
		"Microsoft AAD Application Proxy Connector",
		"Microsoft Azure AD Application Proxy Connector",
		"Microsoft Entra private network connector",
	}
	PTAAgentProductPrefixes = []string{
		"Microsoft Azure AD Connect Authentication Agent",
		"Microsoft Entra Connect Authentication Agent",
	}
	UpdaterProductPrefixes = []string{
		"Microsoft Azure AD Connect Agent Updater",
		"Microsoft Entra Connect Agent Updater",
	}
)

// ProductPrefixes are the DisplayName prefixes a snapshot keeps.
func ProductPrefixes() []string {
	out := append([]string{}, AppProxyProductPrefixes...)
	out = append(out, PTAAgentProductPrefixes...)
	return append(out, UpdaterProductPrefixes...)
}

// Install folders and executables.
var (
	AppProxyPaths = []string{
		`C:\Program Files\Microsoft AAD App Proxy Connector`,
		`C:\Program Files\Microsoft AAD App Proxy Connector Updater`,
		`C:\Program Files\Microsoft Azure AD App Proxy Connector`,
		`C:\Program Files\Microsoft Azure AD App Proxy Connector Updater`,
		`C:\Program Files\Microsoft Entra private network connector`,
		`C:\Program Files\Microsoft Entra private network connector Updater`,
	}
	PTAAgentPaths = []string{
		`C:\Program Files\Microsoft Azure AD Connect Authentication Agent\AzureADConnectAuthenticationAgentService.exe`,
		`C:\Program Files\Microsoft Azure AD Connect Authentication Agent`,
	}
)

// Paths are the files and folders whose existence a snapshot records.
var Paths = append(append([]string{}, AppProxyPaths...), PTAAgentPaths...)
