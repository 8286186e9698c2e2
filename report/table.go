package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ptacheck/ptacheck/util/textfmt"
)

// table is a text table that fits a width: its columns aligned (two spaces
// apart) with the last one as long as it is; when a row is too wide, the
// last column wraps under itself (a hanging indent); when even the other
// columns leave it too little room, each row is stacked: its first cell on
// a line, the others under it, named by their headers.
type table struct {
	header []string // nil: no header line
	rows   [][]string
	// labelLast names the last cell by its header when rows are stacked
	// (a count or a list; a description reads as it is).
	labelLast bool
}

// minLastColumn is the least room the last column wraps in; with less, the
// rows are stacked.
const minLastColumn = 24

// stackIndent indents the cells under a stacked row's first one.
const stackIndent = "    "

func newTable(header ...string) *table { return &table{header: header} }

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func runes(s string) int { return utf8.RuneCountInString(s) }

// write writes the table to fit width columns (0: no limit).
func (t *table) write(w io.Writer, width int) {
	n := len(t.header)
	for _, r := range t.rows {
		n = max(n, len(r))
	}
	if n == 0 {
		return
	}
	all := t.rows
	if t.header != nil {
		all = append([][]string{t.header}, t.rows...)
	}
	cell := func(r []string, i int) string {
		if i < len(r) {
			return r[i]
		}
		return ""
	}
	// The widths of the aligned columns, and where the last one starts.
	widths := make([]int, n-1)
	last := 0
	for _, r := range all {
		for i := range widths {
			widths[i] = max(widths[i], runes(cell(r, i)))
		}
		last = max(last, runes(cell(r, n-1)))
	}
	start := 0
	for _, c := range widths {
		start += c + 2
	}
	lead := func(r []string) string {
		var b strings.Builder
		for i, c := range widths {
			s := cell(r, i)
			b.WriteString(s + strings.Repeat(" ", c+2-runes(s)))
		}
		return b.String()
	}
	switch {
	case width <= 0 || start+last <= width:
		for _, r := range all {
			fmt.Fprintf(w, "%s%s\n", lead(r), cell(r, n-1))
		}
	case width-start >= minLastColumn:
		indent := strings.Repeat(" ", start)
		for _, r := range all {
			text := cell(r, n-1)
			pad := strings.Repeat(" ", runes(text)-runes(strings.TrimLeft(text, " ")))
			writeWrapped(w, lead(r)+pad, indent+pad, text, width)
		}
	default:
		t.stacked(w, width, n, cell)
	}
}

// stacked writes each row as its first cell, then its middle cells as
// "header value" on one folded line, then its last cell, under it.
func (t *table) stacked(w io.Writer, width, n int, cell func([]string, int) string) {
	name := func(i int) string {
		if i < len(t.header) {
			return strings.ToLower(t.header[i])
		}
		return ""
	}
	named := func(i int, v string) string {
		if h := name(i); h != "" {
			return h + " " + v
		}
		return v
	}
	for _, r := range t.rows {
		if first := cell(r, 0); first != "" || n == 1 {
			writeWrapped(w, "", stackIndent, first, width)
		}
		var middle []string
		for i := 1; i < n-1; i++ {
			if v := cell(r, i); v != "" {
				middle = append(middle, named(i, v))
			}
		}
		// The middle cells fold between cells, not inside one (a time
		// stays whole).
		line := ""
		for i, m := range middle {
			if i < len(middle)-1 {
				m += ","
			}
			if line != "" && runes(stackIndent)+runes(line)+1+runes(m) > width {
				fmt.Fprintln(w, stackIndent+line)
				line = ""
			}
			if line != "" {
				line += " "
			}
			line += m
		}
		if line != "" {
			fmt.Fprintln(w, stackIndent+line)
		}
		if v := strings.TrimSpace(cell(r, n-1)); v != "" && n > 1 {
			if t.labelLast {
				v = name(n-1) + ": " + v
			}
			writeWrapped(w, stackIndent, stackIndent+"  ", v, width)
		}
	}
}

// folded renders text with render and folds each line wider than width
// (0: none) under its own indent plus two: the lines a table or a fold
// already fit pass as they are.
func folded(w io.Writer, width int, render func(io.Writer) error) error {
	if width <= 0 {
		return render(w)
	}
	var buf strings.Builder
	if err := render(&buf); err != nil {
		return err
	}
	text := strings.TrimSuffix(buf.String(), "\n")
	var out strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if textfmt.Visible(line) <= width {
			out.WriteString(line + "\n")
			continue
		}
		body := strings.TrimLeft(line, " ")
		indent := line[:len(line)-len(body)]
		out.WriteString(textfmt.Fold(indent, indent+"  ", body, width))
	}
	_, err := io.WriteString(w, out.String())
	return err
}
