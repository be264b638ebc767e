package hostinfo

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time (user and system) every thread of this process
// has used, in microseconds' resolution (getrusage): set against wall time
// over a stretch of work, it says whether the process had its threads'
// time to itself or shared the CPUs with another.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
