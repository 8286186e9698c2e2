package secevents

import (
	"bytes"
	"testing"
)

// TestIndexLT: the word-at-a-time search agrees with bytes.IndexByte at
// every length and position, near misses included.
func TestIndexLT(t *testing.T) {
	for n := 0; n < 200; n++ {
		for pos := -1; pos < n; pos++ {
			b := bytes.Repeat([]byte{'a'}, n)
			if pos >= 0 {
				b[pos] = '<'
				if pos+3 < n {
					b[pos+3] = '<'
				}
			}
			for _, c := range []byte{0x3D, 0xBC, 0x3B} { // near misses
				if pos != 0 && n > 0 {
					b[0] = c
				}
				if got, want := indexLT(b), bytes.IndexByte(b, '<'); got != want {
					t.Fatalf("n %d pos %d: %d, want %d", n, pos, got, want)
				}
			}
		}
	}
}

// TestHashSet: the account set agrees with a map, zero included, through
// growth.
func TestHashSet(t *testing.T) {
	var s hashSet
	want := map[uint64]bool{}
	x := uint64(1)
	for i := range 5000 {
		h := x % 3000 // repeats
		if i%1000 == 0 {
			h = 0
		}
		s.add(h)
		want[h] = true
		x = x*6364136223846793005 + 1442695040888963407
	}
	if s.len() != len(want) {
		t.Fatalf("len %d, want %d", s.len(), len(want))
	}
	for h := range want {
		if !s.has(h) {
			t.Fatalf("missing %d", h)
		}
	}
	if s.has(3001) || len(s.sorted()) != len(want) {
		t.Fatal("has or sorted")
	}
}
