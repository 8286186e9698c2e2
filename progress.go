package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ptacheck/ptacheck/checks"
)

// progress shows live progress on stderr: a one-line status on a terminal,
// start/done lines with --verbose, nothing otherwise. Never on stdout.
type progress struct {
	w       io.Writer
	tty     bool
	verbose bool
	plan    []string // selected check IDs in plan order
	running map[string]bool
	doneN   int
}

func newProgress(w io.Writer, verbose bool, plan []checks.Entry) *progress {
	p := &progress{w: w, tty: isTerminal(w), verbose: verbose, running: map[string]bool{}}
	for _, e := range plan {
		p.plan = append(p.plan, e.ID())
	}
	return p
}

func (p *progress) start(e checks.Entry) {
	p.running[e.ID()] = true
	switch {
	case p.verbose:
		fmt.Fprintf(p.w, "ptacheck: start %s\n", e.ID())
	case p.tty:
		p.status()
	}
}

func (p *progress) done(r checks.Result) {
	delete(p.running, r.ID)
	p.doneN++
	switch {
	case p.verbose:
		fmt.Fprintf(p.w, "ptacheck: done  %s: %s (%s)\n", r.ID, r.Status, r.Duration.Round(time.Millisecond))
	case p.tty:
		p.status()
	}
}

// status rewrites the status line: running checks in plan order.
func (p *progress) status() {
	var names []string
	for _, id := range p.plan {
		if p.running[id] {
			names = append(names, id)
		}
	}
	fmt.Fprintf(p.w, "\r\x1b[K[%d/%d] %s", p.doneN, len(p.plan), strings.Join(names, ", "))
}

func (p *progress) finish() {
	if p.tty && !p.verbose {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}
