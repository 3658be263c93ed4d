// Package pyjson decodes JSON the way Python's json.loads does, into values that keep what the
// guard sees: object keys in order (a repeated key keeps its first place and its last value),
// strings as code points (lone \ud800 escapes stay lone surrogates), integers as their decimal
// text (Python ints have no size limit), NaN and Infinity accepted.
//
// Example:
//
//	v, _ := pyjson.Parse([]byte(`{"a": 1, "a": "x\ud800"}`)) // one key "a" holding "x" + U+D800
package pyjson

import (
	"errors"
	"fmt"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
	"unicode/utf8"
)

// Kind of a value.
type Kind uint8

// The kinds of JSON value Python makes: None, bool, int, float, str, list, dict.
const (
	Null Kind = iota
	Bool
	Int
	Float
	String
	Array
	Object
)

// Value is one decoded value.
type Value struct {
	Kind  Kind
	Bool  bool
	Num   string   // Int: Python's str(int); Float: the literal
	Str   []rune   // String
	Items []*Value // Array
	Keys  [][]rune // Object, in insertion order
	Vals  []*Value // Object, Vals[i] belongs to Keys[i]
}

// Get is dict.get(key) for an Object (nil when absent or not an object).
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	for i, k := range v.Keys {
		if string(k) == key {
			return v.Vals[i]
		}
	}
	return nil
}

// ErrDecode is json.JSONDecodeError (and ValueError for an integer beyond Python's digit limit).
var ErrDecode = errors.New("json: invalid document")

const maxStrDigits = 4300

type parser struct {
	data       []byte
	pos        int
	surrogates bool // the document came from a str: lone surrogates are characters
}

// Parse is json.loads(data.decode("utf-8")).
func Parse(data []byte) (*Value, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrDecode)
	}
	p := &parser{data: data}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.data) {
		return nil, fmt.Errorf("%w: extra data at %d", ErrDecode, p.pos)
	}
	return v, nil
}

// ParseRunes is json.loads(text) for a str (which may hold lone surrogates).
func ParseRunes(text []rune) (*Value, error) {
	data := make([]byte, 0, len(text))
	for _, r := range text {
		if r >= 0xD800 && r <= 0xDFFF {
			data = append(data, byte(0xE0|r>>12), byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
			continue
		}
		data = utf8.AppendRune(data, r)
	}
	p := &parser{data: data, surrogates: true}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.data) {
		return nil, fmt.Errorf("%w: extra data at %d", ErrDecode, p.pos)
	}
	return v, nil
}

func (p *parser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) fail(what string) error {
	return fmt.Errorf("%w: %s at %d", ErrDecode, what, p.pos)
}

func (p *parser) literal(word string) bool {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return true
	}
	return false
}

// maxDepth stands for the recursion limit Python's scanner meets on deep nesting (about 996
// levels from a shallow stack; the guard calls it a few dozen frames deep, so the exact level
// depends on the caller: documents nested this deep are the one place the two may differ).
const maxDepth = 950

func (p *parser) value(depth int) (*Value, error) {
	if depth > maxDepth {
		return nil, p.fail("nesting too deep")
	}
	if p.pos >= len(p.data) {
		return nil, p.fail("expecting value")
	}
	switch c := p.data[p.pos]; {
	case c == '"':
		p.pos++
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: String, Str: s}, nil
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case p.literal("null"):
		return &Value{Kind: Null}, nil
	case p.literal("true"):
		return &Value{Kind: Bool, Bool: true}, nil
	case p.literal("false"):
		return &Value{Kind: Bool}, nil
	case p.literal("NaN"):
		return &Value{Kind: Float, Num: "NaN"}, nil
	case p.literal("Infinity"):
		return &Value{Kind: Float, Num: "Infinity"}, nil
	case p.literal("-Infinity"):
		return &Value{Kind: Float, Num: "-Infinity"}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, p.fail("expecting value")
}

func digit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) number() (*Value, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	if p.pos >= len(p.data) || !digit(p.data[p.pos]) {
		p.pos = start
		return nil, p.fail("expecting value")
	}
	if p.data[p.pos] == '0' {
		p.pos++
	} else {
		for p.pos < len(p.data) && digit(p.data[p.pos]) {
			p.pos++
		}
	}
	intEnd := p.pos
	isFloat := false
	if p.pos+1 < len(p.data) && p.data[p.pos] == '.' && digit(p.data[p.pos+1]) {
		isFloat = true
		p.pos += 2
		for p.pos < len(p.data) && digit(p.data[p.pos]) {
			p.pos++
		}
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		q := p.pos + 1
		if q < len(p.data) && (p.data[q] == '+' || p.data[q] == '-') {
			q++
		}
		if q < len(p.data) && digit(p.data[q]) {
			isFloat = true
			for q < len(p.data) && digit(p.data[q]) {
				q++
			}
			p.pos = q
		}
	}
	if isFloat {
		return &Value{Kind: Float, Num: string(p.data[start:p.pos])}, nil
	}
	text := string(p.data[start:intEnd])
	digits := len(text)
	if text[0] == '-' {
		digits--
	}
	if digits > maxStrDigits {
		return nil, fmt.Errorf("%w: Exceeds the limit (4300 digits) for integer string conversion", ErrDecode)
	}
	if text == "-0" {
		text = "0"
	}
	return &Value{Kind: Int, Num: text}, nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}

// str reads a string after its opening quote (Python's strict scanner: no raw control characters).
func (p *parser) str() ([]rune, error) {
	var out []rune
	for {
		if p.pos >= len(p.data) {
			return nil, p.fail("unterminated string")
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			if out == nil {
				out = []rune{}
			}
			return out, nil
		case c < 0x20:
			return nil, p.fail("invalid control character")
		case c == '\\':
			if p.pos+1 >= len(p.data) {
				return nil, p.fail("unterminated string")
			}
			e := p.data[p.pos+1]
			p.pos += 2
			switch e {
			case '"', '\\', '/':
				out = append(out, rune(e))
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, ok := hex4(p.data[p.pos:])
				if !ok {
					return nil, p.fail("invalid \\uXXXX escape")
				}
				p.pos += 4
				// a high surrogate followed by an escaped low one is one character
				if r >= 0xD800 && r <= 0xDBFF && p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
					if lo, ok := hex4(p.data[p.pos+2:]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
						r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
						p.pos += 6
					}
				}
				out = append(out, r)
			default:
				p.pos -= 2
				return nil, p.fail("invalid \\escape")
			}
		default:
			if p.surrogates && c == 0xED && p.pos+2 < len(p.data) && p.data[p.pos+1] >= 0xA0 {
				out = append(out, rune(c&0x0F)<<12|rune(p.data[p.pos+1]&0x3F)<<6|rune(p.data[p.pos+2]&0x3F))
				p.pos += 3
				continue
			}
			r, size := utf8.DecodeRune(p.data[p.pos:])
			out = append(out, r)
			p.pos += size
		}
	}
}

func (p *parser) array(depth int) (*Value, error) {
	p.pos++
	v := &Value{Kind: Array, Items: []*Value{}}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		return v, nil
	}
	for {
		p.space()
		item, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.Items = append(v.Items, item)
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.fail("expecting ',' delimiter")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return v, nil
		default:
			return nil, p.fail("expecting ',' delimiter")
		}
	}
}

func (p *parser) object(depth int) (*Value, error) {
	p.pos++
	v := &Value{Kind: Object, Keys: [][]rune{}, Vals: []*Value{}}
	index := map[string]int{}
	p.space()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		return v, nil
	}
	for {
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, p.fail("expecting property name enclosed in double quotes")
		}
		p.pos++
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, p.fail("expecting ':' delimiter")
		}
		p.pos++
		p.space()
		item, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if i, ok := index[pystr.Key(key)]; ok {
			v.Vals[i] = item // dict: the last value, in the first key's place
		} else {
			index[pystr.Key(key)] = len(v.Keys)
			v.Keys = append(v.Keys, key)
			v.Vals = append(v.Vals, item)
		}
		p.space()
		if p.pos >= len(p.data) {
			return nil, p.fail("expecting ',' delimiter")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return v, nil
		default:
			return nil, p.fail("expecting ',' delimiter")
		}
	}
}
