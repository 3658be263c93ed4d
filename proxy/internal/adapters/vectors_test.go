package adapters

import (
	"fmt"
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
	"github.com/protect-lambda/protect-lambda/proxy/internal/vectortest"
)

// The adapters section of proxy/gen/generate.py --vectors (PYRE_VECTORS): events of every source
// and handler responses, with what Python's collect_event_budget / collect_response list.
func TestSameAsPythonAdapters(t *testing.T) {
	var v struct {
		Adapters []struct {
			Kind              string  `json:"kind"`
			Doc               string  `json:"doc"`
			Limits            []int   `json:"limits"`
			Source            string  `json:"source"`
			Fields            [][]any `json:"fields"`
			Truncated         *string `json:"truncated"`
			TruncatedLocation []rune  `json:"truncated_location"`
			Skipped           *string `json:"skipped"`
			SkippedLocation   []rune  `json:"skipped_location"`
		} `json:"adapters"`
	}
	vectortest.Load(t, "PYRE_VECTORS", "tests/proxy/test_build.py sets it", &v)
	runes := func(x any) []rune {
		items := x.([]any)
		out := make([]rune, len(items))
		for i, c := range items {
			out[i] = rune(c.(float64))
		}
		return out
	}
	bad := 0
	for _, c := range v.Adapters {
		doc, err := pyjson.Parse([]byte(c.Doc))
		if err != nil {
			t.Fatal(err)
		}
		limits := DefaultLimits
		if c.Limits != nil {
			limits = Limits{MaxDepth: c.Limits[0], MaxFields: c.Limits[1], MaxValueChars: c.Limits[2]}
		}
		var source string
		var b *Budget
		if c.Kind == "event" {
			source, b = CollectEvent(doc, limits)
		} else {
			b = CollectResponse(doc, limits)
		}
		problem := ""
		switch {
		case source != c.Source:
			problem = fmt.Sprintf("source %q, Python %q", source, c.Source)
		case len(b.Out) != len(c.Fields):
			problem = fmt.Sprintf("%d fields, Python %d", len(b.Out), len(c.Fields))
		case (c.Truncated == nil) != (b.Truncated == "") || (c.Truncated != nil && *c.Truncated != b.Truncated) ||
			!pystr.Equal(b.TruncatedLocation, c.TruncatedLocation) && len(c.TruncatedLocation)+len(b.TruncatedLocation) > 0:
			problem = fmt.Sprintf("truncated %q at %q, Python %v at %q", b.Truncated, string(b.TruncatedLocation), c.Truncated, string(c.TruncatedLocation))
		case (c.Skipped == nil) != (b.Skipped == "") || (c.Skipped != nil && *c.Skipped != b.Skipped) ||
			!pystr.Equal(b.SkippedLocation, c.SkippedLocation) && len(c.SkippedLocation)+len(b.SkippedLocation) > 0:
			problem = fmt.Sprintf("skipped %q at %q, Python %v at %q", b.Skipped, string(b.SkippedLocation), c.Skipped, string(c.SkippedLocation))
		default:
			for i, f := range c.Fields {
				rec := NoRecord
				if f[2] != nil {
					rec = int(f[2].(float64))
				}
				g := b.Out[i]
				if !pystr.Equal(g.Location, runes(f[0])) || !pystr.Equal(g.Value, runes(f[1])) || g.RecordIndex != rec {
					problem = fmt.Sprintf("field %d: %q=%q (%d), Python %q=%q (%d)", i, string(g.Location), string(g.Value),
						g.RecordIndex, string(runes(f[0])), string(runes(f[1])), rec)
					break
				}
			}
		}
		if problem != "" {
			bad++
			if bad <= 10 {
				doc := c.Doc
				if len(doc) > 300 {
					doc = doc[:300] + "..."
				}
				t.Errorf("%s %s: %s", c.Kind, doc, problem)
			}
		}
	}
	t.Logf("%d events and responses, %d differ", len(v.Adapters), bad)
	if bad > 0 {
		t.Fatalf("%d differences from Python", bad)
	}
}
