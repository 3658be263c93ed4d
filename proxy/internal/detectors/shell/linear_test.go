package shell

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/detectortest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// timed is how long one Detect call on text takes, after a collection (so that the garbage of
// an earlier run is not counted).
func timed(text []rune) time.Duration {
	runtime.GC()
	start := time.Now()
	Detect(text, nil)
	return time.Since(start)
}

// fastest is the shortest of three runs of Detect on small and on large, interleaved (a busy
// machine slows both alike).
func fastest(small, large []rune) (time.Duration, time.Duration) {
	bs, bl := time.Duration(1<<62), time.Duration(1<<62)
	for range 3 {
		bs = min(bs, timed(small))
		bl = min(bl, timed(large))
	}
	return bs, bl
}

// TestLinearTime checks that Detect's time grows linearly: 256 KiB of an adversarial run takes
// under 8x the time of 64 KiB (the fastest of 3 runs of each; a ratio is measured again, up to
// 3 times, when a busy machine spoils it, and runs under 20 ms are too short to compare).
func TestLinearTime(t *testing.T) {
	detectortest.Timing(t)
	units := []string{
		"'", "\"", "(", "$(", "{", "\\", "^", "\n", "`a' ", "``x`` ", "x|id ", "system('", "/???/c?t ",
	}
	for _, u := range units {
		small := []rune(strings.Repeat(u, 64*1024/len(u)+1))[:64*1024]
		large := []rune(strings.Repeat(u, 256*1024/len(u)+1))[:256*1024]
		// a busy machine can slow one measurement: a text fails when three measurements fail
		var ts, tl time.Duration
		for range 3 {
			ts, tl = fastest(small, large)
			t.Logf("%q: 64 KiB %v, 256 KiB %v (x%.1f)", u, ts, tl, float64(tl)/float64(max(ts, time.Microsecond)))
			if tl <= 8*ts || tl <= 20*time.Millisecond {
				break
			}
		}
		if tl > 8*ts && tl > 20*time.Millisecond {
			t.Errorf("%q: 256 KiB took %v, 64 KiB %v: not linear", u, tl, ts)
		}
	}
}
