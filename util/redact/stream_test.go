package redact

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// streamAll writes text through a Writer in pieces of the given sizes
// (cycled) and returns what came out.
func streamAll(t *testing.T, text string, pieces ...int) string {
	t.Helper()
	var out bytes.Buffer
	w := NewWriter(&out)
	for i, k := 0, 0; i < len(text); k++ {
		n := min(pieces[k%len(pieces)], len(text)-i)
		if _, err := w.Write([]byte(text[i : i+n])); err != nil {
			t.Fatal(err)
		}
		i += n
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// The stream gives exactly what String gives the whole text, wherever the
// pieces and the internal chunks fall: a password straddling the 1 MiB
// chunk in a line far longer than it, a URL's credentials across it, and
// secrets next to line ends and at the very end.
func TestWriterMatchesString(t *testing.T) {
	t.Cleanup(Reset)
	Reset()
	Secret("S3cretPW-straddle")
	Secret("ghp_TOKEN123456")
	long := strings.Repeat("x", streamChunk-8) + "S3cretPW-straddle" + strings.Repeat("y", streamChunk) +
		"http://alice:" + strings.Repeat("p", 3000) + "@proxy:8080 " + strings.Repeat("z", streamChunk-1500) +
		"socks5://bob:pw@h\n"
	lines := strings.Repeat("AzureADConnectAuthenticationAgentService.exe Information: 0 : ok\n", 20000) +
		"token ghp_TOKEN123456\n" + strings.Repeat("    ThreadId=4\n", 40000) + "end ghp_TOKEN123456"
	for name, text := range map[string]string{"long line": long, "lines": lines, "both": lines + "\n" + long} {
		want := String(text)
		for _, pieces := range [][]int{{4096}, {streamChunk - 3, 7}, {33 << 10, 1, 5}, {len(text)}} {
			got := streamAll(t, text, pieces...)
			if got != want {
				t.Errorf("%s, pieces %v: the stream differs from String (%d bytes vs %d)", name, pieces, len(got), len(want))
			}
			for _, leak := range []string{"S3cretPW-straddle", "ghp_TOKEN123456", "alice:ppp", "bob:pw"} {
				if strings.Contains(got, leak) {
					t.Errorf("%s, pieces %v: %q leaked", name, pieces, leak)
				}
			}
		}
	}
}

// Random text, random secrets and random pieces: the stream equals String.
func TestWriterRandom(t *testing.T) {
	t.Cleanup(Reset)
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := "ab:/@ \n\tx.-"
	for iter := range 8 {
		Reset()
		var secretsHere []string
		for range 1 + rng.IntN(3) {
			n := 4 + rng.IntN(40)
			var b strings.Builder
			for range n {
				b.WriteByte("abcdefgh0123"[rng.IntN(12)])
			}
			secretsHere = append(secretsHere, b.String())
			Secret(b.String())
		}
		var text strings.Builder
		size := streamChunk/2 + rng.IntN(2*streamChunk)
		for text.Len() < size {
			switch rng.IntN(40) {
			case 0:
				text.WriteString(secretsHere[rng.IntN(len(secretsHere))])
			case 1:
				text.WriteString("https://u:" + secretsHere[0][:2] + "@host ")
			case 2:
				text.WriteString(strings.Repeat("q", rng.IntN(streamChunk/4)))
			default:
				text.WriteByte(alphabet[rng.IntN(len(alphabet))])
			}
		}
		want := String(text.String())
		pieces := []int{1 + rng.IntN(1<<21), 1 + rng.IntN(100)}
		if got := streamAll(t, text.String(), pieces...); got != want {
			t.Fatalf("iteration %d (pieces %v): the stream differs from String", iter, pieces)
		}
	}
}

// Text with nothing to mask passes through unchanged and fast.
func TestWriterPassThrough(t *testing.T) {
	t.Cleanup(Reset)
	Reset()
	Secret("never-in-the-text")
	text := strings.Repeat("    DateTime=2024-01-01T00:00:01.3130388Z https://login.microsoftonline.com/x\n", 100000)
	if got := streamAll(t, text, 64<<10); got != text {
		t.Error("text without secrets changed")
	}
}

// A URL's credentials and a secret at every offset around the first cut
// of a line longer than a chunk: masked wherever the cut falls.
func TestWriterCutOffsets(t *testing.T) {
	t.Cleanup(Reset)
	Reset()
	Secret("S3cretPW")
	for d := -24; d <= 24; d++ {
		pad := strings.Repeat("x", streamChunk+d)
		run := strings.Repeat("_", streamChunk+d) // no whitespace, no scheme character
		for _, tc := range []struct{ in, want string }{
			{pad + " http://alice:pw@h " + pad, pad + " http://" + Mask + "@h " + pad},
			{run + "http://alice:pw@h" + run, run + "http://" + Mask + "@h" + run},
			{pad + "S3cretPW" + pad, pad + Mask + pad},
		} {
			for _, pieces := range [][]int{{1 << 16}, {len(tc.in)}} {
				if got := streamAll(t, tc.in, pieces...); got != tc.want {
					i := 0
					for i < len(got) && i < len(tc.want) && got[i] == tc.want[i] {
						i++
					}
					t.Fatalf("offset %d, pieces %v: differs at %d: %q", d, pieces, i, got[max(0, i-20):min(len(got), i+40)])
				}
			}
		}
	}
}
