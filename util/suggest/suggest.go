// Package suggest finds the valid name nearest to a mistyped one, for the
// "did you mean X?" of a usage error: commands, flags, check IDs, fixture
// names, config keys and enum values.
//
// The distance is the optimal string alignment distance (Damerau-Levenshtein
// restricted to adjacent transpositions, each edited substring once): a
// swapped pair of letters ("fixtrue") costs 1, as users type it. It is
// computed over runes, case-insensitively. A dependency (hbollon/go-edlib,
// agnivade/levenshtein) is not worth these thirty lines: the first has it,
// the second lacks transpositions.
package suggest

import (
	"strings"
	"unicode/utf8"
)

// Distance is the optimal string alignment distance of a and b, case
// folded: insertions, deletions, substitutions and swaps of two adjacent
// runes cost 1 each.
func Distance(a, b string) int {
	ra, rb := []rune(strings.ToLower(a)), []rune(strings.ToLower(b))
	// d[i][j] is the distance of ra[:i] and rb[:j]; three rows suffice.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// maxDistance is how far a name may be from what was typed and still be
// suggested: one edit for short names, two up to eight runes, three beyond.
func maxDistance(s string) int {
	switch n := utf8.RuneCountInString(s); {
	case n <= 3:
		return 1
	case n <= 8:
		return 2
	}
	return 3
}

// Closest returns the name of valid nearest to s, or "" when none is near
// enough (or s is empty, or s is itself valid). A name that differs from s
// only in case is the nearest. Ties go to the name that
// comes first in valid, so the answer is the same every time. A name that
// s is a prefix of (at least three runes typed: "inst" for install) wins
// over all but a one-edit match when it is the only one.
func Closest(s string, valid []string) string {
	if s == "" {
		return ""
	}
	best, bestD := "", maxDistance(s)+1
	var prefixed []string
	for _, v := range valid {
		if v == s {
			return ""
		}
		if strings.EqualFold(v, s) {
			// Only the case differs ("Only" for only): where names are
			// case-sensitive (config keys, flags) that is the slip.
			return v
		}
		if d := Distance(s, v); d < bestD {
			best, bestD = v, d
		}
		if utf8.RuneCountInString(s) >= 3 && strings.HasPrefix(strings.ToLower(v), strings.ToLower(s)) {
			prefixed = append(prefixed, v)
		}
	}
	if len(prefixed) == 1 && bestD > 1 {
		return prefixed[0]
	}
	return best
}

// DidYouMean returns "did you mean X?" for the name of valid nearest to s,
// with X written as prefix+name ("--" for a flag), or "" when none is near.
func DidYouMean(s string, valid []string, prefix string) string {
	if c := Closest(s, valid); c != "" {
		return "did you mean " + prefix + c + "?"
	}
	return ""
}
