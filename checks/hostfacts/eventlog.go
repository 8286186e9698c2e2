package hostfacts

// AgentEventChannels are the event-log channels of the PTA agent, its
// updater and (the 2017 generation) the App Proxy connector that a support
// bundle exports (pta-facts.md 3.3; the channel names are unofficial, so a
// channel this host does not have is reported, not an error of the bundle).
var AgentEventChannels = []string{
	"Microsoft-AzureADConnect-AuthenticationAgent/Admin",
	"Microsoft-AzureADConnect-AgentUpdater/Admin",
	"Microsoft-AadApplicationProxy-Connector/Admin",
	"Microsoft-AadApplicationProxy-Updater/Admin",
}

// EventExport is one channel exported by ExportEventLogs.
type EventExport struct {
	Channel string
	Path    string // the .evtx file written; empty when Err is set
	Err     error
}
