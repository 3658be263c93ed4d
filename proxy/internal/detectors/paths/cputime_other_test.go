//go:build !linux

package paths

import "time"

// timed is how long one Detect(text) takes (wall clock).
func timed(text []rune) time.Duration {
	start := time.Now()
	Detect(text, nil)
	return time.Since(start)
}
