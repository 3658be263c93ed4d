package sql

import (
	"strings"

	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// start is one place an injection may start: the index and the quote it breaks out of ("": none).
type start struct {
	at     int
	quoted string
}

// starts is where an injection may start: the value itself, and right after its first single
// and first double quote (the breakout).
// Python: _starts
func starts(text []rune) []start {
	out := []start{{0, ""}}
	for _, quote := range []string{"'", "\""} {
		at := pystr.Find(text, []rune(quote), 0)
		if at >= 0 {
			out = append(out, start{at + 1, quote})
		}
	}
	return out
}

// hasAnyPrefix is s.startswith(prefixes) (ASCII prefixes: a byte comparison is exact).
func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// statementValue: a whole statement with what only SQL has.
// Python: _statement_value
func statementValue(toks []*tok) bool {
	if len(toks) == 0 || toks[0].kind != "word" {
		return false
	}
	if toks[0].text != "select" {
		return statement(toks, 0)
	}
	call := func(i int) bool {
		return toks[i].kind == "word" && i+1 < len(toks) && toks[i+1].text == "(" && toks[i+1].start == toks[i].end
	}
	marks := 0
	for i := 1; i < len(toks); i++ {
		t := toks[i]
		if t.kind == "num" || t.kind == "var" || t.kind == "cmt" || t.text == "*" || t.text == ";" || call(i) ||
			(t.kind == "str" && strings.HasPrefix(t.text, "`")) ||
			hasAnyPrefix(t.text, "information_schema", "sys", "pg_", "mysql.", "master.", "dual") {
			marks++
		} else if t.text == "," && i+1 < len(toks) && toks[i+1].text != "%" {
			marks++
		}
	}
	if marks == 0 || len(toks) < 2 {
		return false
	}
	second := toks[1]
	if second.text == "(" && len(toks) > 2 && toks[2].text == ")" {
		return false // select() ...: an API's method named in prose; SQL has no empty ( )
	}
	if second.kind == "word" && (pySQL_FUNCTIONS[second.text] || pyCONSTANTS[second.text]) && (len(toks) == 2 ||
		oneOf(toks[2].text, ";", ",", "from") || toks[2].kind == "cmt") {
		return true // select current_user;
	}
	return second.kind == "num" || second.kind == "var" || oneOf(second.text, "*", "(", "-") || call(1) ||
		anyText(sub(toks, 2, 6), "from") || (marks >= 2 && anyText(toks, "from"))
}

// probe: probes that are SQL fragments by themselves: a SQL function's name and "(" alone, or a
// quoted operator alone ("" when none).
// Python: _probe
func probe(toks []*tok) string {
	if len(toks) == 2 && toks[0].kind == "word" && toks[1].text == "(" &&
		(pySQL_FUNCTIONS[toks[0].text] || pyPROBE_FUNCTIONS[toks[0].text]) {
		return "function-probe"
	}
	var inner []*tok
	for _, t := range toks {
		if t.kind != "word" || (t.text != "a" && t.text != "b") {
			inner = append(inner, t)
		}
	}
	if len(inner) < 1 || len(inner) > 2 {
		return ""
	}
	for _, t := range inner {
		if !(t.kind == "str" && head1(t) == "'") {
			return ""
		}
	}
	if len(toks) > 4 {
		return ""
	}
	var joined []rune
	for k, t := range inner {
		if k > 0 {
			joined = append(joined, ' ')
		}
		joined = append(joined, pystr.Strip(pystr.StripChars(t.runes, "'"))...)
	}
	body := pystr.Strip(joined)
	words := pystr.Fields(body)
	var spaced []rune
	for k, w := range words {
		if k > 0 {
			spaced = append(spaced, ' ')
		}
		spaced = append(spaced, w...)
	}
	if len(body) > 0 && (py_QUOTED_OPERATORS[string(body)] || py_QUOTED_OPERATORS[string(spaced)]) {
		return "operator-probe"
	}
	return ""
}

// plainStart is whether the value starts with a plain word not followed by what could make it
// SQL: no branch of asIs can then find a structure, and the window is not tokenised.
// Python: _plain_start
func (s *state) plainStart(text []rune) bool {
	head := s.tokens(text, 0, 2)
	return len(head) > 0 && head[0].kind == "word" && !py_AS_IS_WORDS[head[0].text] &&
		(len(head) < 2 || !py_AS_IS_NEXT[head[1].text]) && py_KEY_PREFIX.Rx().MatchAt(text, 0) == nil
}

// asIs is the value judged as it stands (a number or expression in the query, or the payload
// alone): the kind and the index of its last token, or ok false.
// Python: _as_is
func (s *state) asIs(text []rune, depth int) (string, int, bool) {
	if s.plainStart(text) {
		return "", 0, false
	}
	toks := s.tokens(text, 0, pyWINDOW_TOKENS)
	if len(toks) == 0 {
		return "", 0, false
	}
	if p := probe(toks); p != "" {
		return p, len(toks) - 1, true
	}
	if len(toks) == 3 && toks[0].kind == "word" && oneOf(toks[1].text, "like", "rlike", "regexp") &&
		(toks[2].text == "'" || toks[2].text == "\"") {
		return "fragment", 2, true // something like '
	}
	if len(toks) == 1 && toks[0].text == "<=>" {
		return "operator-probe", 0, true // MySQL's null-safe equality: SQL and nothing else
	}
	key := py_KEY_PREFIX.Rx().MatchAt(text, 0)
	if key != nil && key.End(0) < len(text) {
		end := key.End(0)
		if depth >= py_KEY_DEPTH {
			for {
				more := py_KEY_PREFIX.Rx().MatchAt(text, end)
				if more == nil || more.End(0) >= len(text) {
					break
				}
				end = more.End(0)
			}
		}
		kind, _, ok := s.asIs(text[end:], depth+1)
		if ok && kind != "statement" {
			return kind, len(toks) - 1, true
		}
		rest := s.tokens(text, key.End(0), pyWINDOW_TOKENS)
		if len(rest) >= 2 && (pyLOGICAL[rest[len(rest)-1].text] || rest[len(rest)-1].text == "(") &&
			(pyLOGICAL[rest[len(rest)-2].text] || oneOf(rest[len(rest)-2].text, "(", ")")) ||
			(len(rest) >= 2 && pyLOGICAL[rest[len(rest)-1].text]) {
			return "fragment", len(toks) - 1, true // pay=/3 and(  /  pay=x or : a condition left open
		}
	}
	if kind, last, ok := s.asIsTokens(toks); ok {
		return kind, last, true
	}
	if len(toks) >= 2 && toks[len(toks)-1].kind == "cmt" && (toks[0].text == "(" || toks[0].text == "-" || toks[0].kind == "num") {
		body := expression(toks, 0)
		if body.end == len(toks)-1 && body.operands > 0 && body.words == 0 && (body.sqlCall || !body.call || !namesCalls(toks)) {
			return "comment", len(toks) - 1, true // ( cos ( 1 or 'b') ) --   /   1 * 1--   /   1/*  (not - f(x) - g() #)
		}
	}
	return "", 0, false
}

// Python: _as_is_tokens
func (s *state) asIsTokens(toks []*tok) (string, int, bool) {
	first := toks[0]
	last := len(toks) - 1
	if first.kind == "word" && first.text == "case" && anyText(sub(toks, 1, 3), "when") && anyText(toks, "then") {
		return "expression", last, true // case when ... then
	}
	if first.kind == "word" && first.text == "from" && len(toks) > 2 && (toks[1].text == "(" && toks[2].text == "select" ||
		(toks[1].kind == "word" || toks[1].kind == "str") && anyText(sub(toks, 2, 5), "where", "limit", "order", "group")) {
		return "fragment", last, true // from information_schema.tables where 1=2 limit / from(select ...
	}
	i := 0
	for i < len(toks) && toks[i].text == ")" {
		i++
	}
	if 0 < i && i < len(toks)-2 && toks[i].text == "as" && anyText(sub(toks, i+1, i+4), "from") {
		return "fragment", last, true // ) as day1 from
	}
	if first.text == "(" || first.text == "{" {
		inner := newExpr(0)
		if primary(toks, 0, inner) == len(toks) && anyText(sub(toks, 1, 3), "case", "select") &&
			(inner.comparison || inner.selects) {
			return "expression", last, true // (case when 4518=5617 then 1 else null end)
		}
	}
	if first.kind == "word" && len(toks) > 2 && (toks[1].text == "," || toks[1].text == ")") && !pyLOGICAL[first.text] {
		if kind, l, ok := judge(toks[1:], ""); ok {
			return kind, l + 1, true // foo,iif(2510=9436,foo,1/0)  /  id) and 1=1
		}
	}
	if first.text == "," && len(toks) > 2 {
		called := newExpr(0)
		if primary(toks, 1, called) > 1 && (called.sqlCall || called.selects) {
			return "expression", last, true // , find_in_set('22', category )
		}
	}
	if first.kind == "word" && len(toks) > 2 && !pyLOGICAL[first.text] && !py_BINARY_WORDS[first.text] &&
		pyLOGICAL[toks[1].text] {
		tail := expression(toks, 1)
		if tail.symbolic && tail.words == 0 && tail.end >= len(toks)-1 {
			return "tautology", last, true // hope and (8)=3
		}
	}
	if first.kind == "word" && len(toks) > 1 && toks[1].text == "(" && pySQL_FUNCTIONS[first.text] {
		wholeCall := newExpr(0)
		if primary(toks, 0, wholeCall) == len(toks) {
			hex, calls := false, 0
			for _, t := range toks {
				if t.kind == "num" && strings.HasPrefix(t.text, "0x") {
					hex = true
				}
				if t.kind == "word" && pySQL_FUNCTIONS[t.text] {
					calls++
				}
			}
			if wholeCall.selects || hex || calls >= 2 {
				return "expression", last, true // length(version()), concat(0x22,version())
			}
		}
	}
	if (first.kind == "num" || first.kind == "str") && len(toks) >= 3 {
		cmp := expression(toks, 0)
		words := 0
		for _, t := range sub(toks, 1, cmp.end) {
			if t.kind == "word" {
				words++
			}
		}
		if cmp.end == len(toks) && cmp.comparison && cmp.words == 0 && cmp.operands == 2 && (words > 0 ||
			((toks[1].text == "=" || toks[1].text == "<=>") && toks[0].text == toks[len(toks)-1].text)) {
			return "tautology", last, true // 42 like 42, 1 is not 2, 1=1
		}
	}
	if first.kind == "word" && py_STATEMENT_STARTS[first.text] {
		if statementValue(toks) {
			return "statement", len(toks) - 1, true
		}
		return "", 0, false
	}
	if (first.kind == "op" && pyLOGICAL[first.text]) || (first.kind == "word" && py_TAIL_STARTS[first.text]) {
		return judge(toks, "")
	}
	if first.text == "(" && len(toks) > 1 && toks[1].text == "select" {
		inner := newExpr(0)
		primary(toks, 0, inner)
		if statementValue(toks[1:]) {
			return "statement", len(toks) - 1, true
		}
		return "", 0, false
	}
	operandLike := first.kind == "num" || first.kind == "var" || first.kind == "str" ||
		oneOf(first.text, "(", "-", "+", "~", "!", ")") ||
		(first.kind == "word" && (pyCONSTANTS[first.text] || (len(toks) > 1 && toks[1].text == "(")))
	if !operandLike {
		return "", 0, false
	}
	// the value's own operand, then the injection: 1 or 1=1, -1 union select, 1) and (1=1
	e := newExpr(0)
	k := 0
	for k < len(toks) && py_UNARY[toks[k].text] {
		k++
	}
	after := primary(toks, k, e)
	if after > 0 {
		if kind, l, ok := judge(toks[after:], ""); ok {
			return kind, l + after, true
		}
	}
	// or an expression that is the injection by itself: floor(pi()) and sin(pi())=0, ~9-(2) or 1 = ~1
	whole := expression(toks, 0)
	if whole.end > 0 && endsSQL(toks, whole.end, "") && whole.logical && (whole.comparison || whole.selects) {
		return "tautology", max(whole.end-1, 0), true
	}
	if whole.end > 0 && endsSQL(toks, whole.end, "") && first.kind == "str" && whole.comparison &&
		whole.operands >= 2 && whole.words == 0 {
		return "tautology", max(whole.end-1, 0), true
	}
	return "", 0, false
}

// Python: _from_start
func (s *state) fromStart(text []rune, at int, quoted string) (detectors.Span, bool) {
	var toks []*tok
	var kind string
	var last int
	var ok bool
	if quoted == "" {
		kind, last, ok = s.asIs(text, 0)
		if !ok {
			return detectors.Span{}, false
		}
		toks = s.tokens(text, 0, pyWINDOW_TOKENS)
	} else {
		toks = s.tokens(text, at, pyWINDOW_TOKENS)
		kind, last, ok = judge(toks, quoted)
	}
	if !ok {
		return detectors.Span{}, false
	}
	end := len(text)
	if 0 <= last && last < len(toks) {
		end = toks[last].end
	}
	return detectors.Span{Kind: kind, Start: at, End: end}, true
}

// statementWordAt is whether the word token at `at` (a letter: a word token starts there) is a
// statement's.
// Python: _statement_word_at
func statementWordAt(text []rune, at int) bool {
	word := py_WORD_AT.Rx().MatchAt(text, at)
	return word != nil && pySTATEMENTS[word.GroupString(0)]
}

// anywhere: structures that are SQL wherever they are: union select, stacked statements, delay
// and error-based functions.
// Python: _anywhere
func (s *state) anywhere(text []rune) []detectors.Span {
	var found []detectors.Span
	if pystr.Contains(text, []rune(";")) {
		py_STACKED.Rx().FindIter(text, func(m *pyre.Match) bool {
			if !statementWordAt(text, m.End(0)) {
				return true // "; linux x86_64)": no statement starts after this ;
			}
			toks := s.tokens(text, m.End(0), 8)
			if len(toks) > 0 && statement(toks, 0) {
				found = append(found, detectors.Span{Kind: "stacked", Start: m.Start(0), End: toks[min(1, len(toks)-1)].end})
				return false
			}
			return true
		})
	}
	py_ANYWHERE.Rx().FindIter(text, func(m *pyre.Match) bool {
		word := m.GroupString(0)
		at := m.Start(0)
		if at > 0 && (pystr.IsAlnum(text[at-1]) || text[at-1] == '_' || text[at-1] == '.') &&
			py_NUMBER_BEFORE.Rx().SearchRange(text, max(0, at-40), at) == nil {
			return true // part of another word, or a member (time.sleep); not after a number literal
		}
		toks := s.tokens(text, at, 12)
		if len(toks) == 0 || toks[0].kind != "word" {
			return true
		}
		switch {
		case word == "union" || word == "except" || word == "intersect":
			if toks[0].text == word && (unionSelect(toks, 0) || (word != "union" && len(toks) > 2 &&
				toks[1].text == "values" && toks[2].text == "(")) {
				found = append(found, detectors.Span{Kind: "union", Start: at, End: toks[min(2, len(toks)-1)].end})
			}
		case word == "waitfor":
			if len(toks) > 2 && (toks[1].text == "delay" || toks[1].text == "time") && toks[2].kind == "str" {
				found = append(found, detectors.Span{Kind: "time-delay", Start: at, End: toks[2].end})
			}
		case len(toks) > 2 && toks[1].text == "(" && (pyDELAY_FUNCTIONS[toks[0].text] || pyERROR_FUNCTIONS[toks[0].text]):
			if oneOf(toks[2].kind, "num", "str", "var", "word") || toks[2].text == "(" || toks[2].text == "-" {
				kind := "error-function"
				if pyDELAY_FUNCTIONS[toks[0].text] {
					kind = "time-delay"
				}
				found = append(found, detectors.Span{Kind: kind, Start: at, End: toks[1].end})
			}
		}
		return true
	})
	return found
}

// Detect is the SQL-injection structures of a normalised value.
// Python: detect
func Detect(text []rune, stop map[string]bool) []detectors.Span {
	s := newState()
	if py_NEEDED_RX.Rx().Search(text, 0) == nil && pystr.Count(text, []rune("(")) < 2 &&
		!pystr.Contains(text, []rune("0x")) { // f(g(x)), 0x41: calls
		if len(text) < 40 && pystr.HasSuffix(pystr.RStrip(text), []rune("(")) { // a function probe: db_name(
			if p := probe(s.tokens(text, 0, pyWINDOW_TOKENS)); p != "" {
				return []detectors.Span{{Kind: p, Start: 0, End: len(text)}}
			}
			return nil
		}
		return nil
	}
	found := s.structures(text, stop)
	if pystr.Contains(text, []rune("+")) && !pystr.Contains(text, []rune(" ")) &&
		!detectors.Stopped(found, 0, stop) {
		// + may be a URL-encoded space the application decodes (1+or+1=1)
		seen := map[string]bool{}
		for _, hit := range found {
			seen[hit.Kind] = true
		}
		for _, hit := range s.structures(pystr.Replace(text, []rune("+"), []rune(" ")), stop) {
			if !seen[hit.Kind] {
				found = append(found, hit)
			}
		}
	}
	return found
}

// Python: _structures
func (s *state) structures(text []rune, stop map[string]bool) []detectors.Span {
	if pystr.Contains(text, []rune("`")) {
		// _GNU_QUOTE.sub(r"`\1`", text); same length: the spans still fit the value
		text = py_GNU_QUOTE.Rx().Sub(text, func(m *pyre.Match) []rune {
			out := []rune{'`'}
			out = append(out, m.Group(1)...)
			return append(out, '`')
		}, 0)
	}
	var found []detectors.Span
	for _, st := range starts(text) {
		if hit, ok := s.fromStart(text, st.at, st.quoted); ok {
			found = append(found, hit)
			if stop[hit.Kind] {
				return found
			}
		}
	}
	seen := map[string]bool{}
	for _, hit := range found {
		seen[hit.Kind] = true
	}
	for _, hit := range s.anywhere(text) {
		if !seen[hit.Kind] {
			found = append(found, hit)
		}
	}
	return found
}

// Python: _names_calls
func namesCalls(toks []*tok) bool {
	called := false
	for k, t := range toks {
		if t.kind == "num" && !called {
			return false
		}
		if t.kind == "word" && k+1 < len(toks) && toks[k+1].text == "(" {
			if pySQL_FUNCTIONS[t.text] || pyOUT_OF_BAND_FUNCTIONS[t.text] {
				return false
			}
			called = true
		}
	}
	return true
}
