package html

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// --- JavaScript contexts ---

// Python: _scan_js
func scanJs(text []rune, out *[]Span) {
	if m := py_JS_START.Rx().MatchAt(text, 0); m != nil && expressionEnds(text, m.End(0)) {
		*out = append(*out, Span{Kind: "js-sink", Start: m.Start(0), End: m.End(0)})
	}
	stripped := pystr.Strip(text)
	if containsRune(stripped, '[') && containsRune(stripped, '!') {
		compact := replace(stripped, " ", "")
		jsfuck := py_JSFUCK.Rx()
		if jsfuck.FullMatch(stripped, 0, len(stripped)) != nil && (contains(compact, "![]") || contains(compact, "[][")) {
			*out = append(*out, Span{Kind: "js-sink", Start: 0, End: len(text)})
		} else if contains(text, "[]") {
			jsfuck.FindIter(text, func(run *pyre.Match) bool {
				r := replace(run.Group(0), " ", "")
				if len(r) >= 12 && count(r, "[]") >= 3 && containsRune(r, '!') {
					*out = append(*out, Span{Kind: "js-sink", Start: run.Start(0), End: run.End(0)})
				}
				return true
			})
		}
	}
	if containsRune(text, ';') || containsRune(text, '\'') || containsRune(text, '"') ||
		containsRune(text, '`') || contains(text, "${") {
		tail := py_JS_TAIL.Rx()
		py_JS_BREAK.Rx().FindIter(text, func(b *pyre.Match) bool {
			// at the start of the value (after one token), or followed by a neutralising tail
			starts := b.Start(0) <= 64 && !anyRune(text[:b.Start(0)], pystr.IsSpace)
			if starts || tail.MatchRange(text, b.End(0), min(len(text), b.End(0)+100)) != nil {
				*out = append(*out, Span{Kind: "js-breakout", Start: b.Start(0), End: b.End(0)})
			}
			return true
		})
	}
}

// Python: _expression_ends
func expressionEnds(text []rune, pos int) bool {
	if pos < 1 || pos > len(text) || text[pos-1] != '(' {
		return true
	}
	depth := 1
	for i := pos; i < min(len(text), pos+pyWINDOW); i++ {
		switch text[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				rest := pystr.LStrip(slice(text, i+1, i+41))
				return len(rest) == 0 || py_AFTER_EXPRESSION[string(rest[:1])]
			}
		}
	}
	return true
}

// Python: _scan_templates
func scanTemplates(text []rune, out *[]Span) {
	control, jsStart := py_CONTROL.Rx(), py_JS_START.Rx()
	pos := find(text, "{{", 0, len(text))
	for pos != -1 {
		close := find(text, "}}", pos+2, pos+2+pyWINDOW)
		stop := min(len(text), pos+2+pyWINDOW)
		if close != -1 {
			stop = close
		}
		body := removeAll(control, slice(text, pos+2, stop))
		hit := jsStart.MatchAt(body, 0) != nil
		for _, e := range pyTEMPLATE_ESCAPES {
			if hit {
				break
			}
			hit = contains(body, e)
		}
		for _, s := range pySINK_CALLS {
			if hit {
				break
			}
			hit = contains(body, s+"(")
		}
		if hit {
			end := stop
			if close != -1 {
				end += 2
			}
			*out = append(*out, Span{Kind: "template-injection", Start: pos, End: end})
		}
		pos = find(text, "{{", stop, len(text))
	}
}

// --- charset tricks ---

// Python: _decode_tricks
func decodeTricks(text []rune) []rune {
	if contains(text, "+a") {
		text = py_UTF7_TOKEN.Rx().Sub(text, func(m *pyre.Match) []rune {
			if v, ok := pyUTF7_MARKUP[m.GroupString(0)]; ok {
				return []rune(v)
			}
			return m.Group(0)
		}, 0)
	}
	if containsRune(text, '\u2044') {
		text = py_STRIPPED.Rx().Sub(text, func(m *pyre.Match) []rune {
			if m.Group(0)[0] == '1' {
				return []rune("<")
			}
			return []rune(">")
		}, 0)
	}
	if contains(text, "<![cdata[") { // <![cdata[<]]>script<![cdata[>]]>
		text = replace(replace(text, "<![cdata[", ""), "]]>", "")
	}
	return text
}
