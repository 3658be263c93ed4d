package sql

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/detectortest"
	"runtime"
	"testing"
	"time"
)

// repeat is unit repeated to n code points (cut at n).
func repeat(unit string, n int) []rune {
	u := []rune(unit)
	out := make([]rune, 0, n+len(u))
	for len(out) < n {
		out = append(out, u...)
	}
	return out[:n]
}

// timed is the CPU time of one Detect run on text, after a garbage collection (the previous
// run's garbage is not this run's time).
func timed(text []rune) time.Duration {
	runtime.GC()
	begin := threadClock()
	Detect(text, nil)
	return threadClock() - begin
}

// fastest is the shortest of 3 runs of Detect on each text, the runs on the two texts
// interleaved (so that a burst of load on the machine weighs on both alike).
func fastest(a, b []rune) (time.Duration, time.Duration) {
	bestA, bestB := time.Duration(1<<63-1), time.Duration(1<<63-1)
	for range 3 {
		bestA = min(bestA, timed(a))
		bestB = min(bestB, timed(b))
	}
	return bestA, bestB
}

// TestLinearTime: Detect on 256 KiB of adversarial input takes under 8x its time on 64 KiB.
func TestLinearTime(t *testing.T) {
	detectortest.Timing(t)
	units := []string{
		"'", "\"", "`", "`a'", "'\\", "''", "--", "#", "/*", "*/", "(", ")", "((", "()", ";", "; ", ";select ",
		"+", "1+or+", "a=", "a=(", "x=and ", "@@", "0x", "1e", "1d", ".", "\\", "\n--\n",
		"union select ", "1union", "sleep(", "waitfor delay '", "extractvalue(",
		"' or '1'='1", " or 1=1", "1 and ", "or ", "||", "&&", "<=>", "case when ", "select * from ",
		"order by 1 ", "x.sleep(", " is ", "in (", "\u00e9' or ",
	}
	runtime.LockOSThread() // threadClock reads this goroutine's thread
	defer runtime.UnlockOSThread()
	const small, large = 64 * 1024, 256 * 1024
	for _, unit := range units {
		a, b := fastest(repeat(unit, small), repeat(unit, large))
		ratio := float64(b) / float64(max(a, 1))
		t.Logf("%-28q 64K %10v  256K %10v  x%.1f", unit, a, b, ratio)
		// below a millisecond the clock's and the scheduler's noise dominate the ratio
		if b > 8*a && b > time.Millisecond {
			t.Errorf("%q: 256 KiB took %v, 64 KiB %v (x%.1f): not linear", unit, b, a, ratio)
		}
	}
}
