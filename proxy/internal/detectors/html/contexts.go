package html

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// --- attribute contexts (outside tags) ---

// Python: _scan_quote_breakouts
func scanQuoteBreakouts(text []rune, tags []tagSpan, out *[]Span) {
	t := 0
	closing := map[int]bool{} // quotes that closed a value read from an earlier quote
	py_QUOTE_ANCHOR.Rx().FindIter(text, func(m *pyre.Match) bool {
		q := m.Start(0)
		for t < len(tags) && tags[t].end <= q {
			t++
		}
		if (t < len(tags) && tags[t].start <= q) || closing[q] {
			return true // inside a tag (judged there), or read already from an earlier quote
		}
		breakoutAttributes(text, q+1, out, true, closing)
		return true
	})
	if containsRune(text, '>') {
		py_BREAKOUT_TAG.Rx().FindIter(text, func(m *pyre.Match) bool {
			if !inside(tags, find(text, ">", m.Start(0), len(text))) {
				*out = append(*out, Span{Kind: "markup", Start: m.Start(0), End: m.End(0)})
			}
			return true
		})
	}
}

// Python: _scan_value_start
func scanValueStart(text []rune, out *[]Span) {
	stripped := pystr.LStrip(text)
	if len(stripped) > 0 && pystr.IsAlpha(stripped[0]) {
		breakoutAttributes(text, 0, out, len(stripped) != len(text), nil)
	}
}

// Python: _breakout_attributes (closing nil: None)
func breakoutAttributes(text []rune, pos int, out *[]Span, anchored bool, closing map[int]bool) {
	limit := min(len(text), pos+pyWINDOW)
	attrRx := py_ATTR.Rx()
	for i := 0; i < pyMAX_BREAKOUT_ATTRIBUTES; i++ {
		m := attrRx.MatchRange(text, pos, limit)
		if m == nil {
			return
		}
		attr := m.Group(1)
		if m.Matched(2) {
			raw := m.Group(2)
			if closing != nil && len(raw) > 1 && raw[0] == raw[len(raw)-1] &&
				(raw[0] == '\'' || raw[0] == '"' || raw[0] == '`') {
				closing[m.End(0)-1] = true
			}
			value := pystr.StripChars(raw, "'\"`")
			if h := py_HANDLER_NAME.Rx().MatchAt(attr, 0); h != nil {
				event := h.GroupString(1)
				listed := pyEVENTS[event]
				// "onload=go()" opening the value is an injection; later in prose, a sink is needed
				rx := py_JS_SINKY.Rx()
				if anchored || i == 0 {
					rx = py_JS_LIKE.Rx()
				}
				script := rx.Search(value, 0) != nil
				anchored = anchored || (i == 0 && pos == 0)
				ident := py_IDENT_START.Rx().MatchAt(value, 0) != nil
				probe := len(value) == 0 && len(text)-m.End(0) < pyWINDOW &&
					isStripEmpty(text[m.End(0):]) // '"onzoom=' : nothing after
				if (listed && (script || (anchored && (ident || probe)))) ||
					(knownEvent(event, string(attr)) && (script || (anchored && probe))) {
					*out = append(*out, Span{Kind: "attribute-injection", Start: m.Start(1), End: m.End(0)})
					return
				}
			} else if judgeAttribute("", string(attr), value, false) != "" {
				*out = append(*out, Span{Kind: "attribute-injection", Start: m.Start(1), End: m.End(0)})
				return
			}
		}
		pos = m.End(0)
		if pos >= limit || text[pos] == '<' || text[pos] == '>' {
			return
		}
	}
}

// Python: _scan_handler_text
func scanHandlerText(text []rune, tags []tagSpan, out *[]Span) {
	if !contains(text, "on") {
		return
	}
	done := 0 // end of the last value read: a handler inside it was read with it
	attrRx, sinky := py_ATTR.Rx(), py_JS_SINKY.Rx()
	py_HANDLER_TEXT.Rx().FindIter(text, func(m *pyre.Match) bool {
		if m.Start(0) < done || !pyEVENTS[m.GroupString(1)] || inside(tags, m.Start(0)) {
			return true
		}
		attr := attrRx.MatchRange(text, m.Start(0), min(len(text), m.Start(0)+pyWINDOW))
		if attr != nil && attr.Matched(2) {
			done = attr.End(0)
			if sinky.Search(pystr.StripChars(attr.Group(2), "'\"`"), 0) != nil {
				*out = append(*out, Span{Kind: "attribute-injection", Start: m.Start(0), End: attr.End(0)})
			}
		}
		return true
	})
}

// Python: _scan_text_schemes
func scanTextSchemes(text []rune, out *[]Span) {
	control, urlBody, scriptBody := py_CONTROL.Rx(), py_URL_BODY.Rx(), py_SCRIPT_BODY.Rx()
	py_TEXT_SCHEME.Rx().FindIter(text, func(m *pyre.Match) bool {
		s, e := m.Start(0), m.End(0)
		atStart := s <= 12 && !anyRune(text[:s], pystr.IsAlnum)
		before := pystr.RStripChars(text[max(0, s-12):s], " \t\r\n\x0b\x0c")
		anchor := atStart || hasSuffix(before, "url(")
		if !anchor && len(before) > 0 {
			last := string(before[len(before)-1:])
			for _, a := range py_URL_ANCHORS {
				if last == a {
					anchor = true
					break
				}
			}
		}
		rest := slice(text, e, e+80)
		if hasPrefix(m.Group(0), "data") {
			media := removeAll(control, urlBody.MatchAt(rest, 0).Group(0))
			active := hasPrefixAny(media, pyACTIVE_MEDIA_TYPES) && (containsRune(media, ',') || atStart)
			if active || (anchor && py_DATA_MARKUP.Rx().MatchAt(rest, 0) != nil) { // "`data:text/html` URLs": prose
				*out = append(*out, Span{Kind: "script-url", Start: s, End: e})
			}
			return true
		}
		body := pystr.LStripChars(rest, ":")
		if len(body) > 0 && (body[0] == ' ' || body[0] == '+') { // "javascript: ...": a script body after the space
			words := pystr.LStripChars(body, " +")
			token := ""
			if first := urlBody.MatchAt(words, 0); first != nil {
				g := first.Group(0)
				if i := find(g, "+", 0, len(g)); i != -1 {
					g = g[:i]
				}
				token = string(g)
			}
			if token != "" && pyNOOP_SCRIPT_BODIES[token] {
				return true // "javascript: void(0) meaning"
			}
			if scriptBody.MatchAt(words, 0) != nil || (anchor && !(len(words) > 0 && pystr.IsAlpha(words[0]))) {
				*out = append(*out, Span{Kind: "script-url", Start: s, End: e})
			}
			return true
		}
		tight := removeAll(control, urlBody.MatchAt(body, 0).Group(0))
		if pyNOOP_SCRIPT_BODIES[string(tight)] && !(atStart && len(pystr.StripChars(text[e:], ": ")) == 0) {
			return true
		}
		obfuscated := control.Search(m.Group(0), 0) != nil
		probe := anchor && len(tight) == 0 && !anyRune(slice(text, e, e+80), pystr.IsAlpha)
		if obfuscated || scriptBody.MatchAt(tight, 0) != nil || probe { // "`javascript:` URLs": prose
			*out = append(*out, Span{Kind: "script-url", Start: s, End: e})
		}
		return true
	})
}

// anyRune is any(test(c) for c in s).
func anyRune(s []rune, test func(rune) bool) bool {
	for _, r := range s {
		if test(r) {
			return true
		}
	}
	return false
}
