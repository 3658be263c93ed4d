package html

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// Helpers giving Python str semantics on []rune (slices clamp, find takes a range).

// slice is s[i:j] with Python's clamping (non-negative i and j).
func slice(s []rune, i, j int) []rune {
	if j > len(s) {
		j = len(s)
	}
	if i > j {
		return s[j:j]
	}
	return s[i:j]
}

// find is s.find(sub, start, end) for non-negative start and end.
func find(s []rune, sub string, start, end int) int {
	if start > len(s) {
		return -1
	}
	if end > len(s) {
		end = len(s)
	}
	r := []rune(sub)
	for i := start; i+len(r) <= end; i++ {
		if pystr.Equal(s[i:i+len(r)], r) {
			return i
		}
	}
	return -1
}

// contains is sub in s.
func contains(s []rune, sub string) bool { return find(s, sub, 0, len(s)) != -1 }

// containsRune is c in s (one character).
func containsRune(s []rune, c rune) bool {
	for _, r := range s {
		if r == c {
			return true
		}
	}
	return false
}

// hasPrefix is s.startswith(p).
func hasPrefix(s []rune, p string) bool { return pystr.HasPrefix(s, []rune(p)) }

// hasSuffix is s.endswith(p).
func hasSuffix(s []rune, p string) bool { return pystr.HasSuffix(s, []rune(p)) }

// hasPrefixAny is s.startswith(tuple).
func hasPrefixAny(s []rune, ps []string) bool {
	for _, p := range ps {
		if hasPrefix(s, p) {
			return true
		}
	}
	return false
}

// startsWithAt is s.startswith(p, start, end) for non-negative start and end.
func startsWithAt(s []rune, p string, start, end int) bool {
	if start > len(s) {
		return false
	}
	return hasPrefix(slice(s, start, end), p)
}

// startsWithAnyAt is s.startswith(tuple, start, end).
func startsWithAnyAt(s []rune, ps []string, start, end int) bool {
	for _, p := range ps {
		if startsWithAt(s, p, start, end) {
			return true
		}
	}
	return false
}

// count is s.count(sub).
func count(s []rune, sub string) int { return pystr.Count(s, []rune(sub)) }

// replace is s.replace(old, new).
func replace(s []rune, old, new string) []rune { return pystr.Replace(s, []rune(old), []rune(new)) }

// isStripEmpty is not s.strip().
func isStripEmpty(s []rune) bool { return len(pystr.Strip(s)) == 0 }

// afterLastColon is s.rsplit(":", 1)[-1].
func afterLastColon(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			return s[i+1:]
		}
	}
	return s
}

// removeAll is pattern.sub("", s).
func removeAll(rx *pyre.Regexp, s []rune) []rune {
	return rx.Sub(s, func(*pyre.Match) []rune { return nil }, 0)
}

// findIterRange is pattern.finditer(text, pos, endpos) (patterns without empty matches).
func findIterRange(rx *pyre.Regexp, text []rune, pos, endpos int, fn func(*pyre.Match) bool) {
	clipped := slice(text, 0, endpos)
	for pos <= len(clipped) {
		m := rx.Search(clipped, pos)
		if m == nil || !fn(m) {
			return
		}
		if m.End(0) == m.Start(0) {
			pos = m.End(0) + 1
		} else {
			pos = m.End(0)
		}
	}
}
