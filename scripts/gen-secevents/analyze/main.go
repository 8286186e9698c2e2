// Command analyze runs secevents.Analyze over files written by
// gen-secevents and checks the result against their ground truth: the
// driver scripts/perf-secevents.sh times when no ptacheck binary is given.
//
//	analyze -truth truth.json security.xml
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/ptacheck/ptacheck/checks/secevents"
	"github.com/ptacheck/ptacheck/checks/secevents/seceventstest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "analyze:", err)
		os.Exit(2)
	}
}

func run() error {
	truthFile := flag.String("truth", "", "ground truth written by gen-secevents (required)")
	flag.Parse()
	if *truthFile == "" || flag.NArg() != 1 {
		return errors.New("usage: analyze -truth truth.json FILE")
	}
	b, err := os.ReadFile(*truthFile)
	if err != nil {
		return err
	}
	var want seceventstest.Truth
	if err := json.Unmarshal(b, &want); err != nil {
		return err
	}
	s, err := secevents.Analyze(context.Background(), flag.Args(), secevents.Filter{}, secevents.Options{Processes: []string{seceventstest.AgentExe}})
	if err != nil {
		return err
	}
	if err := seceventstest.Diff(toResult(s), &want); err != nil {
		return err
	}
	fmt.Printf("%d events, %d logons, %d failures, %d successes: as generated\n", s.Events, s.Logons, s.Failures, s.Successes.Count)
	return nil
}

// toResult converts a Summary for seceventstest.Diff.
func toResult(s *secevents.Summary) seceventstest.Result {
	r := seceventstest.Result{
		Events: s.Events, Logons: s.Logons, OtherProcess: s.OtherProcess, Untimed: s.Untimed, Failures: s.Failures,
		NoProcess: s.NoProcess, Malformed: s.Malformed, NoStatus: s.NoStatus,
		Successes: seceventstest.Count{Count: s.Successes.Count, Accounts: s.Successes.Accounts, First: s.Successes.First, Last: s.Successes.Last},
		Reasons:   map[string]seceventstest.Count{},
	}
	for _, x := range s.Reasons {
		r.Reasons[fmt.Sprintf("0x%08X", x.Code)] = seceventstest.Count{Count: x.Count, Accounts: x.Accounts, First: x.First, Last: x.Last}
	}
	for _, f := range s.Files {
		if f.Skipped != "" || f.Truncated {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: skipped %q, truncated %v", f.Path, f.Skipped, f.Truncated))
		}
	}
	return r
}
