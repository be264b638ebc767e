//go:build !linux

package runner

import "time"

// napPrecise says nap sleeps close to what it is asked; elsewhere than on
// Linux the serving loop waits on the runtime's timers alone.
const napPrecise = false

// napStep is the longest nap between two looks at the serving loop's channels.
const napStep = 50 * time.Microsecond

// nap sleeps for about d.
func nap(d time.Duration) { time.Sleep(d) }
