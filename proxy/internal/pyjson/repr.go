package pyjson

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// Truthy is Python's bool(value).
func (v *Value) Truthy() bool {
	if v == nil {
		return false
	}
	switch v.Kind {
	case Null:
		return false
	case Bool:
		return v.Bool
	case Int:
		return v.Num != "0"
	case Float:
		f := v.Float()
		return f != 0 // NaN is true
	case String:
		return len(v.Str) > 0
	case Array:
		return len(v.Items) > 0
	}
	return len(v.Keys) > 0
}

// Float is the value of a Float (NaN and infinities included).
func (v *Value) Float() float64 {
	switch v.Num {
	case "NaN":
		return math.NaN()
	case "Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	f, _ := strconv.ParseFloat(v.Num, 64)
	return f
}

// IsStr reports a String.
func (v *Value) IsStr() bool { return v != nil && v.Kind == String }

// IsMapping reports an Object.
func (v *Value) IsMapping() bool { return v != nil && v.Kind == Object }

// IsList reports an Array.
func (v *Value) IsList() bool { return v != nil && v.Kind == Array }

// Has is `key in dict`.
func (v *Value) Has(key string) bool {
	if v == nil || v.Kind != Object {
		return false
	}
	for _, k := range v.Keys {
		if string(k) == key {
			return true
		}
	}
	return false
}

// StrIs compares a String with text.
func (v *Value) StrIs(text string) bool { return v != nil && v.Kind == String && string(v.Str) == text }

// PyStr is Python's str(value) for a decoded JSON value.
func PyStr(v *Value) []rune {
	if v == nil {
		return []rune("None")
	}
	if v.Kind == String {
		return v.Str
	}
	return []rune(Repr(v))
}

// Repr is Python's repr(value).
func Repr(v *Value) string {
	var b strings.Builder
	repr(&b, v)
	return b.String()
}

func repr(b *strings.Builder, v *Value) {
	switch v.Kind {
	case Null:
		b.WriteString("None")
	case Bool:
		if v.Bool {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case Int:
		b.WriteString(v.Num)
	case Float:
		b.WriteString(FloatRepr(v.Float()))
	case String:
		b.WriteString(StrRepr(v.Str))
	case Array:
		b.WriteByte('[')
		for i, it := range v.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			repr(b, it)
		}
		b.WriteByte(']')
	case Object:
		b.WriteByte('{')
		for i := range v.Keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(StrRepr(v.Keys[i]))
			b.WriteString(": ")
			repr(b, v.Vals[i])
		}
		b.WriteByte('}')
	}
}

// FloatRepr is Python's repr(float): the shortest digits, in exponent form when the exponent
// is below -4 or at least 16.
func FloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(e, "e")
	x, _ := strconv.Atoi(exp)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	sign := ""
	if neg {
		sign = "-"
	}
	if x < -4 || x >= 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if x < 0 {
			es = "-"
			x = -x
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, x)
	}
	if x < 0 {
		return sign + "0." + strings.Repeat("0", -x-1) + digits
	}
	if len(digits) <= x+1 {
		return sign + digits + strings.Repeat("0", x+1-len(digits)) + ".0"
	}
	return sign + digits[:x+1] + "." + digits[x+1:]
}

// StrRepr is Python's repr(str).
func StrRepr(s []rune) string {
	quote := '\''
	hasSingle, hasDouble := false, false
	for _, r := range s {
		if r == '\'' {
			hasSingle = true
		} else if r == '"' {
			hasDouble = true
		}
	}
	if hasSingle && !hasDouble {
		quote = '"'
	}
	var b strings.Builder
	b.WriteRune(quote)
	for _, r := range s {
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case pystr.IsPrintable(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(quote)
	return b.String()
}
