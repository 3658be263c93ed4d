// Package shell ports lambda_layer/protect_lambda/detectors/shell.py: command injection, the
// token structure a value forms in POSIX sh, cmd.exe and PowerShell. Detect returns what
// Python's detect() returns, in the same order. The data (command lists, patterns, limits) is
// generated from the Python module into data_gen.go.
package shell

import (
	"sort"
	"strings"

	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// Python: _runs_command
func (sc *scan) runsCommand(inner []rune, strict bool) bool {
	var sub []detectors.Span
	items := lex(inner)
	if len(items) > 64 {
		items = items[:64]
	}
	sc.commands(items, &sub, nil)
	if len(sub) > 0 || strict {
		return len(sub) > 0
	}
	head := inner
	if sp := indexRune(inner, ' ', 0); sp >= 0 {
		head = inner[:sp]
	}
	_, _, ok := sc.commandName(&word{text: head})
	return ok
}

// firstNonEmpty is `a or b or c or ""` on groups.
func firstNonEmpty(m *pyre.Match, groups ...int) []rune {
	for _, g := range groups {
		if t := m.Group(g); len(t) > 0 {
			return t
		}
	}
	return nil
}

// Python: _calls
func (sc *scan) calls(text []rune, out *[]detectors.Span) {
	checked := 0
	py_CALL.Rx().FindIter(text, func(m *pyre.Match) bool {
		method := len(m.Group(1)) > 0
		fn := m.GroupString(2)
		if pySHELL_CALLS[fn] && !method && hasRune(m.Group(0), '(') {
			*out = append(*out, detectors.Span{Kind: "code-exec", Start: m.Start(0), End: m.End(0)})
			return true
		}
		q := py_QUOTED.Rx().MatchAt(text, m.End(0)-1)
		if q == nil || checked >= py_CALLS_CHECKED {
			return true
		}
		checked++
		if sc.runsCommand(firstNonEmpty(q, 1, 2, 3), method) {
			*out = append(*out, detectors.Span{Kind: "code-exec", Start: m.Start(0), End: q.End(0)})
		}
		return true
	})
	if in(text, "%x") {
		py_RUBY_X.Rx().FindIter(text, func(m *pyre.Match) bool {
			q := py_QUOTED.Rx().MatchAt(text, m.End(0)-1)
			if q != nil && checked < py_CALLS_CHECKED {
				checked++
				if sc.runsCommand(firstNonEmpty(q, 4), false) {
					*out = append(*out, detectors.Span{Kind: "code-exec", Start: m.Start(0), End: q.End(0)})
				}
			}
			return true
		})
	}
	for _, lazy := range []*pyre.Lazy{py_PHP_COMPLEX, py_SSI} {
		if m2 := lazy.Rx().Search(text, 0); m2 != nil {
			*out = append(*out, detectors.Span{Kind: "code-exec", Start: m2.Start(0), End: m2.End(0)})
		}
	}
}

// rfindRange is text.rfind(c, a, b) for one character.
func rfindRange(text []rune, c rune, a, b int) int {
	b = min(b, len(text))
	for i := b - 1; i >= max(a, 0); i-- {
		if text[i] == c {
			return i
		}
	}
	return -1
}

// Python: _structures
func (sc *scan) structures(text []rune, out *[]detectors.Span) {
	if hasRune(text, '>') && (in(text, "echo") || in(text, "print") || in(text, "cat")) {
		x := 0
		py_SCRIPT_WRITE.Rx().FindIter(text, func(sw *pyre.Match) bool { // echo '<?php ..' > x.php
			st := sw.Start(0)
			line := max(rfindRange(text, '\n', max(0, st-400), st)+1, st-400)
			wr := py_WRITER.Rx().SearchRange(text, line, st)
			if wr != nil {
				*out = append(*out, detectors.Span{Kind: "redirection", Start: wr.Start(0), End: sw.End(0)})
			}
			if wr != nil || x >= 8 {
				return false
			}
			x++
			return true
		})
	}
	if in(text, "/dev/") {
		py_DEV_NET.Rx().FindIter(text, func(m *pyre.Match) bool {
			*out = append(*out, detectors.Span{Kind: "redirection", Start: m.Start(0), End: m.End(0)})
			return true
		})
	}
	if hasRune(text, '(') {
		s := pystr.LStripChars(text, " \t\r\n\"'")
		if prefix(s, "(") && py_SHELLSHOCK.Rx().MatchAt(s, 0) != nil {
			off := len(text) - len(s)
			*out = append(*out, detectors.Span{Kind: "shellshock", Start: off, End: off + 3})
		} else if in(text, "){") || in(text, ") {") {
			if fb := py_FORKBOMB.Rx().Search(text, 0); fb != nil {
				*out = append(*out, detectors.Span{Kind: "shellshock", Start: fb.Start(0), End: fb.End(0)})
			}
		}
		sc.calls(text, out)
		if pm := py_POWERSHELL_CALL.Rx().Search(text, 0); pm != nil {
			*out = append(*out, detectors.Span{Kind: "powershell", Start: pm.Start(0), End: pm.End(0)})
		}
	} else if in(text, "<!--") || in(text, "%x") || in(text, "system") {
		sc.calls(text, out)
	}
	if in(text, "!-") {
		if hm := py_HISTORY.Rx().Search(text, 0); hm != nil {
			*out = append(*out, detectors.Span{Kind: "command-line", Start: hm.Start(0), End: hm.End(0)})
		}
	}
	if hasRune(text, '$') {
		if pe := py_PARAM_EXPANSION.Rx().Search(text, 0); pe != nil {
			kind := "evasion"
			if eq(pe.Group(0), "$((") {
				kind = "substitution"
			}
			*out = append(*out, detectors.Span{Kind: kind, Start: pe.Start(0), End: pe.End(0)})
		}
	}
	if hasRune(text, '\r') {
		if mm := py_MAIL.Rx().Search(text, 0); mm != nil {
			*out = append(*out, detectors.Span{Kind: "mail-command", Start: mm.Start(0), End: mm.End(0)})
		}
	}
}

// Python: _no_command_position
func noCommandPosition(text []rune) bool {
	if !disjoint(py_HARD, text) {
		return false
	}
	for _, needle := range py_LOOK_FURTHER {
		if in(text, needle) {
			return false
		}
	}
	result := true
	py_SEGMENT_HEADS.Rx().FindIter(text, func(m *pyre.Match) bool {
		w := removeSuffix(m.Group(1), ".exe")
		if py_HEADS[string(w)] || prefixAny(w, pyBIN_DIRS) || prefix(w, "python") {
			result = false
			return false
		}
		return true
	})
	return result
}

// Python: _rst_blank
func rstBlank(m *pyre.Match) []rune {
	g := m.Group(0)
	return cat([]rune("  "), sl(g, 2, -2), []rune("  "))
}

// Detect returns the command-injection structures in the normalised text, as Python's
// detect() does.
// Python: detect
func Detect(text []rune, stop map[string]bool) []detectors.Span {
	if len(text) < 2 {
		return nil
	}
	if hasRune(sl(text, 0, 6), '~') && py_TILDE.Rx().FullMatch(text, 0, len(text)) != nil { // ~+ ~- ~1
		return []detectors.Span{{Kind: "command-line", Start: indexRune(text, '~', 0),
			End: len(pystr.RStripChars(text, " \t\r\n'\""))}}
	}
	if disjoint(py_TRIGGERS, text) { // plain words: only a command line can be there
		var head []rune
		if m := py_HEAD.Rx().MatchAt(text, 0); m != nil {
			head = m.Group(1)
		}
		if !py_HEADS[string(head)] && !prefixAny(head, pyBIN_DIRS) && !suffix(head, ".exe") {
			return nil
		}
	} else if noCommandPosition(text) { // words, blanks and ; | & ( ) with no command where one runs
		return nil
	}
	var out []detectors.Span
	sc := &scan{budget: pyGLOB_SEARCHES}
	if hasRune(text, '`') { // GNU-style quotation in prose (`test -w f'): a quote, not a substitution
		if in(text, "``") {
			text = py_RST_CODE.Rx().Sub(text, rstBlank, 0)
		}
		text = py_GNU_QUOTE.Rx().Sub(text, func(m *pyre.Match) []rune {
			return cat([]rune{'\''}, m.Group(1), []rune{'\''})
		}, 0) // same length: the spans still fit
	}
	if hasRune(text, '|') && hasRune(text, '(') { // (net|free|open)bsd: a regex's alternation
		text = py_ALTERNATION.Rx().Sub(text, func(m *pyre.Match) []rune {
			return []rune(strings.Repeat(" ", m.End(0)-m.Start(0)))
		}, 0)
	}
	items := lex(text)
	sc.commands(items, &out, tableRows(text))
	if !detectors.Stopped(out, 0, stop) { // a deciding command spares the rest
		for _, it := range items { // /e??/pa[s]swd, /et$@c/passwd: a sensitive file behind shell tricks
			w := asWord(it)
			if w != nil && w.flags&(pyOBF|pyGLOB|pyBRACE|pyVAR) != 0 && hasRune(w.text, '/') &&
				!prefix(w.text, "/dev/tcp") && !prefix(w.text, "/dev/udp") && sc.sensitive(w) &&
				hidesName(text[w.start:w.end], w.flags) {
				out = append(out, detectors.Span{Kind: "evasion", Start: w.start, End: w.end})
			}
		}
		sc.structures(text, &out)
	}
	if len(out) > 1 {
		seen := map[detectors.Span]bool{}
		uniq := out[:0:0]
		for _, s := range out {
			if !seen[s] {
				seen[s] = true
				uniq = append(uniq, s)
			}
		}
		sort.Slice(uniq, func(a, b int) bool {
			x, y := uniq[a], uniq[b]
			if x.Start != y.Start {
				return x.Start < y.Start
			}
			if x.End != y.End {
				return x.End < y.End
			}
			return x.Kind < y.Kind
		})
		out = uniq[:min(len(uniq), pyMAX_SPANS)]
	}
	return out
}
