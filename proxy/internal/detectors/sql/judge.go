package sql

import (
	"strings"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// --- judging a token list ------------------------------------------------------------------

// expr is what an expression parsed from the tokens holds.
// Python: _Expr
type expr struct {
	end                                                             int
	comparison, call, sqlCall, selects, logical, symbolic, constant bool
	operands                                                        int
	words                                                           int
}

func newExpr(end int) *expr { return &expr{end: end} }

// sub is toks[a:b] with Python's clamping.
func sub(toks []*tok, a, b int) []*tok {
	if b > len(toks) {
		b = len(toks)
	}
	if a > b {
		return nil
	}
	return toks[a:b]
}

// head1 is s[:1] and tail1 is s[-1:] of a token's text.
func head1(t *tok) string {
	if len(t.runes) == 0 {
		return ""
	}
	return string(t.runes[:1])
}

func tail1(t *tok) string {
	if len(t.runes) == 0 {
		return ""
	}
	return string(t.runes[len(t.runes)-1:])
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

func anyText(toks []*tok, options ...string) bool {
	for _, t := range toks {
		if oneOf(t.text, options...) {
			return true
		}
	}
	return false
}

func allCmt(toks []*tok) bool {
	for _, t := range toks {
		if t.kind != "cmt" {
			return false
		}
	}
	return true
}

// closeParen is the index after the ")" that closes the "(" at i (or the window's end).
// Python: _close
func closeParen(toks []*tok, i int) int {
	depth := 0
	j := i
	for j < len(toks) {
		text := toks[j].text
		if text == "(" || text == "{" {
			depth++
		} else if text == ")" || text == "}" {
			depth--
			if depth == 0 {
				return j + 1
			}
		}
		j++
	}
	return j
}

// primary is the index after one operand at i (i when there is none), noting what it holds.
// Python: _primary
func primary(toks []*tok, i int, e *expr) int {
	if i >= len(toks) {
		return i
	}
	t := toks[i]
	if t.kind == "cmt" {
		return i
	}
	if t.text == "(" || t.text == "{" { // { } : ODBC escapes ({fn ...}, {if ...}) group like parentheses
		end := closeParen(toks, i)
		inner := sub(toks, i+1, end)
		if anyText(inner, "select") {
			e.selects = true
		}
		for _, x := range inner {
			if pyCOMPARISONS[x.text] {
				e.comparison = true
				break
			}
		}
		for k, x := range inner {
			if x.kind == "word" && pySQL_FUNCTIONS[x.text] && k+1 < len(inner) && inner[k+1].text == "(" {
				e.sqlCall = true
				break
			}
		}
		e.operands++
		return end
	}
	if t.kind == "word" && i+1 < len(toks) && toks[i+1].text == "(" && (toks[i+1].start == t.end || pySQL_FUNCTIONS[t.text]) {
		e.call = true
		if pySQL_FUNCTIONS[t.text] {
			e.sqlCall = true
		}
		end := closeParen(toks, i+1)
		if anyText(sub(toks, i+2, end), "select") {
			e.selects = true
		}
		e.operands++
		return end
	}
	if t.kind == "word" && t.text == "case" {
		j := i + 1
		for j < len(toks) && toks[j].text != "end" {
			j++
		}
		e.call = true
		e.sqlCall = true
		e.operands++
		return min(j+1, len(toks))
	}
	if t.kind == "word" && t.text == "select" {
		e.selects = true
		e.operands++
		return len(toks)
	}
	if t.kind == "num" || t.kind == "str" || t.kind == "var" || t.text == "?" { // ? : a prepared statement's parameter
		e.operands++
		if t.kind == "var" {
			e.sqlCall = true
		}
		return i + 1
	}
	if t.kind == "word" && !pyLOGICAL[t.text] && !pyCONTINUATIONS[t.text] && !py_BINARY_WORDS[t.text] {
		e.operands++
		if pyCONSTANTS[t.text] {
			e.constant = true
		} else {
			e.words++
		}
		return i + 1
	}
	return i
}

// expression parses [binop] operand (binop operand)* from i: the expression's end and content.
// Python: _expression
func expression(toks []*tok, i int) *expr {
	e := newExpr(i)
	j := i
	expectOperand := false
	for j < len(toks) {
		t := toks[j]
		if t.kind == "cmt" {
			break
		}
		if expectOperand || j == i {
			k := j
			for k < len(toks) && py_UNARY[toks[k].text] {
				k++
			}
			end := primary(toks, k, e)
			if end == k {
				if j == i && !expectOperand {
					// the expression starts with an operator: handled below
				} else {
					break
				}
			} else {
				j = end
				expectOperand = false
				e.end = j
				continue
			}
		}
		if t.text == "not" && j+1 < len(toks) && py_BINARY_WORDS[toks[j+1].text] && !expectOperand {
			j++ // NOT LIKE, NOT REGEXP, NOT IN ...
			t = toks[j]
		}
		if (t.text == "notnull" || t.text == "isnull") && !expectOperand { // postfix: x NOTNULL
			e.comparison = true
			j++
			e.end = j
			continue
		}
		if t.kind == "op" || (t.kind == "word" && py_BINARY_WORDS[t.text]) || t.text == "," {
			if t.text == "is" && (j+1 >= len(toks) || !py_AFTER_IS[toks[j+1].text]) {
				break // English "is" ("where is my parcel"), not IS NULL / IS NOT
			}
			if t.text == "to" && (j == 0 || toks[j-1].text != "similar") {
				break
			}
			if pyLOGICAL[t.text] {
				e.logical = true
			} else if pyCOMPARISONS[t.text] {
				e.comparison = true
				e.symbolic = e.symbolic || t.kind == "op"
			}
			j++
			if (t.text == "similar" || t.text == "sounds") && j < len(toks) && oneOf(toks[j].text, "to", "like") {
				j++ // SIMILAR TO, SOUNDS LIKE
			}
			if j < len(toks) && oneOf(toks[j].text, "not", "like", "null", "similar") {
				if toks[j].text == "null" {
					e.constant = true
					e.operands++
					j++
					e.end = j
					continue
				}
				j++
			}
			expectOperand = true
			continue
		}
		break
	}
	return e
}

// endsSQL is whether SQL may end (or go on) at token i: the end, a comment, ")", ";", a
// continuation, or a dangling quote that the query's own closing quote completes.
// Python: _ends_sql
func endsSQL(toks []*tok, i int, quoted string) bool {
	if i >= len(toks) {
		return true
	}
	t := toks[i]
	if t.kind == "cmt" || t.text == ")" || t.text == ";" || (t.kind == "word" && pyCONTINUATIONS[t.text]) {
		return true
	}
	return quoted != "" && t.kind == "str" && head1(t) == quoted && tail1(t) != quoted && len(toks) == i+1 &&
		py_PROSE_TAIL.Rx().Search(t.runes, 0) == nil
}

// tautologyOrExpression is Python's `"tautology" if logical or comparison else "expression"`.
func tautologyOrExpression(e *expr) string {
	if e.logical || e.comparison {
		return "tautology"
	}
	return "expression"
}

// judge is the injection the tokens form from a start (after any ")" that closes the query's
// own parentheses): the kind and the index of its last token, or ok false (None).
// Python: _judge
func judge(toks []*tok, quoted string) (string, int, bool) {
	i := 0
	for i < len(toks) && toks[i].text == ")" {
		i++
	}
	if i >= len(toks) {
		return "", 0, false
	}
	t := toks[i]
	if quoted != "" && t.kind == "cmt" && i+1 >= len(toks) && !strings.Contains(t.text, quoted) {
		return "comment", i, true // (not "--" nor '#...' written in quotes)
	}
	if quoted != "" && t.text == ";" && allCmt(toks[i+1:]) {
		return "comment", i, true // x'; : the statement ended at the breakout (a probe for an SQL error)
	}
	if t.text == "not" && i+1 < len(toks) && py_BINARY_WORDS[toks[i+1].text] {
		i++
		t = toks[i]
	}
	if t.kind == "word" && (t.text == "order" || t.text == "group") && i+2 < len(toks) && toks[i+1].text == "by" &&
		toks[i+2].kind == "num" {
		return "order-by", i + 2, true
	}
	if t.kind == "word" && t.text == "union" {
		if i+1 == len(toks) && quoted == "" && i > 0 {
			return "fragment", i, true // 1/1 union : the keyword after the value, cut (comment-split tests)
		}
		if unionSelect(toks, i) {
			return "union", i + 1, true
		}
		return "", 0, false
	}
	if t.kind == "word" && t.text == "from" && i+2 < len(toks) && (toks[i+1].kind == "word" || toks[i+1].kind == "str") &&
		oneOf(toks[i+2].text, "where", "limit", "order", "group", "union", ";") {
		return "fragment", i + 2, true // 1) from users where ... : the rest of a query after the breakout
	}
	if t.text == ";" {
		if i+1 < len(toks) && statement(toks, i+1) {
			return "stacked", i + 1, true
		}
		return "", 0, false
	}
	if t.kind == "word" && (t.text == "having" || t.text == "where") && i+1 < len(toks) {
		if toks[i+1].kind == "op" && !py_UNARY[toks[i+1].text] {
			return "", 0, false // where <type> and <subtype>: an operator with no left operand is no condition
		}
		e := expression(toks, i+1)
		if e.symbolic || e.sqlCall || e.selects { // "where x is not y" is English
			return "tautology", max(e.end-1, i), true
		}
		return "", 0, false
	}
	if t.kind == "word" && t.text == "into" && i+1 < len(toks) && (toks[i+1].text == "outfile" || toks[i+1].text == "dumpfile") {
		return "stacked", i + 1, true
	}
	// after a closed string only an operator or a keyword can follow (x'len(s) is not SQL); a
	// number may be followed by a parenthesis or a call only where + was a space (handled above)
	if !(t.kind == "op" || t.text == "," || (t.kind == "word" && (pyLOGICAL[t.text] || py_BINARY_WORDS[t.text])) ||
		(quoted == "" && (t.text == "(" || (t.kind == "word" && i+1 < len(toks) && toks[i+1].text == "(")))) {
		return "", 0, false
	}
	e := expression(toks, i)
	if e.end <= i {
		return "", 0, false
	}
	last := max(e.end-1, i)
	lastTok := toks[len(toks)-1]
	if e.end == len(toks)-1 && (lastTok.kind == "op" || lastTok.text == "'" || lastTok.text == "\"") && e.logical &&
		e.operands > 0 && e.words == 0 && pyLOGICAL[t.text] {
		return "fragment", len(toks) - 1, true // xor 5-  /  or 1==1'  : a condition cut where the query goes on
	}
	if !endsSQL(toks, e.end, quoted) {
		// after a breakout, a condition with a comparison is an injection whatever trails it
		if quoted != "" && e.logical && e.comparison && e.operands >= 2 {
			return "tautology", last, true
		}
		return "", 0, false
	}
	if quoted != "" && e.end < len(toks) && toks[e.end].kind == "cmt" && e.operands > 0 && (e.sqlCall || e.comparison ||
		e.logical || e.selects || e.words < e.operands) {
		return tautologyOrExpression(e), last, true
	}
	if e.selects || e.sqlCall {
		return tautologyOrExpression(e), last, true
	}
	if e.logical && (e.comparison || e.constant) {
		return "tautology", last, true
	}
	if e.comparison && quoted != "" && e.operands >= 2 && e.words == 0 && (e.logical ||
		(e.end < len(toks) && toks[e.end].kind == "cmt")) {
		return "tautology", last, true
	}
	if quoted != "" && stringOperator(toks, i, e) {
		return "string-operator", last, true
	}
	if e.logical && e.operands > 0 && e.words == 0 && pyLOGICAL[t.text] {
		dangling := lastTok
		if quoted != "" && dangling.kind == "str" && len(dangling.runes) <= 3 && (len(dangling.runes) == 1 ||
			tail1(dangling) != head1(dangling) && pystr.AllAlnum(dangling.runes[1:])) {
			return "fragment", last, true // " or ""-"  /  ' or "  : the query's own quote completes it
		}
		return "boolean", last, true
	}
	if e.call && e.symbolic && e.end < len(toks) {
		return "expression", last, true
	}
	return "", 0, false
}

// stringOperator: x' <op> 'y: after the breakout, one operator and a short operand whose string
// the query's own closing quote completes, and nothing else (a' * 'b, a' rlike 'b, foo'or'oof).
// Python: _string_operator
func stringOperator(toks []*tok, i int, e *expr) bool {
	last := toks[len(toks)-1]
	if e.end != len(toks) || last.kind != "str" || tail1(last) == head1(last) || len(last.runes) > 25 {
		return false
	}
	for _, c := range last.runes {
		if pystr.IsSpace(c) {
			return false
		}
	}
	if len(last.runes) < 1 || !pystr.AllAlnum(last.runes[1:]) {
		return false // 'b, 'oof, '0 complete the query's string; '/events/search/'. is a quoted path
	}
	middle := sub(toks, i, len(toks)-1)
	var operators []*tok
	for _, t := range middle {
		if t.kind == "op" || (t.kind == "word" && py_BINARY_WORDS[t.text]) {
			operators = append(operators, t)
		}
	}
	allSlash := true
	for _, t := range operators {
		if t.text != "/" {
			allSlash = false
			break
		}
	}
	if allSlash {
		return false
	}
	for _, t := range middle {
		if t.kind == "str" {
			return false
		}
	}
	return len(operators) > 0 && len(middle) <= 6
}

// Python: _union_select
func unionSelect(toks []*tok, i int) bool {
	j := i + 1
	if j < len(toks) && (toks[j].text == "all" || toks[j].text == "distinct") {
		j++
	}
	for j < len(toks) && toks[j].text == "(" {
		j++
	}
	if !(j < len(toks) && toks[j].text == "select") {
		return false
	}
	j++
	if j >= len(toks) {
		return true
	}
	nxt := toks[j]
	if nxt.text == "(" && j+1 < len(toks) && toks[j+1].text == ")" {
		return false // select(): an API's method named in prose; SQL has no empty ( )
	}
	// a select list: constants, null, *, calls, columns followed by , or from, a variable
	if nxt.kind == "num" || nxt.kind == "str" || nxt.kind == "var" || oneOf(nxt.text, "*", "null", "distinct", "all", "(") ||
		(nxt.kind == "word" && j+1 < len(toks) && toks[j+1].text == "(") {
		return true
	}
	if nxt.kind == "word" && j+1 < len(toks) && oneOf(toks[j+1].text, ",", "from", "(", "||", "+") {
		return true
	}
	return false
}

// Python: _statement
func statement(toks []*tok, i int) bool {
	t := toks[i]
	if t.kind != "word" || !pySTATEMENTS[t.text] {
		return false
	}
	if t.text == "select" {
		withUnion := make([]*tok, 0, len(toks)-i+1)
		withUnion = append(withUnion, &tok{kind: "word", text: "union", runes: []rune("union")})
		withUnion = append(withUnion, toks[i:]...)
		return unionSelect(withUnion, 0)
	}
	if oneOf(t.text, "shutdown", "commit", "rollback", "begin") {
		if t.text == "begin" && i+1 < len(toks) && toks[i+1].text != "begin" && statement(toks, i+1) {
			return true // ; begin declare @x ...: a block of statements
		}
		return i+1 >= len(toks) || toks[i+1].kind == "cmt" || toks[i+1].text == ";"
	}
	if t.text == "waitfor" {
		return i+1 < len(toks) && (toks[i+1].text == "delay" || toks[i+1].text == "time")
	}
	if t.text == "exec" || t.text == "execute" {
		if i+2 < len(toks) && toks[i+1].text == "(" && toks[i+1].start == t.end && toks[i+2].text == ")" {
			return false // exec() named in prose: SQL has no empty ( ) (exec/**/() still counts)
		}
		if !(i+1 < len(toks)) {
			return false
		}
		n := toks[i+1].text
		return strings.HasPrefix(n, "xp_") || strings.HasPrefix(n, "sp_") || strings.HasPrefix(n, "master.") ||
			strings.HasPrefix(n, "(") || toks[i+1].kind == "var"
	}
	if t.text == "declare" {
		return i+1 < len(toks) && toks[i+1].kind == "var"
	}
	if t.text == "update" {
		return i+2 < len(toks) && toks[i+1].kind == "word" && toks[i+2].text == "set"
	}
	if oneOf(t.text, "drop", "truncate", "create", "alter") && i+2 < len(toks) && toks[i+1].kind == "word" &&
		!strings.Contains(toks[i+1].text, ".") && (toks[i+2].text == ";" || toks[i+2].kind == "cmt") &&
		allCmt(toks[i+3:]) {
		return true // drop sampletable;--  (not "drop foo.patch; not needed")
	}
	if t.text == "delete" && i+2 < len(toks) && toks[i+1].text == "from" && toks[i+2].kind == "word" {
		j := i + 3 // delete from <table> [[as] alias], then the end or a clause ("delete from my account all ...": English)
		if j < len(toks) && toks[j].text == "as" {
			j++
		}
		if j < len(toks) && toks[j].kind == "word" && !py_AFTER_DELETE[toks[j].text] {
			j++
		}
		return j >= len(toks) || toks[j].kind == "cmt" || toks[j].kind == "str" || py_AFTER_DELETE[toks[j].text] ||
			toks[j].text == "-" && j+1 < len(toks) && toks[j+1].text == "-" // --x: a comment but in MySQL
	}
	objects, ok := pySTATEMENT_OBJECTS[t.text]
	if !ok {
		return false
	}
	if len(objects) == 0 {
		return t.text == "set" && i+2 < len(toks) && toks[i+1].kind == "var" && (toks[i+2].text == "=" || toks[i+2].text == ":=")
	}
	return i+1 < len(toks) && objects[toks[i+1].text]
}
