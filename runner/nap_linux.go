package runner

import (
	"syscall"
	"time"
)

// napPrecise says nap sleeps close to what it is asked: nanosleep wakes
// within about a tenth of a millisecond where the runtime's timers may
// wait for the next tick of the system's clock.
const napPrecise = true

// napStep is the longest nap of the alarm between two looks at a newer deadline.
const napStep = 50 * time.Microsecond

// nap blocks the calling thread for about d (the runtime hands its
// processor to other goroutines meanwhile).
func nap(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	_ = syscall.Nanosleep(&ts, nil) // an interrupted nap is only a shorter one
}
