// Package sql ports lambda_layer/protect_lambda/detectors/sql.py: SQL injection, decided on
// tokens (does the value break out of its place in a query and form SQL?). Detect returns what
// Python's detect() returns, in the same order. The data (keyword sets, windows, patterns) is
// generated from the Python module into data_gen.go.
package sql

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// tok is one token: its kind (str num var word op punct cmt), its text and where it starts.
// Python: _Tok
type tok struct {
	kind  string
	text  string // the token's text, for comparisons and set lookups
	runes []rune // the same text in code points, for Python's str operations on it
	start int
	end   int
}

// memoKey identifies a tokens() call: the text (by its first code point's address and its
// length: every text of one Detect call is alive until it returns), start and limit.
type memoKey struct {
	p            *rune
	n            int
	start, limit int
}

// state is what one Detect call keeps: the token lists of the value being judged.
// Python: _MEMO (emptied by detect for every value; here one per call)
type state struct {
	memo map[memoKey][]*tok
}

func newState() *state { return &state{memo: map[memoKey][]*tok{}} }

// hasNonSpace is bool(s.strip()).
func hasNonSpace(s []rune) bool {
	for _, r := range s {
		if !pystr.IsSpace(r) {
			return true
		}
	}
	return false
}

// tokens is the first limit significant tokens of text from start (whitespace dropped; a comment
// is one token and ends the list, unless more SQL follows on the next line).
// Python: tokens
func (s *state) tokens(text []rune, start, limit int) []*tok {
	key := memoKey{n: len(text), start: start, limit: limit}
	if len(text) > 0 {
		key.p = &text[0]
	}
	// Only the full windows are read again (from several starts); the short lists of _anywhere
	// and _plain_start are not kept (Python keeps them too: the memo only caches).
	memoize := limit == pyWINDOW_TOKENS
	if memo, ok := s.memo[key]; memoize && ok {
		return memo
	}
	found := []*tok{}
	end := min(len(text), start+pyWINDOW_CHARS)
	rx := py_TOKEN.Rx()
	pos := start
	// _TOKEN.finditer(text, start, end); no match of _TOKEN is empty
	for pos <= end {
		m := rx.SearchRange(text, pos, end)
		if m == nil {
			break
		}
		if m.End(0) > m.Start(0) {
			pos = m.End(0)
		} else {
			pos = m.End(0) + 1
		}
		group := 7 // m.lastindex or 7
		for g := 1; g <= 7; g++ {
			if m.Matched(g) {
				group = g
			}
		}
		kind := py_KINDS[group]
		if group == 1 && len(found) > 0 && m.End(0) < end && text[m.End(0)] == '\n' &&
			hasNonSpace(text[m.End(0):end]) {
			continue // a line comment with more SQL on the next line: it only hides text
		}
		g := m.Group(group)
		found = append(found, &tok{kind: kind, text: string(g), runes: g, start: m.Start(group), end: m.End(0)})
		if kind == "cmt" || len(found) >= limit {
			break
		}
	}
	if memoize {
		s.memo[key] = found
	}
	return found
}
