package cli

// ReadFile reads the files a user names as input (--config,
// --token-file, --ldap-password-file, --host-snapshot, summarize's reports,
// ...) so that a signal ends the wait at once.
//
// A named input may be a FIFO or a pipe (bash's <(cmd) is /dev/fd/63):
// open(2) of a FIFO blocks until a writer opens it, and a read blocks until
// the writer writes or closes. Both run in a goroutine that ReadFile
// abandons when ctx ends; closing the file then ends a read that waits on a
// pipe. A goroutine stuck in open(2) stays blocked until the process exits,
// which it does at once on a signal. Regular files are read the same way:
// an NFS file or a slow disk must not hold a signal either.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/ptacheck/ptacheck/util/jsonstrict"
)

// ReadFile reads at most limit bytes of path; a larger file is an error
// that names the limit (jsonstrict.ErrTooLarge), so /dev/zero or a huge
// file never fills memory. It is the one reader of what users name as
// input, so the text a Windows PowerShell 5.1 wrote is understood here for
// all of them: a UTF-8 byte order mark is dropped, UTF-16 with a BOM
// transcoded to UTF-8 (jsonstrict.ReadText). When ctx ends first it returns an error that
// wraps context.Cause(ctx) and names the path.
func ReadFile(ctx context.Context, path string, limit int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, context.Cause(ctx))
	}
	type result struct {
		data []byte
		err  error
	}
	var (
		mu        sync.Mutex
		file      *os.File
		abandoned bool
	)
	ch := make(chan result, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			ch <- result{nil, PathErr(err)}
			return
		}
		mu.Lock()
		if abandoned {
			mu.Unlock()
			f.Close()
			return
		}
		file = f
		mu.Unlock()
		defer f.Close()
		if st, err := f.Stat(); err == nil && st.IsDir() {
			ch <- result{nil, fmt.Errorf("%s: is a directory", path)}
			return
		}
		data, err := jsonstrict.ReadText(f, limit)
		var pe *os.PathError
		switch {
		case errors.As(err, &pe):
			err = PathErr(err) // names the file already
		case err != nil:
			// Every error names the file, as an open error does
			// ("file too large" alone left summarize's reader guessing).
			err = fmt.Errorf("%s: %w", path, err)
		}
		ch <- result{data, err}
	}()
	select {
	case r := <-ch:
		return r.data, r.err
	case <-ctx.Done():
		mu.Lock()
		abandoned = true
		if file != nil {
			file.Close() // ends a read that waits on a pipe
		}
		mu.Unlock()
		return nil, fmt.Errorf("%s: %w", path, context.Cause(ctx))
	}
}
