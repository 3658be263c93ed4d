package pyre

import (
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/vectortest"
)

// The differential vectors of proxy/gen/generate.py --vectors: every pattern of the Python guard,
// on texts where Python's re finds something, and what it finds. PYRE_VECTORS names the file
// (tests/proxy/test_build.py generates it and runs this test).
type vectors struct {
	Python  string  `json:"python"`
	Unicode string  `json:"unicode"`
	Texts   [][]int `json:"texts"`
	Cases   []struct {
		Pattern    string `json:"pattern"`
		Flags      int    `json:"flags"`
		Translated string `json:"translated"`
		Results    []struct {
			Text   int      `json:"text"`
			Search [][2]int `json:"search"`
			Match1 [][2]int `json:"match1"`
			All    [][2]int `json:"all"`
		} `json:"results"`
	} `json:"cases"`
}

func spans(m *Match) [][2]int {
	if m == nil {
		return nil
	}
	return m.spans
}

func equal(a, b [][2]int) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSameMatchesAsPython(t *testing.T) {
	var v vectors
	vectortest.Load(t, "PYRE_VECTORS", "tests/proxy/test_build.py sets it", &v)
	texts := make([][]rune, len(v.Texts))
	for i, cps := range v.Texts {
		texts[i] = make([]rune, len(cps))
		for j, cp := range cps {
			texts[i][j] = rune(cp)
		}
	}
	// a pattern Python finds nothing with on a text is checked too: every text not listed
	checked, failed := 0, 0
	for _, c := range v.Cases {
		re := compileTranslated(c.Pattern, c.Flags, c.Translated)
		listed := map[int]bool{}
		for _, r := range c.Results {
			listed[r.Text] = true
			text := texts[r.Text]
			got := spans(re.Search(text, 0))
			var gotMatch [][2]int
			if len(text) > 1 {
				gotMatch = spans(re.MatchAt(text, 1))
			}
			var all [][2]int
			re.FindIter(text, func(m *Match) bool {
				all = append(all, [2]int{m.Start(0), m.End(0)})
				return len(all) < 50
			})
			checked++
			if !equal(got, r.Search) || !equal(gotMatch, r.Match1) || !equal(all, r.All) {
				failed++
				if failed <= 10 {
					t.Errorf("%q (flags %d) on %q: search %v want %v; match@1 %v want %v; all %v want %v",
						c.Pattern, c.Flags, string(text), got, r.Search, gotMatch, r.Match1, all, r.All)
				}
			}
		}
		for i, text := range texts {
			if listed[i] {
				continue
			}
			checked++
			if m := re.Search(text, 0); m != nil {
				failed++
				if failed <= 10 {
					t.Errorf("%q (flags %d) on %q: matched %v, Python finds nothing", c.Pattern, c.Flags, string(text), m.spans)
				}
			}
		}
	}
	t.Logf("Python %s (Unicode %s): %d patterns, %d texts, %d checks, %d differ", v.Python, v.Unicode,
		len(v.Cases), len(texts), checked, failed)
	if failed > 0 {
		t.Fatalf("%d of %d checks differ from Python", failed, checked)
	}
}
