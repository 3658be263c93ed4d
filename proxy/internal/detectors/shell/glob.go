package shell

import (
	"sort"
	"strings"
	"sync"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// Python's _glob_regex builds an ad-hoc pattern, re.compile("^" + ... + "$", re.MULTILINE),
// that pyre (translated patterns only) cannot compile. Here the same pattern text is built, then
// parsed by the rules of Python's re parser for the only constructs it can hold (^, $, literal
// characters and escapes, character sets with ranges, * after a set), so that what Python
// rejects (re.error: an unterminated set, a bad range) is rejected here too, and matched by
// backtracking in Python's order (greedy *) on the candidate list.

// globNode is one item of a compiled glob pattern.
type globNode struct {
	kind   byte // 'b' ^ (line start), 'e' $ (line end), 'l' a literal, 'c' a set
	ch     rune
	ranges [][2]rune // a set's literals and ranges
	neg    bool
	star   bool
}

func (n *globNode) matches(c rune) bool {
	if n.kind == 'l' {
		return c == n.ch
	}
	in := false
	for _, r := range n.ranges {
		if r[0] <= c && c <= r[1] {
			in = true
			break
		}
	}
	return in != n.neg
}

// reSpecial is what re.escape escapes (Python 3.7+: _special_chars_map).
const reSpecial = "()[]{}?*+-|^$\\.&~# \t\n\r\v\f"

// Python: _glob_regex
func globRegex(pattern []rune) []globNode {
	if !(len(pattern) <= 64 && countRune(pattern, '*') <= 4) {
		return nil
	}
	out := []rune{'^'}
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch c {
		case '?':
			out = append(out, []rune("[^/\n]")...)
		case '*':
			out = append(out, []rune("[^/\n]*")...)
		case '[':
			j := indexRune(pattern, ']', i+2)
			if j < 0 || distinct(pattern[i+1:j]) > 5 { // a[constructor] is no glob
				out = append(out, '\\', '[')
			} else {
				body := pattern[i+1 : j]
				neg := body[0] == '!' || body[0] == '^'
				if neg {
					body = body[1:]
				}
				out = append(out, '[')
				if neg {
					out = append(out, '^')
				}
				for _, b := range body {
					if b == '\\' || b == ']' || b == '[' {
						out = append(out, '\\')
					}
					out = append(out, b)
				}
				out = append(out, ']')
				i = j
			}
		default:
			if strings.ContainsRune(reSpecial, c) {
				out = append(out, '\\')
			}
			out = append(out, c)
		}
	}
	out = append(out, '$')
	nodes, ok := parseGlobRegex(out)
	if !ok {
		return nil // re.error: Python's rx is None
	}
	return nodes
}

func distinct(t []rune) int {
	seen := map[rune]bool{}
	for _, r := range t {
		seen[r] = true
	}
	return len(seen)
}

// parseGlobRegex parses the pattern as Python's re parser does (re/_parser.py, Python 3.11) for
// the constructs globRegex emits; false where Python raises re.error.
func parseGlobRegex(p []rune) ([]globNode, bool) {
	var nodes []globNode
	pos := 0
	// get is sourceget(): one character, or an escape as two; esc tells which
	get := func() (c rune, esc, ok bool) {
		if pos >= len(p) {
			return 0, false, false
		}
		if p[pos] == '\\' {
			if pos+1 >= len(p) {
				return 0, false, false
			}
			pos += 2
			return p[pos-1], true, true
		}
		pos++
		return p[pos-1], false, true
	}
	for pos < len(p) {
		c, esc, ok := get()
		if !ok {
			return nil, false
		}
		if esc {
			if c < 128 && (pystr.IsAlnum(c)) {
				return nil, false // never emitted: \ before a letter or digit
			}
			nodes = append(nodes, globNode{kind: 'l', ch: c})
			continue
		}
		switch c {
		case '^':
			nodes = append(nodes, globNode{kind: 'b'})
		case '$':
			nodes = append(nodes, globNode{kind: 'e'})
		case '*':
			if len(nodes) == 0 {
				return nil, false
			}
			last := &nodes[len(nodes)-1]
			if last.kind == 'b' || last.kind == 'e' || last.star {
				return nil, false // nothing to repeat, multiple repeat
			}
			last.star = true
		case '[':
			n := globNode{kind: 'c'}
			if pos < len(p) && p[pos] == '^' {
				n.neg = true
				pos++
			}
			for {
				this, tesc, ok := get()
				if !ok {
					return nil, false // unterminated character set
				}
				if !tesc && this == ']' && len(n.ranges) > 0 {
					break
				}
				if tesc && this < 128 && pystr.IsAlnum(this) {
					return nil, false // never emitted
				}
				code1 := this
				if pos < len(p) && p[pos] == '-' { // potential range
					pos++
					that, thesc, ok := get()
					if !ok {
						return nil, false
					}
					if !thesc && that == ']' {
						n.ranges = append(n.ranges, [2]rune{code1, code1}, [2]rune{'-', '-'})
						break
					}
					if thesc && that < 128 && pystr.IsAlnum(that) {
						return nil, false
					}
					if that < code1 {
						return nil, false // bad character range
					}
					n.ranges = append(n.ranges, [2]rune{code1, that})
				} else {
					n.ranges = append(n.ranges, [2]rune{code1, code1})
				}
			}
			nodes = append(nodes, n)
		default:
			nodes = append(nodes, globNode{kind: 'l', ch: c})
		}
	}
	return nodes, true
}

// globMatch is the end of a match of nodes[ni:] at pos, or -1 (Python's backtracking order).
func globMatch(nodes []globNode, s []rune, ni, pos int) int {
	for ni < len(nodes) {
		n := &nodes[ni]
		switch {
		case n.kind == 'b':
			if !(pos == 0 || s[pos-1] == '\n') {
				return -1
			}
		case n.kind == 'e':
			if !(pos == len(s) || s[pos] == '\n') {
				return -1
			}
		case n.star:
			c := 0
			for pos+c < len(s) && n.matches(s[pos+c]) {
				c++
			}
			for ; c >= 0; c-- {
				if e := globMatch(nodes, s, ni+1, pos+c); e >= 0 {
					return e
				}
			}
			return -1
		default:
			if pos >= len(s) || !n.matches(s[pos]) {
				return -1
			}
			pos++
		}
		ni++
	}
	return pos
}

// globSearch is rx.search(s).group(), ok false when there is no match.
func globSearch(nodes []globNode, s []rune) ([]rune, bool) {
	for p := 0; p <= len(s); p++ {
		if e := globMatch(nodes, s, 0, p); e >= 0 {
			return s[p:e], true
		}
	}
	return nil, false
}

var (
	candidatesOnce sync.Once
	candidates     [2][]rune // binary paths and sensitive files; command names
)

// Python: _CANDIDATES (built on first use)
func globCandidates() *[2][]rune {
	candidatesOnce.Do(func() {
		names := make([]string, 0, len(pyCOMMANDS))
		for n := range pyCOMMANDS {
			names = append(names, n)
		}
		sort.Strings(names) // ASCII: byte order is code point order
		var paths []string
		for _, d := range pyBIN_DIRS {
			for _, n := range names {
				paths = append(paths, d+n)
			}
		}
		paths = append(paths, pySENSITIVE_FILES...)
		candidates[0] = []rune(strings.Join(paths, "\n"))
		candidates[1] = []rune(strings.Join(names, "\n"))
	})
	return &candidates
}

type globHit struct {
	hit []rune
	ok  bool
}

// Python: _GLOB_HITS. A memo cache that Python also keeps across values: a pattern found in it
// costs no lookup of the per-value budget, so it is kept, with Python's clearing rule.
var (
	globMu   sync.Mutex
	globHits = map[string]globHit{}
)

// Python: _glob_find
func (sc *scan) globFind(pattern []rune, absolute bool) ([]rune, bool) {
	alnum := 0
	for _, c := range pattern {
		if pystr.IsAlnum(c) {
			alnum++
		}
	}
	need := 2
	if absolute {
		need = 1
	}
	if alnum < need || len(pattern) > 64 {
		return nil, false
	}
	k := key(pattern)
	if absolute {
		k = "1" + k
	} else {
		k = "0" + k
	}
	globMu.Lock()
	h, cached := globHits[k]
	globMu.Unlock()
	if cached {
		return h.hit, h.ok
	}
	if sc.budget <= 0 {
		return nil, false
	}
	sc.budget--
	rx := globRegex(pattern)
	var hit []rune
	ok := false
	if rx != nil {
		c := globCandidates()
		idx := 1
		if absolute {
			idx = 0
		}
		hit, ok = globSearch(rx, c[idx])
	}
	globMu.Lock()
	if len(globHits) > 512 {
		clear(globHits)
	}
	globHits[k] = globHit{hit, ok}
	globMu.Unlock()
	return hit, ok
}

// resetGlobCache empties the glob memo cache (tests: Python's starts empty).
func resetGlobCache() {
	globMu.Lock()
	clear(globHits)
	globMu.Unlock()
}

// globHidesName is _glob_hides_name: a component mixes letters and wildcards (pa??wd) or is a run
// of ? (/???/); a component of only * or a bracket class names every entry of a folder written
// in full (/etc/cron.d/*).
func globHidesName(path []rune) bool {
	for _, part := range splitRune(path, '/') {
		if !hasRune(part, '?') && !hasRune(part, '*') && !hasRune(part, '[') {
			continue
		}
		bare := py_GLOB_CLASS.Rx().Sub(part, func(*pyre.Match) []rune { return nil }, 0)
		if len(pystr.StripChars(bare, "*")) > 0 && (len(pystr.StripChars(bare, "?*")) > 0 || hasRune(bare, '?')) {
			return true
		}
	}
	return false
}

// hidesName is _hides_name: whether the shell tricks of a path as written (raw) hide a name; a
// variable that is a whole component, a component of only wildcards and a brace group of plain
// names after a slash do not, unless the path still names a sensitive file (or its folder).
func hidesName(raw []rune, flags int) bool {
	if flags&pyESC != 0 {
		return true
	}
	self := func(*pyre.Match) []rune { return []rune("self") }
	parts := splitRune(py_COMPONENT_VAR.Rx().Sub(raw, self, 0), '/')
	wild := make([]bool, len(parts))
	for i, p := range parts {
		bare := py_GLOB_CLASS.Rx().Sub(p, func(*pyre.Match) []rune { return nil }, 0)
		wild[i] = len(p) > 0 && len(pystr.StripChars(bare, "*?")) == 0
	}
	if len(parts) > 2 && wild[len(parts)-1] && holdsSensitiveFile(pystr.Join('/', parts[:len(parts)-1])) {
		return true // /etc/*, /proc/[0-9]: every entry of a sensitive file's folder
	}
	for i := range parts {
		if wild[i] {
			parts[i] = []rune("self")
		}
	}
	named := pystr.Join('/', parts)
	for _, alt := range braceNames(named) {
		path := py_PATH_BRACE.Rx().Sub(named, func(*pyre.Match) []rune { return alt }, 0)
		if prefixAny(path, pySENSITIVE_FILES) || holdsSensitiveFile(path) {
			return true // a sensitive file (or the folder of one) all the same
		}
	}
	x := func(*pyre.Match) []rune { return []rune("x") }
	plain := py_PATH_BRACE.Rx().Sub(py_COMPONENT_VAR.Rx().Sub(raw, x, 0), x, 0)
	for _, c := range plain {
		switch c {
		case '$', '\'', '"', '\\', '`', '{', '}', '^':
			return true
		}
	}
	return flags&pyGLOB != 0 && globHidesName(plain)
}

// holdsSensitiveFile is _holds_sensitive_file: a sensitive file lies under folder.
func holdsSensitiveFile(folder []rune) bool {
	prefix := string(folder) + "/"
	for _, f := range pySENSITIVE_FILES {
		if strings.HasPrefix(f, prefix) {
			return true
		}
	}
	return false
}

// braceNames is _brace_names: the names of the first brace group of plain names after a slash.
func braceNames(path []rune) [][]rune {
	m := py_PATH_BRACE.Rx().Search(path, 0)
	if m == nil {
		return [][]rune{[]rune("x")}
	}
	g := m.Group(0)
	return splitRune(g[1:len(g)-1], ',')
}
