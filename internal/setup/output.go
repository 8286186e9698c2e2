package setup

import (
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ptacheck/ptacheck/internal/cli"
)

// OutputFlags are the flags every command but dc-query takes.
type OutputFlags struct {
	Format  string // -o
	NoColor bool
	Verbose bool
	Config  string // --config

	formats []string // what -o may name for this command (text is the default)
}

func (o *OutputFlags) Register(fs *pflag.FlagSet) {
	fs.StringVarP(&o.Format, "output", "o", "text", "output format: "+strings.Join(o.formats, ", "))
	fs.BoolVar(&o.NoColor, "no-color", false, "no colours in text output (NO_COLOR is honoured too)")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "progress and the probe log on stderr, durations in text output")
	fs.StringVar(&o.Config, "config", "", "read flag defaults from this JSON `FILE` ({\"tenant-id\": \"...\", \"ignore-failures\": [...]}; or PTACHECK_CONFIG). Every flag also defaults from PTACHECK_<FLAG> (PTACHECK_TENANT_ID); flags win, then the environment, then the file")
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
	return cli.Usagef("%s: unknown output format %q (want %s)", flag, name, cli.OrList(formats))
}

// ReportFlags are --report-file and --report-format of a checklist run.
type ReportFlags struct {
	File   string
	Format string
}

func (r *ReportFlags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&r.File, "report-file", "", "also write the report to `FILE` (\"-\": stdout); written atomically, a symlink is replaced, not followed")
	fs.StringVar(&r.Format, "report-format", "", "format of --report-file: text, json, junit or prometheus (default: the --output format)")
}

// ReportFile is where and how --report-file writes the report.
type ReportFile struct {
	Path   string // "": none; "-": stdout
	Format string
}

// Validate checks --report-format against the formats of -o.
func (r *ReportFlags) Validate(output string, formats []string) (ReportFile, error) {
	rf := ReportFile{Path: r.File, Format: output}
	if r.Format != "" {
		if r.File == "" {
			return rf, cli.Usagef("--report-format needs --report-file")
		}
		rf.Format = r.Format
	}
	return rf, checkFormat("--report-format", rf.Format, formats)
}
