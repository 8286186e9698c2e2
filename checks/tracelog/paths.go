package tracelog

// Trace folders of the agents, relative to %ProgramData% (pta-facts.md 3.1).
var traceFolders = []string{
	`Microsoft\Azure AD Connect Authentication Agent\Trace`,     // Authentication Agent 1.5.193.0 and later
	`Microsoft\Microsoft AAD Application Proxy Connector\Trace`, // preview, connector-based PTA agents (2016-2017)
}

// defaultPaths joins the trace folders to a ProgramData folder with
// backslashes, whatever the OS running the code.
func defaultPaths(programData string) []string {
	out := make([]string, len(traceFolders))
	for i, f := range traceFolders {
		out[i] = programData + `\` + f
	}
	return out
}
