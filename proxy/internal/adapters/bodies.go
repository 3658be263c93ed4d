package adapters

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

var (
	boundaryPattern    = pyre.NewLazy(py_BOUNDARY, pyre.I)
	xmlAttribute       = pyre.NewLazy(py_XML_ATTRIBUTE, 0)
	xmlText            = pyre.NewLazy(py_XML_TEXT, 0)
	dispositionPattern = pyre.NewLazy(dispositionRx, 0)
)

// dispositionRx is the pattern _walk_multipart gives re.findall (inline in the Python).
const dispositionRx = `(name|filename)="([^"]{0,1000})"`

func clipRunes(s []rune, n int) []rune {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// b64 is _b64: binascii.a2b_base64(text) (not strict) decoded as UTF-8 with replacement; the
// text itself when that fails.
func b64(text []rune) []rune {
	raw, ok := a2bBase64(text)
	if !ok {
		return text
	}
	return DecodeReplace(raw)
}

// Python: _looks_like_form
func looksLikeForm(body []rune) bool {
	head := clipRunes(body, 2048)
	eq := pystr.Find(head, r("="), 0)
	if eq < 0 {
		return false
	}
	name := head[:eq]
	return !pystr.Contains(name, r(" ")) && !pystr.Contains(name, r("\n"))
}

// WalkBody is walk_body: a request or response body, base64, then JSON, XML, multipart,
// form or plain text.
func WalkBody(body *pyjson.Value, location []rune, b *Budget, record int, isBase64 bool, contentType []rune) {
	if body == nil || body.Kind == pyjson.Null || (body.Kind == pyjson.String && len(body.Str) == 0) {
		return
	}
	if body.Kind != pyjson.String {
		Walk(body, location, b, record, 1, WalkOptions{})
		return
	}
	walkBodyText(body.Str, location, b, record, isBase64, contentType)
}

func walkBodyText(text, location []rune, b *Budget, record int, isBase64 bool, contentType []rune) {
	if len(text) == 0 {
		return
	}
	if isBase64 {
		text = b64(text)
	}
	stripped := pystr.LStrip(text)
	if len(stripped) > 0 && (stripped[0] == '{' || stripped[0] == '[') {
		if parsed := tryJSON(stripped); parsed != nil {
			Walk(parsed, location, b, record, 1, WalkOptions{})
			return
		}
	}
	ctype := pystr.Lower(contentType)
	if (pystr.HasPrefix(stripped, r("<?xml")) || pystr.Contains(ctype, r("xml"))) && len(stripped) > 0 && stripped[0] == '<' {
		walkXML(stripped, location, b, record)
	}
	if boundary := multipartBoundary(contentType, text); boundary != nil {
		walkMultipart(text, boundary, location, b, record)
		return
	}
	if pystr.Contains(ctype, r("x-www-form-urlencoded")) || (!pystr.Contains(ctype, r("xml")) && looksLikeForm(text)) {
		pairs := ParseQSL(clipRunes(text, b.Limits.MaxValueChars))
		if len(pairs) > 0 {
			for _, kv := range pairs {
				loc := join(location, kv[0])
				if !pystr.AllAlnum(kv[0]) {
					b.Add(cat(loc, "#key"), kv[0], record)
				}
				if len(kv[1]) > 0 {
					b.Add(loc, kv[1], record)
				}
			}
			return
		}
	}
	if pystr.Contains(text, r("+")) && pystr.Contains(text, r("%")) {
		spaced := false
		for _, c := range clipRunes(text, 4096) {
			if pystr.IsSpace(c) {
				spaced = true
				break
			}
		}
		if !spaced {
			text = pystr.Replace(text, r("+"), r(" "))
		}
	}
	b.Add(location, text, record)
}

// Python: _walk_xml
func walkXML(body, location []rune, b *Budget, record int) {
	clipped := clipRunes(body, b.Limits.MaxValueChars)
	xmlAttribute.Rx().FindIter(clipped, func(m *pyre.Match) bool {
		value := m.Group(2)
		if len(value) == 0 {
			value = m.Group(3)
		}
		if value == nil {
			value = []rune{}
		}
		b.Add(cat(location, ".@", m.Group(1)), value, record)
		return true
	})
	xmlText.Rx().FindIter(clipped, func(m *pyre.Match) bool {
		if text := pystr.Strip(m.Group(1)); len(text) > 0 {
			b.Add(cat(location, ".text"), text, record)
		}
		return true
	})
}

// Python: _multipart_boundary
func multipartBoundary(ctype, body []rune) []rune {
	if pystr.Contains(pystr.Lower(ctype), r("multipart/")) {
		if m := boundaryPattern.Rx().Search(ctype, 0); m != nil {
			return m.Group(1)
		}
	}
	if pystr.HasPrefix(body, r("--")) {
		end := 0
		if pystr.Contains(clipRunes(body, 300), r("\n")) {
			end = pystr.Find(body, r("\n"), 0)
		}
		var first []rune
		if end > 2 {
			first = pystr.RStripChars(body[2:end], "\r")
		}
		if len(first) > 0 && len(first) <= 200 && !pystr.Contains(first, r(" ")) {
			return first
		}
	}
	return nil
}

func split(s, sep []rune) [][]rune {
	var out [][]rune
	last := 0
	for i := 0; i+len(sep) <= len(s); {
		if pystr.Equal(s[i:i+len(sep)], sep) {
			out = append(out, s[last:i])
			i += len(sep)
			last = i
		} else {
			i++
		}
	}
	return append(out, s[last:])
}

// Python: _walk_multipart
func walkMultipart(body, boundary, location []rune, b *Budget, record int) {
	for i, part := range split(body, cat("--", boundary)) {
		part = pystr.LStripChars(part, "\r\n")
		trimmed := pystr.Strip(part)
		if len(trimmed) == 0 || string(trimmed) == "--" {
			continue
		}
		replaced := pystr.Replace(part, r("\r\n"), r("\n"))
		var head, content []rune
		if at := pystr.Find(replaced, r("\n\n"), 0); at >= 0 {
			head, content = replaced[:at], replaced[at+2:]
		} else {
			head, content = []rune{}, part
		}
		name := cat("part", i)
		for _, line := range split(head, r("\n")) {
			if pystr.HasPrefix(pystr.Lower(line), r("content-disposition:")) {
				dispositionPattern.Rx().FindIter(line, func(m *pyre.Match) bool {
					b.Add(cat(location, ".", name, ".", m.Group(1)), m.Group(2), record)
					return true
				})
			}
		}
		if pystr.HasSuffix(content, r("\n")) {
			content = content[:len(content)-1]
		}
		walkBodyText(content, cat(location, ".", name), b, record, false, r("text/plain"))
	}
}
