//go:build !linux

package runner

import "time"

// napPrecise says nap sleeps close to what it is asked; elsewhere than on
// Linux the serving loop waits on the runtime's timers alone.
const napPrecise = false

// napStep is the longest nap of the alarm between two looks at a newer deadline.
const napStep = 50 * time.Microsecond

// nap sleeps for about d.
func nap(d time.Duration) { time.Sleep(d) }
