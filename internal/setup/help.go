package setup

import (
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/util/textfmt"
	"github.com/spf13/pflag"
)

// HelpSection is one heading of a command's help and its flags' usage.
type HelpSection struct {
	Title  string
	Usages string
}

// Help returns the command's flags for its help: its own flags first (under
// "Flags"), then the shared groups under their headings, the common flags
// last. Lines are wrapped to width.
func (c Command) Help(width int) []HelpSection {
	var out []HelpSection
	add := func(title string, gs []Group) {
		fs := pflag.NewFlagSet(c.Name, pflag.ContinueOnError)
		fs.SortFlags = false
		f := &Flags{}
		f.Output.formats = c.Formats
		for _, g := range gs {
			f.group(g).Register(fs)
		}
		if title == section[OutputGroup] || title == "Flags" && c.Formats == nil {
			fs.BoolP("help", "h", false, "this help")
		}
		if fs.HasFlags() {
			out = append(out, HelpSection{title, FlagUsages(fs, width)})
		}
	}
	add("Flags", c.Own)
	var titles []string
	byTitle := map[string][]Group{}
	for _, g := range c.Shared {
		t := section[g]
		if _, ok := byTitle[t]; !ok {
			titles = append(titles, t)
		}
		byTitle[t] = append(byTitle[t], g)
	}
	for _, t := range titles {
		add(t, byTitle[t])
	}
	if c.Formats != nil {
		add(section[OutputGroup], c.outputGroups())
	}
	return out
}

// ValueName is how a flag's value is named in help: the back-quoted word
// of its usage (FILE, DURATION, HOST[:PORT], ...), DURATION for durations,
// N for numbers; a comma-separated list adds ",..." (ID,...). A switch has
// none: it is given or not, never "=true|false".
func ValueName(f *pflag.Flag) string {
	if f.Value.Type() == "bool" {
		return ""
	}
	name, _ := pflag.UnquoteUsage(f)
	switch t := f.Value.Type(); {
	case strings.ContainsAny(f.Usage, "`"):
	case t == "duration":
		name = "DURATION"
	case t == "int" || t == "int64":
		name = "N"
	default:
		name = "VALUE"
	}
	if f.Value.Type() == "stringSlice" {
		name += ",..."
	}
	return name
}

// FlagUsages renders a flag set for help, one flag a line (wrapped with a
// hanging indent): "  -o, --output FORMAT   usage (default: text)".
func FlagUsages(fs *pflag.FlagSet, width int) string {
	type row struct{ left, right string }
	var rows []row
	col := 0
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		if v := ValueName(f); v != "" {
			left += " " + v
		}
		_, usage := pflag.UnquoteUsage(f)
		if d := defaultText(f); d != "" && !strings.Contains(usage, "default") {
			usage += " (default: " + d + ")"
		}
		rows = append(rows, row{left, usage})
		col = max(col, len(left))
	})
	col += 3
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r.left)
		if len(r.left) > col-3 {
			b.WriteString("\n" + strings.Repeat(" ", col))
		} else {
			b.WriteString(strings.Repeat(" ", col-len(r.left)))
		}
		b.WriteString(wrap(r.right, col, width))
		b.WriteString("\n")
	}
	return b.String()
}

// defaultText is a flag's default as help shows it, "" for none: no
// false, empty string, empty list or zero duration.
func defaultText(f *pflag.Flag) string {
	switch f.Value.Type() {
	case "bool":
		return ""
	case "duration":
		d, err := time.ParseDuration(f.DefValue)
		if err != nil || d == 0 {
			return ""
		}
		return textfmt.ShortDuration(d)
	}
	if f.DefValue == "" || f.DefValue == "[]" {
		return ""
	}
	return f.DefValue
}

// wrap breaks text into lines of at most width columns, every line after
// the first indented by indent (the first starts there already). A word
// longer than the room stays whole.
func wrap(text string, indent, width int) string {
	room := max(width-indent, 20)
	var b strings.Builder
	n := 0
	for i, w := range strings.Fields(text) {
		switch {
		case i == 0:
		case n+1+len(w) > room:
			b.WriteString("\n" + strings.Repeat(" ", indent))
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(w)
		n += len(w)
	}
	return b.String()
}
