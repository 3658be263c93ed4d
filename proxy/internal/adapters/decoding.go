package adapters

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/normalize"
	"unicode/utf8"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// DecodeReplace is bytes.decode("utf-8", "replace"): one U+FFFD per maximal invalid subpart,
// as CPython's decoder reports them.
func DecodeReplace(data []byte) []rune {
	out := make([]rune, 0, len(data))
	for i := 0; i < len(data); {
		c, size := utf8.DecodeRune(data[i:])
		if c != utf8.RuneError || size > 1 {
			out = append(out, c)
			i += size
			continue
		}
		out = append(out, 0xFFFD)
		i += invalidLength(data[i:])
	}
	return out
}

// invalidLength is how many bytes CPython's UTF-8 decoder takes as one invalid sequence: the
// lead byte and the continuation bytes that were still valid for it.
func invalidLength(b []byte) int {
	lead := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		need = 1
	case lead == 0xE0:
		need, lo = 2, 0xA0
	case lead >= 0xE1 && lead <= 0xEC, lead == 0xEE, lead == 0xEF:
		need = 2
	case lead == 0xED:
		need, hi = 2, 0x9F
	case lead == 0xF0:
		need, lo = 3, 0x90
	case lead >= 0xF1 && lead <= 0xF3:
		need = 3
	case lead == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	n := 1
	for k := 1; k <= need && k < len(b); k++ {
		c := b[k]
		if k == 1 {
			if c < lo || c > hi {
				break
			}
		} else if c < 0x80 || c > 0xBF {
			break
		}
		n++
	}
	return n
}

// Unquote is urllib.parse.unquote: %XX in the ASCII runs decoded as UTF-8 with replacement,
// the rest kept.
func Unquote(s []rune) []rune {
	if !pystr.Contains(s, r("%")) {
		return s
	}
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] <= 0x7f {
			j++
		}
		if j > i {
			ascii := make([]byte, j-i)
			for k := i; k < j; k++ {
				ascii[k-i] = byte(s[k])
			}
			out = append(out, DecodeReplace(normalize.UnquoteToBytes(ascii))...)
			i = j
			continue
		}
		for j < len(s) && s[j] > 0x7f {
			j++
		}
		out = append(out, s[i:j]...)
		i = j
	}
	return out
}

// ParseQSL is urllib.parse.parse_qsl(qs, keep_blank_values=True): (name, value) pairs.
func ParseQSL(qs []rune) [][2][]rune {
	var out [][2][]rune
	if len(qs) == 0 {
		return out
	}
	for _, field := range split(qs, r("&")) {
		if len(field) == 0 {
			continue
		}
		var name, value []rune
		if at := pystr.Find(field, r("="), 0); at >= 0 {
			name, value = field[:at], field[at+1:]
		} else {
			name, value = field, []rune{}
		}
		name = Unquote(pystr.Replace(name, r("+"), r(" ")))
		value = Unquote(pystr.Replace(value, r("+"), r(" ")))
		out = append(out, [2][]rune{name, value})
	}
	return out
}

// a2bBase64 is binascii.a2b_base64 (not strict): characters outside the alphabet are skipped,
// a complete padding ends the data; fails (ok false) on non-ASCII text, on one data character
// past a multiple of four, and on incomplete padding.
func a2bBase64(text []rune) ([]byte, bool) {
	out := make([]byte, 0, len(text)*3/4)
	quad, pads := 0, 0
	var left byte
	for _, c := range text {
		if c > 0x7f {
			return nil, false
		}
		if c == '=' {
			if quad >= 2 {
				pads++
				if quad+pads >= 4 {
					return out, true
				}
			}
			continue
		}
		v, ok := b64Value(byte(c))
		if !ok {
			continue
		}
		pads = 0
		switch quad {
		case 0:
			quad, left = 1, v
		case 1:
			quad = 2
			out = append(out, left<<2|v>>4)
			left = v & 0x0f
		case 2:
			quad = 3
			out = append(out, left<<4|v>>2)
			left = v & 0x03
		case 3:
			quad = 0
			out = append(out, left<<6|v)
			left = 0
		}
	}
	if quad != 0 {
		return nil, false
	}
	return out, true
}

func b64Value(c byte) (byte, bool) {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A', true
	case c >= 'a' && c <= 'z':
		return c - 'a' + 26, true
	case c >= '0' && c <= '9':
		return c - '0' + 52, true
	case c == '+':
		return 62, true
	case c == '/':
		return 63, true
	}
	return 0, false
}
