package html

import (
	"strconv"
	"strings"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// Python: _script_url
func scriptURL(element, attr string, value []rune) bool {
	v := pystr.LStrip(slice(value, 0, pyWINDOW))
	if hasPrefix(v, "&{") { // Netscape JavaScript entity
		return true
	}
	if contains(v, "<!") {
		v = removeAll(py_HTML_COMMENT.Rx(), removeAll(py_CDATA_MARK.Rx(), v))
	}
	plain := removeAll(py_CONTROL.Rx(), v)
	urlScheme := py_URL_SCHEME.Rx()
	m := urlScheme.MatchAt(plain, 0)
	if m == nil {
		return false
	}
	scheme, body := m.GroupString(1), plain[m.End(0):]
	urlAttr := pyURL_ATTRIBUTES[attr] || strings.HasSuffix(attr, ":href")
	if pySCRIPT_SCHEMES[scheme] {
		if urlScheme.MatchAt(v, 0) == nil { // spaces, control characters or comments in the scheme
			return true
		}
		after := v[find(v, ":", 0, len(v))+1:]
		words := pystr.LStrip(after)
		if !urlAttr && len(words) != len(after) && len(words) > 0 && pystr.IsAlpha(words[0]) &&
			py_SCRIPT_BODY.Rx().MatchAt(words, 0) == nil {
			return false // title="javascript: tips"
		}
		body = pystr.LStripChars(body, ":")
		if hasPrefix(body, "javascript:") || hasPrefix(body, "vbscript:") {
			return true
		}
		// body[:1] in "_$/([" is also true for an empty body
		return !pyNOOP_SCRIPT_BODIES[string(body)] && (urlAttr || len(body) == 0 ||
			pystr.IsAlnum(body[0]) || strings.ContainsRune("_$/([", body[0]))
	}
	if scheme == "data" {
		if hasPrefixAny(body, pyACTIVE_MEDIA_TYPES) {
			return true
		}
		return urlAttr && (pyDATA_EXEC_TAGS[element] || !hasPrefixAny(body, pyINERT_MEDIA_TYPES))
	}
	return false
}

// Python: _css_active
func cssActive(css []rune) bool {
	if containsRune(css, '\\') {
		css = py_CSS_ESCAPE.Rx().Sub(css, func(m *pyre.Match) []rune {
			n, _ := strconv.ParseUint(m.GroupString(1), 16, 64)
			return []rune{rune(min(n, 0x10FFFF))}
		}, 0)
	}
	return py_CSS_ACTIVE.Rx().Search(removeAll(py_CSS_NOISE.Rx(), css), 0) != nil
}

// Python: _css_injected
func cssInjected(css []rune) bool {
	if containsRune(css, '{') || containsRune(css, '}') || (contains(css, "/*") && !contains(css, "*/")) ||
		py_CSS_HEX.Rx().Search(css, 0) != nil {
		return true
	}
	if count(css, "[") != count(css, "]") || count(css, "(") != count(css, ")") {
		return true
	}
	if count(css, "'")%2 != 0 || count(css, "\"")%2 != 0 {
		return true
	}
	found := false
	declaration := py_CSS_DECLARATION.Rx()
	py_CSS_STRING.Rx().FindIter(slice(css, 0, pyWINDOW), func(m *pyre.Match) bool {
		if declaration.Search(m.Group(0), 0) != nil {
			found = true
			return false
		}
		return true
	})
	return found
}

// Python: _sheet_suspicious
func sheetSuspicious(css []rune) bool {
	if containsRune(css, '\\') {
		return true
	}
	if len(css) < pyWINDOW {
		for _, p := range []string{"{}", "[]", "()"} { // the pairs of the Python code
			if count(css, p[:1]) != count(css, p[1:]) {
				return true
			}
		}
	}
	found := false
	py_CSS_BLOCK.Rx().FindIter(css, func(block *pyre.Match) bool {
		if cssInjected(block.Group(1)) {
			found = true
			return false
		}
		return true
	})
	return found
}
