// Package html ports lambda_layer/protect_lambda/detectors/html.py (the XSS detector): it
// reads a normalised value as HTML or script in the contexts an injection starts in and
// reports the structures that can run script, as Python's detect() does.
package html

import (
	"sort"

	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// Span is one finding.
type Span = detectors.Span

// tagSpan is a (start, end) of a tag read at the top level.
type tagSpan struct{ start, end int }

// attribute is Python's Attribute tuple: name, value (hasValue false: None), name start,
// value start, value end, end.
type attribute struct {
	name                       []rune
	value                      []rune
	hasValue                   bool
	nstart, vstart, vend, aend int
}

// Detect returns the XSS structures that text (a normalised value) forms.
//
// Python: detect
func Detect(text []rune, stop map[string]bool) []detectors.Span {
	if len(text) == 0 || (py_PREFILTER.Rx().Search(text, 0) == nil && py_JS_START.Rx().MatchAt(text, 0) == nil) {
		return []detectors.Span{}
	}
	var found []Span
	if scan(text, &found, stop) {
		return dedupe(found)
	}
	decoded := decodeTricks(text)
	if !pystr.Equal(decoded, text) {
		var inner []Span
		scan(decoded, &inner, stop)
		if len(inner) == 0 && py_TAG_OPEN.Rx().Search(decoded, 0) != nil &&
			!containsRune(replace(text, "<![cdata[", ""), '<') {
			inner = append(inner, Span{Kind: "markup", Start: 0, End: 0}) // markup written in a charset trick
		}
		for _, s := range inner {
			found = append(found, Span{Kind: s.Kind, Start: 0, End: len(text)})
		}
	}
	return dedupe(found)
}

// Python: _scan (true: a context found a kind of stop, and the contexts after it were not read)
func scan(text []rune, out *[]Span, stop map[string]bool) bool {
	var tags []tagSpan // (start, end) of the tags read at the top level
	if containsRune(text, '<') {
		scanMarkup(text, 0, len(text), 0, out, &tags)
		if string(pystr.Strip(text)) == "<" {
			*out = append(*out, Span{Kind: "probe", Start: 0, End: len(text)})
		}
		if detectors.Stopped(*out, 0, stop) {
			return true
		}
	}
	if containsRune(text, '\'') || containsRune(text, '"') || containsRune(text, '`') {
		done := len(*out)
		scanQuoteBreakouts(text, tags, out)
		if detectors.Stopped(*out, done, stop) {
			return true
		}
	}
	if containsRune(text, '=') {
		done := len(*out)
		scanValueStart(text, out)
		scanHandlerText(text, tags, out)
		if detectors.Stopped(*out, done, stop) {
			return true
		}
	}
	if containsRune(text, ':') {
		done := len(*out)
		scanTextSchemes(text, out)
		if detectors.Stopped(*out, done, stop) {
			return true
		}
	}
	if containsRune(text, '(') || containsRune(text, ':') {
		py_CSS_TEXT.Rx().FindIter(text, func(m *pyre.Match) bool {
			*out = append(*out, Span{Kind: "style-script", Start: m.Start(0), End: m.End(0)})
			return true
		})
	}
	scanJs(text, out)
	if contains(text, "{{") {
		scanTemplates(text, out)
	}
	return false
}

// Python: _dedupe
func dedupe(found []Span) []Span {
	seen := make(map[Span]bool, len(found))
	uniq := make([]Span, 0, len(found))
	for _, s := range found {
		if !seen[s] {
			seen[s] = true
			uniq = append(uniq, s)
		}
	}
	sort.Slice(uniq, func(i, j int) bool {
		a, b := uniq[i], uniq[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		if a.End != b.End {
			return a.End > b.End
		}
		return a.Kind < b.Kind
	})
	reach := map[string]int{}
	kept := []Span{}
	for _, s := range uniq {
		r, ok := reach[s.Kind]
		if !ok {
			r = -1
		}
		if s.End > r {
			kept = append(kept, s)
			reach[s.Kind] = s.End
		}
	}
	return kept
}

// Python: _inside
func inside(tags []tagSpan, pos int) bool {
	// bisect_left(tags, (pos + 1, -1)) - 1
	i := sort.Search(len(tags), func(k int) bool {
		t := tags[k]
		return t.start > pos+1 || (t.start == pos+1 && t.end >= -1)
	}) - 1
	return i >= 0 && tags[i].start <= pos && pos < tags[i].end
}
