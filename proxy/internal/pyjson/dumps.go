package pyjson

import (
	"fmt"
	"strings"
)

// Dumps is Python's json.dumps(value) with its defaults: ASCII only (\uXXXX escapes, surrogate
// pairs for astral characters), ", " and ": " separators, NaN and Infinity as Python writes them.
func Dumps(v *Value) string {
	var b strings.Builder
	dumps(&b, v)
	return b.String()
}

func dumps(b *strings.Builder, v *Value) {
	if v == nil {
		b.WriteString("null")
		return
	}
	switch v.Kind {
	case Null:
		b.WriteString("null")
	case Bool:
		if v.Bool {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case Int:
		b.WriteString(v.Num)
	case Float:
		f := v.Float()
		switch r := FloatRepr(f); r {
		case "nan":
			b.WriteString("NaN")
		case "inf":
			b.WriteString("Infinity")
		case "-inf":
			b.WriteString("-Infinity")
		default:
			b.WriteString(r)
		}
	case String:
		b.WriteString(QuoteASCII(v.Str))
	case Array:
		b.WriteByte('[')
		for i, it := range v.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			dumps(b, it)
		}
		b.WriteByte(']')
	case Object:
		b.WriteByte('{')
		for i := range v.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(QuoteASCII(v.Keys[i]))
			b.WriteString(": ")
			dumps(b, v.Vals[i])
		}
		b.WriteByte('}')
	}
}

// QuoteASCII is json.dumps of a str (ensure_ascii=True).
func QuoteASCII(s []rune) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || (r > 0x7e && r <= 0xffff):
				fmt.Fprintf(&b, `\u%04x`, r)
			case r > 0xffff:
				r -= 0x10000
				fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800|(r>>10), 0xdc00|(r&0x3ff))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
