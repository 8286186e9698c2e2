package graph

import (
	"context"
	"encoding/json"
	"fmt"
)

// A validity scan of raw JSON the decoder keeps: depth, size, repeated
// member names, and which members of the outermost object are not null.

// scanValid walks JSON that json.Valid accepted.
func scanValid(ctx context.Context, raw []byte, budget *int) (map[string]bool, error) {
	sc := &scanner{budget: budget}
	next := 0 // where to look at the context again
	for i := 0; i < len(raw); i++ {
		if i >= next {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			next = i + 64<<10
		}
		var err error
		switch c := raw[i]; c {
		case '{', '[':
			err = sc.open(c)
		case '}', ']':
			sc.stack = sc.stack[:len(sc.stack)-1]
		case ',':
			if f := sc.frame(); f != nil && f.object {
				f.expectKey = true
			}
		case '"':
			i, err = sc.str(raw, i)
		default:
			sc.scalar(c)
		}
		if err != nil {
			return nil, err
		}
	}
	return sc.top, nil
}

// scanner is scanValid's state: the open objects and arrays, and the
// outermost object's members (non-null or not).
type scanner struct {
	stack  []*scanFrame
	top    map[string]bool
	topKey string // the last member name of the outermost object
	budget *int
}

type scanFrame struct {
	object    bool
	keys      map[string]string // folded -> as sent; made on the first key
	expectKey bool
}

func (sc *scanner) frame() *scanFrame {
	if len(sc.stack) == 0 {
		return nil
	}
	return sc.stack[len(sc.stack)-1]
}

// open enters an object or an array, within the depth and the budget.
func (sc *scanner) open(c byte) error {
	if len(sc.stack) >= MaxDepth {
		return fmt.Errorf("%w: %w: more than %d levels", ErrMalformed, ErrTooComplex, MaxDepth)
	}
	if *sc.budget--; *sc.budget < 0 {
		return fmt.Errorf("%w: %w: more than %d objects and arrays in one answer", ErrMalformed, ErrTooComplex, MaxContainers)
	}
	f := sc.frame()
	if len(sc.stack) == 0 && c == '{' {
		sc.top = map[string]bool{}
	} else if len(sc.stack) == 1 && f.object {
		sc.top[sc.topKey] = true
	}
	sc.stack = append(sc.stack, &scanFrame{object: c == '{', expectKey: c == '{'})
	return nil
}

// str reads the string at raw[i]: a member name (refused when it repeats
// one, case-insensitively) or a value; it returns where the string ends.
func (sc *scanner) str(raw []byte, i int) (int, error) {
	f := sc.frame()
	j := i + 1
	escaped := false
	for ; raw[j] != '"'; j++ {
		if raw[j] == '\\' {
			escaped = true
			j++
		}
	}
	if f != nil && f.object && f.expectKey {
		key := string(raw[i+1 : j])
		if escaped {
			json.Unmarshal(raw[i:j+1], &key)
		}
		if f.keys == nil {
			f.keys = map[string]string{}
		}
		folded := foldKey(key)
		if prev, dup := f.keys[folded]; dup {
			return j, fmt.Errorf("%w: %w %q (also sent as %q)", ErrMalformed, ErrDuplicateKey, key, prev)
		}
		f.keys[folded] = key
		f.expectKey = false
		if len(sc.stack) == 1 {
			sc.topKey = key
		}
	} else if len(sc.stack) == 1 && f.object {
		sc.top[sc.topKey] = true
	}
	return j, nil
}

// scalar notes a scalar member of the outermost object: null or not.
func (sc *scanner) scalar(c byte) {
	f := sc.frame()
	if len(sc.stack) == 1 && f.object && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != ':' {
		if _, seen := sc.top[sc.topKey]; !seen {
			sc.top[sc.topKey] = c != 'n'
		}
	}
}
