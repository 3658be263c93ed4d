package pyjson

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/vectortest"
)

func tagged(v *Value) any {
	switch v.Kind {
	case Null:
		return []any{"null"}
	case Bool:
		return []any{"bool", v.Bool}
	case Int:
		return []any{"int", v.Num}
	case Float:
		return []any{"float"}
	case String:
		cps := make([]any, len(v.Str))
		for i, r := range v.Str {
			cps[i] = float64(r)
		}
		return []any{"str", cps}
	case Array:
		items := make([]any, len(v.Items))
		for i, it := range v.Items {
			items[i] = tagged(it)
		}
		return []any{"list", items}
	}
	pairs := make([]any, len(v.Keys))
	for i := range v.Keys {
		cps := make([]any, len(v.Keys[i]))
		for j, r := range v.Keys[i] {
			cps[j] = float64(r)
		}
		pairs[i] = []any{cps, tagged(v.Vals[i])}
	}
	return []any{"dict", pairs}
}

// The json section of proxy/gen/generate.py --vectors (PYRE_VECTORS): json.loads on generated
// documents (both escape styles, lone surrogates, repeated keys) and on malformed ones.
func TestSameAsPythonJSON(t *testing.T) {
	var v struct {
		JSON []struct {
			Doc   []byte `json:"-"`
			Raw   []int  `json:"doc"`
			Value any    `json:"value"`
		} `json:"json"`
	}
	vectortest.Load(t, "PYRE_VECTORS", "tests/proxy/test_build.py sets it", &v)
	bad := 0
	for _, c := range v.JSON {
		doc := make([]byte, len(c.Raw))
		for i, b := range c.Raw {
			doc[i] = byte(b)
		}
		got, err := Parse(doc)
		switch {
		case c.Value == nil && err == nil:
			bad++
			t.Errorf("Parse(%q) succeeded, Python raises", doc)
		case c.Value != nil && err != nil:
			bad++
			t.Errorf("Parse(%q): %v, Python parses it", doc, err)
		case c.Value != nil:
			// compare through JSON so numbers have one type on both sides
			gotJSON, _ := json.Marshal(tagged(got))
			wantJSON, _ := json.Marshal(c.Value)
			var a, b any
			_ = json.Unmarshal(gotJSON, &a)
			_ = json.Unmarshal(wantJSON, &b)
			if !reflect.DeepEqual(a, b) {
				bad++
				if bad <= 10 {
					t.Errorf("Parse(%q) = %s, Python %s", doc, gotJSON, wantJSON)
				}
			}
		}
	}
	t.Logf("%d documents, %d differ", len(v.JSON), bad)
	if bad > 0 {
		t.Fatalf("%d differences from Python", bad)
	}
}
