package paths

import (
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// timed is the CPU time of one Detect(text) on this thread, which other processes' load on a
// shared machine does not inflate as it does the wall clock.
func timed(text []rune) time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadCPU()
	Detect(text, nil)
	return threadCPU() - before
}

// clockThreadCPUTimeID is Linux's CLOCK_THREAD_CPUTIME_ID (not in package syscall).
const clockThreadCPUTimeID = 3

// threadCPU is clock_gettime(CLOCK_THREAD_CPUTIME_ID): nanoseconds, unlike getrusage's ticks.
func threadCPU() time.Duration {
	var ts syscall.Timespec
	_, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	if errno != 0 {
		panic(errno)
	}
	return time.Duration(ts.Nano())
}
