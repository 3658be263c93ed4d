package html

import (
	"strings"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// --- markup ---

// Python: _scan_markup
func scanMarkup(text []rune, start, end, depth int, out *[]Span, tags *[]tagSpan) {
	tagOpen := py_TAG_OPEN.Rx()
	m := tagOpen.SearchRange(text, start, end)
	for m != nil {
		pos := m.Start(0)
		if m.Matched(4) || m.Matched(6) { // comment (its content is read too), doctype, declaration
			m = tagOpen.SearchRange(text, judgeDeclaration(text, pos, end, out), end)
			continue
		}
		closing := m.Matched(1)
		instruction := m.Matched(5)
		name := m.GroupString(3)
		if name == "" {
			name = m.GroupString(5)
		}
		local := afterLastColon(name)
		spaced := len(m.Group(2)) > 0 || (closing && m.GroupString(1) != "/")
		if spaced && !pySPACED_TAGS[local] { // "a < b": text, not a tag
			m = tagOpen.SearchRange(text, pos+1, end)
			continue
		}
		attrs, tagEnd := lexAttributes(text, m.End(0), end)
		if tags != nil {
			*tags = append(*tags, tagSpan{pos, tagEnd})
		}
		if closing {
			if pySCRIPT_TAGS[local] {
				*out = append(*out, Span{Kind: "js-breakout", Start: pos, End: tagEnd})
			}
			judgeAttributes(local, attrs, out)
		} else if len(attrs) > 0 || instruction || py_BARE_NAMES[local] || pyNAMESPACED_ACTIVE[name] {
			judgeTag(text, name, instruction, attrs, pos, tagEnd, end, depth > 0, out)
		}
		if len(attrs) > 0 {
			scanHiddenHandlers(text, m.End(0), tagEnd, attrs, out)
			if !closing && depth < pyMAX_DEPTH {
				for _, a := range attrs {
					if a.hasValue && containsRune(a.value, '<') {
						scanMarkup(text, a.vstart, a.vend, depth+1, out, nil)
					}
				}
			}
		}
		m = tagOpen.SearchRange(text, max(tagEnd, pos+1), end)
	}
}

// Python: _lex_attributes
func lexAttributes(text []rune, pos, end int) ([]attribute, int) {
	var attrs []attribute
	separators, attrRx := py_SEPARATORS.Rx(), py_ATTR.Rx()
	for pos < end {
		if sep := separators.MatchRange(text, pos, end); sep != nil {
			pos = sep.End(0)
		}
		if pos >= end {
			break
		}
		c := text[pos]
		if c == '>' {
			return attrs, pos + 1
		}
		if c == '<' {
			return attrs, pos
		}
		m := attrRx.MatchRange(text, pos, end)
		if m == nil {
			pos++ // a stray '=' or quote
			continue
		}
		if !m.Matched(2) {
			attrs = append(attrs, attribute{name: m.Group(1), nstart: m.Start(1),
				vstart: m.End(0), vend: m.End(0), aend: m.End(0)})
		} else {
			raw := m.Group(2)
			vstart, vend := m.Start(2), m.End(2)
			if len(raw) > 0 && (raw[0] == '\'' || raw[0] == '"' || raw[0] == '`') {
				vstart++
				if len(raw) > 1 && raw[len(raw)-1] == raw[0] {
					vend--
				}
			}
			attrs = append(attrs, attribute{name: m.Group(1), value: text[vstart:vend], hasValue: true,
				nstart: m.Start(1), vstart: vstart, vend: vend, aend: m.End(0)})
		}
		pos = m.End(0)
	}
	return attrs, end
}

// Python: _judge_declaration
func judgeDeclaration(text []rune, start, end int, out *[]Span) int {
	pos := start + 2
	if !(startsWithAt(text, "attlist", pos, end) || startsWithAt(text, "entity", pos, end) ||
		startsWithAt(text, "--#", pos, end)) {
		return pos
	}
	close := find(text, ">", pos, min(end, pos+pyWINDOW))
	stop := min(end, pos+pyWINDOW) // after the declaration
	if close != -1 {
		stop = close + 1
	}
	if startsWithAt(text, "attlist", pos, end) {
		findIterRange(py_DECLARED_HANDLER.Rx(), text, pos, stop, func(h *pyre.Match) bool {
			if pyEVENTS[h.GroupString(1)] {
				*out = append(*out, Span{Kind: "event-handler", Start: h.Start(0), End: h.End(0)})
			}
			return true
		})
		return stop
	}
	if startsWithAt(text, "entity", pos, end) {
		if py_EXTERNAL_ENTITY.Rx().SearchRange(text, pos, stop) != nil {
			*out = append(*out, Span{Kind: "active-tag", Start: start, End: stop})
		}
		return stop
	}
	if startsWithAt(text, "--#", pos, end) && startsWithAnyAt(text, pySSI_DIRECTIVES, pos+3, end) {
		*out = append(*out, Span{Kind: "active-tag", Start: start, End: stop})
	}
	return pos
}

// Python: _judge_tag
func judgeTag(text []rune, fullName string, instruction bool, attrs []attribute,
	start, tagEnd, end int, nested bool, out *[]Span) {
	if kind, kend, ok := elementKind(text, fullName, instruction, attrs, tagEnd, end, nested); ok {
		*out = append(*out, Span{Kind: kind, Start: start, End: kend})
	}
	judgeAttributes(afterLastColon(fullName), attrs, out)
}

// Python: _element_kind
func elementKind(text []rune, fullName string, instruction bool, attrs []attribute,
	tagEnd, end int, nested bool) (string, int, bool) {
	endIsValueEnd := !nested
	name := afterLastColon(fullName)
	values := make(map[string][]rune, len(attrs))
	for _, a := range attrs {
		values[string(a.name)] = a.value
	}
	has := func(k string) bool { _, ok := values[k]; return ok }
	if instruction {
		if pyACTIVE_INSTRUCTIONS[name] {
			return "active-tag", tagEnd, true
		}
		return "", 0, false
	}
	if pySCRIPT_TAGS[name] {
		nxt := find(text, "<", tagEnd, end)
		hi := end
		if nxt != -1 {
			hi = nxt
		}
		content := slice(text, tagEnd, min(hi, tagEnd+pyWINDOW))
		if len(attrs) > 0 || py_SCRIPT_CONTENT.Rx().MatchAt(content, 0) != nil ||
			py_SINK_CALL.Rx().Search(content, 0) != nil ||
			py_SCRIPT_CLOSE.Rx().MatchRange(text, max(nxt, 0), end) != nil {
			return "script-tag", tagEnd, true
		}
		if beforeMarkup(text, tagEnd, end, endIsValueEnd) {
			return "markup", tagEnd, true
		}
		return "", 0, false
	}
	if pyNAMESPACED_ACTIVE[fullName] {
		return "active-tag", tagEnd, true
	}
	if pyEMBED_TAGS[name] {
		loads := false
		for a := range pyLOADING_ATTRIBUTES {
			if has(a) {
				loads = true
				break
			}
		}
		if loads && !hasPrefixAny(values["type"], pyINERT_MEDIA_TYPES) {
			return "active-tag", tagEnd, true
		}
		if len(attrs) == 0 && beforeMarkup(text, tagEnd, end, endIsValueEnd) {
			return "markup", tagEnd, true
		}
		return "", 0, false
	}
	xmlEvent := false
	if pyXML_EVENT_TAGS[name] {
		for _, a := range pyXML_EVENT_ATTRIBUTES {
			if has(a) {
				xmlEvent = true
				break
			}
		}
	}
	if (name == "base" && has("href")) ||
		(name == "meta" && activeMeta(values)) ||
		(name == "link" && has("href") && activeLink(values["rel"])) ||
		(name == "import" && has("implementation")) ||
		(pySVG_ANIMATIONS[name] && animatesActive(values["attributename"])) ||
		xmlEvent ||
		string(pystr.Strip(values["dataformatas"])) == "html" {
		return "active-tag", tagEnd, true
	}
	if pyPARSER_TAGS[name] {
		return parserTagKind(text, name, attrs, values, tagEnd, end, endIsValueEnd)
	}
	return "", 0, false
}

// Python: _parser_tag_kind
func parserTagKind(text []rune, name string, attrs []attribute, values map[string][]rune,
	tagEnd, end int, endIsValueEnd bool) (string, int, bool) {
	limit := min(end, tagEnd+pyWINDOW)
	nxt := find(text, "<", tagEnd, limit) // regions of successive tags do not overlap
	afterEnd := limit
	if nxt != -1 {
		afterEnd = nxt
	}
	after := slice(text, tagEnd, afterEnd)
	alone := endIsValueEnd && nxt == -1 && limit == end && isStripEmpty(after)
	if name == "style" {
		if cssActive(after) || contains(values["type"], "javascript") {
			return "style-script", tagEnd + len(after), true
		}
		if contains(after, "@import") { // a remote sheet: CSS injection, not script
			return "markup", tagEnd + len(after), true
		}
		if alone || sheetSuspicious(after) || (nxt != -1 && startsWithAt(text, "<!--", nxt, len(text))) {
			return "markup", tagEnd, true // <style>, <style>@\\, <style>*{x:y[z}</style>
		}
		return "", 0, false
	}
	if pyFOREIGN_TAGS[name] {
		var child *pyre.Match
		if nxt != -1 && isStripEmpty(after) {
			child = py_TAG_OPEN.Rx().MatchRange(text, nxt, end)
		}
		if alone || (child != nil && pyFOREIGN_ESCAPES[child.GroupString(3)]) {
			return "markup", tagEnd, true // <svg>, <svg:svg>, <math><a xlink:href=...>
		}
		return "", 0, false
	}
	if len(attrs) > 0 || beforeMarkup(text, tagEnd, end, endIsValueEnd) {
		return "markup", tagEnd, true
	}
	return "", 0, false
}

// Python: _before_markup
func beforeMarkup(text []rune, tagEnd, end int, endIsValueEnd bool) bool {
	i := tagEnd
	for i < end && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n') {
		i++
	}
	return (i >= end && endIsValueEnd) || (i < end && text[i] == '<')
}

// Python: _judge_attributes
func judgeAttributes(element string, attrs []attribute, out *[]Span) {
	for _, a := range attrs {
		if !a.hasValue {
			if py_HANDLER_NAME.Rx().MatchAt(a.name, 0) != nil && !pystr.AllAlpha(a.name) {
				*out = append(*out, Span{Kind: "event-handler", Start: a.nstart, End: a.aend}) // <body onload!#$%&()*~+=alert(1)>
			}
			continue
		}
		attr, value := string(a.name), a.value
		kind := judgeAttribute(element, attr, value, true)
		switch {
		case kind == "event-handler":
			if hasPrefix(value, "{") && a.aend == a.vend && py_JS_SINKY.Rx().Search(value, 0) == nil {
				continue // JSX: <button onClick={() => save()}>
			}
			if !isStripEmpty(value) || a.aend == a.vend { // onload="" runs nothing; "<x onend=" is a probe
				*out = append(*out, Span{Kind: kind, Start: a.nstart, End: a.aend})
			}
		case kind != "":
			*out = append(*out, Span{Kind: kind, Start: a.vstart, End: a.vend})
		case (attr == "style" && cssInjected(value)) ||
			(pyURL_ATTRIBUTES[attr] && py_OBFUSCATED_URL.Rx().MatchAt(value, 0) != nil):
			*out = append(*out, Span{Kind: "markup", Start: a.vstart, End: a.vend}) // CSS breaking out, obfuscated URL host
		case py_JS_START.Rx().MatchAt(value, 0) != nil:
			*out = append(*out, Span{Kind: "js-sink", Start: a.vstart, End: a.vend})
		}
	}
}

// Python: _judge_attribute ("" for None)
func judgeAttribute(element, attr string, value []rune, inTag bool) string {
	local := attr
	if strings.Contains(attr, ":") && !strings.HasPrefix(attr, "xlink:") {
		local = afterLastColon(attr)
	}
	h := py_HANDLER_NAME.Rx().MatchAt([]rune(local), 0)
	if h != nil && (inTag || knownEvent(h.GroupString(1), local) ||
		py_JS_LIKE.Rx().Search(slice(value, 0, pyWINDOW), 0) != nil) {
		return "event-handler"
	}
	if frameworkHandler(attr) && (py_JS_SINKY.Rx().Search(value, 0) != nil ||
		contains(value, "constructor") || contains(value, "$event.view")) {
		return "event-handler" // ng-click="$event.view.alert(1)"; @click="save()" is an app
	}
	if attr == "style" || attr == "filter" || strings.HasSuffix(attr, ":style") {
		if cssActive(slice(value, 0, pyWINDOW)) {
			return "style-script"
		}
		return ""
	}
	if scriptURL(element, attr, value) {
		return "script-url"
	}
	return ""
}

// Python: _scan_hidden_handlers
func scanHiddenHandlers(text []rune, pos, tagEnd int, attrs []attribute, out *[]Span) {
	if find(text, "on", pos, tagEnd) == -1 {
		return
	}
	judged := make(map[int]bool, len(attrs))
	for _, a := range attrs {
		judged[a.nstart] = true
	}
	findIterRange(py_HANDLER_TEXT.Rx(), text, pos, tagEnd, func(h *pyre.Match) bool {
		i := h.Start(0) - 1
		if i < 0 {
			i += len(text)
		}
		if pyEVENTS[h.GroupString(1)] && py_HIDDEN_HANDLER_AFTER[string(text[i])] && !judged[h.Start(0)] {
			*out = append(*out, Span{Kind: "event-handler", Start: h.Start(0), End: h.End(0)})
		}
		return true
	})
}

// Python: _framework_handler
func frameworkHandler(attr string) bool {
	for _, prefix := range pyFRAMEWORK_EVENT_PREFIXES {
		if strings.HasPrefix(attr, prefix) {
			event := attr[len(prefix):]
			for i := 0; i < len(event); i++ {
				if event[i] == '.' {
					event = event[:i]
					break
				}
			}
			return pyEVENTS[event] || pyFRAMEWORK_DIRECTIVES[event]
		}
	}
	return false
}

// Python: _known_event
func knownEvent(event, attr string) bool {
	return pyEVENTS[event] || (len([]rune(event)) <= pyMAX_UNKNOWN_EVENT && pystr.AllAlpha([]rune(attr)))
}

// Python: _active_meta
func activeMeta(values map[string][]rune) bool {
	equiv := string(pystr.Strip(values["http-equiv"]))
	if pyMETA_EQUIV[equiv] {
		return true
	}
	charset := string(values["charset"])
	if equiv == "content-type" || contains(values["content"], "charset") {
		charset += string(values["content"])
	}
	for _, c := range pyCHARSET_TRICKS {
		if strings.Contains(charset, c) {
			return true
		}
	}
	return false
}

// Python: _active_link
func activeLink(rel []rune) bool {
	rels := pystr.Fields(rel)
	if len(rels) == 0 {
		return true
	}
	for _, r := range rels {
		if !pyINERT_LINK_RELS[string(r)] {
			return true
		}
	}
	return false
}

// Python: _animates_active
func animatesActive(target []rune) bool {
	t := pystr.Strip(target)
	return pyANIMATED_TARGETS[string(t)] || hasPrefix(t, "on")
}
