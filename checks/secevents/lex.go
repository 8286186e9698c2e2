package secevents

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// Bytes of XML: spaces, names and the search for the next markup.

func isSpace(c byte) bool { return spaceByte[c] }

func isNameByte(c byte) bool { return nameByte[c] }

// indexQuoteLT finds the first q or '<' in w (an attribute value's end, or
// the '<' it may not hold), eight bytes at a time; -1 for neither.
func indexQuoteLT(w []byte, q byte) int {
	const lo, hi, lt = 0x0101010101010101, 0x8080808080808080, 0x3C3C3C3C3C3C3C3C
	qq := uint64(q) * lo
	i := 0
	for ; i+8 <= len(w); i += 8 {
		v := binary.LittleEndian.Uint64(w[i:])
		x, y := v^lt, v^qq
		if m := ((x-lo)&^x | (y-lo)&^y) & hi; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(w); i++ {
		if w[i] == q || w[i] == '<' {
			return i
		}
	}
	return -1
}

// indexLT is bytes.IndexByte(w, '<'), eight bytes at a time over the
// first 64: in event XML the next '<' is usually a few bytes away, where
// IndexByte's set-up costs more than the search.
func indexLT(w []byte) int {
	const lo, hi, lt = 0x0101010101010101, 0x8080808080808080, 0x3C3C3C3C3C3C3C3C
	i := 0
	for ; i+8 <= len(w) && i < 64; i += 8 {
		x := binary.LittleEndian.Uint64(w[i:]) ^ lt // a zero byte where w holds '<'
		if m := (x - lo) &^ x & hi; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if i < 64 {
		for ; i < len(w); i++ {
			if w[i] == '<' {
				return i
			}
		}
		return -1
	}
	if k := bytes.IndexByte(w[i:], '<'); k >= 0 {
		return i + k
	}
	return -1
}

// name reads an XML name at the start of w; n is its length, 0 for none.
func name(w []byte) int {
	i := 0
	for i < len(w) && nameByte[w[i]] {
		i++
	}
	return i
}

func skipSpace(w []byte, i int) int {
	for i < len(w) && isSpace(w[i]) {
		i++
	}
	return i
}

// ncName is name without ':' (a name's length up to its first colon).
func ncName(w []byte) int {
	i := 0
	for i < len(w) && ncNameByte[w[i]] {
		i++
	}
	return i
}
