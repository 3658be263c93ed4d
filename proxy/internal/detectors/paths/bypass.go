package paths

import "github.com/protect-lambda/protect-lambda/proxy/internal/pystr"

// bypassSub is _BYPASS.sub("../", text) without the regex engine. The pattern
//
//	\.{3,}/+|\.\.;/|\.\./{2,}|\.\.(?:%[0-9a-z%]{1,6}|0x(?:2f|5c)|2f|5c|[^\w\s./]{1,3})(?=[\w.])
//
// takes quadratic time on a long run of dots that no "/" follows, in Python's engine and in
// regexp2 alike (every start in the run scans the rest of it): 30 s on 64 KiB in Python. This
// matcher tries the same alternatives in the same order at each start, with the same greedy
// backtracking, but finds the end of each run of dots once, so a value is one pass. TestBypassSameAsRegex compares it with py_BYPASS.
func bypassSub(text []rune) []rune {
	n := len(text)
	var out []rune
	last, matched := 0, false
	dotsEnd := 0 // where the run of dots holding p ends (when text[p] is ".")
	for p := 0; p < n; p++ {
		if text[p] != '.' {
			continue
		}
		if dotsEnd <= p {
			for dotsEnd = p; dotsEnd < n && text[dotsEnd] == '.'; dotsEnd++ {
			}
		}
		if dotsEnd-p < 2 {
			continue // every alternative starts with ".."
		}
		end := bypassAt(text, p, dotsEnd-p)
		if end < 0 {
			continue
		}
		if !matched {
			out = make([]rune, 0, n) // "../" stands for at least as many characters
		}
		out = append(out, text[last:p]...)
		out = append(out, runeParent...)
		last, matched = end, true
		p = end - 1
	}
	if !matched {
		return text
	}
	return append(out, text[last:]...)
}

// isWord is the Unicode \w of Python's re: str.isalnum() or "_".
func isWord(r rune) bool { return r == '_' || pystr.IsAlnum(r) }

// bypassAt is where a match of _BYPASS starting at p ends, or -1; text[p:p+dots] is a whole
// run of dots, at least two.
func bypassAt(text []rune, p, dots int) int {
	n := len(text)
	at := func(i int, r rune) bool { return i < n && text[i] == r }
	slashes := func(i int) int { // how many "/" follow from i on
		j := i
		for j < n && text[j] == '/' {
			j++
		}
		return j - i
	}
	// \.{3,}/+ : backing off the greedy dots leaves a "." before "/+", which fails
	if dots >= 3 && at(p+dots, '/') {
		return p + dots + slashes(p+dots)
	}
	// \.\.;/
	if at(p+2, ';') && at(p+3, '/') {
		return p + 4
	}
	// \.\./{2,}
	if s := slashes(p + 2); s >= 2 {
		return p + 2 + s
	}
	// \.\.(?:...)(?=[\w.])
	ahead := func(i int) bool { return i < n && (text[i] == '.' || isWord(text[i])) }
	// %[0-9a-z%]{1,6}
	if at(p+2, '%') {
		k := 0
		for k < 6 && p+3+k < n {
			c := text[p+3+k]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '%') {
				break
			}
			k++
		}
		for j := k; j >= 1; j-- {
			if ahead(p + 3 + j) {
				return p + 3 + j
			}
		}
	}
	// 0x(?:2f|5c)
	if at(p+2, '0') && at(p+3, 'x') && (at(p+4, '2') && at(p+5, 'f') || at(p+4, '5') && at(p+5, 'c')) &&
		ahead(p+6) {
		return p + 6
	}
	// 2f|5c
	if (at(p+2, '2') && at(p+3, 'f') || at(p+2, '5') && at(p+3, 'c')) && ahead(p+4) {
		return p + 4
	}
	// [^\w\s./]{1,3}
	k := 0
	for k < 3 && p+2+k < n {
		c := text[p+2+k]
		if c == '.' || c == '/' || isWord(c) || pystr.IsSpace(c) {
			break
		}
		k++
	}
	for j := k; j >= 1; j-- {
		if ahead(p + 2 + j) {
			return p + 2 + j
		}
	}
	return -1
}
