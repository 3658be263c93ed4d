package paths

import (
	"math/rand/v2"
	"testing"

	"github.com/protect-lambda/protect-lambda/proxy/internal/pyre"
	"github.com/protect-lambda/protect-lambda/proxy/internal/pystr"
)

// TestBypassSameAsRegex checks bypassSub against _BYPASS.sub("../", text) run by pyre, on
// seeded random texts over the characters the pattern tells apart.
func TestBypassSameAsRegex(t *testing.T) {
	alphabets := [][]rune{
		[]rune("....../////;%%0x25fcaz9AZ_ \t\u00a0\u3000é\u00b2\u0660\u2167()'\"-*#~\x00\ufffd"),
		[]rune("...%%%a9/;(é Z"), // the %-run and junk alternatives' backtracking
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rx := py_BYPASS.Rx()
	repl := func(*pyre.Match) []rune { return runeParent }
	changed := 0
	for i := range 200000 {
		alphabet := alphabets[i%2]
		text := make([]rune, 1+rng.IntN(24))
		for j := range text {
			text[j] = alphabet[rng.IntN(len(alphabet))]
		}
		if i%3 == 0 { // dense in ".."
			text = append([]rune(".."), text...)
		}
		want := rx.Sub(text, repl, 0)
		if !pystr.Equal(want, text) {
			changed++
		}
		if got := bypassSub(text); !pystr.Equal(got, want) {
			t.Fatalf("bypassSub(%q) = %q, _BYPASS.sub %q", string(text), string(got), string(want))
		}
	}
	t.Logf("200000 texts, %d changed by _BYPASS", changed)
}
