// Package normalize ports lambda_layer/protect_lambda/normalize.py: the canonical form inbound
// rules and detectors read (repeated URL, HTML-entity and JS-escape decoding, invisible
// characters removed, SQL comment tricks, NFKC, case folding), and the transforms some rules ask
// for (shell squashing, Log4j lookups) and base64 values. Same results as the Python, character
// for character: the tables (NFKC, HTML entities, str semantics, regex classes) are generated
// from the Python that names the guard's Unicode version.
//
// Example:
//
//	out, _ := normalize.Normalize([]rune("%253Cscript%253E")) // "<script>"
package normalize

import (
	"errors"
	"unicode/utf8"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// ErrIntLimit is Python's ValueError for a decimal character reference of more than 4300
// digits (sys.int_info.default_max_str_digits): html.unescape raises, so normalize does.
var ErrIntLimit = errors.New("Exceeds the limit (4300 digits) for integer string conversion")

const maxStrDigits = 4300

var (
	iisU        = pyre.NewLazy(py_IIS_U, 0)
	jsEscape    = pyre.NewLazy(py_JS_ESCAPE, 0)
	sqlComment  = pyre.NewLazy(py_SQL_COMMENT, 0)
	textHex     = pyre.NewLazy(py_TEXT_HEX, 0)
	log4jLookup = pyre.NewLazy(py_LOG4J_LITERAL, 0)
	charref     = pyre.NewLazy(htmlCharrefPattern, 0)
)

// htmlCharrefPattern is html._charref's pattern (Python's html module).
const htmlCharrefPattern = "&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)"

func hexValue(digits []rune) int {
	n := 0
	for _, r := range digits {
		n <<= 4
		switch {
		case r >= '0' && r <= '9':
			n |= int(r - '0')
		case r >= 'a' && r <= 'f':
			n |= int(r-'a') + 10
		case r >= 'A' && r <= 'F':
			n |= int(r-'A') + 10
		}
		if n > 0x10FFFF {
			n = 0x110000 // only "too large" matters from here on
		}
	}
	return n
}

func contains(s []rune, sub string) bool { return pystr.Contains(s, []rune(sub)) }

// URLDecode is one round of url_decode: IIS %uXXXX, then %XX bytes decoded as UTF-8 with
// overlong forms turned into their character and other invalid bytes into U+FFFD.
func URLDecode(text []rune) []rune {
	if !contains(text, "%") {
		return text
	}
	if contains(text, "%u") || contains(text, "%U") {
		text = iisU.Rx().Sub(text, func(m *pyre.Match) []rune { return []rune{rune(hexValue(m.Group(1)))} }, 0)
	}
	return decodeUTF8(UnquoteToBytes(encodeSurrogatePass(text)))
}

// encodeSurrogatePass is str.encode("utf-8", "surrogatepass").
func encodeSurrogatePass(text []rune) []byte {
	out := make([]byte, 0, len(text))
	for _, r := range text {
		if r >= 0xD800 && r <= 0xDFFF {
			out = append(out, byte(0xE0|r>>12), byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
			continue
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

func hexDigit(b byte) (byte, bool) {
	switch {
	case b >= '0' && b <= '9':
		return b - '0', true
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10, true
	case b >= 'A' && b <= 'F':
		return b - 'A' + 10, true
	}
	return 0, false
}

// UnquoteToBytes is urllib.parse.unquote_to_bytes on UTF-8 bytes.
func UnquoteToBytes(data []byte) []byte {
	out := make([]byte, 0, len(data))
	for i := 0; i < len(data); i++ {
		if data[i] == '%' && i+2 < len(data) {
			hi, ok1 := hexDigit(data[i+1])
			lo, ok2 := hexDigit(data[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, data[i])
	}
	return out
}

// decodeUTF8 is bytes.decode("utf-8", "protect_lambda_overlong").
func decodeUTF8(data []byte) []rune {
	out := make([]rune, 0, len(data))
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r != utf8.RuneError || size > 1 {
			out = append(out, r)
			i += size
			continue
		}
		b0 := data[i]
		end := i + 4
		if end > len(data) {
			end = len(data)
		}
		cont := data[i+1 : end]
		switch {
		case b0 >= 0xC0 && b0 <= 0xC1 && len(cont) > 0 && cont[0] >= 0x80 && cont[0] <= 0xBF:
			out = append(out, rune(b0&0x1F)<<6|rune(cont[0]&0x3F))
			i += 2
		case b0 == 0xE0 && len(cont) >= 2 && cont[0] >= 0x80 && cont[0] <= 0x9F && cont[1] >= 0x80 && cont[1] <= 0xBF:
			out = append(out, rune(cont[0]&0x3F)<<6|rune(cont[1]&0x3F))
			i += 3
		case b0 == 0xF0 && len(cont) >= 3 && cont[0] >= 0x80 && cont[0] <= 0x8F &&
			cont[1] >= 0x80 && cont[1] <= 0xBF && cont[2] >= 0x80 && cont[2] <= 0xBF:
			out = append(out, rune(cont[1]&0x3F)<<6|rune(cont[2]&0x3F))
			i += 4
		default:
			out = append(out, 0xFFFD)
			i++
		}
	}
	return out
}

func jsUnescape(text []rune) []rune {
	return jsEscape.Rx().Sub(text, func(m *pyre.Match) []rune {
		g := m.Group(1)
		if !m.Matched(1) || len(g) == 0 {
			g = m.Group(2)
		}
		return []rune{rune(hexValue(g))}
	}, 0)
}

// unescapeHTML is html.unescape.
func unescapeHTML(text []rune) ([]rune, error) {
	if !contains(text, "&") {
		return text, nil
	}
	var failed error
	out := charref.Rx().Sub(text, func(m *pyre.Match) []rune {
		s := m.Group(1)
		if s[0] == '#' {
			var num int
			if s[1] == 'x' || s[1] == 'X' {
				num = hexValue(pystr.RStripChars(s[2:], ";"))
			} else {
				digits := pystr.RStripChars(s[1:], ";")
				if len(digits) > maxStrDigits {
					failed = ErrIntLimit
					return nil
				}
				for _, d := range digits {
					if num <= 0x10FFFF {
						num = num*10 + int(d-'0')
					}
				}
			}
			if rep, ok := html_invalid_charrefs[rune(num)]; ok && num <= 0x10FFFF {
				return rep
			}
			if (num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF {
				return []rune{0xFFFD}
			}
			if html_invalid_codepoints[rune(num)] {
				return nil
			}
			return []rune{rune(num)}
		}
		if rep, ok := html_html5[string(s)]; ok {
			return []rune(rep)
		}
		for x := len(s) - 1; x > 1; x-- {
			if rep, ok := html_html5[string(s[:x])]; ok {
				return append([]rune(rep), s[x:]...)
			}
		}
		return append([]rune{'&'}, s...)
	}, 0)
	if failed != nil {
		return nil, failed
	}
	return out, nil
}

// Decode applies URL, HTML-entity and JS-escape decoding until nothing changes (at most
// MAX_DECODE_ROUNDS rounds).
func Decode(text []rune) ([]rune, error) {
	for round := 0; round < pyMAX_DECODE_ROUNDS; round++ {
		before := text
		if contains(text, "%") {
			text = URLDecode(text)
		}
		if contains(text, "&") {
			folded := py_CASELESS_ENTITY.Rx().Sub(text, func(m *pyre.Match) []rune {
				return []rune(py_CASELESS_ENTITY_TEXT[string(pystr.Lower(m.Group(1)))])
			}, 0)
			var err error
			if text, err = unescapeHTML(folded); err != nil {
				return nil, err
			}
		}
		if contains(text, "\\") {
			text = jsUnescape(text)
		}
		if pystr.Equal(text, before) {
			break
		}
	}
	return text, nil
}

// Normalize is normalize(text): the canonical form inbound rules match against.
func Normalize(text []rune) ([]rune, error) {
	if pystr.IsASCII(text) && py_NEEDS_WORK.Rx().Search(text, 0) == nil {
		return pystr.Lower(text), nil
	}
	text, err := Decode(text)
	if err != nil {
		return nil, err
	}
	if contains(text, "/*") || contains(text, "*/") {
		text = sqlComment.Rx().Sub(text, func(*pyre.Match) []rune { return []rune{' '} }, 0)
	}
	if contains(text, "0x") || contains(text, "0X") {
		text = textHex.Rx().Sub(text, func(m *pyre.Match) []rune { return []rune{rune(hexValue(m.Group(1)))} }, 0)
	}
	if pystr.IsASCII(text) {
		return pystr.Lower(pystr.Replace(text, []rune{0}, nil)), nil
	}
	translated := make([]rune, 0, len(text))
	for _, r := range text {
		if rep, ok := py_INVISIBLE[r]; ok {
			translated = append(translated, rep...)
		} else {
			translated = append(translated, r)
		}
	}
	return pystr.CaseFold(NFKC(translated)), nil
}

// Base64Text is base64_text: the decoded text when text is entirely base64 (standard or
// URL-safe alphabet) of printable ASCII, else ok == false.
func Base64Text(text []rune) ([]rune, bool) {
	if len(text)%4 != 0 || len(text) > 1<<16 || py_B64_VALUE.Rx().FullMatch(text, 0, len(text)) == nil {
		return nil, false
	}
	raw := make([]byte, 0, len(text)/4*3)
	var acc uint32
	bits := 0
	for _, r := range text {
		var v uint32
		switch {
		case r >= 'A' && r <= 'Z':
			v = uint32(r - 'A')
		case r >= 'a' && r <= 'z':
			v = uint32(r-'a') + 26
		case r >= '0' && r <= '9':
			v = uint32(r-'0') + 52
		case r == '+' || r == '-':
			v = 62
		case r == '/' || r == '_':
			v = 63
		case r == '=':
			continue // padding: only at the end (the pattern says so)
		default:
			return nil, false
		}
		acc = acc<<6 | v
		bits += 6
		if bits >= 8 {
			bits -= 8
			raw = append(raw, byte(acc>>bits))
		}
	}
	if !validPadding(text) {
		return nil, false
	}
	if len(raw) == 0 {
		return nil, false
	}
	out := make([]rune, len(raw))
	for i, b := range raw {
		if b < 9 || (13 < b && b < 32) || b > 126 {
			return nil, false
		}
		out[i] = rune(b)
	}
	return out, true
}

// validPadding mirrors binascii.a2b_base64 (not strict) on text the pattern accepted: the data
// characters before the padding must not leave exactly one character of a quantum.
func validPadding(text []rune) bool {
	data := 0
	for _, r := range text {
		if r != '=' {
			data++
		}
	}
	return data%4 != 1
}

// ShellSquash is shell_squash: shell quoting and globbing tricks removed (w'h'o$@ami -> whoami),
// + (a form-encoded space) a space.
func ShellSquash(text []rune) []rune {
	found := false
	for _, r := range text {
		if py_SHELL_NOISE_CHARS[string(r)] {
			found = true
			break
		}
	}
	if !found {
		return text
	}
	return py_SHELL_NOISE.Rx().Sub(text, func(m *pyre.Match) []rune {
		if m.Matched(1) && len(m.Group(1)) > 0 {
			return m.Group(1)
		}
		if m.Matched(2) && len(m.Group(2)) > 0 {
			return []rune{' '}
		}
		return nil
	}, 0)
}

// Log4jResolve is log4j_resolve: Log4j lookups that only yield literal text resolved.
func Log4jResolve(text []rune) []rune {
	if !contains(text, "${") {
		return text
	}
	for round := 0; round < pyMAX_LOG4J_ROUNDS; round++ {
		resolved := log4jLookup.Rx().Sub(text, func(m *pyre.Match) []rune { return m.Group(1) }, 0)
		if pystr.Equal(resolved, text) {
			break
		}
		text = resolved
	}
	return pystr.Lower(text)
}
