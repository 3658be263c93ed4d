// Package adapters ports lambda_layer/protect_lambda/adapters.py: which event source an event
// comes from, and the strings to scan in it (or in a handler's response), each with its
// location and batch record, within the inspection's limits.
//
// Example:
//
//	event, _ := pyjson.Parse([]byte(`{"version": "2.0", "rawPath": "/a", "queryStringParameters": {"q": "x"}}`))
//	source, budget := adapters.CollectEvent(event, adapters.DefaultLimits)
//	// source "apigw-http"; budget.Out: rawPath "/a", queryStringParameters.q "x"
package adapters

import (
	"fmt"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// NoRecord is the record index of a value that is not in a batch record (Python's None).
const NoRecord = -1

// Limits bounds what one inspection walks.
type Limits struct{ MaxDepth, MaxFields, MaxValueChars int }

// DefaultLimits are Limits() of the Python guard.
var DefaultLimits = Limits{MaxDepth: 32, MaxFields: 5000, MaxValueChars: 1 << 20}

// Field is one string to scan, with where it came from.
type Field struct {
	Location    []rune
	Value       []rune
	RecordIndex int
}

// Budget holds the counters of one inspection. Truncated and Skipped are "" until a limit is
// hit (Python's None).
type Budget struct {
	Limits            Limits
	Fields            int
	Truncated         string
	TruncatedLocation []rune
	Skipped           string
	SkippedLocation   []rune
	Out               []Field
}

// NewBudget starts an inspection's counters.
func NewBudget(limits Limits) *Budget { return &Budget{Limits: limits} }

// Add records one string to scan, enforcing the limits.
func (b *Budget) Add(location, value []rune, record int) {
	if b.Fields >= b.Limits.MaxFields {
		b.skip("too many values", location)
		return
	}
	b.Fields++
	if len(value) > b.Limits.MaxValueChars {
		if b.Truncated == "" {
			b.Truncated = "value too large"
			b.TruncatedLocation = location
		}
		value = value[:b.Limits.MaxValueChars]
	}
	b.Out = append(b.Out, Field{Location: location, Value: value, RecordIndex: record})
}

func (b *Budget) skip(what string, location []rune) {
	if b.Skipped == "" {
		b.Skipped = what
		b.SkippedLocation = location
	}
}

func r(s string) []rune { return []rune(s) }

func cat(parts ...any) []rune {
	var out []rune
	for _, p := range parts {
		switch x := p.(type) {
		case string:
			out = append(out, []rune(x)...)
		case []rune:
			out = append(out, x...)
		case int:
			out = append(out, []rune(fmt.Sprint(x))...)
		}
	}
	return out
}

func join(prefix, key []rune) []rune {
	if len(prefix) == 0 {
		return append([]rune(nil), key...)
	}
	return cat(prefix, ".", key)
}

func isArn(value []rune) bool {
	return pystr.HasPrefix(value, r("arn:aws")) && arnPattern.Rx().FullMatch(value, 0, len(value)) != nil
}

var arnPattern = pyre.NewLazy(py_ARN_PATTERN, 0)

// WalkOptions are walk's keyword arguments.
type WalkOptions struct {
	SkipKeys    map[string]bool
	NoParseJSON bool // parse_json_strings=False
	Numbers     bool
}

// Walk adds every key and string under value to the budget (bounded depth).
func Walk(value *pyjson.Value, location []rune, b *Budget, record, depth int, opt WalkOptions) {
	if depth > b.Limits.MaxDepth {
		b.skip("nesting too deep", location)
		return
	}
	if value == nil {
		return
	}
	switch value.Kind {
	case pyjson.String:
		text := value.Str
		if !opt.NoParseJSON && len(text) > 0 && (text[0] == '{' || text[0] == '[') && depth < b.Limits.MaxDepth {
			if parsed := tryJSON(text); parsed != nil {
				Walk(parsed, location, b, record, depth+1, WalkOptions{SkipKeys: opt.SkipKeys, Numbers: opt.Numbers})
				return
			}
		}
		if len(text) > 0 && !(len(opt.SkipKeys) > 0 && isArn(text)) {
			b.Add(location, text, record)
		}
	case pyjson.Object:
		for i, key := range value.Keys {
			item := value.Vals[i]
			if opt.SkipKeys != nil && opt.SkipKeys[string(pystr.Lower(key))] {
				continue
			}
			loc := join(location, key)
			if !pystr.AllAlnum(key) {
				b.Add(cat(loc, "#key"), key, record)
			}
			if opt.Numbers && item.IsStr() && len(item.Str) > 0 && pystr.Contains(pystr.Lower(key), r("secret")) {
				b.Add(cat(loc, "#pair"), cat(key, "=", item.Str), record)
			}
			Walk(item, loc, b, record, depth+1, opt)
		}
	case pyjson.Array:
		for i, item := range value.Items {
			Walk(item, cat(location, "[", i, "]"), b, record, depth+1, opt)
		}
	case pyjson.Int:
		if opt.Numbers {
			digits := value.Num
			if digits[0] == '-' {
				digits = digits[1:]
			}
			if len(digits) >= 9 { // abs(value) >= 10**8
				b.Add(location, r(value.Num), record)
			}
		}
	}
}

// tryJSON is _try_json: the parsed value when text is a JSON object or array.
func tryJSON(text []rune) *pyjson.Value {
	v, err := pyjson.ParseRunes(text)
	if err != nil || (v.Kind != pyjson.Object && v.Kind != pyjson.Array) {
		return nil
	}
	return v
}
