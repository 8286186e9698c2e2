// Command gen-tracelog writes a synthetic PTA agent trace log of about a given
// size and its ground truth (JSON), for scripts/perf-logs.sh and for manual
// tests of `ptacheck logs`:
//
//	go run ./scripts/gen-tracelog -size 1G -seed 1 -o trace.log -truth truth.json
//
// The same size and seed give the same bytes. See package
// checks/tracelog/tracelogtest for what the log contains.
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

	"github.com/ptacheck/ptacheck/checks/tracelog/tracelogtest"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen-tracelog:", err)
		os.Exit(2)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen-tracelog", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.String("size", "64M", "bytes to write (suffix K, M or G: binary units)")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("o", "", "output trace log (required)")
	truth := fs.String("truth", "", "write the ground truth (JSON) to this file")
	long := fs.Int64("long-line-every", 0, "about one over-long line per this many bytes (0: default, -1: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("usage: gen-tracelog -o FILE [-size N[K|M|G]] [-seed N] [-truth FILE]")
	}
	n, err := parseSize(*size)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	t, err := tracelogtest.Generate(f, tracelogtest.Config{Size: n, Seed: *seed, LongLineEvery: *long})
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
	if err != nil || n < 0 || n > 1<<40/mult {
		return 0, fmt.Errorf("parse -size %q: want a number of bytes with an optional K, M or G suffix", s)
	}
	return n * mult, nil
}
