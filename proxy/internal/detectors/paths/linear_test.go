package paths

import (
	"github.com/protect-lambda/protect-lambda/proxy/internal/detectors/detectortest"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// sized repeats unit after prefix to at least n bytes.
func sized(prefix, unit string, n int) []rune {
	return []rune(prefix + strings.Repeat(unit, (n+len(unit)-1)/len(unit)))
}

// TestLinearTime: Detect on 256 KiB of an adversarial input takes under 8x its time on 64 KiB
// (fastest of 3 runs of each, timed as the thread's CPU time where the system tells it). The runs
// alternate between the two sizes, and the collector is off while they run.
func TestLinearTime(t *testing.T) {
	detectortest.Timing(t)
	if testing.Short() {
		t.Skip("timing test")
	}
	cases := []struct{ name, prefix, unit string }{
		{"dots", "/", "."},
		{"dots-then-junk", "/", "....;"},
		{"dotdot-percent", "/", "..%"},
		{"dotdot-slashes", "", "..//"},
		{"parents", "", "../"},
		{"backslash-parents", "", `..\`},
		{"slashes", "", "/"},
		{"backslashes", "", `\`},
		{"quotes", "/", `'"`},
		{"comment-openers", "/", "/*"},
		{"parentheses", "/", "(()"},
		{"spaces-slashes", "", "/ "},
		{"file-urls", "", "file:/"},
		{"drives", "", "c:/"},
		{"debris", "/", "\x00\ufffd."},
		{"sensitive", "", "/etc/passwd "},
		{"spaced-folders", "/", "program files "},
		{"hostnames", "/etc", "/hostname"},
		{"fd-digits", "/proc/self/fd/", "1"},
		{"extensions", "/etc/", ".conf"},
		{"logs", "/var/log", "/logs_log"},
		{"spaced-paths", "/etc/a", " /b"},
		{"climbs-to-secrets", "", "../etc/passwd/"},
	}
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for _, c := range cases {
		small, large := sized(c.prefix, c.unit, 64<<10), sized(c.prefix, c.unit, 256<<10)
		bestSmall, bestLarge := time.Duration(1<<63-1), time.Duration(1<<63-1)
		for range 3 {
			runtime.GC()
			bestSmall = min(bestSmall, timed(small))
			runtime.GC()
			bestLarge = min(bestLarge, timed(large))
		}
		ratio := float64(bestLarge) / float64(bestSmall)
		t.Logf("%s: 64 KiB %v, 256 KiB %v (x%.1f)", c.name, bestSmall, bestLarge, ratio)
		if bestLarge >= 8*bestSmall {
			t.Errorf("%s: 256 KiB took %v, over 8x the 64 KiB run's %v", c.name, bestLarge, bestSmall)
		}
	}
}
