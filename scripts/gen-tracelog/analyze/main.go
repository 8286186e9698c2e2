// Command analyze runs tracelog.Analyze over its arguments and prints the
// summary as JSON: the stand-in for `ptacheck logs -o json` that
// scripts/perf-logs.sh times until that command exists. With -truth it also
// compares the summary with a ground truth written by gen-tracelog and exits 1
// on a difference.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/checks/tracelog/tracelogtest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("analyze", flag.ContinueOnError)
	fs.SetOutput(stderr)
	truthFile := fs.String("truth", "", "compare with this ground truth (gen-tracelog -truth)")
	workers := fs.Int("workers", 0, "parallel scanners (0: GOMAXPROCS)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: analyze [-truth FILE] [-workers N] PATH...")
		return 2
	}
	s, err := tracelog.AnalyzeWith(context.Background(), fs.Args(), tracelog.Filter{}, tracelog.Options{Workers: *workers})
	if err != nil {
		fmt.Fprintln(stderr, "analyze:", err)
		return 2
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		fmt.Fprintln(stderr, "analyze:", err)
		return 2
	}
	if *truthFile == "" {
		return 0
	}
	if err := compare(s, *truthFile); err != nil {
		fmt.Fprintln(stderr, "analyze:", err)
		return 1
	}
	return 0
}

func compare(s *tracelog.Summary, truthFile string) error {
	b, err := os.ReadFile(truthFile)
	if err != nil {
		return err
	}
	var t tracelogtest.Truth
	if err := json.Unmarshal(b, &t); err != nil {
		return fmt.Errorf("read truth %s: %w", truthFile, err)
	}
	return tracelogtest.Diff(tracelogtest.FromSummary(s), t)
}
