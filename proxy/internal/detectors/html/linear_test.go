package html

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/detectortest"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// adversarialUnits are repeated to build long inputs: runs of quotes, comment openers,
// parentheses, tag openers and the detector's own special characters.
var adversarialUnits = []string{
	`"`, `'`, "`", `<!--`, `(`, `)`, `<`, `<a `, `<a b=`, `" onload=x `, `' a=`, `<svg>`,
	`<script>`, `<style>`, `{{`, `[]!+`, `javascript:`, `j a v a `, `on`, `onload=`, `=`,
	`<!attlist `, `<!entity `, `<a href="`, `;alert(`, `\'`, `${`, `+adw-`, "1\u20444", `<![cdata[`,
	`url(`, `data:`, `{`, `\`, `/*`, `:`, `<a x='<b y="<c z=`, `a=b `, `</script `,
	`"><img src=x onerror=alert(1)>`, `<img alt="<svg onload=alert(1)>">`, `{{constructor}}`,
}

// fastestPair times Detect on small and large: the fastest of 3 runs of each, in CPU time of
// the thread (see clock), alternating, each after a collection and with the collector off
// (its pacing is not Detect's work), so that the load of the machine does not decide.
func fastestPair(small, large []rune) (time.Duration, time.Duration) {
	best := [2]time.Duration{1 << 62, 1 << 62}
	lockThread()
	defer unlockThread()
	for i := 0; i < 3; i++ {
		for k, text := range [][]rune{small, large} {
			runtime.GC()
			old := debug.SetGCPercent(-1)
			t0 := clock()
			Detect(text, nil)
			d := clock() - t0
			debug.SetGCPercent(old)
			if d < best[k] {
				best[k] = d
			}
		}
	}
	return best[0], best[1]
}

func build(unit string, n int) []rune {
	u := []rune(unit)
	s := []rune(strings.Repeat(unit, n/len(u)+1))
	return s[:n]
}

func TestLinearTime(t *testing.T) {
	detectortest.Timing(t)
	if testing.Short() {
		t.Skip("timing test")
	}
	for _, unit := range adversarialUnits {
		small, large := fastestPair(build(unit, 64<<10), build(unit, 256<<10))
		ratio := float64(large) / float64(max(small, time.Microsecond))
		t.Logf("%-24q 64 KiB %-12v 256 KiB %-12v x%.1f", unit, small, large, ratio)
		if large >= 8*small {
			t.Errorf("%q: 256 KiB takes %v, 64 KiB %v (x%.1f): not linear", unit, large, small, ratio)
		}
	}
}
