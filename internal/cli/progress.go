package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress shows live progress on stderr: a one-line status on a terminal,
// start/done lines with --verbose, nothing otherwise. Never on stdout.
type Progress struct {
	w       io.Writer
	tty     bool
	verbose bool
	plan    []string // the IDs in plan order
	running map[string]bool
	doneN   int
}

// NewProgress starts the progress of a run of the steps ids, in order.
func NewProgress(w io.Writer, verbose bool, ids []string) *Progress {
	return &Progress{w: w, tty: IsTerminal(w), verbose: verbose, plan: ids, running: map[string]bool{}}
}

// Start marks id as running.
func (p *Progress) Start(id string) {
	p.running[id] = true
	switch {
	case p.verbose:
		fmt.Fprintf(p.w, "ptacheck: start %s\n", id)
	case p.tty:
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
	case p.tty:
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
	fmt.Fprintf(p.w, "\r\x1b[K[%d/%d] %s", p.doneN, len(p.plan), strings.Join(names, ", "))
}

// Finish clears the status line.
func (p *Progress) Finish() {
	if p.tty && !p.verbose {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
