package engine_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/html"
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/paths"
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/shell"
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/sql"
	"github.com/protect-lambda/protect-lambda/proxy/internal/engine"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
	"github.com/protect-lambda/protect-lambda/proxy/internal/vectortest"
)

// ported lists the Go detectors; an engine configuration of the vectors runs when every
// detector it keeps is here.
var ported = map[string]engine.Detector{
	"paths": paths.Detect, "html": html.Detect, "sql": sql.Detect, "shell": shell.Detect,
}

// The engine vectors of proxy/gen/generate.py --engine-vectors (ENGINE_VECTORS): RuleEngine.scan
// on every text, inbound and outbound, with and without the guard's decisive rules, for engines
// built from the rule files without some detectors' rules.
func TestSameAsPythonEngine(t *testing.T) {
	var v struct {
		Texts    [][]rune                       `json:"texts"`
		Decisive []string                       `json:"decisive"`
		LeftOut  map[string][]string            `json:"left_out"`
		Configs  map[string][][]json.RawMessage `json:"configs"`
	}
	vectortest.Load(t, "ENGINE_VECTORS", "tests/proxy/test_build.py sets it", &v)
	all, err := engine.LoadBuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	decisive := map[string]bool{}
	for _, id := range v.Decisive {
		decisive[id] = true
	}
	ran := 0
	for name, results := range v.Configs {
		leftOut := map[string]bool{}
		for _, d := range v.LeftOut[name] {
			leftOut[d] = true
		}
		var rules []*engine.Rule
		runnable := true
		for _, r := range all {
			if leftOut[r.Detector] {
				continue
			}
			if r.Detector != "" && ported[r.Detector] == nil {
				runnable = false
			}
			rules = append(rules, r)
		}
		if !runnable {
			t.Logf("%s: skipped, a detector it needs is not ported yet", name)
			continue
		}
		ran++
		e, err := engine.New(rules, ported)
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for i, text := range v.Texts {
			k := 0
			for _, direction := range []string{"inbound", "outbound"} {
				for _, dec := range []map[string]bool{{}, decisive} {
					e.ClearCache()
					got, err := e.Scan(text, direction, dec)
					want := results[i][k]
					k++
					var wantErr string
					if json.Unmarshal(want, &wantErr) == nil {
						if err == nil || !strings.HasPrefix(err.Error(), wantErr) {
							bad++
							t.Errorf("%s %s %q: want error %q, got %v", name, direction, string(text), wantErr, err)
						}
						continue
					}
					var matches [][]any
					if err := json.Unmarshal(want, &matches); err != nil {
						t.Fatal(err)
					}
					if problem := compare(got, matches); problem != "" {
						bad++
						if bad <= 10 {
							t.Errorf("%s %s decisive=%v %q: %s", name, direction, len(dec) > 0, string(text), problem)
						}
					}
				}
			}
		}
		t.Logf("%s: %d texts x 4 scans, %d differ", name, len(v.Texts), bad)
		if bad > 0 {
			t.Errorf("%s: %d differences from Python", name, bad)
		}
	}
	if ran == 0 {
		t.Fatal("no configuration could run")
	}
}

func compare(got []engine.Match, want [][]any) string {
	if len(got) != len(want) {
		ids := []string{}
		for _, m := range got {
			ids = append(ids, m.Rule.ID)
		}
		wids := []string{}
		for _, w := range want {
			wids = append(wids, w[0].(string))
		}
		return fmt.Sprintf("matches %v, Python %v", ids, wids)
	}
	for i, w := range want {
		m := got[i]
		text := make([]rune, len(w[3].([]any)))
		for j, c := range w[3].([]any) {
			text[j] = rune(c.(float64))
		}
		if m.Rule.ID != w[0].(string) || m.Start != int(w[1].(float64)) || m.End != int(w[2].(float64)) || !pystr.Equal(m.Text, text) {
			return fmt.Sprintf("match %d: %s %d-%d, Python %v %v-%v", i, m.Rule.ID, m.Start, m.End, w[0], w[1], w[2])
		}
	}
	return ""
}
