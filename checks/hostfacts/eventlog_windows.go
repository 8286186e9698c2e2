//go:build windows

package hostfacts

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ExportEventLogs exports each channel with `wevtutil epl` into dir (a
// temporary folder of the caller's): the one way to get an .evtx that Event
// Viewer opens on another machine. Reading a channel changes nothing on
// the host.
func ExportEventLogs(ctx context.Context, dir string, channels []string) []EventExport {
	var out []EventExport
	for _, ch := range channels {
		name := strings.NewReplacer("/", "-", `\`, "-").Replace(ch) + ".evtx"
		path := filepath.Join(dir, name)
		cmd := exec.CommandContext(ctx, "wevtutil.exe", "epl", ch, path)
		msg, err := cmd.CombinedOutput()
		if err != nil {
			text := strings.TrimSpace(string(msg))
			if len(text) > 300 {
				text = text[:300]
			}
			out = append(out, EventExport{Channel: ch, Err: fmt.Errorf("wevtutil epl: %v: %s", err, text)})
			continue
		}
		out = append(out, EventExport{Channel: ch, Path: path})
	}
	return out
}

// QueryEvents writes the events of a channel that match an XPath query, as
// XML (`wevtutil qe CHANNEL /q:XPATH /f:xml`: Event elements one after
// another), to the file path. Reading the Security log needs an
// administrator or a member of Event Log Readers; it changes nothing.
func QueryEvents(ctx context.Context, channel, xpath, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "wevtutil.exe", "qe", channel, "/q:"+xpath, "/f:xml")
	cmd.Stdout = f
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		text := strings.TrimSpace(stderr.String())
		if len(text) > 300 {
			text = text[:300]
		}
		return fmt.Errorf("wevtutil qe %s: %v: %s", channel, err, text)
	}
	return nil
}
