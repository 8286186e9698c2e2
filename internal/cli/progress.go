package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress shows live progress on stderr: a one-line status on a terminal
// (cut to its width; none on TERM=dumb), start/done lines with --verbose,
// nothing otherwise. Never on stdout.
type Progress struct {
	w       io.Writer
	line    *statusLine // nil: no status line
	verbose bool
	plan    []string // the IDs in plan order
	running map[string]bool
	doneN   int
}

// NewProgress starts the progress of a run of the steps ids, in order;
// getenv gives COLUMNS and TERM.
func NewProgress(w io.Writer, verbose bool, ids []string, getenv func(string) string) *Progress {
	p := &Progress{w: w, verbose: verbose, plan: ids, running: map[string]bool{}}
	if !verbose && Live(w, getenv) {
		p.line = newStatusLine(w, Width(w, getenv))
	}
	return p
}

// Start marks id as running.
func (p *Progress) Start(id string) {
	p.running[id] = true
	switch {
	case p.verbose:
		fmt.Fprintf(p.w, "ptacheck: start %s\n", id)
	case p.line != nil:
		p.status()
	}
}

// Done marks id as done with its status.
func (p *Progress) Done(id, status string, took time.Duration) {
	delete(p.running, id)
	p.doneN++
	switch {
	case p.verbose:
		fmt.Fprintf(p.w, "ptacheck: done  %s: %s (%s)\n", id, status, took.Round(time.Millisecond))
	case p.line != nil:
		p.status()
	}
}

// status rewrites the status line: running steps in plan order.
func (p *Progress) status() {
	var names []string
	for _, id := range p.plan {
		if p.running[id] {
			names = append(names, id)
		}
	}
	p.line.set(fmt.Sprintf("[%d/%d] %s", p.doneN, len(p.plan), strings.Join(names, ", ")))
}

// Finish clears the status line.
func (p *Progress) Finish() {
	if p.line != nil {
		p.line.clear()
	}
}
