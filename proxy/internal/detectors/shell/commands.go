package shell

import (
	"sort"

	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// Python: _batch
func batch(items []item, i, n int) int {
	head := asWord(items[i])
	j := i + 1
	if eq(head.text, "for") { // for [/d /r /l /f [options|path]] %%v in (
		for k := j; k < min(n, j+8); k++ {
			w := asWord(items[k])
			if w == nil {
				return -1
			}
			if eq(w.text, "in") && k > j {
				prev := asWord(items[k-1])
				var nxt *op
				if k+1 < n {
					nxt = asOp(items[k+1])
				}
				isVar := prev != nil && eq(sl(prev.text, 0, 1), "%") && len(prev.text) <= 32
				if isVar && nxt != nil && nxt.kind == "lp" {
					return k + 1
				}
				return -1
			}
		}
		return -1
	}
	if !eq(head.text, "if") && !eq(head.text, "if/i") {
		return -1
	}
	// if [/i] [not] (exist|defined|errorlevel) x cmd | if a==b cmd | if a equ b cmd
	var seq [][]rune
	k := j
	for k < n && len(seq) < 12 {
		if o := asOp(items[k]); o != nil && o.kind != "lp" && o.kind != "rp" {
			break
		}
		seq = append(seq, itemText(items[k]))
		k++
	}
	for len(seq) > 0 && (eq(seq[0], "/i") || eq(seq[0], "not")) {
		seq = seq[1:]
	}
	if len(seq) < 2 {
		return -1
	}
	if py_BATCH_TESTS[string(seq[0])] {
		if pySTOPWORDS[string(seq[1])] || suffix(seq[1], ":") || suffix(seq[1], ",") {
			return -1 // prose: "if defined by the user"
		}
		if len(seq) >= 3 || eq(seq[0], "exist") {
			return k
		}
		return -1
	}
	depth := 0
	for x, t := range seq[:min(6, len(seq))] {
		switch {
		case eq(t, "("):
			depth++
		case eq(t, ")"):
			depth--
		case in(t, "==") || py_BATCH_OPS[string(t)] && x > 0:
			if depth > 0 && in(t, "==") {
				return -1 // if (a == b): C, JavaScript
			}
			for _, o := range seq[max(0, x-1):min(len(seq), x+2)] {
				if suffix(o, ":") {
					return -1 // python: if x == 1:
				}
			}
			var rest [][]rune
			if suffix(t, "=") || py_BATCH_OPS[string(t)] {
				rest = seq[x+1:]
			} else {
				rest = seq[x:]
			}
			r := 0
			for r < len(rest) && (eq(rest[r], "(") || eq(rest[r], ")")) {
				r++
			}
			// the right operand, then a command or a block; not a sentence going on ("if x == true
			// it yields", "if factor_index==true, returns a tuple")
			if len(rest) <= r+1 || py_PROSE_AFTER_IF[string(rest[r+1])] {
				return -1
			}
			return k
		}
	}
	return -1
}

// Python: _commands
func (sc *scan) commands(items []item, out *[]detectors.Span, rows [][2]int) {
	n := len(items)
	last := -1
	for x, it := range items {
		if asWord(it) != nil {
			last = x
		}
	}
	chained := false
	cmdline := false
	i := 0
	ctx := py_START
	var sep []rune
	sepCtx := 0
	expect := true
	for i < n {
		if o := asOp(items[i]); o != nil {
			k := o.kind
			switch {
			case k == "sep" || k == "nl":
				expect = true
				sep = o.text
				sepCtx = o.ctx
				if cmdline {
					ctx = py_START
				} else if o.ctx < 2 || chained {
					ctx = py_SEP
				} else if k == "sep" {
					ctx = py_PROSE
				} else {
					ctx = -1 // the lines of a text: not commands
				}
			case k == "sub":
				expect = true
				sep = o.text
				sepCtx = 0
				if o.ctx < 2 {
					ctx = py_SUBST
				} else if eq(o.text, "`") {
					ctx = py_MARKDOWN
				} else {
					ctx = py_PROSE
				}
			case k == "group":
				expect = true
			case k == "rp" || k == "close" || k == "ungroup":
				expect = false
			case k == "redir" && i+1 < n && asWord(items[i+1]) != nil:
				i++ // the redirection's target
			}
			i++
			continue
		}
		it := asWord(items[i])
		tail := it.text[lastIndexRune(it.text, '=')+1:] // probe="invoke-webrequest http://.."
		if pyINLINE[string(tail)] && (!expect || ctx < 0 || !pystr.Equal(tail, it.text)) {
			items[i] = &word{tail, tail, it.end - len(tail), it.end, 0}
			i, _ = sc.command(items, i, n, py_INLINE, nil, 2, false, out, false)
			continue
		}
		if !expect || ctx < 0 {
			i++
			continue
		}
		expect = false
		found := len(*out)
		atStart := ctx == py_START && !cmdline
		var known bool
		cell := len(rows) > 0 && eq(sep, "|") && inRows(rows, it.start)
		i, known = sc.command(items, i, n, ctx, sep, sepCtx, last == i, out, cell)
		if known && ctx == py_SEP {
			chained = true
		}
		if known && atStart && len(*out) == found {
			cmdline = true
		}
	}
}

// Python: _command
// scriptBefore is whether a build tool, a shell or a download tool is among the last words before
// the separator ahead of items[i]: a script quoted in prose (run make test || cat test.log).
// Python: _script_before
func scriptBefore(items []item, i int) bool {
	j := i - 1
	for j >= 0 && asOp(items[j]) != nil {
		j--
	}
	for n := 0; n < pySCRIPT_LOOKBACK && j >= 0; n++ {
		w := asWord(items[j])
		if w == nil {
			break
		}
		t := string(w.text)
		if pyBUILD[t] || pySHELLS[t] || pyTOOLS[t] {
			return true
		}
		j--
	}
	return false
}

func (sc *scan) command(items []item, i, n, ctx int, sep []rune, sepCtx int, alone bool, out *[]detectors.Span, cell bool) (int, bool) {
	first := asWord(items[i])
	// assignments, empty variables and prefixes (sudo, time, nohup, env) before the command
	k := i
	var varCmd *word
	for k < n {
		w := asWord(items[k])
		if w == nil {
			break
		}
		t := w.text
		var nxt *word
		if k+1 < n {
			nxt = asWord(items[k+1])
		}
		if len(t) == 0 {
			if w.flags&pyVAR != 0 && varCmd == nil {
				varCmd = w
			}
			if nxt == nil {
				break
			}
			k++
			continue
		}
		if nxt == nil {
			break
		}
		eqi := indexRune(t, '=', 0)
		if eqi > 0 && pystr.AllAlnum(replaceRunes(t[:eqi], "_", "")) { // a=b cmd
			k++
		} else if pyPREFIXES[string(t)] && func() bool { _, _, ok := sc.commandName(nxt); return ok }() {
			k++ // sudo cmd, but: time express
		} else {
			break
		}
	}
	if k >= n || asWord(items[k]) == nil {
		return k, false
	}
	w := asWord(items[k])
	if (eq(w.text, "if") || eq(w.text, "for") || eq(w.text, "if/i")) && (ctx == py_START || ctx == py_SEP) {
		e := batch(items, k, n)
		if e > 0 {
			*out = append(*out, detectors.Span{Kind: "windows-batch", Start: w.start, End: items[e-1].endPos()})
			return e, true
		}
	}
	if k+1 < n {
		if nxt := asOp(items[k+1]); nxt != nil && nxt.kind == "lp" && nxt.start == w.end && w.flags&pyOBF == 0 {
			return k + 1, false // sleep(5), eval(x): a function call in code
		}
	}
	name, byPath, found := sc.commandName(w)
	// the arguments, up to the end of the simple command (bounded look-ahead)
	j := k + 1
	nargs, redirs, flags, level := 0, 0, 0, 0
	prose, weak := false, false
	lastEnd := w.end
	for j < n && j-k <= 24 {
		if a := asOp(items[j]); a != nil {
			if py_ENDS[a.kind] {
				break
			}
			if a.kind == "redir" {
				var target *word
				if j+1 < n {
					target = asWord(items[j+1])
				}
				redirs++
				level = max(level, sc.redirLevel(a, target))
				lastEnd = a.end
				if target != nil {
					lastEnd = target.end
					j++
				}
			}
			j++
			continue
		}
		a := asWord(items[j])
		nargs++
		t := a.text
		prose = prose || pySTOPWORDS[string(t)]
		if eq(sl(t, 0, 1), "-") && isAlpha1(sl(t, 1, 2)) || eq(sl(t, 0, 1), "/") && len(t) <= 3 {
			flags++ // -c, --norc, cmd.exe's /c
		}
		if found {
			arg := sc.argLevel(a, name)
			level = max(level, arg)
			weak = weak || arg == 0
		}
		lastEnd = a.end
		j++
	}
	// the command ends the value or its line: nothing of the sentence goes on after it
	ends := j >= n
	if !ends {
		if o := asOp(items[j]); o != nil && (o.kind == "sep" || o.kind == "nl") {
			ends = true
		}
	}
	for j < n && asWord(items[j]) != nil { // a very long command: skip the rest
		j++
	}
	if !found {
		if varCmd != nil && ctx == py_SEP && (k == i || varCmd == first) {
			*out = append(*out, detectors.Span{Kind: "command-after-separator", Start: varCmd.start, End: lastEnd})
			return j, false
		}
		return k + 1, false // not a command: its "arguments" are ordinary words
	}
	bare := nargs == 0 && redirs == 0
	obf := w.flags&(pyOBF|pyESC|pyGLOB|pyBRACE) != 0 || byPath && w.flags&pyVAR != 0
	// R: RECON, r: RECON_WORDS, T: TOOLS (or any binary by path), E: WORDS
	var cls byte
	switch {
	case byPath:
		if pyRECON[name] {
			cls = 'R'
		} else {
			cls = 'T'
		}
	case pyRECON[name]:
		cls = 'R'
	case pyRECON_WORDS[name]:
		cls = 'r'
	case pyTOOLS[name]:
		cls = 'T'
	default:
		cls = 'E'
	}
	eff := ctx
	if ctx == py_PROSE && py_PIPES[string(sep)] && cls != 'T' && !pySHELLS[name] && !pyBUILD[name] &&
		!scriptBefore(items, i) {
		eff = py_SEP // "... it was great | id": a sentence has no pipe; a script's "| sh", "make || cat" stay prose
	} else if ctx == py_PROSE && (eq(sep, ";") || eq(sep, "&")) && nargs > 0 && !weak && level >= 2 && ends &&
		!scriptBefore(items, i) {
		eff = py_SEP // "... it was great; sleep 10", "& ls -l /tmp": only command-like arguments, to the end
	}
	if obf && (ctx == py_START || ctx == py_PROSE || ctx == py_MARKDOWN) || byPath && ctx == py_START {
		eff = py_SEP // /usr/bin/id, 'i'fconfig: nobody writes these in prose
	}
	if alone && k == i && w.flags&pyQUO != 0 && (cls == 'R' || cls == 'r') {
		eff = py_SEP // the whole value is a quoted command: 'id'
	}
	var ok bool
	switch {
	case cls == 'R' && eff != py_MARKDOWN:
		ok = bare || level >= 1 || eff != py_PROSE
	case eff == py_SUBST || obf && ctx == py_SEP:
		ok = true
	case eff == py_SEP:
		switch {
		case py_NEWLINES[string(sep)] && bare && !alone && cls != 'T':
			ok = false // one word per line: a GraphQL selection, a list
		case cls == 'E': // ;env |more: nothing before the separator; a&start is a query string
			ok = level >= 1 || bare && !eq(sep, "&") && sepCtx == 0
		default:
			ok = bare || level >= 1 || cls == 'T'
		}
	case eff == py_INLINE:
		ok = level >= 2
	case eff == py_PROSE || eff == py_MARKDOWN || pyBUILD[name]:
		ok = level >= 3 // prose, a CI step, a package script: only a sensitive argument
	case pySHELLS[name]: // the whole value: sh -c .., bash -i .., sh<<<..; not sh build.sh
		ok = level >= 3 || flags > 0 || redirs > 0
	default: // the whole value: a command with command-like arguments, not prose
		ok = (level >= 2 || cls == 'T' && nargs >= 1) && !prose
	}
	if cell && (cls == 'R' || cls == 'r') && bare && !obf && !byPath && i > 0 && items[i-1].endPos() < w.start &&
		j < n && asOp(items[j]) != nil && asOp(items[j]).start > w.end {
		ok = false // | id | name |: a table's column named like a recon command (|reboot|x|, |id|| still run)
	} else if (cls == 'R' || cls == 'r') && bare && !obf && !byPath && eq(sep, "|") && !py_SECRETS_DUMPS[name] &&
		sc.betweenWords(items, i, k+1) {
		ok = false // int | set | none: an operand; piped on to a plain word, its output shows nowhere
	}
	if !ok {
		return j, !pyPREFIXES[name]
	}
	var kind string
	switch {
	case obf:
		kind = "evasion"
	case pyPOWERSHELL[name]:
		kind = "powershell"
	case ctx == py_SUBST:
		kind = "substitution"
	case ctx == py_START:
		kind = "command-line"
	case pyWINDOWS[name] && !eq(sep, ";"):
		kind = "windows-command"
	default:
		kind = "command-after-separator"
	}
	*out = append(*out, detectors.Span{Kind: kind, Start: w.start, End: lastEnd})
	return j, true
}

// inRows is whether position at lies in one of the spans (sorted, disjoint): a binary search.
// Python: _in_rows
func inRows(rows [][2]int, at int) bool {
	x := sort.Search(len(rows), func(i int) bool { return rows[i][0] > at }) - 1
	return x >= 0 && rows[x][0] <= at && at < rows[x][1]
}

// Python: _table_rows
func tableRows(text []rune) [][2]int {
	if !hasRune(text, '|') {
		return nil
	}
	var rows [][2]int
	py_TABLE_ROW.Rx().FindIter(text, func(m *pyre.Match) bool {
		rows = append(rows, [2]int{m.Start(0), m.End(0)})
		return true
	})
	return rows
}

// Python: _between_words
func (sc *scan) betweenWords(items []item, i, j int) bool {
	if i < 2 || j+1 >= len(items) {
		return false
	}
	sep, pipe := asOp(items[i-1]), asOp(items[j])
	before, after := asWord(items[i-2]), asWord(items[j+1])
	if j+2 < len(items) && asWord(items[j+2]) != nil {
		return false // the plain word stands alone: no arguments
	}
	if sep == nil || pipe == nil || before == nil || after == nil || !eq(sep.text, "|") || !eq(pipe.text, "|") ||
		before.flags != 0 || after.flags != 0 || asWord(items[i]) == nil || sep.end >= asWord(items[i]).start || pipe.start <= items[j-1].endPos() {
		return false
	}
	_, _, named := sc.commandName(before)
	if named {
		return false
	}
	_, _, named = sc.commandName(after)
	return !named
}
