//go:build !linux

package sql

import "time"

// threadClock is the wall clock where no thread CPU clock is at hand.
func threadClock() time.Duration { return time.Duration(time.Now().UnixNano()) }
