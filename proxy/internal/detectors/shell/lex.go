package shell

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// item is a Word or an Op of the lexer's output.
type item interface {
	endPos() int
}

// word is a shell word: text after quote removal, win with backslashes kept (cmd.exe paths),
// its span in the value and how it was written (flags: OBF, VAR, GLOB...).
// Python: Word
type word struct {
	text, win  []rune
	start, end int
	flags      int
}

func (w *word) endPos() int { return w.end }

// op is an operator: kind sep, nl, sub, close, lp, rp, group, ungroup, redir; ctx as in Python.
// Python: Op
type op struct {
	kind       string
	text       []rune
	start, end int
	ctx        int
}

func (o *op) endPos() int { return o.end }

// asWord is isinstance(it, Word) (nil when it is not).
func asWord(it item) *word {
	w, _ := it.(*word)
	return w
}

// asOp is isinstance(it, Op) (nil when it is not).
func asOp(it item) *op {
	o, _ := it.(*op)
	return o
}

// itemText is it.text of a Word or an Op.
func itemText(it item) []rune {
	if w := asWord(it); w != nil {
		return w.text
	}
	return asOp(it).text
}

// The named groups of _TOKEN_PATTERN, by number.
var tokenGroups = [...]string{"", "scheme", "ws", "ansi", "nl", "op", "sub", "redir", "lp", "rp", "lb", "rb",
	"var", "quote", "esc", "plain"}

// lastGroup is m.lastgroup of a _TOKEN match (its alternatives are the top-level named groups).
func lastGroup(m *pyre.Match) string {
	for g := len(tokenGroups) - 1; g >= 1; g-- {
		if m.Matched(g) {
			return tokenGroups[g]
		}
	}
	return ""
}

// Python: _expand_braces
func expandBraces(text []rune) [][]rune {
	i := indexRune(text, '\x01', 0)
	j := indexRune(text, '\x02', i+1)
	if i < 0 || j < 0 || !hasRune(sl(text, i, j), ',') || len(text) > 256 || countRune(sl(text, i, j), ',') > 15 {
		return [][]rune{unbrace(text)}
	}
	head := text[:i]
	tail := unbrace(text[j+1:])
	var out [][]rune
	for _, alt := range splitRune(text[i+1:j], ',') {
		w := cat(head, alt, tail)
		if len(w) > 0 {
			out = append(out, w)
		}
	}
	if len(out) == 0 { // a group that expands to no word at all ({,}) is kept as it is written
		return [][]rune{unbrace(text)}
	}
	return out
}

// unbrace is text.replace("\x01", "{").replace("\x02", "}") (a new slice).
func unbrace(text []rune) []rune {
	out := make([]rune, len(text))
	for i, r := range text {
		switch r {
		case '\x01':
			out[i] = '{'
		case '\x02':
			out[i] = '}'
		default:
			out[i] = r
		}
	}
	return out
}

func countRune(t []rune, c rune) int {
	n := 0
	for _, r := range t {
		if r == c {
			n++
		}
	}
	return n
}

// splitRune is t.split(c) for one character.
func splitRune(t []rune, c rune) [][]rune {
	var out [][]rune
	last := 0
	for i, r := range t {
		if r == c {
			out = append(out, t[last:i])
			last = i + 1
		}
	}
	return append(out, t[last:])
}

// Python: _code_span
func codeSpan(text []rune, start, end int, oneWord bool) bool {
	prev := sl(text, start-1, start)
	nxt := sl(text, end, end+1)
	if oneWord && len(nxt) > 0 && charIn(nxt[0], ".,") {
		return true
	}
	if len(prev) == 0 || func() bool {
		p := sl(text, max(0, start-3), start)
		return eq(p, "* ") || eq(p, "- ") || eq(p, "\n* ") || eq(p, "\n- ")
	}() || eq(sl(text, 0, start), "* ") || eq(sl(text, 0, start), "- ") {
		return len(nxt) > 0 && !pystr.IsAlnum(nxt[0]) && anyAlnum(sl(text, end, end+200))
	}
	if pystr.IsAlnum(prev[0]) {
		return false
	}
	if charIn(prev[0], ".,") {
		return true
	}
	if prev[0] == ':' { // a reStructuredText role (:class:`x`): a code span if the role is in prose
		role := py_RST_ROLE.Rx().SearchRange(text, max(0, start-64), start)
		inner := sl(text, start+1, end-1)
		if role == nil {
			return false
		}
		for _, c := range inner {
			if charIn(c, ";|&$\n") {
				return false
			}
		}
		return codeSpan(text, role.Start(0), end, oneWord)
	}
	if prev[0] == '(' {
		p := sl(text, start-2, start-1)
		return !(eq(p, "$") || eq(p, "<") || eq(p, ">"))
	}
	if charIn(prev[0], " \t\r\n") {
		sig := sl(pystr.RStrip(sl(text, max(0, start-16), start)), -1, 1<<62)
		return len(sig) > 0 && (pystr.IsAlnum(sig[0]) || charIn(sig[0], ".,:)!?"))
	}
	return false
}

// Python: _winpath_so_far
func winpathSoFar(wparts [][]rune) bool {
	var head []rune
	for i := 0; i < len(wparts) && i < 3; i++ {
		head = append(head, wparts[i]...)
	}
	return eq(sl(head, 1, 2), ":") || hasRune(head, '%') || hasRune(head, '\\')
}

// Python: lex
func lex(text []rune) []item {
	var items []item
	var parts []rune    // the current word, shell form
	var wparts [][]rune // the current word, cmd.exe form (backslashes kept)
	start := -1
	end := 0
	flags := 0
	noise := false
	words := 0
	counted := false
	tick := -1
	skipTo := -1

	flush := func() {
		if start >= 0 {
			w := parts
			if flags&pyBRACE != 0 && hasRune(w, '\x01') && hasRune(w, '\x02') {
				alts := expandBraces(w) // never empty
				if !hasRune(alts[0], '\x01') && !hasRune(w, '{') {
					for _, alt := range alts {
						items = append(items, &word{alt, alt, start, end, flags})
					}
				} else {
					items = append(items, &word{alts[0], cat(wparts...), start, end, flags &^ pyBRACE})
				}
			} else if len(w) > 0 || flags&(pyVAR|pyQUO) != 0 {
				items = append(items, &word{unbrace(w), cat(wparts...), start, end, flags &^ pyBRACE})
			}
		}
		parts = nil
		wparts = nil
		start = -1
		flags = 0
		noise = false
		counted = false
	}

	py_TOKEN.Rx().FindIter(text, func(m *pyre.Match) bool {
		s := m.Start(0)
		if s < skipTo {
			return true
		}
		kind := lastGroup(m)
		tok := m.Group(0)
		switch kind {
		case "plain", "scheme":
			if start < 0 {
				start = s
			} else if noise && len(parts) > 0 {
				flags |= pyOBF
			}
			noise = false
			if hasRune(tok, '?') || hasRune(tok, '*') || hasRune(tok, '[') {
				flags |= pyGLOB
			}
			parts = append(parts, tok...)
			wparts = append(wparts, tok)
			end = m.End(0)
			eqi := lastIndexRune(tok, '=')
			if eqi >= 0 { // x=foo;id: what follows '=' is a new value
				if anyAlnum(tok[eqi+1:]) {
					words = 1
				} else {
					words = 0
				}
				counted = words == 1
			} else if !counted {
				words++
				counted = true
			}
			return true
		case "ansi":
			return true
		case "quote":
			if start < 0 {
				start = s
				if tok[0] != '^' {
					flags |= pyQUO
				}
			} else if len(parts) > 0 && !(tok[0] == '\'' && py_CONTRACTION.Rx().MatchAt(text, m.End(0)) != nil) {
				noise = true
			}
			prev := sl(text, s-1, s)
			if tok[0] != '^' && (len(prev) == 0 || charIn(prev[0], "=:([{,")) {
				words = 0 // an opening quote: a new value starts (probe=";id")
				counted = false
			}
			end = m.End(0)
			return true
		case "esc":
			ch := tok[1:]
			if eq(ch, "'") || eq(ch, "\"") { // \' and \" are quotes too
				if len(parts) > 0 {
					noise = true
				} else if start < 0 {
					start = s
				}
				end = m.End(0)
				return true
			}
			if len(ch) == 0 || pystr.AllSpace(ch) { // a backslash before a blank ends a (cmd.exe) path
				if start >= 0 {
					parts = append(parts, '\\')
					wparts = append(wparts, []rune{'\\'})
					end = s + 1
				}
				flush()
				return true
			}
			if start < 0 {
				start = s
				if pystr.AllAlpha(ch) {
					flags |= pyESC
				}
			} else if pystr.AllAlpha(ch) && len(parts) > 0 {
				flags |= pyOBF
			}
			parts = append(parts, ch...)
			wparts = append(wparts, tok)
			end = m.End(0)
			return true
		case "var":
			if eq(tok, "$ifs") || eq(tok, "${ifs}") || prefix(tok, "${ifs") && !pystr.IsAlnum(tok[5]) {
				if start >= 0 {
					flags |= pyOBF
				}
				flush()
				flags = pyOBF // the next word too
				return true
			}
			if start < 0 {
				start = s
			}
			end = m.End(0)
			if v, ok := py_SHELL_VARS[string(tok)]; ok {
				parts = append(parts, []rune(v)...)
				wparts = append(wparts, []rune(v))
				flags |= pyVAR
			} else if eq(tok, "$") {
				parts = append(parts, '$')
				wparts = append(wparts, []rune{'$'})
			} else {
				t1 := sl(tok, 1, 2)
				if isAlpha1(t1) || eq(t1, "{") || eq(t1, "_") {
					flags |= pyVAR
				}
				if len(parts) > 0 {
					noise = true
				}
			}
			return true
		case "lb":
			nxt := sl(text, m.End(0), m.End(0)+1)
			if start < 0 && (len(nxt) == 0 || charIn(nxt[0], " \t\n\r+")) {
				items = append(items, &op{"group", tok, s, m.End(0), 0})
				return true
			}
			if start < 0 {
				start = s
			}
			parts = append(parts, '\x01')
			wparts = append(wparts, []rune{'{'})
			flags |= pyBRACE
			end = m.End(0)
			return true
		case "rb":
			if start >= 0 && flags&pyBRACE != 0 {
				parts = append(parts, '\x02')
				wparts = append(wparts, []rune{'}'})
				end = m.End(0)
				return true
			}
			flush()
			items = append(items, &op{"ungroup", tok, s, m.End(0), 0})
			return true
		}
		if kind == "sub" && (eq(tok, "`") && tick < 0 && prefix(sl(text, m.End(0), len(text)), "`") ||
			eq(tok, "$(") && prefix(sl(text, m.End(0), len(text)), ")")) {
			if start >= 0 { // `` and $() are empty: they vanish inside a word (ping``)
				noise = true
			}
			skipTo = m.End(0) + 1
			return true
		}
		if kind == "nl" && tok[0] == '\\' && start >= 0 && winpathSoFar(wparts) {
			parts = append(parts, tok[1]) // c:\nonexistent: a cmd.exe path, not a newline
			wparts = append(wparts, tok)
			end = m.End(0)
			return true
		}
		// operators and blanks end the word
		flush()
		e := m.End(0)
		switch kind {
		case "ws":
			if tok[0] == '`' {
				words = 2 // a markdown code fence: what follows is quoted code
			}
		case "op", "nl":
			k := "nl"
			if kind == "op" {
				k = "sep"
			}
			limit := 2
			if kind == "op" && e < len(text) && !(text[e] == ' ' || text[e] == '\t' || text[e] == '\n' || text[e] == '\r') {
				limit = 1 // glued to the next word (great;id): shell, not a sentence's punctuation
			}
			items = append(items, &op{k, tok, s, e, min(words, limit)})
		case "sub":
			if eq(tok, "`") && tick >= 0 {
				o := asOp(items[tick])
				one := len(items) == tick+2 && asWord(items[len(items)-1]) != nil
				if o != nil && (o.ctx != 0 || codeSpan(text, o.start, e, one)) {
					o.ctx = 2
				}
				items = append(items, &op{"close", tok, s, e, 0})
				tick = -1
				return true
			}
			if eq(tok, "`") {
				tick = len(items)
			}
			// words before it (since markup): "run echo "dir=$(yarn cache dir)"" is a script
			before := 0
			for x := len(items) - 1; x > max(-1, len(items)-7); x-- {
				if o := asOp(items[x]); o != nil && o.kind == "redir" {
					break
				}
				if w := asWord(items[x]); w != nil && !suffix(w.text, "=") {
					before++
				}
			}
			p := sl(text, s-1, s)
			prose := before >= 2 && (!eq(tok, "`") || eq(p, " ") || eq(p, "\t") || eq(p, "\n") || eq(p, "\r"))
			ctx := 0
			if prose {
				ctx = 2
			}
			items = append(items, &op{"sub", tok, s, e, ctx})
		default: // redir, lp, rp
			items = append(items, &op{kind, tok, s, e, 0})
		}
		return true
	})
	flush()
	return items
}
