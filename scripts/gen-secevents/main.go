// Command gen-secevents writes synthetic exported Security events (XML) of
// about a given size and their ground truth (JSON), for
// scripts/perf-secevents.sh and for manual tests of `ptacheck logs`:
//
//	go run ./scripts/gen-secevents -size 1G -seed 1 -shape viewer -o security.xml -truth truth.json
//
// The same size, seed and shape give the same bytes. See package
// checks/secevents/seceventstest for what the file holds.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ptacheck/ptacheck/checks/secevents/seceventstest"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen-secevents:", err)
		os.Exit(2)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen-secevents", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "64M", "bytes to write (suffix K, M or G: binary units)")
	seed := fs.Uint64("seed", 1, "random seed")
	shape := fs.String("shape", "viewer", "viewer (Event Viewer's Save as XML: an <Events> root, RenderingInfo) or wevtutil (wevtutil qe /f:xml: events one per line, no root)")
	out := fs.String("o", "", "output XML file (required)")
	truth := fs.String("truth", "", "write the ground truth (JSON) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("usage: gen-secevents -o FILE [-size N[K|M|G]] [-seed N] [-shape viewer|wevtutil] [-truth FILE]")
	}
	n, err := parseSize(*size)
	if err != nil {
		return err
	}
	cfg := seceventstest.Config{Size: n, Seed: *seed}
	switch *shape {
	case "viewer":
		cfg.Shape = seceventstest.Viewer
	case "wevtutil":
		cfg.Shape = seceventstest.Wevtutil
	default:
		return fmt.Errorf("-shape %q: want viewer or wevtutil", *shape)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	t, err := seceventstest.Generate(f, cfg)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if *truth == "" {
		return nil
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(*truth, append(b, '\n'), 0o644)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("-size %q: want a positive number of bytes, e.g. 64M", s)
	}
	return n * mult, nil
}
