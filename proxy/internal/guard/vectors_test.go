package guard

import (
	"fmt"
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pyjson"
	"github.com/protect-lambda/protect-lambda/proxy/internal/vectortest"
)

// The guard vectors of proxy/gen/generate.py --guard-vectors (GUARD_VECTORS): Guard(config)
// .inspect_event for configurations with overrides, sensitivity, monitor mode and exclusions,
// as scan lines.
func TestSameAsPythonGuard(t *testing.T) {
	var v struct {
		Events  []string `json:"events"`
		Configs []struct {
			Config struct {
				Mode              string            `json:"mode"`
				Sensitivity       int               `json:"sensitivity"`
				RuleOverrides     map[string]string `json:"rule_overrides"`
				CategoryOverrides map[string]string `json:"category_overrides"`
				Exclusions        []struct {
					Rule, Category, Location, Action string
				} `json:"exclusions"`
			} `json:"config"`
			Lines []string `json:"lines"`
		} `json:"configs"`
	}
	vectortest.Load(t, "GUARD_VECTORS", "tests/proxy/test_build.py sets it", &v)
	bad := 0
	for n, c := range v.Configs {
		o := Options{Mode: c.Config.Mode, Sensitivity: c.Config.Sensitivity, RuleOverrides: c.Config.RuleOverrides,
			CategoryOverrides: c.Config.CategoryOverrides}
		for _, e := range c.Config.Exclusions {
			o.Exclusions = append(o.Exclusions, Exclusion{Rule: e.Rule, Category: e.Category, Location: e.Location, Action: e.Action})
		}
		g, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range v.Events {
			event, err := pyjson.Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			verdict, err := g.InspectEvent(event)
			if err != nil {
				t.Fatal(err)
			}
			got := VerdictLine(&pyjson.Value{Kind: pyjson.Int, Num: fmt.Sprint(i)}, verdict)
			if got != c.Lines[i] {
				bad++
				if bad <= 10 {
					t.Errorf("configuration %d, event %s:\n go     %s\n python %s", n, doc, got, c.Lines[i])
				}
			}
		}
	}
	t.Logf("%d configurations x %d events, %d differ", len(v.Configs), len(v.Events), bad)
	if bad > 0 {
		t.Fatalf("%d differences from Python", bad)
	}
}
