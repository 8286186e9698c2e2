package tracelog

import (
	"fmt"
	"slices"
	"time"
)

// LogFile is a trace log (or an archive of them) found by Files.
type LogFile struct {
	Path    string
	Size    int64
	ModTime time.Time
	Archive bool // a .zip archive (collect re-packs it entry by entry)
}

// Files lists the trace logs and archives Analyze would read from inputs,
// by the same rules (explicit files always; in folders *.zip, files with an
// agent's trace-file name and files whose first KiB holds the agent's
// record markers; symbolic links not followed), newest first. Notes says what was passed over and why. It is
// the support bundle's view of the logs: which files to copy.
func Files(inputs []string, maxFiles int) (files []LogFile, notes []string, err error) {
	p := planner{opts: Options{MaxFiles: maxFiles, splitBytes: 1 << 62}, workers: 1} // one unit per file
	for _, in := range inputs {
		if err := p.input(in); err != nil {
			return nil, nil, err
		}
	}
	seen := map[string]bool{}
	for _, u := range p.units {
		switch u.kind {
		case unitNote:
			notes = append(notes, fmt.Sprintf("%s: %s", u.path, u.note))
		case unitFile, unitArchive:
			if seen[u.path] {
				continue
			}
			seen[u.path] = true
			files = append(files, LogFile{Path: u.path, Size: u.info.Size(), ModTime: u.info.ModTime(), Archive: u.kind == unitArchive})
		}
	}
	slices.SortStableFunc(files, func(a, b LogFile) int { return b.ModTime.Compare(a.ModTime) })
	return files, notes, nil
}
