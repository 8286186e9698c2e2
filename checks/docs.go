package checks

// The Microsoft pages the checks' remediations cite, in one place: a page
// that moves is fixed once.
const (
	docTroubleshoot       = "https://learn.microsoft.com/entra/identity/hybrid/connect/tshoot-connect-pass-through-authentication"                                         // host
	docQuickStart         = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-pta-quick-start"                                                     // host
	docFAQ                = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-pta-faq"                                                             // host
	docTLSEnforcement     = "https://learn.microsoft.com/entra/identity/hybrid/connect/reference-connect-tls-enforcement"                                                  // host
	docDotNetVersions     = "https://learn.microsoft.com/dotnet/framework/migration-guide/how-to-determine-which-versions-are-installed"                                   // host
	docAzureCAs           = "https://learn.microsoft.com/azure/security/fundamentals/azure-certificate-authority-details"                                                  // host
	docTrustedRootsPolicy = "https://learn.microsoft.com/windows-server/identity/ad-cs/configure-trusted-roots-disallowed-certificates"                                    // host
	docForest             = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-pta-faq"                                                             // ad
	docPTAError           = "https://learn.microsoft.com/entra/identity/hybrid/connect/tshoot-connect-pass-through-authentication"                                         // ad
	docClock              = "https://learn.microsoft.com/windows/security/threat-protection/security-policy-settings/maximum-tolerance-for-computer-clock-synchronization" // ad
	docPrereqNetwork      = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-pta-quick-start#step-1-check-the-prerequisites"                      // network
	docGovNetwork         = "https://learn.microsoft.com/entra/identity/hybrid/connect/reference-connect-government-cloud#allow-access-to-urls"                            // network
	docProxy              = "https://learn.microsoft.com/entra/identity/app-proxy/application-proxy-configure-connectors-with-proxy-servers"                               // network
	docTroubleshootAuth   = "https://learn.microsoft.com/entra/identity/hybrid/connect/tshoot-connect-pass-through-authentication"                                         // tenant
	docHA                 = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-pta-quick-start#step-4-ensure-high-availability"                     // tenant
	docCloudAdmin         = "https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-pta-quick-start#step-1-check-the-prerequisites"                      // tenant
)
