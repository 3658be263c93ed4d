package pystr

import (
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/vectortest"
)

// The str section of proxy/gen/generate.py --vectors (PYRE_VECTORS): what Python's str methods
// make of every text of the differential set.
func TestSameAsPythonStr(t *testing.T) {
	var v struct {
		Texts [][]rune `json:"texts"`
		Str   []struct {
			Text     int      `json:"text"`
			Lower    []rune   `json:"lower"`
			Upper    []rune   `json:"upper"`
			CaseFold []rune   `json:"casefold"`
			Strip    []rune   `json:"strip"`
			Split    [][]rune `json:"split"`
			IsAlnum  []bool   `json:"isalnum"`
			IsSpace  []bool   `json:"isspace"`
		} `json:"str"`
	}
	vectortest.Load(t, "PYRE_VECTORS", "tests/proxy/test_build.py sets it", &v)
	bad := 0
	check := func(what string, text []rune, got, want []rune) {
		if !Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			bad++
			if bad <= 10 {
				t.Errorf("%s(%q) = %q, Python %q", what, string(text), string(got), string(want))
			}
		}
	}
	for _, c := range v.Str {
		text := v.Texts[c.Text]
		check("lower", text, Lower(text), c.Lower)
		check("upper", text, Upper(text), c.Upper)
		check("casefold", text, CaseFold(text), c.CaseFold)
		check("strip", text, Strip(text), c.Strip)
		fields := Fields(text)
		if len(fields) != len(c.Split) {
			bad++
			t.Errorf("split(%q): %d fields, Python %d", string(text), len(fields), len(c.Split))
		} else {
			for i := range fields {
				check("split", text, fields[i], c.Split[i])
			}
		}
		for i, r := range text {
			if IsAlnum(r) != c.IsAlnum[i] || IsSpace(r) != c.IsSpace[i] {
				bad++
				t.Errorf("isalnum/isspace(%U) differ from Python", r)
			}
		}
	}
	t.Logf("%d texts, %d differ", len(v.Str), bad)
	if bad > 0 {
		t.Fatalf("%d differences from Python", bad)
	}
}
