// Package pyre matches Python `re` patterns with Python's results, on code points.
//
// Each pattern a Go file compiles with MustCompile is translated at build time by
// protect_lambda_construct/regex_translation.py, run on the Python that names the guard's Unicode version: every
// character class (\w, \s, \d, ., [...], case-insensitive letters) becomes explicit code-point
// ranges computed by that Python's own engine, \b and \Z become lookarounds and \z, and the
// result runs on github.com/dlclark/regexp2 (backtracking, lookaround and back-references,
// like Python's engine). Texts are []rune, positions are code-point indices, as in Python.
//
// Example:
//
//	var word = pyre.MustCompile(`\w+`, 0)
//	m := word.Search([]rune("¿qué?"), 0) // m.Start(0) == 1, m.End(0) == 4
package pyre

import (
	"fmt"
	"sync"

	"github.com/dlclark/regexp2/v2"
)

// Python's flag values (re.IGNORECASE, re.MULTILINE, re.DOTALL, re.ASCII).
const (
	I = 2
	M = 8
	S = 16
	A = 256
)

// Regexp is a compiled pattern. Each form (search, match at a position, fullmatch) is compiled
// on first use: compiling the explicit classes costs more than most matches.
type Regexp struct {
	pattern, translated string
	flags               int
	search, anchored    lazyProgram
	full                lazyProgram
}

type lazyProgram struct {
	once sync.Once
	re   *regexp2.Regexp
}

func (l *lazyProgram) get(expr string) *regexp2.Regexp {
	l.once.Do(func() { l.re = regexp2.MustCompile(expr, regexp2.None) })
	return l.re
}

func (r *Regexp) searchRe() *regexp2.Regexp   { return r.search.get(r.translated) }
func (r *Regexp) anchoredRe() *regexp2.Regexp { return r.anchored.get(`\G(?:` + r.translated + `)`) }
func (r *Regexp) fullRe() *regexp2.Regexp     { return r.full.get(`\G(?:` + r.translated + `)\z`) }

// MustCompile compiles a pattern that proxy/gen translated; it panics for one it did not
// (a pattern added to the Go code without regenerating), as regexp.MustCompile does.
func MustCompile(pattern string, flags int) *Regexp {
	registered.Lock()
	translated, ok := translations[key(pattern, flags)]
	registered.Unlock()
	if !ok {
		panic(fmt.Sprintf("pyre: pattern not translated (run proxy/build.py): %q flags %d", pattern, flags))
	}
	return compileTranslated(pattern, flags, translated)
}

func compileTranslated(pattern string, flags int, translated string) *Regexp {
	r := &Regexp{pattern: pattern, flags: flags, translated: translated}
	r.searchRe() // a pattern that does not compile fails here, as in Python, not at first use
	return r
}

func key(pattern string, flags int) string { return fmt.Sprintf("%d\x00%s", flags, pattern) }

var registered sync.Mutex

// Register adds the translation of a pattern known only at run time (a custom rule: its
// configuration carries the translation protect_lambda_construct/regex_translation.py made where Python runs). It fails
// when regexp2 cannot compile the translation.
func Register(pattern string, flags int, translated string) error {
	if _, err := regexp2.Compile(translated, regexp2.None); err != nil {
		return fmt.Errorf("pattern %q: translation does not compile: %w", pattern, err)
	}
	registered.Lock()
	defer registered.Unlock()
	translations[key(pattern, flags)] = translated
	return nil
}

// String is the Python pattern.
func (r *Regexp) String() string { return r.pattern }

// Match is one match: group spans in code points.
type Match struct {
	text  []rune
	spans [][2]int // per group; -1 when the group did not take part
}

func newMatch(text []rune, m *regexp2.Match) *Match {
	if m == nil {
		return nil
	}
	groups := m.Groups()
	spans := make([][2]int, len(groups))
	for i := range groups {
		g := &groups[i]
		if len(g.Captures) == 0 {
			spans[i] = [2]int{-1, -1}
			continue
		}
		// Python keeps a group's last capture
		c := g.Captures[len(g.Captures)-1]
		spans[i] = [2]int{c.RuneIndex, c.RuneIndex + c.RuneLength}
	}
	return &Match{text: text, spans: spans}
}

// Start of group g (-1 when it did not take part).
func (m *Match) Start(g int) int { return m.spans[g][0] }

// End of group g (-1 when it did not take part).
func (m *Match) End(g int) int { return m.spans[g][1] }

// Group g's text; nil when it did not take part.
func (m *Match) Group(g int) []rune {
	if m.spans[g][0] < 0 {
		return nil
	}
	return m.text[m.spans[g][0]:m.spans[g][1]]
}

// GroupString is Group as a string ("" when it did not take part).
func (m *Match) GroupString(g int) string { return string(m.Group(g)) }

// Matched reports whether group g took part in the match.
func (m *Match) Matched(g int) bool { return m.spans[g][0] >= 0 }

func run(re *regexp2.Regexp, text []rune, pos int) *Match {
	if pos < 0 {
		pos = 0
	}
	if pos > len(text) {
		return nil
	}
	m, err := re.FindRunesMatchStartingAt(text, pos)
	if err != nil { // only a timeout, and none is set
		panic(err)
	}
	return newMatch(text, m)
}

// Search is Python's pattern.search(text, pos).
func (r *Regexp) Search(text []rune, pos int) *Match { return run(r.searchRe(), text, pos) }

// SearchRange is pattern.search(text, pos, endpos): the text ends at endpos.
func (r *Regexp) SearchRange(text []rune, pos, endpos int) *Match {
	return run(r.searchRe(), clip(text, endpos), pos)
}

// MatchAt is pattern.match(text, pos): a match starting at pos.
func (r *Regexp) MatchAt(text []rune, pos int) *Match { return run(r.anchoredRe(), text, pos) }

// MatchRange is pattern.match(text, pos, endpos).
func (r *Regexp) MatchRange(text []rune, pos, endpos int) *Match {
	return run(r.anchoredRe(), clip(text, endpos), pos)
}

// FullMatch is pattern.fullmatch(text, pos, endpos).
func (r *Regexp) FullMatch(text []rune, pos, endpos int) *Match {
	return run(r.fullRe(), clip(text, endpos), pos)
}

func clip(text []rune, endpos int) []rune {
	if endpos < 0 {
		return text[:0]
	}
	if endpos < len(text) {
		return text[:endpos]
	}
	return text
}

// FindIter calls fn for each match of pattern.finditer(text) until fn returns false.
// After an empty match the search resumes one code point further (Python would first try a
// non-empty match at the same place; none of the guard's patterns depends on that).
func (r *Regexp) FindIter(text []rune, fn func(*Match) bool) {
	pos := 0
	for pos <= len(text) {
		m := r.Search(text, pos)
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

// Sub is pattern.sub(repl, text, count) with a function replacement (count 0: all).
func (r *Regexp) Sub(text []rune, repl func(*Match) []rune, count int) []rune {
	var out []rune
	last, n := 0, 0
	r.FindIter(text, func(m *Match) bool {
		out = append(out, text[last:m.Start(0)]...)
		out = append(out, repl(m)...)
		last = m.End(0)
		n++
		return count == 0 || n < count
	})
	if n == 0 {
		return text
	}
	return append(out, text[last:]...)
}

// Lazy is a pattern compiled on first use (most values never need most patterns).
type Lazy struct {
	pattern string
	flags   int
	once    sync.Once
	rx      *Regexp
}

// NewLazy names a pattern to compile on first use.
func NewLazy(pattern string, flags int) *Lazy { return &Lazy{pattern: pattern, flags: flags} }

// Rx is the compiled pattern.
func (l *Lazy) Rx() *Regexp {
	l.once.Do(func() { l.rx = MustCompile(l.pattern, l.flags) })
	return l.rx
}
