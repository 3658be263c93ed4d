package normalize

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
	"github.com/protect-lambda/protect-lambda/proxy/internal/vectortest"
)

// The normalize section of proxy/gen/generate.py --vectors (PYRE_VECTORS): what Python's
// normalize.py (and unicodedata's NFKC) make of texts that exercise every decoding.
func TestSameAsPythonNormalize(t *testing.T) {
	var v struct {
		Normalize []struct {
			Text      []rune          `json:"text"`
			Normalize json.RawMessage `json:"normalize"`
			URL       []rune          `json:"url"`
			B64       *[]rune         `json:"b64"`
			Shell     []rune          `json:"shell"`
			Log4j     []rune          `json:"log4j"`
			NFKC      []rune          `json:"nfkc"`
		} `json:"normalize"`
	}
	vectortest.Load(t, "PYRE_VECTORS", "tests/proxy/test_build.py sets it", &v)
	bad := 0
	report := func(what string, text, got, want []rune) {
		if pystr.Equal(got, want) || (len(got) == 0 && len(want) == 0) {
			return
		}
		bad++
		if bad <= 15 {
			t.Errorf("%s(%q) = %q, Python %q", what, string(text), string(got), string(want))
		}
	}
	for _, c := range v.Normalize {
		got, err := Normalize(c.Text)
		var wantErr string
		if json.Unmarshal(c.Normalize, &wantErr) == nil {
			if err == nil || !strings.HasPrefix(err.Error(), wantErr) {
				bad++
				t.Errorf("normalize(%q): want error %q, got %v", string(c.Text), wantErr, err)
			}
		} else {
			var want []rune
			if err := json.Unmarshal(c.Normalize, &want); err != nil {
				t.Fatal(err)
			}
			if err != nil {
				bad++
				t.Errorf("normalize(%q): error %v", string(c.Text), err)
			} else {
				report("normalize", c.Text, got, want)
			}
		}
		report("url_decode", c.Text, URLDecode(c.Text), c.URL)
		report("shell_squash", c.Text, ShellSquash(c.Text), c.Shell)
		report("log4j_resolve", c.Text, Log4jResolve(c.Text), c.Log4j)
		report("NFKC", c.Text, NFKC(c.Text), c.NFKC)
		b64, ok := Base64Text(c.Text)
		if ok != (c.B64 != nil) {
			bad++
			t.Errorf("base64_text(%q): ok %v, Python %v", string(c.Text), ok, c.B64 != nil)
		} else if ok {
			report("base64_text", c.Text, b64, *c.B64)
		}
	}
	t.Logf("%d texts, %d differ", len(v.Normalize), bad)
	if bad > 0 {
		t.Fatalf("%d differences from Python", bad)
	}
}
