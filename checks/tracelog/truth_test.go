package tracelog_test

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ptacheck/ptacheck/checks/tracelog"
	"github.com/ptacheck/ptacheck/checks/tracelog/tracelogtest"
)

// TestGroundTruth runs the generator (small sizes, every quirk, an
// over-long line every 256 KiB) and requires Analyze to report exactly its truth,
// for several splits of the file and worker counts, and through a zip
// archive; every variant must produce the same Summary.
func TestGroundTruth(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "trace.log")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			truth, err := tracelogtest.Generate(f, tracelogtest.Config{Size: 2 << 20, Seed: seed, LongLineEvery: 256 << 10, LongLineBytes: 70 << 10})
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			if truth.LongLines < 4 || truth.Orphans == 0 || truth.Untimed == 0 || truth.Unparsed == 0 || len(truth.Reasons) < 10 {
				t.Fatalf("the generator left out a quirk: %+v", truth)
			}
			var first *tracelog.Summary
			for _, v := range []struct {
				split   int64
				workers int
			}{{0, 0}, {0, 1}, {64 << 10, 4}, {300_007, 3}, {50_000, 1}, {8 << 10, 2}} {
				s, err := tracelog.AnalyzeWith(t.Context(), []string{path}, tracelog.Filter{}, tracelog.WithSplit(tracelog.Options{Workers: v.workers}, v.split))
				if err != nil {
					t.Fatal(err)
				}
				if err := tracelogtest.Diff(tracelogtest.FromSummary(s), *truth); err != nil {
					t.Fatalf("split %d, %d workers: %v", v.split, v.workers, err)
				}
				if first == nil {
					first = s
				} else if a, b := fmt.Sprintf("%+v", s), fmt.Sprintf("%+v", first); a != b {
					t.Fatalf("split %d, %d workers: the summary differs from the first run\n%s\n%s", v.split, v.workers, a, b)
				}
			}

			// The same log inside an archive.
			zpath := filepath.Join(dir, "trace.zip")
			zf, err := os.Create(zpath)
			if err != nil {
				t.Fatal(err)
			}
			zw := zip.NewWriter(zf)
			w, _ := zw.Create("Trace/trace.log")
			src, _ := os.Open(path)
			_, err = io.Copy(w, src)
			src.Close()
			if err != nil || zw.Close() != nil || zf.Close() != nil {
				t.Fatal("write archive", err)
			}
			s, err := tracelog.Analyze(t.Context(), []string{zpath}, tracelog.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if err := tracelogtest.Diff(tracelogtest.FromSummary(s), *truth); err != nil {
				t.Fatalf("zip: %v", err)
			}
		})
	}
}

// TestGenerateDeterministic: the same seed gives the same bytes.
func TestGenerateDeterministic(t *testing.T) {
	gen := func(seed uint64) string {
		var b stringsBuilder
		if _, err := tracelogtest.Generate(&b, tracelogtest.Config{Size: 200 << 10, Seed: seed}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	a, b, c := gen(7), gen(7), gen(8)
	if a != b || a == c {
		t.Fatalf("same seed equal: %v, other seed differs: %v", a == b, a != c)
	}
}

type stringsBuilder struct{ b []byte }

func (s *stringsBuilder) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }
func (s *stringsBuilder) String() string              { return string(s.b) }
