package setup

import (
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/internal/cli"
	"github.com/ptacheck/ptacheck/util/suggest"
)

// OutputFlags are the flags every command but security-query takes.
type OutputFlags struct {
	Format  string // -o
	NoColor bool
	Verbose bool

	formats []string // what -o may name for this command (text is the default)
}

func (o *OutputFlags) Register(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Format, "output", "o", "text", "output `FORMAT`: "+strings.Join(o.formats, ", "))
	fs.BoolVar(&o.NoColor, "no-color", false, "no colours in text output (NO_COLOR is honoured too)")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "progress and the probe log on stderr, durations in text output")
}

// ConfigFlags are --config: flag defaults from a file.
type ConfigFlags struct{ File string }

func (c *ConfigFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&c.File, "config", "", "read flag defaults from this JSON `FILE` ({\"tenant-id\": \"...\", \"ignore-failures\": [...]}; or PTACHECK_CONFIG). Every flag also defaults from PTACHECK_<FLAG> (PTACHECK_TENANT_ID); flags win, then the environment, then the file")
}

// Validate checks -o against the formats the command offers and returns it.
func (o *OutputFlags) Validate() (string, error) {
	if err := checkFormat("--output", o.Format, o.formats); err != nil {
		return "", err
	}
	return o.Format, nil
}

func checkFormat(flag, name string, formats []string) error {
	if slices.Contains(formats, name) {
		return nil
	}
	if hint := suggest.DidYouMean(name, formats, ""); hint != "" {
		return cli.Usagef("%s: unknown output format %q: %s (want %s)", flag, name, hint, cli.OrList(formats))
	}
	return cli.Usagef("%s: unknown output format %q (want %s)", flag, name, cli.OrList(formats))
}

// ReportFlags are --report-file and --report-format of a checklist run.
type ReportFlags struct {
	File   string
	Format string
}

func (r *ReportFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&r.File, "report-file", "", "also write the report to `FILE` (\"-\": stdout); written atomically, a symlink is replaced, not followed")
	fs.StringVar(&r.Format, "report-format", "", "the `FORMAT` of --report-file: text, json, junit or prometheus (default: from the file's extension, .json, .xml for junit, .prom for prometheus, else text)")
}

// ReportFile is where and how --report-file writes the report.
type ReportFile struct {
	Path   string // "": none; "-": stdout
	Format string
}

// extFormats are the report formats a --report-file's extension names.
var extFormats = map[string]string{".json": "json", ".xml": "junit", ".prom": "prometheus", ".txt": "text"}

// Validate checks --report-format against the formats of -o. Without it,
// the file's extension names the format (r.xml: JUnit), and a name
// without a known extension ("-", a device, report.out) takes the -o one.
func (r *ReportFlags) Validate(output string, formats []string) (ReportFile, error) {
	rf := ReportFile{Path: r.File, Format: output}
	if f, ok := extFormats[strings.ToLower(filepath.Ext(r.File))]; ok && r.Format == "" && slices.Contains(formats, f) {
		rf.Format = f
	}
	if r.Format != "" {
		if r.File == "" {
			return rf, cli.Usagef("--report-format needs --report-file")
		}
		rf.Format = r.Format
	}
	return rf, checkFormat("--report-format", rf.Format, formats)
}
